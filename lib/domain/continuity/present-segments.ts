import { InvalidInputError } from '../errors.ts';
import type { TimelineId } from '../wal/timeline.ts';
import type { SegmentNumber } from '../wal/wal-segment.ts';

/**
 * A maximal stretch of consecutive segments of one timeline that are all in the bucket. Only the upload times of
 * its first and last segment are kept: the first is when a gap before the run was bridged (the successor that
 * decides `uploading` versus `lost`), the last is the end estimate of a restorable window that stops at the run.
 */
export interface SegmentRun {
  readonly fromSegNo: number;
  readonly toSegNo: number;
  /** Epoch milliseconds: earliest upload of the first segment. */
  readonly firstUploadedAtMs: number;
  /** Epoch milliseconds: earliest upload of the last segment. */
  readonly lastUploadedAtMs: number;
}

/**
 * The WAL segments present in the bucket, as sorted runs per timeline. A healthy archive of 10 million segments is
 * one run per timeline (plus one per gap and per thinned stretch), so memory and the gap walk are proportional to
 * the number of holes, not to the size of the archive.
 */
export interface PresentSegments {
  /** Timelines with at least one present segment, ascending. */
  readonly timelines: readonly TimelineId[];
  /** Runs of a timeline, ascending and disjoint (adjacent runs only where a break was requested). */
  runs(timeline: TimelineId): readonly SegmentRun[];
  /** Number of distinct present segments of a timeline. */
  count(timeline: TimelineId): number;
}

interface MutableRun {
  fromSegNo: number;
  toSegNo: number;
  firstUploadedAtMs: number;
  lastUploadedAtMs: number;
}

interface TimelineRuns {
  readonly runs: MutableRun[];
  readonly breaks: ReadonlySet<number> | undefined;
  count: number;
}

const NO_BREAKS: ReadonlyMap<number, ReadonlySet<number>> = new Map();

/**
 * Collects present segments into {@link PresentSegments}. Adding in ascending segment order per timeline (the
 * catalog's sort-key order) costs O(1) per segment; out-of-order adds are accepted at O(log runs). A segment added
 * twice (two objects with different compression suffixes) counts once, with its earliest upload time.
 *
 * `breakBefore` forces a run boundary before the given segments of a timeline: a timeline switch at segment S ends
 * the parent's part of the chain at S-1, and a window that ends there needs the upload time of S-1 even if the
 * parent (a split brain) kept archiving past S.
 *
 * @example
 * const builder = new PresentSegmentsBuilder();
 * builder.add(timelineId(1), segmentNumber(5), Date.parse('2026-11-20T10:00:00Z'));
 * builder.add(timelineId(1), segmentNumber(6), Date.parse('2026-11-20T10:01:00Z'));
 * builder.build().runs(timelineId(1)) // [{ fromSegNo: 5, toSegNo: 6, firstUploadedAtMs: ..., lastUploadedAtMs: ... }]
 */
export class PresentSegmentsBuilder {
  readonly #timelines = new Map<number, TimelineRuns>();
  readonly #breakBefore: ReadonlyMap<number, ReadonlySet<number>>;
  #lastTimeline = -1;
  #last: TimelineRuns | undefined;

  constructor(options: { readonly breakBefore?: ReadonlyMap<TimelineId, ReadonlySet<SegmentNumber>> } = {}) {
    this.#breakBefore = (options.breakBefore as ReadonlyMap<number, ReadonlySet<number>> | undefined) ?? NO_BREAKS;
  }

  /**
   * Adds one present segment. `startsRun` cuts the run before it when it follows the tail directly (where a frozen
   * WAL run begins, so the readable segment before it keeps its upload time as a run end).
   */
  add(timeline: TimelineId, segNo: SegmentNumber, uploadedAtMs: number, startsRun = false): this {
    const state = this.#state(timeline);
    const runs = state.runs;
    const tail = runs[runs.length - 1];
    if (
      tail === undefined ||
      segNo > tail.toSegNo + 1 ||
      (segNo === tail.toSegNo + 1 && (startsRun || state.breaks?.has(segNo)))
    ) {
      runs.push({ fromSegNo: segNo, toSegNo: segNo, firstUploadedAtMs: uploadedAtMs, lastUploadedAtMs: uploadedAtMs });
      state.count++;
    } else if (segNo === tail.toSegNo + 1) {
      tail.toSegNo = segNo;
      tail.lastUploadedAtMs = uploadedAtMs;
      state.count++;
    } else {
      this.#insert(state, segNo, uploadedAtMs);
    }
    return this;
  }

