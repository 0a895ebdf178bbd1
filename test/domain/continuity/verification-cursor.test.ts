import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PresentSegmentsBuilder, type SegmentRun } from '../../../lib/domain/continuity/present-segments.ts';
import {
  advanceCursor,
  CHANGE_READ_OVERLAP_MS,
  cursorRuns,
  neighboursOfRemoved,
  parseVerificationCursor,
  planWalReads,
  removeSegments,
  seedRuns,
} from '../../../lib/domain/continuity/verification-cursor.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber } from '../../../lib/domain/wal/wal-segment.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const HOUR = 3_600_000;
const tl1 = timelineId(1);
const STAMP = '2026-11-21T11:59:30.000Z';

function cursorAfterFullRead() {
  const plan = planWalReads({
    stored: undefined,
    timelines: [tl1],
    historyTimelines: [],
    changesIndexed: true,
    fullReadEveryMs: HOUR,
    now: NOW,
  });
  const builder = new PresentSegmentsBuilder();
  for (let segNo = 1; segNo <= 100; segNo++) if (segNo !== 50) builder.add(tl1, segmentNumber(segNo), segNo);
  const gaps = [
    {
      timeline: tl1,
      fromSegNo: segmentNumber(50),
      toSegNo: segmentNumber(50),
      count: 1,
      status: 'lost' as const,
      neededBy: [],
    },
  ];
  return {
    plan,
    cursor: advanceCursor({
      plan,
      present: builder.build(),
      gaps,
      historyTimelines: [],
      changesThrough: STAMP,
      frozenWal: [],
      now: NOW,
    }),
  };
}

describe('verification cursor', () => {
  it('reads everything without a cursor, then the change index from just before the stamp it stored', () => {
    const { plan, cursor } = cursorAfterFullRead();
    expect(plan).toMatchObject({ mode: 'full', reads: [{ timeline: 1 }] });
    expect(cursor.timelines).toEqual([
      {
        timeline: 1,
        runs: [
          [1, 49, 1, 49],
          [51, 100, 51, 100],
        ],
      },
    ]);
    const next = planWalReads({
      stored: JSON.parse(JSON.stringify(cursor)),
      timelines: [tl1],
      historyTimelines: [],
      changesIndexed: true,
      fullReadEveryMs: HOUR,
      now: new Date(NOW.getTime() + 60_000),
    });
    expect(next).toMatchObject({
      mode: 'incremental',
      changesSince: new Date(Date.parse(STAMP) - CHANGE_READ_OVERLAP_MS).toISOString(),
    });
  });

  it('restores the stored runs into a builder', () => {
    const { cursor } = cursorAfterFullRead();
    const present = seedRuns(new PresentSegmentsBuilder(), cursorRuns(cursor)).add(tl1, segmentNumber(50), 500).build();
    expect(present.runs(tl1)).toEqual([{ fromSegNo: 1, toSegNo: 100, firstUploadedAtMs: 1, lastUploadedAtMs: 100 }]);
  });

  it.each([
    ['the periodic full read is due', { now: new Date(NOW.getTime() + HOUR) }],
    ['a history file appeared', { historyTimelines: [timelineId(2)] }],
    ['a full read is requested', { forceFull: true }],
    ['the catalog keeps no change index', { changesIndexed: false }],
  ])('reads everything again when %s', (_title, overrides) => {
    const { cursor } = cursorAfterFullRead();
    const plan = planWalReads({
      stored: cursor,
      timelines: [tl1],
      historyTimelines: [],
      changesIndexed: true,
      fullReadEveryMs: HOUR,
      now: new Date(NOW.getTime() + 60_000),
      ...overrides,
    });
    expect(plan.mode).toBe('full');
  });

  it('reads incrementally after a sync: the sync writes through the change index too', () => {
    const { cursor } = cursorAfterFullRead();
    const plan = planWalReads({
      stored: cursor,
      timelines: [tl1],
      historyTimelines: [],
      changesIndexed: true,
      now: new Date(NOW.getTime() + 30 * 24 * HOUR),
    });
    expect(plan.mode).toBe('incremental');
  });

  it.each([
    ['an older format', { format: 1 }],
    [
      'overlapping runs',
      {
        timelines: [
          {
            timeline: 1,
            runs: [
              [1, 5, 0, 0],
              [5, 9, 0, 0],
            ],
          },
        ],
      },
    ],
    ['a non-numeric segment', { openGaps: [{ timeline: 1, fromSegNo: 'x', toSegNo: 2 }] }],
    ['a stamp that is no time', { changesThrough: 'yesterday' }],
  ])('rejects a stored cursor with %s', (_title, overrides) => {
    const { cursor } = cursorAfterFullRead();
    expect(parseVerificationCursor({ ...cursor, ...overrides })).toBeUndefined();
  });
});

/** Disjoint ascending runs, each segment's upload time its number times 10 (so any run end's time is known). */
const runsOf = (segNos: readonly number[]): SegmentRun[] => {
  const builder = new PresentSegmentsBuilder();
  for (const segNo of [...new Set(segNos)].sort((a, b) => a - b)) builder.add(tl1, segmentNumber(segNo), segNo * 10);
  return [...builder.build().runs(tl1)];
};

describe('removeSegments', () => {
  it('splits a run around a removed segment, the new ends taking their neighbours upload times', () => {
    const runs = runsOf([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(neighboursOfRemoved(runs, [5])).toEqual([4, 6]);
    expect(
      removeSegments(
        runs,
        [5],
        new Map([
          [4, 40],
          [6, 60],
        ]),
      ),
    ).toEqual([
      { fromSegNo: 1, toSegNo: 4, firstUploadedAtMs: 10, lastUploadedAtMs: 40 },
      { fromSegNo: 6, toSegNo: 9, firstUploadedAtMs: 60, lastUploadedAtMs: 90 },
    ]);
  });

  it('gives undefined when a needed neighbour time is missing (the caller reads everything)', () => {
    expect(removeSegments(runsOf([1, 2, 3]), [2], new Map([[1, 10]]))).toBeUndefined();
  });

  it('equals building the runs again without the removed segments, for any runs and removals', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { maxLength: 50 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { maxLength: 20 }),
        (present, removed) => {
          const runs = runsOf(present);
          const times = new Map(neighboursOfRemoved(runs, removed).map((segNo) => [segNo, segNo * 10]));
          const expected = runsOf(present.filter((segNo) => !removed.includes(segNo)));
          expect(removeSegments(runs, removed, times)).toEqual(expected);
        },
      ),
    );
  });
});
