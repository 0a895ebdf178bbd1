import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ProtectedWalRange,
  type RetentionWalObject,
  RetentionWalRunsBuilder,
  walRunBreaks,
} from '../../../lib/domain/retention/wal-retention.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber } from '../../../lib/domain/wal/wal-segment.ts';

const LAST_SEGMENT = 120;

/** Protected ranges on timelines 1-3 or on every timeline, some open to the head, overlapping and touching freely. */
const rangesArbitrary = fc.array(
  fc
    .record({
      timeline: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
      from: fc.integer({ min: 0, max: LAST_SEGMENT }),
      length: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
    })
    .map(
      ({ timeline, from, length }): ProtectedWalRange => ({
        ...(timeline === undefined ? {} : { timeline: timelineId(timeline) }),
        fromSegNo: segmentNumber(from),
        ...(length === undefined ? {} : { toSegNo: segmentNumber(from + length) }),
        reason: 'property',
      }),
    ),
  { maxLength: 8 },
);

describe('where retention breaks WAL runs', () => {
  it('names as the next break after any segment the first later segment the breaks split at', () => {
    fc.assert(
      fc.property(rangesArbitrary, (ranges) => {
        const breaks = walRunBreaks(ranges);
        // Every change of protection lies at or below LAST_SEGMENT + 41; beyond it nothing changes.
        const horizon = LAST_SEGMENT + 42;
        for (let timeline = 1; timeline <= 4; timeline++) {
          let next = Number.POSITIVE_INFINITY;
          for (let segNo = horizon; segNo >= 0; segNo--) {
            expect(breaks.nextBreakAfter?.(timeline, segNo)).toBe(next);
            if (breaks(timeline, segNo)) next = segNo;
          }
        }
      }),
    );
  });

  it('builds the same runs whether the builder asks every segment or only the next break', () => {
    fc.assert(
      fc.property(
        rangesArbitrary,
        fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: LAST_SEGMENT + 45 })), {
          maxLength: 200,
        }),
        (ranges, picked) => {
          const objects: RetentionWalObject[] = picked
            .sort(([ta, sa], [tb, sb]) => ta - tb || sa - sb)
            .map(([timeline, segNo]) => ({
              key: `wal_005/${timeline}-${segNo}`,
              kind: 'segment',
              timeline: timelineId(timeline),
              segNo: segmentNumber(segNo),
              size: 1 + segNo,
            }));
          const breaks = walRunBreaks(ranges);
          const askingEverySegment = new RetentionWalRunsBuilder((timeline, segNo) => breaks(timeline, segNo));
          const askingTheNextBreak = new RetentionWalRunsBuilder(breaks);
          for (const object of objects) {
            askingEverySegment.add(object);
            askingTheNextBreak.add(object);
          }
          expect(askingTheNextBreak.build()).toEqual(askingEverySegment.build());
        },
      ),
    );
  });
});
