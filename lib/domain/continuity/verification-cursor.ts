import type { TimelineId } from '../wal/timeline.ts';
import { type SegmentNumber, segmentNumber } from '../wal/wal-segment.ts';
import type { WalGap } from './gap-detection.ts';
import type { PresentSegments, PresentSegmentsBuilder, SegmentRun } from './present-segments.ts';

/**
 * How far a cluster's WAL was read and what was found, stored in the catalog's cluster state so the next scheduled
 * run reads only what arrived since. Per timeline it keeps the highest segment read and the present segments as runs
 * (a healthy timeline is one run, so the cursor stays small however large the archive grows); it also keeps the
 * gaps found, which are re-read every run so a late segment closes its gap.
 */
export interface VerificationCursor {
  readonly format: 1;
  /** When the WAL was last read in full: deletions below the cursor are only seen by a full read. */
  readonly fullReadAt: string;
  /** Timelines whose `.history` was known: a new history moves switch points and forces a full read. */
  readonly historyTimelines: readonly number[];
  readonly timelines: readonly CursorTimeline[];
  readonly openGaps: readonly CursorGap[];
}

export interface CursorTimeline {
  readonly timeline: number;
  /** The highest segment number read so far; the next run reads from the one after it. */
  readonly readThroughSegNo: number;
  /** `[fromSegNo, toSegNo, firstUploadedAtMs, lastUploadedAtMs]`, ascending. */
  readonly runs: ReadonlyArray<readonly [number, number, number, number]>;
}

export interface CursorGap {
  readonly timeline: number;
  readonly fromSegNo: number;
  readonly toSegNo: number;
}

/** One range Query the next run makes. */
export interface WalRead {
  readonly timeline: TimelineId;
  readonly fromSegNo?: SegmentNumber;
  readonly toSegNo?: SegmentNumber;
}

export type ReadPlan =
  | { readonly mode: 'full'; readonly reason: string; readonly reads: readonly WalRead[] }
  | { readonly mode: 'incremental'; readonly reads: readonly WalRead[]; readonly cursor: VerificationCursor };

/** Open gaps at most this many segments apart are re-read by one Query (a few hundred items fit in one page). */
export const GAP_READ_MERGE_DISTANCE = 256;

export interface ReadPlanInput {
  /** The stored cursor, as read from the cluster state (validated here). */
  readonly stored: unknown;
  /** Timelines with WAL objects, from the catalog. */
  readonly timelines: readonly TimelineId[];
  readonly historyTimelines: readonly TimelineId[];
  /** When the catalog was last reconciled with a full bucket listing. */
  readonly lastFullSyncAt?: Date;
  /** Read everything again at least this often (deletions below the cursor). */
  readonly fullReadEveryMs: number;
  readonly now: Date;
  /** Force a full read (`walcat gaps --full`). */
  readonly forceFull?: boolean;
}

/**
 * Decides which WAL ranges the next verification reads. Incremental: per timeline from the segment after the cursor,
 * plus every open gap (a late segment closes it). Full: every timeline from the start, when there is no usable
 * cursor, when a history file appeared, when the catalog was re-synced since (it may have marked objects vanished),
 * or when the last full read is older than `fullReadEveryMs`.
 *
 * @example
 * planWalReads({ stored: state.verifiedCursor, timelines: [1], historyTimelines: [], fullReadEveryMs: 3_600_000, now })
 * // { mode: 'incremental', reads: [{ timeline: 1, fromSegNo: 1001 }], cursor }
 */
export function planWalReads(input: ReadPlanInput): ReadPlan {
  const fullReads = input.timelines.map((timeline) => ({ timeline }));
  const full = (reason: string): ReadPlan => ({ mode: 'full', reason, reads: fullReads });
  if (input.forceFull) return full('requested');
  const cursor = parseVerificationCursor(input.stored);
  if (cursor === undefined) return full('no stored cursor');
  const fullReadAtMs = Date.parse(cursor.fullReadAt);
  if (input.now.getTime() - fullReadAtMs >= input.fullReadEveryMs) return full('periodic full read');
  if (input.lastFullSyncAt !== undefined && input.lastFullSyncAt.getTime() > fullReadAtMs) {
    return full('catalog re-synced since the last full read');
  }
  const known = [...input.historyTimelines].sort((a, b) => a - b);
  if (known.length !== cursor.historyTimelines.length || known.some((t, i) => t !== cursor.historyTimelines[i])) {
    return full('timeline history changed');
  }
  const byTimeline = new Map(cursor.timelines.map((entry) => [entry.timeline, entry]));
  const reads: WalRead[] = [];
  for (const timeline of input.timelines) {
    const entry = byTimeline.get(timeline);
    reads.push(entry === undefined ? { timeline } : { timeline, fromSegNo: segmentNumber(entry.readThroughSegNo + 1) });
  }
  // Open gaps below the cursor are re-read every run so a late segment closes its gap. Gaps close to each other are
  // read by one Query (the present segments between them cost a page at most), so the reads follow the number of
  // separate gaps, never the size of the archive.
  const gapsByTimeline = new Map<number, CursorGap[]>();
  for (const gap of cursor.openGaps) {
    const readThrough = byTimeline.get(gap.timeline)?.readThroughSegNo ?? gap.toSegNo;
    const toSegNo = Math.min(gap.toSegNo, readThrough);
    if (gap.fromSegNo > toSegNo) continue;
    const list = gapsByTimeline.get(gap.timeline) ?? [];
    list.push({ timeline: gap.timeline, fromSegNo: gap.fromSegNo, toSegNo });
    gapsByTimeline.set(gap.timeline, list);
  }
  for (const [timeline, gaps] of gapsByTimeline) {
    gaps.sort((a, b) => a.fromSegNo - b.fromSegNo);
    let current: { fromSegNo: number; toSegNo: number } | undefined;
    const flush = (): void => {
      if (current === undefined) return;
      reads.push({
        timeline: timeline as TimelineId,
        fromSegNo: segmentNumber(current.fromSegNo),
        toSegNo: segmentNumber(current.toSegNo),
      });
    };
    for (const gap of gaps) {
      if (current !== undefined && gap.fromSegNo - current.toSegNo <= GAP_READ_MERGE_DISTANCE) {
        current.toSegNo = Math.max(current.toSegNo, gap.toSegNo);
      } else {
        flush();
        current = { fromSegNo: gap.fromSegNo, toSegNo: gap.toSegNo };
      }
    }
    flush();
  }
  return { mode: 'incremental', reads, cursor };
}

