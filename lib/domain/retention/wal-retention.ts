import type { WalObjectKind } from '../catalog/catalog-records.ts';
import { InvalidInputError } from '../errors.ts';
import type { WalSegmentSize } from '../wal/segment-size.ts';
import type { TimelineId } from '../wal/timeline.ts';
import { type SegmentNumber, segmentNumber, walFileName } from '../wal/wal-segment.ts';

/**
 * The part of a catalogued WAL object retention needs. `WalObjectRecord` fits as is; the benchmark and tests pass
 * this compact shape for a million objects.
 */
export interface RetentionWalObject {
  readonly key: string;
  readonly kind: WalObjectKind;
  readonly timeline: TimelineId;
  /** Absent for `.history` files and bulk WAL metadata: such objects are never deleted. */
  readonly segNo?: SegmentNumber;
  readonly size: number;
  /** Tombstones (already gone from the bucket) are ignored. */
  readonly deleted?: boolean;
}

/**
 * WAL that must stay: segments `fromSegNo..toSegNo` (inclusive; `toSegNo` undefined = up to the head) on one
 * timeline, or on every timeline when `timeline` is undefined.
 */
export interface ProtectedWalRange {
  readonly timeline?: TimelineId;
  readonly fromSegNo: SegmentNumber;
  readonly toSegNo?: SegmentNumber;
  /** Why, e.g. `pitr-window from base_...`, `consistency of base_...`, `incomplete-grace base_...`. */
  readonly reason: string;
}

/** A run of consecutive segment numbers whose objects are all deleted. */
export interface WalDeletionRange {
  readonly timeline: TimelineId;
  /** 24-hex file names, inclusive. */
  readonly from: string;
  readonly to: string;
  /** Segments in the run (`to - from + 1`). */
  readonly count: number;
  /** Objects deleted in the run (a segment can have several: two compressions, `.partial`, `.backup`, `_delta`). */
  readonly objects: number;
  readonly bytes: number;
}

export interface WalRetentionResult {
  readonly ranges: readonly WalDeletionRange[];
  /** The objects to delete, by timeline, segment and key. */
  readonly objects: readonly RetentionWalObject[];
  readonly bytes: number;
  readonly keptObjects: number;
}

interface Interval {
  readonly from: number;
  readonly to: number;
}

/** Sorted, merged intervals for one timeline plus the ranges that hold on every timeline. */
class ProtectionIndex {
  private readonly byTimeline = new Map<number, Interval[]>();
  private readonly everyTimeline: Interval[];

  constructor(ranges: readonly ProtectedWalRange[]) {
    const everywhere: Interval[] = [];
    const perTimeline = new Map<number, Interval[]>();
    for (const range of ranges) {
      const interval = { from: range.fromSegNo, to: range.toSegNo ?? Number.POSITIVE_INFINITY };
      if (range.timeline === undefined) everywhere.push(interval);
      else {
        const list = perTimeline.get(range.timeline);
        if (list) list.push(interval);
        else perTimeline.set(range.timeline, [interval]);
      }
    }
    this.everyTimeline = merge(everywhere);
    for (const [timeline, list] of perTimeline) this.byTimeline.set(timeline, merge([...list, ...everywhere]));
  }

  covers(timeline: number, segNo: number): boolean {
    return contains(this.byTimeline.get(timeline) ?? this.everyTimeline, segNo);
  }

  /**
   * The first segment after `segNo` whose protection differs from the segment before it (Infinity when none):
   * the start of the next interval, or the segment after the end of the one holding `segNo`. Merged intervals never
   * touch, so both are real changes.
   */
  nextChangeAfter(timeline: number, segNo: number): number {
    const intervals = this.byTimeline.get(timeline) ?? this.everyTimeline;
    const interval = intervals[firstEndingAtOrAfter(intervals, segNo)];
    if (interval === undefined) return Number.POSITIVE_INFINITY;
    return interval.from > segNo ? interval.from : interval.to + 1;
  }

  /** How much of `from..to` (inclusive) on the timeline the ranges protect. */
  coverage(timeline: number, from: number, to: number): 'none' | 'all' | 'part' {
    const intervals = this.byTimeline.get(timeline) ?? this.everyTimeline;
    const index = firstEndingAtOrAfter(intervals, from);
    const interval = intervals[index];
    if (interval === undefined || interval.from > to) return 'none';
    return interval.from <= from && interval.to >= to ? 'all' : 'part';
  }
}

