import { describe, expect, it } from 'vitest';
import { PresentSegmentsBuilder } from '../../../lib/domain/continuity/present-segments.ts';
import {
  advanceCursor,
  parseVerificationCursor,
  planWalReads,
  seedFromCursor,
} from '../../../lib/domain/continuity/verification-cursor.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber } from '../../../lib/domain/wal/wal-segment.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const HOUR = 3_600_000;
const tl1 = timelineId(1);

function cursorAfterFullRead() {
  const plan = planWalReads({
    stored: undefined,
    timelines: [tl1],
    historyTimelines: [],
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
      highestRead: new Map([[tl1, 100]]),
      gaps,
      historyTimelines: [],
      now: NOW,
    }),
  };
}

describe('verification cursor', () => {
  it('reads everything without a cursor, then only after it plus the open gaps', () => {
    const { plan, cursor } = cursorAfterFullRead();
    expect(plan).toMatchObject({ mode: 'full', reads: [{ timeline: 1 }] });
    expect(cursor.timelines).toEqual([
      {
        timeline: 1,
        readThroughSegNo: 100,
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
      fullReadEveryMs: HOUR,
      now: new Date(NOW.getTime() + 60_000),
    });
    expect(next).toMatchObject({
      mode: 'incremental',
      reads: [
        { timeline: 1, fromSegNo: 101 },
        { timeline: 1, fromSegNo: 50, toSegNo: 50 },
      ],
    });
  });

  it('restores the stored runs into a builder', () => {
    const { cursor } = cursorAfterFullRead();
    const present = seedFromCursor(new PresentSegmentsBuilder(), cursor).add(tl1, segmentNumber(50), 500).build();
    expect(present.runs(tl1)).toEqual([{ fromSegNo: 1, toSegNo: 100, firstUploadedAtMs: 1, lastUploadedAtMs: 100 }]);
  });

  it.each([
    ['the periodic full read is due', { now: new Date(NOW.getTime() + HOUR) }],
    ['the catalog was re-synced', { lastFullSyncAt: new Date(NOW.getTime() + 1) }],
    ['a history file appeared', { historyTimelines: [timelineId(2)] }],
    ['a full read is requested', { forceFull: true }],
  ])('reads everything again when %s', (_title, overrides) => {
    const { cursor } = cursorAfterFullRead();
    const plan = planWalReads({
      stored: cursor,
      timelines: [tl1],
      historyTimelines: [],
      fullReadEveryMs: HOUR,
      now: new Date(NOW.getTime() + 60_000),
      ...overrides,
    });
    expect(plan.mode).toBe('full');
  });

  it.each([
    ['an older format', { format: 0 }],
    [
      'overlapping runs',
      {
        timelines: [
          {
            timeline: 1,
            readThroughSegNo: 9,
            runs: [
              [1, 5, 0, 0],
              [5, 9, 0, 0],
            ],
          },
        ],
      },
    ],
    ['a non-numeric segment', { openGaps: [{ timeline: 1, fromSegNo: 'x', toSegNo: 2 }] }],
  ])('rejects a stored cursor with %s', (_title, overrides) => {
    const { cursor } = cursorAfterFullRead();
    expect(parseVerificationCursor({ ...cursor, ...overrides })).toBeUndefined();
  });
});

describe('planWalReads: open gaps', () => {
  it('re-reads nearby gaps with one Query and distant ones separately, only below the cursor', () => {
    const cursor = {
      format: 1,
      fullReadAt: NOW.toISOString(),
      historyTimelines: [],
      timelines: [{ timeline: 1, readThroughSegNo: 5_000, runs: [[0, 5_000, 0, 0]] }],
      openGaps: [
        { timeline: 1, fromSegNo: 100, toSegNo: 100 },
        { timeline: 1, fromSegNo: 300, toSegNo: 310 },
        { timeline: 1, fromSegNo: 2_000, toSegNo: 2_000 },
        { timeline: 1, fromSegNo: 4_990, toSegNo: 5_010 },
      ],
    };
    const plan = planWalReads({
      stored: cursor,
      timelines: [tl1],
      historyTimelines: [],
      fullReadEveryMs: HOUR,
      now: NOW,
    });
    expect(plan.reads).toEqual([
      { timeline: 1, fromSegNo: 5_001 },
      { timeline: 1, fromSegNo: 100, toSegNo: 310 },
      { timeline: 1, fromSegNo: 2_000, toSegNo: 2_000 },
      { timeline: 1, fromSegNo: 4_990, toSegNo: 5_000 },
    ]);
  });
});
