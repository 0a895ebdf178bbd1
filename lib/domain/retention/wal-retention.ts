import type { WalObjectKind } from '../catalog/catalog-records.ts';
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
