import { isFrozen, needsThaw, type StoredClass } from '../bucket/storage-class.ts';
import type { TimelineId } from '../wal/timeline.ts';

/**
 * A stretch of consecutive WAL segments of one timeline stored in a class S3 cannot serve with a plain GetObject
 * (GLACIER, DEEP_ARCHIVE, the archive tiers of INTELLIGENT_TIERING). Kept as runs like the present segments: a
 * lifecycle transition moves WAL by age, so a whole archive in Glacier is one run per timeline.
 */
export interface FrozenWalRun {
  readonly timeline: TimelineId;
  readonly fromSegNo: number;
  readonly toSegNo: number;
  /** The catalog's form of the class (`DEEP_ARCHIVE`, `INTELLIGENT_TIERING/ARCHIVE_ACCESS`). */
  readonly storageClass: string;
  /** Epoch milliseconds until which thawed copies of the run's segments can be read; absent when none was thawed. */
  readonly thawedUntilMs?: number;
}

interface MutableFrozenRun {
  timeline: TimelineId;
  fromSegNo: number;
  toSegNo: number;
  storageClass: string;
  thawedUntilMs?: number;
}

/**
 * Collects the frozen WAL segments of a catalog read, in the catalog's order (ascending per timeline). A run holds
 * segments of one class and one thaw expiry, so whether it can be read at a given time is one question per run.
 *
 * @example
 * const frozen = new FrozenWalBuilder();
 * frozen.add(timelineId(1), 5, { storageClass: 'GLACIER' }) // true: a run starts at 5
 * frozen.add(timelineId(1), 6, { storageClass: 'GLACIER' }) // false: 6 extends it
 * frozen.build() // [{ timeline: 1, fromSegNo: 5, toSegNo: 6, storageClass: 'GLACIER' }]
 */
export class FrozenWalBuilder {
  readonly #runs: MutableFrozenRun[] = [];

  /**
   * Records one segment object's storage. True when the segment begins a new frozen run: the present segments
   * must start a run there too, so the upload time of the readable segment before it (where an instantly
   * restorable stretch ends) is known.
   */
  add(timeline: TimelineId, segNo: number, stored: StoredClass): boolean {
    if (stored.storageClass === undefined || !needsThaw(stored.storageClass)) return false;
    const thawedUntilMs = stored.thawedUntil?.getTime();
    const tail = this.#runs.at(-1);
    if (
      tail !== undefined &&
      tail.timeline === timeline &&
      tail.storageClass === stored.storageClass &&
      tail.thawedUntilMs === thawedUntilMs &&
      segNo >= tail.fromSegNo &&
      segNo <= tail.toSegNo + 1
    ) {
      tail.toSegNo = Math.max(tail.toSegNo, segNo);
      return false;
    }
    this.#runs.push({
      timeline,
      fromSegNo: segNo,
      toSegNo: segNo,
      storageClass: stored.storageClass,
      ...(thawedUntilMs === undefined ? {} : { thawedUntilMs }),
    });
    return true;
  }

  build(): FrozenWalRun[] {
    return this.#runs.map((run) => ({ ...run }));
  }
}

/** The frozen runs that cannot be read at `now`, per timeline, ascending: what a restore at `now` must thaw. */
export interface FrozenWalIndex {
  /** The first frozen segment of `timeline` in `from..to`, with its class, if any. */
  firstIn(timeline: TimelineId, from: number, to: number): { segNo: number; storageClass: string } | undefined;
  /** The classes of the frozen segments of `timeline` in `from..to`. */
  classesIn(timeline: TimelineId, from: number, to: number): string[];
}

/**
 * Indexes the runs still frozen at `now` (a thawed copy that is readable then does not count).
 *
 * @example frozenWalIndex([{ timeline: 1, fromSegNo: 5, toSegNo: 9, storageClass: 'GLACIER' }], now).firstIn(1, 0, 7) // { segNo: 5, storageClass: 'GLACIER' }
 */
export function frozenWalIndex(runs: readonly FrozenWalRun[], now: Date): FrozenWalIndex {
  const byTimeline = new Map<number, FrozenWalRun[]>();
  for (const run of runs) {
    const stored: StoredClass =
      run.thawedUntilMs === undefined
        ? { storageClass: run.storageClass }
        : { storageClass: run.storageClass, thawedUntil: new Date(run.thawedUntilMs) };
    if (!isFrozen(stored, now)) continue;
    const list = byTimeline.get(run.timeline) ?? [];
    list.push(run);
    byTimeline.set(run.timeline, list);
  }
  for (const list of byTimeline.values()) list.sort((a, b) => a.fromSegNo - b.fromSegNo || a.toSegNo - b.toSegNo);
  const overlapping = (timeline: TimelineId, from: number, to: number): FrozenWalRun[] =>
    (byTimeline.get(timeline) ?? []).filter((run) => run.toSegNo >= from && run.fromSegNo <= to);
  return {
    firstIn(timeline, from, to) {
      let first: { segNo: number; storageClass: string } | undefined;
      for (const run of overlapping(timeline, from, to)) {
        const segNo = Math.max(run.fromSegNo, from);
        if (first === undefined || segNo < first.segNo) first = { segNo, storageClass: run.storageClass };
      }
      return first;
    },
    classesIn(timeline, from, to) {
      return [...new Set(overlapping(timeline, from, to).map((run) => run.storageClass))];
    },
  };
}
