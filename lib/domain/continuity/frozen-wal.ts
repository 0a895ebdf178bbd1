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

/** What a changed WAL record must show for the class question: its segment and when it was uploaded. */
interface ChangedSegment {
  readonly timeline: TimelineId;
  readonly segNo?: number;
  readonly uploadedAt: Date;
}

/** The part of a lifecycle rule that can move objects between classes. */
interface LifecycleRuleTransitions {
  readonly enabled: boolean;
  readonly transitions: readonly { readonly timing: { readonly days: number } | { readonly date: Date } }[];
  readonly noncurrentVersionTransitions: readonly { readonly days: number }[];
}

const DAY_MS = 86_400_000;

/**
 * Which WAL segments changed since the last full read may have moved into or out of a class that needs a thaw, so
 * that a reader of changes must learn their class from their items. A segment may when it lies in a frozen run (a
 * thaw can complete), when the bucket's lifecycle rules are unknown (not read yet, or unreadable), or when it is old
 * enough for an enabled rule's transition to have reached it (to any class: INTELLIGENT_TIERING moves objects on to
 * its archive tiers by itself). A segment archived since, younger than every transition, keeps the class of its
 * upload, which its change carries: at real WAL rates that is every change, so it costs no read.
 *
 * @example walStorageMayChange([], { lifecycleRules: [] }, now)(change) // false
 */
export function walStorageMayChange(
  frozenWal: readonly FrozenWalRun[],
  bucket: { readonly lifecycleRules?: readonly LifecycleRuleTransitions[] } | undefined,
  now: Date,
): (change: ChangedSegment) => boolean {
  if (bucket?.lifecycleRules === undefined) return () => true;
  // The youngest an object can be when a rule moves it.
  // S3 runs transitions at midnight UTC after the age is reached: one day of margin covers the rounding.
  let youngestMoved = Number.POSITIVE_INFINITY;
  for (const rule of bucket.lifecycleRules) {
    if (!rule.enabled) continue;
    for (const { timing } of rule.transitions) {
      // A rule at a date moves every object it matches, old and new, once the date is past.
      const datePassed = (date: Date) => now.getTime() >= date.getTime() - DAY_MS;
      const ageMs =
        'days' in timing ? (timing.days - 1) * DAY_MS : datePassed(timing.date) ? 0 : Number.POSITIVE_INFINITY;
      youngestMoved = Math.min(youngestMoved, ageMs);
    }
    for (const { days } of rule.noncurrentVersionTransitions)
      youngestMoved = Math.min(youngestMoved, (days - 1) * DAY_MS);
  }
  return (change) => {
    if (now.getTime() - change.uploadedAt.getTime() >= youngestMoved) return true;
    const segNo = change.segNo;
    if (segNo === undefined) return false;
    return frozenWal.some((run) => run.timeline === change.timeline && run.fromSegNo <= segNo && segNo <= run.toSegNo);
  };
}
