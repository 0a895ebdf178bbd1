import type { TimelineId } from '../wal/timeline.ts';
import type { FrozenWalRun } from './frozen-wal.ts';
import type { WalGap } from './gap-detection.ts';
import {
  firstRunEndingAtOrAfter,
  type PresentSegments,
  type PresentSegmentsBuilder,
  type SegmentRun,
} from './present-segments.ts';

/**
 * How far a cluster's WAL was read and what was found, stored in the catalog's cluster state so the next run reads
 * only what changed since. Per timeline it keeps the present segments as runs (a healthy timeline is one run, so
 * the cursor stays small however large the archive grows); `changesThrough` is the newest stamp of the catalog's
 * change index that this picture includes, so the next run reads the WAL objects written (created, or deleted)
 * after it, in one Query whatever the size of the archive.
 */
export interface VerificationCursor {
  readonly format: 2;
  /** When the WAL was last read in full. */
  readonly fullReadAt: string;
  /** Timelines whose `.history` was known: a new history moves switch points and forces a full read. */
  readonly historyTimelines: readonly number[];
  readonly timelines: readonly CursorTimeline[];
  /** The gaps found (for readers of the stored state; the next run recomputes them from the runs). */
  readonly openGaps: readonly CursorGap[];
  /**
   * How far the change index was read (ISO-8601): the later of the newest stamp seen and the reader's own stamp
   * taken before it read, so a quiet archive is not re-read from its last write on every run.
   */
  readonly changesThrough?: string;
  /**
   * The WAL segments in classes that need a thaw, as runs. Absent on cursors written before walcat tracked them:
   * the next run then reads everything.
   */
  readonly frozenWal?: readonly FrozenWalRun[];
}

export interface CursorTimeline {
  readonly timeline: number;
  /** `[fromSegNo, toSegNo, firstUploadedAtMs, lastUploadedAtMs]`, ascending. */
  readonly runs: ReadonlyArray<readonly [number, number, number, number]>;
}

export interface CursorGap {
  readonly timeline: number;
  readonly fromSegNo: number;
  readonly toSegNo: number;
}

/** One range Query of a full read: a whole timeline. */
export interface WalRead {
  readonly timeline: TimelineId;
}

export type ReadPlan =
  | { readonly mode: 'full'; readonly reason: string; readonly reads: readonly WalRead[] }
  | {
      readonly mode: 'incremental';
      readonly cursor: VerificationCursor;
      /** Read the change index from this stamp on (inclusive); undefined: from its start. */
      readonly changesSince: string | undefined;
    };

/**
 * How far before the cursor's stamp the next change read starts. A write is stamped just before it is sent and the
 * index is updated asynchronously (well under a second on DynamoDB), so a write stamped a little before a read can
 * become visible after it; the overlap also absorbs a few minutes of difference between the writers' and the
 * reader's clocks. Re-reading it is idempotent.
 */
export const CHANGE_READ_OVERLAP_MS = 5 * 60_000;

export interface ReadPlanInput {
  /** The stored cursor, as read from the cluster state (validated here). */
  readonly stored: unknown;
  /** Timelines with WAL objects, from the catalog. */
  readonly timelines: readonly TimelineId[];
  readonly historyTimelines: readonly TimelineId[];
  /** Whether the catalog keeps a change index; without one every run reads everything. */
  readonly changesIndexed: boolean;
  /** Read everything again at least this often (a safety net; undefined: never). */
  readonly fullReadEveryMs?: number;
  readonly now: Date;
  /** Force a full read (`walcat gaps --full`). */
  readonly forceFull?: boolean;
}

/**
 * Decides how the next verification reads the WAL. Incremental: the stored runs plus one read of the change index
 * from the cursor's stamp on (creations and deletions anywhere in the archive, new timelines included). Full: every
 * timeline from the start, when there is no usable cursor or change index, when a history file appeared, or when
 * the last full read is older than `fullReadEveryMs`.
 *
 * @example
 * planWalReads({ stored: state.verifiedCursor, timelines: [1], historyTimelines: [], changesIndexed: true, now })
 * // { mode: 'incremental', cursor, changesSince: '2026-11-21T11:55:00.000Z' }
 */
