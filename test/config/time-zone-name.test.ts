import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { isTimeZone } from '../../lib/config/time-zone-name.ts';

/** What the config accepted before the canonical-list shortcut: whatever a formatter takes. */
function formatterAccepts(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const canonical = Intl.supportedValuesOf('timeZone');

describe('isTimeZone', () => {
  it.each([
    ['UTC', true],
    ['Europe/Paris', true],
    ['America/New_York', true],
    ['Etc/UTC', true],
    ['US/Pacific', true],
    ['europe/paris', true],
    ['Mars/Olympus', false],
    ['', false],
    ['+25:00', false],
  ])('%j: %s', (zone, expected) => {
    expect(isTimeZone(zone)).toBe(expected);
    expect(formatterAccepts(zone)).toBe(expected);
  });

  it('answers as a formatter does, for canonical names, their case variants and arbitrary text', () => {
    const zone = fc.oneof(
      fc.constantFrom(...canonical),
      fc.constantFrom(...canonical).map((name) => name.toLowerCase()),
      fc.constantFrom(...canonical).map((name) => `${name}x`),
      fc.string(),
    );
    fc.assert(
      fc.property(zone, (name) => isTimeZone(name) === formatterAccepts(name)),
      { numRuns: 2_000 },
    );
  });
});

describe('isTimeZone at a cold start', () => {
  it('answers UTC, the default zone, without listing the runtime time zones', async () => {
    vi.resetModules();
    const listing = vi.spyOn(Intl, 'supportedValuesOf');
    try {
      const fresh = await import('../../lib/config/time-zone-name.ts');
      expect(fresh.isTimeZone('UTC')).toBe(true);
      expect(listing).not.toHaveBeenCalled();
      expect(fresh.isTimeZone('Europe/Paris')).toBe(true);
      expect(listing).toHaveBeenCalledTimes(1);
    } finally {
      listing.mockRestore();
    }
  });
});