/** Seeds a builder with the runs of a stored cursor (before adding what the incremental reads return). */
export function seedFromCursor(builder: PresentSegmentsBuilder, cursor: VerificationCursor): PresentSegmentsBuilder {
  for (const entry of cursor.timelines) {
    for (const [fromSegNo, toSegNo, firstUploadedAtMs, lastUploadedAtMs] of entry.runs) {
      builder.addRun(entry.timeline as TimelineId, { fromSegNo, toSegNo, firstUploadedAtMs, lastUploadedAtMs });
    }
  }
  return builder;
}

export interface AdvanceCursorInput {
  readonly plan: ReadPlan;
  readonly present: PresentSegments;
  /** Highest segment number each read returned (present or not), per timeline. */
  readonly highestRead: ReadonlyMap<TimelineId, number>;
  readonly gaps: readonly WalGap[];
  readonly historyTimelines: readonly TimelineId[];
  readonly now: Date;
}

/**
 * The cursor after a verification run: runs of every present segment, the highest segment read per timeline and the
 * gaps still open.
 *
 * @example advanceCursor({ plan, present, highestRead, gaps: report.gaps, historyTimelines, now })
 */
export function advanceCursor(input: AdvanceCursorInput): VerificationCursor {
  const previous = input.plan.mode === 'incremental' ? input.plan.cursor : undefined;
  const previousRead = new Map(previous?.timelines.map((entry) => [entry.timeline, entry.readThroughSegNo]) ?? []);
  const timelines = new Set<number>([...input.present.timelines, ...previousRead.keys(), ...input.highestRead.keys()]);
  return {
    format: 1,
    fullReadAt:
      input.plan.mode === 'full' ? input.now.toISOString() : (previous?.fullReadAt ?? input.now.toISOString()),
    historyTimelines: [...input.historyTimelines].sort((a, b) => a - b),
    timelines: [...timelines]
      .sort((a, b) => a - b)
      .map((timeline) => {
        const runs = input.present.runs(timeline as TimelineId);
        const lastRun: SegmentRun | undefined = runs.at(-1);
        const readThroughSegNo = Math.max(
          previousRead.get(timeline) ?? -1,
          input.highestRead.get(timeline as TimelineId) ?? -1,
          lastRun?.toSegNo ?? -1,
        );
        return {
          timeline,
          readThroughSegNo,
          runs: runs.map((run) => [run.fromSegNo, run.toSegNo, run.firstUploadedAtMs, run.lastUploadedAtMs] as const),
        };
      }),
    openGaps: input.gaps.map((gap) => ({ timeline: gap.timeline, fromSegNo: gap.fromSegNo, toSegNo: gap.toSegNo })),
  };
}

const isInteger = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);

/**
 * Validates a stored cursor; anything unexpected (an older format, a damaged item) gives `undefined`, which makes
 * the next run read everything and store a fresh cursor.
 *
 * @example parseVerificationCursor(undefined) // undefined
 */
export function parseVerificationCursor(stored: unknown): VerificationCursor | undefined {
  if (typeof stored !== 'object' || stored === null) return undefined;
  const candidate = stored as Partial<VerificationCursor>;
  if (
    candidate.format !== 1 ||
    typeof candidate.fullReadAt !== 'string' ||
    Number.isNaN(Date.parse(candidate.fullReadAt))
  ) {
    return undefined;
  }
  if (!Array.isArray(candidate.historyTimelines) || !candidate.historyTimelines.every(isInteger)) return undefined;
  if (!Array.isArray(candidate.timelines) || !Array.isArray(candidate.openGaps)) return undefined;
  for (const entry of candidate.timelines as unknown[]) {
    const timeline = entry as Partial<CursorTimeline>;
    if (!isInteger(timeline.timeline) || !isInteger(timeline.readThroughSegNo) || !Array.isArray(timeline.runs)) {
      return undefined;
    }
    let previousTo = -2;
    for (const run of timeline.runs as unknown[]) {
      if (!Array.isArray(run) || run.length !== 4 || !run.every(isInteger)) return undefined;
      const [from, to] = run as number[];
      if ((from as number) > (to as number) || (from as number) <= previousTo) return undefined;
      previousTo = to as number;
    }
  }
  for (const entry of candidate.openGaps as unknown[]) {
    const gap = entry as Partial<CursorGap>;
    if (!isInteger(gap.timeline) || !isInteger(gap.fromSegNo) || !isInteger(gap.toSegNo)) return undefined;
  }
  return candidate as VerificationCursor;
}
