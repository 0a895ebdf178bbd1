/**
 * Restore planning over client-side encrypted `.history` files: the planner follows the ancestry the window follows
 * (switches inferred from each timeline's first archived segment), says so, and still refuses what no range reaches.
 */
import { describe, expect, it } from 'vitest';
import { type ContinuityInput, timelineAncestries } from '../../../lib/domain/continuity/continuity-input.ts';
import { restorableWindows } from '../../../lib/domain/continuity/restorable-window.ts';
import {
  type ArchivedSegment,
  planRestore,
  RestoreTargetUnreachableError,
  restorePlanToJson,
} from '../../../lib/domain/restore/restore-plan.ts';
import type { RestoreTarget } from '../../../lib/domain/restore/restore-target.ts';
import { DEFAULT_WAL_SEGMENT_SIZE } from '../../../lib/domain/wal/segment-size.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { readHistoryFiles } from '../../../lib/domain/wal/timeline-history.ts';
import { segmentNumber } from '../../../lib/domain/wal/wal-segment.ts';
import {
  backupRecord,
  CLUSTER,
  DAY,
  type PresentStretch,
  policy,
  presentSegments,
} from '../continuity/continuity-fixtures.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const MINUTE = 60_000;
const SIZE = DEFAULT_WAL_SEGMENT_SIZE;
const ago = (ms: number): Date => new Date(NOW.getTime() - ms);

/** Random bytes as the catalog decodes them: a libsodium or OpenPGP ciphertext of a history file. */
const CIPHERTEXT = new TextDecoder().decode(Uint8Array.from([0x8c, 0x0d, 0x04, 0x09, 0x03, 0x02, 0xff, 0x00, 0x7a]));

/** Timeline 1 from segment 1, a switch to timeline 2 at 51 and to 3 at 61, up to `last`, a minute apart. */
const STRETCHES: PresentStretch[] = [
  { timeline: 1, from: 1, to: 50, firstAt: ago(80 * MINUTE) },
  { timeline: 2, from: 51, to: 60, firstAt: ago(30 * MINUTE) },
  { timeline: 3, from: 61, to: 70, firstAt: ago(20 * MINUTE) },
];

function scenario(historyContent: string, stretches: PresentStretch[] = STRETCHES) {
  const reading = readHistoryFiles(
    [2, 3].map((timeline) => ({
      timeline: timelineId(timeline),
      key: `orders-main/wal_005/0000000${timeline}.history.br`,
      content: historyContent,
    })),
  );
  const base = backupRecord({ startSegNo: 2, finishSegNo: 4, finishTime: ago(2 * DAY), name: 'base-2' });
  const continuity: ContinuityInput = {
    backups: [base],
    histories: [],
    unreadableHistories: reading.unreadable,
    present: presentSegments(stretches),
    policy: policy(),
    walSegmentSize: SIZE,
    uploadGraceMs: 5 * MINUTE,
    now: NOW,
  };
  const segments: ArchivedSegment[] = stretches.flatMap((stretch) =>
    Array.from({ length: stretch.to - stretch.from + 1 }, (_, index) => ({
      timeline: timelineId(stretch.timeline),
      segNo: segmentNumber(stretch.from + index),
      size: 1000,
      uploadedAt: new Date(stretch.firstAt.getTime() + index * MINUTE),
    })),
  );
  const windows = restorableWindows(continuity);
  const ancestries = timelineAncestries(continuity);
  const plan = (target: RestoreTarget) =>
    planRestore({
      cluster: CLUSTER,
      target,
      backups: base.backup === undefined ? [] : [base.backup],
      windows: windows.ranges,
      segments,
      walSegmentSize: SIZE,
      histories: ancestries.histories,
      inferredTimelines: ancestries.inferredTimelines,
      unreadableHistories: reading.unreadable,
    });
  return { windows, ancestries, plan };
}

describe('restore plan over encrypted history files', () => {
  it('plans --to latest along the inferred ancestry to the end of the range the window marks inferred', () => {
    const { windows, plan } = scenario(CIPHERTEXT);
    expect(windows.ranges).toHaveLength(1);
    const range = windows.ranges[0];
    expect(range).toMatchObject({ timeline: 3, endSegNo: 70, confidence: 'inferred' });
    const result = plan({ kind: 'latest' });
    expect(result.timeline).toBe(3);
    expect(result.range.to).toEqual(range?.to);
    expect(result.wal.count).toBe(69);
    expect(result.wal.segments?.map((segment) => segment.timeline)).toEqual([
      ...Array(49).fill(1),
      ...Array(10).fill(2),
      ...Array(10).fill(3),
    ]);
    expect(result.ancestry).toEqual({
      confidence: 'inferred',
      inferredTimelines: [2, 3],
      unreadableHistories: ['orders-main/wal_005/00000002.history.br', 'orders-main/wal_005/00000003.history.br'],
    });
    expect(result.reasons.at(-1)).toMatch(/switch to timelines 2, 3 was inferred/);
    const json = restorePlanToJson(result, SIZE);
    expect(json.wal.to).toBe('000000030000000000000046');
    expect(json.ancestry).toEqual({
      confidence: 'inferred',
      inferredTimelines: [2, 3],
      unreadableHistories: ['orders-main/wal_005/00000002.history.br', 'orders-main/wal_005/00000003.history.br'],
    });
  });

  it('a plan that stays before the first inferred switch carries no ancestry note', () => {
    const { plan } = scenario(CIPHERTEXT);
    const result = plan({ kind: 'lsn', lsn: BigInt(20 * SIZE) as never });
    expect(result.wal.to).toMatchObject({ segNo: 20 });
    expect(result.ancestry).toBeUndefined();
    expect(restorePlanToJson(result, SIZE).ancestry).toBeNull();
  });

  it('still refuses a target past the end of the window when WAL after the switch has a gap', () => {
    const holed: PresentStretch[] = [
      ...STRETCHES.slice(0, 2),
      { timeline: 3, from: 61, to: 64, firstAt: ago(20 * MINUTE) },
      { timeline: 3, from: 66, to: 70, firstAt: ago(15 * MINUTE) },
    ];
    const { windows, plan } = scenario(CIPHERTEXT, holed);
    expect(windows.ranges.map((range) => range.endSegNo)).toEqual([64]);
    expect(() => plan({ kind: 'time', time: ago(12 * MINUTE) })).toThrow(RestoreTargetUnreachableError);
  });

  it('still refuses with unreadable-history when the file is text that does not parse (nothing is inferred)', () => {
    const { ancestries, plan } = scenario('this is not a history file\n');
    expect(ancestries.inferredTimelines).toEqual([]);
    let refusal: unknown;
    try {
      plan({ kind: 'latest' });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(RestoreTargetUnreachableError);
    expect((refusal as RestoreTargetUnreachableError).reason).toBe('unreadable-history');
  });
});