export function planWalReads(input: ReadPlanInput): ReadPlan {
  const full = (reason: string): ReadPlan => ({
    mode: 'full',
    reason,
    reads: input.timelines.map((timeline) => ({ timeline })),
  });
  if (input.forceFull) return full('requested');
  if (!input.changesIndexed) return full('the catalog keeps no change index');
  const cursor = parseVerificationCursor(input.stored);
  if (cursor === undefined) return full('no stored cursor');
  if (cursor.frozenWal === undefined) return full('the stored cursor predates frozen WAL tracking');
  const fullReadAtMs = Date.parse(cursor.fullReadAt);
  if (input.fullReadEveryMs !== undefined && input.now.getTime() - fullReadAtMs >= input.fullReadEveryMs) {
    return full('periodic full read');
  }
  const known = [...input.historyTimelines].sort((a, b) => a - b);
  if (known.length !== cursor.historyTimelines.length || known.some((t, i) => t !== cursor.historyTimelines[i])) {
    return full('timeline history changed');
  }
  const changesSince =
    cursor.changesThrough === undefined
      ? undefined
      : new Date(Date.parse(cursor.changesThrough) - CHANGE_READ_OVERLAP_MS).toISOString();
  return { mode: 'incremental', cursor, changesSince };
}

/** Seeds a builder with runs (from {@link removeSegments} or a stored cursor) before adding changed segments. */
export function seedRuns(
  builder: PresentSegmentsBuilder,
  runsByTimeline: ReadonlyMap<TimelineId, readonly SegmentRun[]>,
): PresentSegmentsBuilder {
  for (const [timeline, runs] of [...runsByTimeline].sort(([a], [b]) => a - b)) {
    for (const run of runs) builder.addRun(timeline, run);
  }
  return builder;
}

/** The stored runs of a cursor, per timeline. */
export function cursorRuns(cursor: VerificationCursor): Map<TimelineId, SegmentRun[]> {
  return new Map(
    cursor.timelines.map((entry) => [
      entry.timeline as TimelineId,
      entry.runs.map(([fromSegNo, toSegNo, firstUploadedAtMs, lastUploadedAtMs]) => ({
        fromSegNo,
        toSegNo,
        firstUploadedAtMs,
        lastUploadedAtMs,
      })),
    ]),
  );
}

/** The segments whose upload times {@link removeSegments} needs: each removed segment's neighbours that stay. */
export function neighboursOfRemoved(runs: readonly SegmentRun[], removed: readonly number[]): number[] {
  const gone = new Set(removed);
  const needed = new Set<number>();
  for (const segNo of removed) {
    const run = runs[firstRunEndingAtOrAfter(runs, segNo)];
    if (run === undefined || run.fromSegNo > segNo) continue;
    if (segNo - 1 >= run.fromSegNo && !gone.has(segNo - 1)) needed.add(segNo - 1);
    if (segNo + 1 <= run.toSegNo && !gone.has(segNo + 1)) needed.add(segNo + 1);
  }
  return [...needed].sort((a, b) => a - b);
}

/**
 * Runs with the given segments taken out: a run containing one is split around it, and the new ends take their
 * upload times from `uploadedAtMs` (the segments {@link neighboursOfRemoved} names). Undefined when one of those
 * times is missing (the caller reads everything instead).
 *
 * @example removeSegments([{ fromSegNo: 1, toSegNo: 9, firstUploadedAtMs: 1, lastUploadedAtMs: 9 }], [5], new Map([[4, 4], [6, 6]]))
 * // [{ fromSegNo: 1, toSegNo: 4, firstUploadedAtMs: 1, lastUploadedAtMs: 4 }, { fromSegNo: 6, toSegNo: 9, firstUploadedAtMs: 6, lastUploadedAtMs: 9 }]
 */
export function removeSegments(
  runs: readonly SegmentRun[],
  removed: readonly number[],
  uploadedAtMs: ReadonlyMap<number, number>,
): SegmentRun[] | undefined {
  const sorted = [...new Set(removed)].sort((a, b) => a - b);
  const out: SegmentRun[] = [];
  let next = 0;
  for (const run of runs) {
    while (next < sorted.length && (sorted[next] as number) < run.fromSegNo) next++;
    let from = run.fromSegNo;
    let firstMs: number | undefined = run.firstUploadedAtMs;
    while (next < sorted.length && (sorted[next] as number) <= run.toSegNo) {
      const segNo = sorted[next++] as number;
      if (segNo > from) {
        const lastMs = uploadedAtMs.get(segNo - 1);
        if (firstMs === undefined || lastMs === undefined) return undefined;
        out.push({ fromSegNo: from, toSegNo: segNo - 1, firstUploadedAtMs: firstMs, lastUploadedAtMs: lastMs });
      }
      from = segNo + 1;
      firstMs = uploadedAtMs.get(from);
    }
    if (from > run.toSegNo) continue;
    if (from !== run.fromSegNo && firstMs === undefined) return undefined;
    out.push({
      fromSegNo: from,
      toSegNo: run.toSegNo,
      firstUploadedAtMs: firstMs as number,
      lastUploadedAtMs: from === run.toSegNo ? (firstMs as number) : run.lastUploadedAtMs,
    });
  }
  return out;
}