  /**
   * Adds a whole run known from an earlier verification (a stored cursor). Runs must be added before single
   * segments of the same timeline and in ascending order.
   */
  addRun(timeline: TimelineId, run: SegmentRun): this {
    const state = this.#state(timeline);
    const tail = state.runs[state.runs.length - 1];
    if (tail !== undefined && run.fromSegNo <= tail.toSegNo) {
      throw new InvalidInputError(
        `stored run ${run.fromSegNo}..${run.toSegNo} of timeline ${timeline} overlaps the run ending at ${tail.toSegNo}; runs must be disjoint and ascending (a damaged verification cursor)`,
      );
    }
    state.runs.push({ ...run });
    state.count += run.toSegNo - run.fromSegNo + 1;
    return this;
  }

  build(): PresentSegments {
    const frozen = new Map<number, { runs: readonly SegmentRun[]; count: number }>();
    for (const [timeline, state] of this.#timelines) {
      if (state.runs.length > 0) frozen.set(timeline, { runs: state.runs, count: state.count });
    }
    const timelines = [...frozen.keys()].sort((a, b) => a - b) as TimelineId[];
    return {
      timelines,
      runs: (timeline) => frozen.get(timeline)?.runs ?? [],
      count: (timeline) => frozen.get(timeline)?.count ?? 0,
    };
  }

  #state(timeline: TimelineId): TimelineRuns {
    if (timeline === this.#lastTimeline && this.#last !== undefined) return this.#last;
    let state = this.#timelines.get(timeline);
    if (state === undefined) {
      state = { runs: [], breaks: this.#breakBefore.get(timeline), count: 0 };
      this.#timelines.set(timeline, state);
    }
    this.#lastTimeline = timeline;
    this.#last = state;
    return state;
  }

  /** Slow path: a segment at or below the tail (a duplicate, or input out of order). */
  #insert(state: TimelineRuns, segNo: number, uploadedAtMs: number): void {
    const runs = state.runs;
    const index = firstRunEndingAtOrAfter(runs, segNo);
    const run = runs[index];
    if (run !== undefined && run.fromSegNo <= segNo) {
      if (segNo === run.fromSegNo) run.firstUploadedAtMs = Math.min(run.firstUploadedAtMs, uploadedAtMs);
      if (segNo === run.toSegNo) run.lastUploadedAtMs = Math.min(run.lastUploadedAtMs, uploadedAtMs);
      return;
    }
    state.count++;
    const before = runs[index - 1];
    const joinsBefore = before !== undefined && before.toSegNo + 1 === segNo && !state.breaks?.has(segNo);
    const joinsAfter = run !== undefined && run.fromSegNo - 1 === segNo && !state.breaks?.has(run.fromSegNo);
    if (joinsBefore && joinsAfter && before !== undefined && run !== undefined) {
      before.toSegNo = run.toSegNo;
      before.lastUploadedAtMs = run.lastUploadedAtMs;
      runs.splice(index, 1);
    } else if (joinsBefore && before !== undefined) {
      before.toSegNo = segNo;
      before.lastUploadedAtMs = uploadedAtMs;
    } else if (joinsAfter && run !== undefined) {
      run.fromSegNo = segNo;
      run.firstUploadedAtMs = uploadedAtMs;
    } else {
      runs.splice(index, 0, {
        fromSegNo: segNo,
        toSegNo: segNo,
        firstUploadedAtMs: uploadedAtMs,
        lastUploadedAtMs: uploadedAtMs,
      });
    }
  }
}

/** Index of the first run whose last segment is at or after `segNo` (runs.length when none). */
export function firstRunEndingAtOrAfter(runs: readonly SegmentRun[], segNo: number): number {
  let low = 0;
  let high = runs.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((runs[middle] as SegmentRun).toSegNo < segNo) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * Builds {@link PresentSegments} from runs already known (a stored verification cursor, or a test).
 *
 * @example presentSegmentsFromRuns(new Map([[timelineId(1), [{ fromSegNo: 1, toSegNo: 9, firstUploadedAtMs: 0, lastUploadedAtMs: 9 }]]]))
 */
export function presentSegmentsFromRuns(
  runsByTimeline: ReadonlyMap<TimelineId, readonly SegmentRun[]>,
): PresentSegments {
  const builder = new Map<number, { runs: readonly SegmentRun[]; count: number }>();
  for (const [timeline, runs] of runsByTimeline) {
    if (runs.length === 0) continue;
    const sorted = [...runs].sort((a, b) => a.fromSegNo - b.fromSegNo);
    builder.set(timeline, {
      runs: sorted,
      count: sorted.reduce((sum, run) => sum + run.toSegNo - run.fromSegNo + 1, 0),
    });
  }
  const timelines = [...builder.keys()].sort((a, b) => a - b) as TimelineId[];
  return {
    timelines,
    runs: (timeline) => builder.get(timeline)?.runs ?? [],
    count: (timeline) => builder.get(timeline)?.count ?? 0,
  };
}