/** Index of the first interval whose end is at or after `segNo` (intervals.length when none). */
function firstEndingAtOrAfter(intervals: readonly Interval[], segNo: number): number {
  let low = 0;
  let high = intervals.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((intervals[middle] as Interval).to < segNo) low = middle + 1;
    else high = middle;
  }
  return low;
}

function merge(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a.from - b.from);
  const merged: Interval[] = [];
  for (const interval of sorted) {
    const last = merged.at(-1);
    if (last && interval.from <= last.to + 1)
      merged[merged.length - 1] = { from: last.from, to: Math.max(last.to, interval.to) };
    else merged.push(interval);
  }
  return merged;
}

function contains(intervals: readonly Interval[], segNo: number): boolean {
  let low = 0;
  let high = intervals.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const interval = intervals[middle] as Interval;
    if (segNo < interval.from) high = middle - 1;
    else if (segNo > interval.to) low = middle + 1;
    else return true;
  }
  return false;
}

/**
 * A predicate telling whether an object must stay under the given ranges (objects without a segment number and
 * `.history` files always stay). Builds the index once; use it for many objects.
 *
 * @example walProtection([{ timeline: 1, fromSegNo: 5, toSegNo: 6, reason: 'consistency of base_…' }])(object)
 */
export function walProtection(ranges: readonly ProtectedWalRange[]): (object: RetentionWalObject) => boolean {
  const index = new ProtectionIndex(ranges);
  return (object) =>
    object.segNo === undefined || object.kind === 'history' || index.covers(object.timeline, object.segNo);
}

/**
 * A predicate telling whether any segment of `fromSegNo..toSegNo` (inclusive) on a timeline must stay under the
 * given ranges. Builds the index once; use it for many ranges.
 *
 * @example walRangeProtection([{ fromSegNo: 100, reason: 'chain' }])(timelineId(1), 90, 100) // true
 */
export function walRangeProtection(
  ranges: readonly ProtectedWalRange[],
): (timeline: number, fromSegNo: number, toSegNo: number) => boolean {
  const index = new ProtectionIndex(ranges);
  return (timeline, fromSegNo, toSegNo) => index.coverage(timeline, fromSegNo, toSegNo) !== 'none';
}

/**
 * Splits the catalogued WAL into what stays and what goes. An object goes when it has a segment number, is not a
 * `.history` file, and no protected range covers its (timeline, segment). `.partial`, `.backup`, `_delta` and
 * per-segment metadata go with their segment's range.
 *
 * @example
 * planWalDeletion(objects, [{ fromSegNo: 100, reason: 'pitr-window from base_…' }], 16 MiB)
 * // every segment below 100 on every timeline, grouped into runs of consecutive segments
 */