export interface AdvanceCursorInput {
  readonly plan: ReadPlan;
  readonly present: PresentSegments;
  readonly gaps: readonly WalGap[];
  readonly historyTimelines: readonly TimelineId[];
  /** How far the change index was read for this run's picture (see VerificationCursor.changesThrough). */
  readonly changesThrough: string | undefined;
  /** The frozen WAL runs of this run's picture. */
  readonly frozenWal: readonly FrozenWalRun[];
  readonly now: Date;
}

/**
 * The cursor after a verification run: runs of every present segment, the gaps still open and the change stamp.
 *
 * @example advanceCursor({ plan, present, gaps: report.gaps, historyTimelines, changesThrough, now })
 */
export function advanceCursor(input: AdvanceCursorInput): VerificationCursor {
  const previous = input.plan.mode === 'incremental' ? input.plan.cursor : undefined;
  return {
    format: 2,
    fullReadAt:
      input.plan.mode === 'full' ? input.now.toISOString() : (previous?.fullReadAt ?? input.now.toISOString()),
    historyTimelines: [...input.historyTimelines].sort((a, b) => a - b),
    timelines: input.present.timelines.map((timeline) => ({
      timeline,
      runs: input.present
        .runs(timeline)
        .map((run) => [run.fromSegNo, run.toSegNo, run.firstUploadedAtMs, run.lastUploadedAtMs] as const),
    })),
    openGaps: input.gaps.map((gap) => ({ timeline: gap.timeline, fromSegNo: gap.fromSegNo, toSegNo: gap.toSegNo })),
    ...(input.changesThrough === undefined ? {} : { changesThrough: input.changesThrough }),
    frozenWal: input.frozenWal.map((run) => ({ ...run })),
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
    candidate.format !== 2 ||
    typeof candidate.fullReadAt !== 'string' ||
    Number.isNaN(Date.parse(candidate.fullReadAt))
  ) {
    return undefined;
  }
  if (
    candidate.changesThrough !== undefined &&
    (typeof candidate.changesThrough !== 'string' || Number.isNaN(Date.parse(candidate.changesThrough)))
  ) {
    return undefined;
  }
  if (!Array.isArray(candidate.historyTimelines) || !candidate.historyTimelines.every(isInteger)) return undefined;
  if (!Array.isArray(candidate.timelines) || !Array.isArray(candidate.openGaps)) return undefined;
  let previousTimeline = -1;
  for (const entry of candidate.timelines as unknown[]) {
    const timeline = entry as Partial<CursorTimeline>;
    if (!isInteger(timeline.timeline) || !Array.isArray(timeline.runs)) return undefined;
    if (timeline.timeline <= previousTimeline) return undefined;
    previousTimeline = timeline.timeline;
    let previousTo = -2;
    for (const run of timeline.runs as unknown[]) {
      if (!Array.isArray(run) || run.length !== 4 || !run.every(isInteger)) return undefined;
      const [from, to] = run as number[];
      if ((from as number) > (to as number) || (from as number) <= previousTo) return undefined;
      previousTo = to as number;
    }
  }
  if (candidate.frozenWal !== undefined) {
    if (!Array.isArray(candidate.frozenWal)) return undefined;
    for (const entry of candidate.frozenWal as unknown[]) {
      const run = entry as Partial<FrozenWalRun>;
      if (!isInteger(run.timeline) || !isInteger(run.fromSegNo) || !isInteger(run.toSegNo)) return undefined;
      if (typeof run.storageClass !== 'string' || run.fromSegNo > run.toSegNo) return undefined;
      if (run.thawedUntilMs !== undefined && !isInteger(run.thawedUntilMs)) return undefined;
    }
  }
  for (const entry of candidate.openGaps as unknown[]) {
    const gap = entry as Partial<CursorGap>;
    if (!isInteger(gap.timeline) || !isInteger(gap.fromSegNo) || !isInteger(gap.toSegNo)) return undefined;
  }
  return candidate as VerificationCursor;
}
