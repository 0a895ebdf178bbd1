import { describe, expect, it } from 'vitest';
import { type GfsCandidate, selectGfs } from '../../../lib/domain/retention/gfs-selection.ts';
import { DAY, policyOf } from './retention-fixtures.ts';

/** One backup a day at 01:00 UTC from `first` to `last` inclusive, newest first, named by date. */
function daily(first: string, last: string, skip: readonly string[] = []): GfsCandidate[] {
  const out: GfsCandidate[] = [];
  for (let at = Date.parse(`${last}T01:00:00Z`); at >= Date.parse(`${first}T01:00:00Z`); at -= DAY) {
    const name = new Date(at).toISOString().slice(0, 10);
    if (!skip.includes(name)) out.push({ name, at: new Date(at) });
  }
  return out;
}

const asObject = (reasons: Map<string, string[]>) => Object.fromEntries([...reasons].sort());

describe('selectGfs', () => {
  it('counts tiers independently: the worked example of docs/retention.md', () => {
    // 2026-11-01 (Sunday) .. 2026-11-21 (Saturday), keepDaily 3, keepWeekly 2. Borg's cascade would also keep
    // 2026-11-08 (weekly W45), because its weekly rule skips W47, whose newest backup the daily rule already took.
    const reasons = selectGfs(daily('2026-11-01', '2026-11-21'), policyOf({ keepDaily: 3, keepWeekly: 2 }), 'UTC');
    expect(asObject(reasons)).toEqual({
      '2026-11-15': ['weekly 2026-W46'],
      '2026-11-19': ['daily 2026-11-19'],
      '2026-11-20': ['daily 2026-11-20'],
      '2026-11-21': ['daily 2026-11-21', 'weekly 2026-W47'],
    });
  });

  it('does not spend a slot on a period without backups', () => {
    const reasons = selectGfs(
      daily('2026-11-10', '2026-11-21', ['2026-11-20', '2026-11-19', '2026-11-18']),
      policyOf({ keepDaily: 3 }),
      'UTC',
    );
    expect([...reasons.keys()]).toEqual(['2026-11-21', '2026-11-17', '2026-11-16']);
  });

  it('keeps the newest backup of a day, not the first', () => {
    const candidates: GfsCandidate[] = [
      { name: 'evening', at: new Date('2026-11-20T20:00:00Z') },
      { name: 'noon', at: new Date('2026-11-20T12:00:00Z') },
      { name: 'morning', at: new Date('2026-11-20T06:00:00Z') },
    ];
    expect(asObject(selectGfs(candidates, policyOf({ keepDaily: 1, keepLast: 2 }), 'UTC'))).toEqual({
      evening: ['last 1', 'daily 2026-11-20'],
      noon: ['last 2'],
    });
  });

  it('puts a backup at 23:30 UTC into the next day in Europe/Berlin', () => {
    const candidates: GfsCandidate[] = [
      { name: 'late', at: new Date('2026-11-20T23:30:00Z') },
      { name: 'evening', at: new Date('2026-11-20T20:00:00Z') },
    ];
    expect(asObject(selectGfs(candidates, policyOf({ keepDaily: 2 }), 'Europe/Berlin'))).toEqual({
      late: ['daily 2026-11-21'],
      evening: ['daily 2026-11-20'],
    });
    expect(asObject(selectGfs(candidates, policyOf({ keepDaily: 2 }), 'UTC'))).toEqual({
      late: ['daily 2026-11-20'],
    });
  });

  it('keeps fewer backups than the counts when history is short', () => {
    const reasons = selectGfs(daily('2026-11-20', '2026-11-21'), policyOf({ keepLast: 5, keepMonthly: 12 }), 'UTC');
    expect(asObject(reasons)).toEqual({ '2026-11-20': ['last 2'], '2026-11-21': ['last 1', 'monthly 2026-11'] });
  });
});
