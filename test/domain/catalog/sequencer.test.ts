import { describe, expect, it } from 'vitest';
import { compareSequencers } from '../../../lib/domain/catalog/sequencer.ts';

describe('compareSequencers (right-pad the shorter with zeros, then compare lexicographically)', () => {
  it.each([
    ['0055AED6DCD90281E5', '0055AED6DCD90281E6', -1],
    ['0055AED6DCD90281E6', '0055AED6DCD90281E5', 1],
    ['0055AED6DCD90281E5', '0055AED6DCD90281E5', 0],
    // Right padding: '0A' is '0A00' and equals it; a numeric (left-pad) reading would say 0x0A < 0x0A00.
    ['0A', '0A00', 0],
    ['0B', '0A01', 1],
    ['0A01', '0B', -1],
    ['1', '0FFFFFFF', 1],
    // Case does not matter.
    ['00ab', '00AB', 0],
  ])('%s vs %s -> %i', (a, b, expected) => {
    expect(Math.sign(compareSequencers(a, b))).toBe(expected);
  });

  it('treats a missing sequencer as older than any present one', () => {
    expect(compareSequencers(undefined, '00')).toBeLessThan(0);
    expect(compareSequencers('00', undefined)).toBeGreaterThan(0);
    expect(compareSequencers(undefined, undefined)).toBe(0);
    expect(compareSequencers('', '01')).toBeLessThan(0);
  });
});
