import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidWalNameError } from '../../../lib/domain/errors.ts';
import { formatTimelineHex, parseTimelineHex, timelineId } from '../../../lib/domain/wal/timeline.ts';

describe('timelineId', () => {
  it.each([1, 2, 0xffffffff])('accepts %i', (value) => {
    expect(timelineId(value)).toBe(value);
  });

  it.each([0, -1, 1.5, 0x1_0000_0000, Number.NaN])('rejects %s', (value) => {
    expect(() => timelineId(value)).toThrow(InvalidWalNameError);
  });
});

describe('timeline hex', () => {
  it.each([
    ['00000001', 1],
    ['0000000A', 10],
    ['000000FF', 255],
    ['FFFFFFFF', 0xffffffff],
  ])('parses %s as %i', (hex, value) => {
    expect(parseTimelineHex(hex)).toBe(value);
    expect(formatTimelineHex(timelineId(value))).toBe(hex);
  });

  it.each(['0000000a', '00000000', '1', '000000001', 'ZZZZZZZZ'])('rejects %j', (hex) => {
    expect(() => parseTimelineHex(hex)).toThrow(InvalidWalNameError);
  });

  it('round-trips every timeline', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0xffffffff }), (value) => {
        const timeline = timelineId(value);
        return parseTimelineHex(formatTimelineHex(timeline)) === timeline;
      }),
    );
  });
});
