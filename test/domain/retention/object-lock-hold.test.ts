import { describe, expect, it } from 'vitest';
import {
  heldWalRanges,
  objectLockReason,
  objectLockUnknownReason,
} from '../../../lib/domain/retention/object-lock-hold.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber } from '../../../lib/domain/wal/wal-segment.ts';

const NOW = new Date('2026-12-01T00:00:00Z');
const held = (timeline: number, segNo: number, reason: string) => ({
  timeline: timelineId(timeline),
  segNo: segmentNumber(segNo),
  key: `orders-main/wal_005/${timeline}-${segNo}`,
  reason,
});

describe('WAL held by Object Lock', () => {
  it('an unreadable lock is a reason to keep, never "nothing held"', () => {
    const reason = objectLockUnknownReason('bucket b: walcat may not read the Object Lock state of k (AccessDenied)');
    expect(reason).toBe(
      'object-lock: lock state unknown, kept (bucket b: walcat may not read the Object Lock state of k (AccessDenied))',
    );
    expect(objectLockReason({ legalHold: false }, NOW)).toBeUndefined();
  });

  it('adjacent held segments of one timeline make one range named after its first object; a gap, a timeline or an unknown lock starts another', () => {
    const locked = 'object-lock: GOVERNANCE retention until 2026-12-14T00:00:00Z';
    const unknown = objectLockUnknownReason('AccessDenied');
    const ranges = heldWalRanges([
      held(1, 0x12, locked),
      held(1, 0x10, locked),
      held(1, 0x11, locked),
      held(1, 0x11, locked),
      held(1, 0x14, locked),
      held(1, 0x15, unknown),
      held(2, 0x16, locked),
    ]);
    expect(ranges.map((range) => [range.timeline, range.fromSegNo, range.toSegNo])).toEqual([
      [1, 0x10, 0x12],
      [1, 0x14, 0x14],
      [1, 0x15, 0x15],
      [2, 0x16, 0x16],
    ]);
    expect(ranges[0]?.reason).toBe(`${locked} (orders-main/wal_005/1-16 and 3 more WAL object(s) of the range)`);
    expect(ranges[1]?.reason).toBe(`${locked} (orders-main/wal_005/1-20)`);
    expect(ranges[2]?.reason.startsWith('object-lock: lock state unknown')).toBe(true);
    expect(heldWalRanges([])).toEqual([]);
  });
});