export function planWalDeletion(
  objects: readonly RetentionWalObject[],
  ranges: readonly ProtectedWalRange[],
  size: WalSegmentSize,
): WalRetentionResult {
  const isProtected = walProtection(ranges);
  const doomed: RetentionWalObject[] = [];
  let keptObjects = 0;
  for (const object of objects) {
    if (object.deleted) continue;
    if (isProtected(object)) {
      keptObjects++;
      continue;
    }
    doomed.push(object);
  }
  doomed.sort(
    (a, b) => a.timeline - b.timeline || (a.segNo as number) - (b.segNo as number) || compareText(a.key, b.key),
  );
  const deletionRanges: WalDeletionRange[] = [];
  let bytes = 0;
  let run: { timeline: TimelineId; from: number; to: number; objects: number; bytes: number } | undefined;
  const close = (): void => {
    if (!run) return;
    deletionRanges.push({
      timeline: run.timeline,
      from: walFileName({ timeline: run.timeline, segNo: segmentNumber(run.from) }, size),
      to: walFileName({ timeline: run.timeline, segNo: segmentNumber(run.to) }, size),
      count: run.to - run.from + 1,
      objects: run.objects,
      bytes: run.bytes,
    });
  };
  for (const object of doomed) {
    const segNo = object.segNo as number;
    bytes += object.size;
    if (run && run.timeline === object.timeline && segNo <= run.to + 1) {
      run.to = segNo;
      run.objects++;
      run.bytes += object.size;
    } else {
      close();
      run = { timeline: object.timeline, from: segNo, to: segNo, objects: 1, bytes: object.size };
    }
  }
  close();
  return { ranges: deletionRanges, objects: doomed, bytes, keptObjects };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A stretch of consecutive segments of one timeline that all have at least one live object in the catalog, with
 * the number and bytes of those objects (several per segment when there are two compressions, a `.partial`, a
 * `.backup` file or per-segment metadata). A ten-year archive is a handful of runs, however many objects it has.
 */
export interface RetentionWalRun {
  readonly timeline: TimelineId;
  readonly fromSegNo: SegmentNumber;
  readonly toSegNo: SegmentNumber;
  readonly objects: number;
  readonly bytes: number;
}

/** The live WAL of a cluster as runs, plus the objects retention never deletes (`.history`, no segment number). */
export interface RetentionWalRuns {
  /** By timeline, then segment; disjoint. Adjacent runs only where the builder was told to break. */
  readonly runs: readonly RetentionWalRun[];
  readonly alwaysKeptObjects: number;
}

interface OpenRun {
  timeline: TimelineId;
  fromSegNo: SegmentNumber;
  toSegNo: SegmentNumber;
  objects: number;
  bytes: number;
}

/** Where runs break, optionally able to say where the next break after a segment is (see {@link walRunBreaks}). */
export type RunBreaks = ((timeline: number, segNo: number) => boolean) & {
  /** The smallest segment after `segNo` before which the runs break (Infinity when none). */
  readonly nextBreakAfter?: (timeline: number, segNo: number) => number;
};

/**
 * Folds WAL objects, read in catalog order (segment order within each timeline), into {@link RetentionWalRuns}
 * without keeping the objects: memory is proportional to the runs. A run breaks where a segment is missing and
 * wherever `breakBefore(timeline, segNo)` says so; retention breaks runs where its protection starts or ends (see
 * {@link walRunBreaks}), so each run is either kept or deleted whole and its bytes need no splitting.
 *
 * @example
 * const builder = new RetentionWalRunsBuilder(walRunBreaks(protectedWal));
 * for await (const object of catalog.listWalObjects(cluster, timeline)) builder.add(object);
 * planRetentionOverRuns(decision, builder.build());
 */
export class RetentionWalRunsBuilder {
  readonly #runs: OpenRun[] = [];
  readonly #tails = new Map<number, OpenRun>();
  /** Per open run, the first segment after its start the breaks may split at: below it, a run grows unasked. */
  readonly #unbrokenBelow = new Map<OpenRun, number>();
  readonly #breakBefore: RunBreaks;
  #alwaysKept = 0;

  constructor(breakBefore: RunBreaks = () => false) {
    this.#breakBefore = breakBefore;
  }

  /** Adds one catalogued object; tombstones are ignored. */
  add(object: RetentionWalObject): this {
    if (object.deleted) return this;
    if (object.segNo === undefined || object.kind === 'history') {
      this.#alwaysKept++;
      return this;
    }
    return this.#addSegment(object.timeline, object.segNo, 1, object.size, object.key);
  }

  /**
   * Adds a segment's live objects at once (what a retention digest holds of it): the same as adding each of them.
   * Segments come in order per timeline; a segment already added may be added to again.
   */
  addSegment(timeline: TimelineId, segNo: SegmentNumber, objects: number, bytes: number): this {
    return this.#addSegment(timeline, segNo, objects, bytes, undefined);
  }

  /** Counts objects retention never deletes (`.history` files, objects without a segment number). */
  addAlwaysKept(objects: number): this {
    this.#alwaysKept += objects;
    return this;
  }

  /** `key`: the WAL object's, when one object is added (named in the error; built only then, a million calls). */
  #addSegment(
    timeline: TimelineId,
    segNo: SegmentNumber,
    objects: number,
    bytes: number,
    key: string | undefined,
  ): this {
    const tail = this.#tails.get(timeline);
    if (tail !== undefined && segNo < tail.toSegNo) {
      const subject =
        key === undefined
          ? `Segment ${segNo} of timeline ${timeline}`
          : `WAL object ${key} (segment ${segNo} of timeline ${timeline})`;
      throw new InvalidInputError(
        `${subject} arrived after segment ${tail.toSegNo}; runs are built from the catalog's segment order`,
      );
    }
    if (tail !== undefined && segNo === tail.toSegNo) {
      tail.objects += objects;
      tail.bytes += bytes;
    } else if (
      tail !== undefined &&
      segNo === tail.toSegNo + 1 &&
      // Asking the breaks of each of a million segments was most of the fold; only the next break can stop a run.
      (segNo < (this.#unbrokenBelow.get(tail) as number) || !this.#breakBefore(timeline, segNo))
    ) {
      tail.toSegNo = segNo;
      tail.objects += objects;
      tail.bytes += bytes;
    } else {
      const run: OpenRun = { timeline, fromSegNo: segNo, toSegNo: segNo, objects, bytes };
      this.#runs.push(run);
      if (tail !== undefined) this.#unbrokenBelow.delete(tail);
      this.#tails.set(timeline, run);
      // Without a way to find the next break, every segment after the first is asked.
      this.#unbrokenBelow.set(run, this.#breakBefore.nextBreakAfter?.(timeline, segNo) ?? segNo + 1);
    }
    return this;
  }

  build(): RetentionWalRuns {
    const runs = this.#runs.map((run) => ({ ...run }));
    runs.sort((a, b) => a.timeline - b.timeline || a.fromSegNo - b.fromSegNo);
    return { runs, alwaysKeptObjects: this.#alwaysKept };
  }
}

/**
 * Where runs must break for retention: before every segment whose protection differs from the previous segment's.
 *
 * @example walRunBreaks([{ fromSegNo: 100, reason: 'pitr-window from base_…' }])(timelineId(1), 100) // true
 */
export function walRunBreaks(ranges: readonly ProtectedWalRange[]): RunBreaks {
  const index = new ProtectionIndex(ranges);
  const breaks = (timeline: number, segNo: number) =>
    index.covers(timeline, segNo) !== index.covers(timeline, segNo - 1);
  return Object.assign(breaks, {
    nextBreakAfter: (timeline: number, segNo: number) => index.nextChangeAfter(timeline, segNo),
  });
}

/** What {@link planWalDeletionOverRuns} decides: the deletion ranges, without a key of them. */
export interface WalRunRetentionResult {
  readonly ranges: readonly WalDeletionRange[];
  readonly bytes: number;
  readonly keptObjects: number;
}

/**
 * {@link planWalDeletion} over runs: a run no protected range touches is deleted, a run inside one is kept, and
 * consecutive deleted runs of a timeline make one range. Costs O(runs x log ranges) time and O(runs) memory, where
 * the object-by-object planner needs every key.
 *
 * @example
 * planWalDeletionOverRuns({ runs: [{ timeline: 1, fromSegNo: 10, toSegNo: 199, objects: 190, bytes }], alwaysKeptObjects: 1 },
 *   [{ fromSegNo: 100, reason: 'pitr-window from base_…' }], 16 MiB)
 * // throws: the run straddles segment 100; built with walRunBreaks, it comes as 10..99 (deleted) and 100..199 (kept)
 * @throws InvalidInputError when a run is only partly protected (it was not built with {@link walRunBreaks}).
 */
export function planWalDeletionOverRuns(
  walRuns: RetentionWalRuns,
  ranges: readonly ProtectedWalRange[],
  size: WalSegmentSize,
): WalRunRetentionResult {
  const index = new ProtectionIndex(ranges);
  const deletionRanges: WalDeletionRange[] = [];
  let keptObjects = walRuns.alwaysKeptObjects;
  let bytes = 0;
  let open: OpenRun | undefined;
  const close = (): void => {
    if (!open) return;
    deletionRanges.push({
      timeline: open.timeline,
      from: walFileName({ timeline: open.timeline, segNo: open.fromSegNo }, size),
      to: walFileName({ timeline: open.timeline, segNo: open.toSegNo }, size),
      count: open.toSegNo - open.fromSegNo + 1,
      objects: open.objects,
      bytes: open.bytes,
    });
    open = undefined;
  };
  for (const run of walRuns.runs) {
    const coverage = index.coverage(run.timeline, run.fromSegNo, run.toSegNo);
    if (coverage === 'part') {
      throw new InvalidInputError(
        `WAL run ${run.fromSegNo}..${run.toSegNo} of timeline ${run.timeline} is only partly protected by retention; build the runs with walRunBreaks of the plan's protected ranges`,
      );
    }
    if (coverage === 'all') {
      keptObjects += run.objects;
      continue;
    }
    bytes += run.bytes;
    if (open && open.timeline === run.timeline && run.fromSegNo <= open.toSegNo + 1) {
      open.toSegNo = segmentNumber(Math.max(open.toSegNo, run.toSegNo));
      open.objects += run.objects;
      open.bytes += run.bytes;
    } else {
      close();
      open = { ...run };
    }
  }
  close();
  return { ranges: deletionRanges, bytes, keptObjects };
}
