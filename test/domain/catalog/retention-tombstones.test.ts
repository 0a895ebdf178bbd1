import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseRetentionTombstones,
  type RetentionTombstone,
  recordRetentionDeletions,
  retentionSpans,
  retentionTombstonesJson,
  spanKey,
  withdrawRetentionDeletions,
} from '../../../lib/domain/catalog/retention-tombstones.ts';
import { type TimelineId, timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber } from '../../../lib/domain/wal/wal-segment.ts';

const T1 = timelineId(1);
const AT = new Date('2026-11-21T10:00:00Z');
const seg = (segNo: number, timeline: TimelineId = T1) => ({ timeline, segNo: segmentNumber(segNo) });

/** Every (timeline, segNo) a list of tombstones covers. */
const covered = (tombstones: readonly RetentionTombstone[]): Set<string> => {
  const keys = new Set<string>();
  for (const t of tombstones) for (let s = t.fromSegNo; s <= t.toSegNo; s++) keys.add(`${t.timeline}:${s}`);
  return keys;
};

describe('retention tombstones', () => {
  it('merge touching ranges of one timeline and keep timelines apart, naming the newest plan', () => {
    const first = recordRetentionDeletions([], [seg(5), seg(6), seg(9)], 'p1', AT);
    expect(first).toEqual([
      { timeline: 1, fromSegNo: 5, toSegNo: 6, planId: 'p1', deletedAt: AT },
      { timeline: 1, fromSegNo: 9, toSegNo: 9, planId: 'p1', deletedAt: AT },
    ]);
    const later = new Date(AT.getTime() + 86_400_000);
    const second = recordRetentionDeletions(first, [seg(7), seg(8), seg(7, timelineId(2))], 'p2', later);
    expect(second).toEqual([
      { timeline: 1, fromSegNo: 5, toSegNo: 9, planId: 'p2', deletedAt: later },
      { timeline: 2, fromSegNo: 7, toSegNo: 7, planId: 'p2', deletedAt: later },
    ]);
  });

  it('withdraw refused segments by splitting their range', () => {
    const stored = recordRetentionDeletions([], [seg(5), seg(6), seg(7), seg(8), seg(9)], 'p1', AT);
    expect(withdrawRetentionDeletions(stored, [seg(7)])).toMatchObject([
      { fromSegNo: 5, toSegNo: 6 },
      { fromSegNo: 8, toSegNo: 9 },
    ]);
    expect(withdrawRetentionDeletions(stored, [seg(5), seg(9)])).toMatchObject([{ fromSegNo: 6, toSegNo: 8 }]);
  });

  it('bridge an already missing stretch between two doomed segments, but never across one that stays', () => {
    // doomed 3, 4, 9 and 14; 12 stays; 5..8 and 10..11, 13 are already missing
    const spans = retentionSpans([seg(3), seg(4), seg(9), seg(14)], new Map([[T1, [12]]]));
    expect(spans.get(spanKey(seg(3)))).toMatchObject({ fromSegNo: 3, toSegNo: 3 });
    expect(spans.get(spanKey(seg(4)))).toMatchObject({ fromSegNo: 4, toSegNo: 4 });
    expect(spans.get(spanKey(seg(9)))).toMatchObject({ fromSegNo: 5, toSegNo: 9 });
    expect(spans.get(spanKey(seg(14)))).toMatchObject({ fromSegNo: 13, toSegNo: 14 });
  });

  it('cover exactly the union of what was recorded, minus what was withdrawn, in any order and repetition', () => {
    const segment = fc.record({ timeline: fc.constantFrom(1, 2), segNo: fc.integer({ min: 0, max: 40 }) });
    fc.assert(
      fc.property(
        fc.array(fc.array(segment, { maxLength: 12 }), { maxLength: 6 }),
        fc.array(segment, { maxLength: 6 }),
        (rounds, refused) => {
          const toSeg = (s: { timeline: number; segNo: number }) => seg(s.segNo, timelineId(s.timeline));
          let stored: RetentionTombstone[] = [];
          for (const [index, round] of rounds.entries()) {
            stored = recordRetentionDeletions(stored, round.map(toSeg), `p${index}`, AT);
            // Recording a round again (a resumed apply) changes nothing.
            expect(recordRetentionDeletions(stored, round.map(toSeg), `p${index}`, AT)).toEqual(stored);
          }
          const expected = new Set(rounds.flat().map((s) => `${s.timeline}:${s.segNo}`));
          expect(covered(stored)).toEqual(expected);
          const withdrawn = withdrawRetentionDeletions(stored, refused.map(toSeg));
          for (const s of refused) expected.delete(`${s.timeline}:${s.segNo}`);
          expect(covered(withdrawn)).toEqual(expected);
          // Ranges stay sorted, disjoint and non-adjacent per timeline after recording.
          for (const [a, b] of stored.slice(1).map((t, i) => [stored[i] as RetentionTombstone, t] as const)) {
            expect(a.timeline < b.timeline || a.toSegNo + 1 < b.fromSegNo).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('round-trip through their stored form and refuse a damaged one, naming it', () => {
    const stored = recordRetentionDeletions([], [seg(5), seg(6)], 'p1', AT);
    expect(
      parseRetentionTombstones('orders-main', JSON.parse(JSON.stringify(retentionTombstonesJson(stored)))),
    ).toEqual(stored);
    expect(() =>
      parseRetentionTombstones('orders-main', [{ timeline: 1, fromSegNo: 9, toSegNo: 5, planId: 'p', deletedAt: 'x' }]),
    ).toThrow(/cluster orders-main: retention tombstone 0 in the cluster state is .*fromSegNo/);
  });
});
