import { InvalidInputError } from '../errors.ts';
import { type TimelineId, timelineId } from '../wal/timeline.ts';
import { type SegmentNumber, segmentNumber } from '../wal/wal-segment.ts';

/**
 * A stretch of WAL segments that walcat's retention deleted, as the catalog records it: the proof that a hole there is
 * walcat's own doing and not a loss. Kept as ranges in the cluster's state, so the record costs no read of its own and
 * stays small however many segments retention removed: adjacent and overlapping ranges of one timeline merge, and
 * only the kept backups between them split it. A full sync never touches it.
 */
export interface RetentionTombstone {
  readonly timeline: TimelineId;
  readonly fromSegNo: SegmentNumber;
  /** Inclusive. */
  readonly toSegNo: SegmentNumber;
  /** The plan whose apply deleted (the newest part of) the range. */
  readonly planId: string;
  /** When that apply deleted it. */
  readonly deletedAt: Date;
}

/** Segments `fromSegNo..toSegNo` (inclusive) of one timeline. */
export interface SegmentSpan {
  readonly timeline: TimelineId;
  readonly fromSegNo: SegmentNumber;
  readonly toSegNo: SegmentNumber;
}

/** One WAL segment retention is about to delete or could not delete. */
export interface TombstonedSegment {
  readonly timeline: TimelineId;
  readonly segNo: SegmentNumber;
}

/**
 * The spans retention deletes, per doomed segment: the segment itself, plus the stretch back to the previous doomed
 * segment of its timeline when nothing that stays lies in between. That stretch is already absent (lost, or removed by
 * someone else); once retention deleted the WAL on both sides no backup and no restore can need it, so its hole is
 * retention's doing from then on. Each span goes with its segment, so a batch records only what it deletes.
 *
 * @example
 * // doomed 3, 4 and 9; 6 stays; 7 and 8 were already missing
 * retentionSpans([{ timeline: 1, segNo: 3 }, { timeline: 1, segNo: 4 }, { timeline: 1, segNo: 9 }], staying)
 * // spans by segment: 3 -> 3..3, 4 -> 4..4, 9 -> 7..9 (6 stays, so the bridge starts after it)
 */
export function retentionSpans(
  doomed: readonly TombstonedSegment[],
  staying: ReadonlyMap<TimelineId, readonly number[]>,
): Map<string, SegmentSpan> {
  const sorted = [...doomed].sort((a, b) => a.timeline - b.timeline || a.segNo - b.segNo);
  const spans = new Map<string, SegmentSpan>();
  let previous: TombstonedSegment | undefined;
  for (const segment of sorted) {
    let fromSegNo: number = segment.segNo;
    if (previous !== undefined && previous.timeline === segment.timeline && previous.segNo < segment.segNo - 1) {
      const kept = staying.get(segment.timeline) ?? [];
      const lastStayingBefore = lastBelow(kept, segment.segNo);
      fromSegNo = Math.max(previous.segNo, lastStayingBefore ?? Number.NEGATIVE_INFINITY) + 1;
    }
    spans.set(spanKey(segment), {
      timeline: segment.timeline,
      fromSegNo: segmentNumber(fromSegNo),
      toSegNo: segment.segNo,
    });
    previous = segment;
  }
  return spans;
}

/** The key of a segment in {@link retentionSpans}' answer. */
export const spanKey = (segment: TombstonedSegment): string => `${segment.timeline}:${segment.segNo}`;

/** The greatest value below `limit` in an ascending list. */
function lastBelow(sorted: readonly number[], limit: number): number | undefined {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as number) < limit) low = middle + 1;
    else high = middle;
  }
  return low === 0 ? undefined : sorted[low - 1];
}

const byPosition = (a: RetentionTombstone, b: RetentionTombstone): number =>
  a.timeline - b.timeline || a.fromSegNo - b.fromSegNo;

/**
 * The tombstones after retention plan `planId` deleted `segments` at `at`: the segments become ranges, merged with the
 * stored ones they touch or overlap on the same timeline (the merged range names the newest plan). Idempotent: the
 * same segments recorded twice (a resumed or concurrent apply) leave the same ranges.
 *
 * @example
 * recordRetentionDeletions([], [{ timeline: 1, segNo: 5 }, { timeline: 1, segNo: 6 }], 'p1', at)
 * // [{ timeline: 1, fromSegNo: 5, toSegNo: 6, planId: 'p1', deletedAt: at }]
 */
export function recordRetentionDeletions(
  stored: readonly RetentionTombstone[],
  spans: readonly (SegmentSpan | TombstonedSegment)[],
  planId: string,
  at: Date,
): RetentionTombstone[] {
  const added = rangesOf(spans).map((range) => ({ ...range, planId, deletedAt: at }));
  if (added.length === 0) return [...stored].sort(byPosition);
  const all = [...stored, ...added].sort(byPosition);
  const merged: RetentionTombstone[] = [];
  for (const range of all) {
    const last = merged.at(-1);
    if (last !== undefined && last.timeline === range.timeline && range.fromSegNo <= last.toSegNo + 1) {
      // The newer deletion names the range; on a tie the greater plan id (plan ids sort by creation time).
      const newer =
        range.deletedAt.getTime() > last.deletedAt.getTime() ||
        (range.deletedAt.getTime() === last.deletedAt.getTime() && range.planId > last.planId)
          ? range
          : last;
      merged[merged.length - 1] = {
        timeline: last.timeline,
        fromSegNo: last.fromSegNo,
        toSegNo: segmentNumber(Math.max(last.toSegNo, range.toSegNo)),
        planId: newer.planId,
        deletedAt: newer.deletedAt,
      };
    } else {
      merged.push(range);
    }
  }
  return merged;
}

/**
 * The tombstones without `segments`: retention recorded them before deleting, and S3 refused (Object Lock, an error),
 * so they are still in the bucket and a later hole there is nobody's recorded doing.
 *
 * @example withdrawRetentionDeletions([{ timeline: 1, fromSegNo: 5, toSegNo: 9, ... }], [{ timeline: 1, segNo: 7 }])
 * // ranges 5..6 and 8..9
 */
export function withdrawRetentionDeletions(
  stored: readonly RetentionTombstone[],
  segments: readonly TombstonedSegment[],
): RetentionTombstone[] {
  let ranges = [...stored].sort(byPosition);
  for (const hole of rangesOf(segments)) {
    ranges = ranges.flatMap((range) => {
      if (range.timeline !== hole.timeline || hole.toSegNo < range.fromSegNo || hole.fromSegNo > range.toSegNo) {
        return [range];
      }
      const parts: RetentionTombstone[] = [];
      if (range.fromSegNo < hole.fromSegNo) parts.push({ ...range, toSegNo: segmentNumber(hole.fromSegNo - 1) });
      if (hole.toSegNo < range.toSegNo) parts.push({ ...range, fromSegNo: segmentNumber(hole.toSegNo + 1) });
      return parts;
    });
  }
  return ranges;
}

/** Sorted, merged spans of segments and spans. */
function rangesOf(
  items: readonly (SegmentSpan | TombstonedSegment)[],
): Array<{ timeline: TimelineId; fromSegNo: SegmentNumber; toSegNo: SegmentNumber }> {
  const spans = items.map((item) =>
    'segNo' in item ? { timeline: item.timeline, fromSegNo: item.segNo, toSegNo: item.segNo } : { ...item },
  );
  spans.sort((a, b) => a.timeline - b.timeline || a.fromSegNo - b.fromSegNo);
  const ranges: Array<{ timeline: TimelineId; fromSegNo: SegmentNumber; toSegNo: SegmentNumber }> = [];
  for (const span of spans) {
    const last = ranges.at(-1);
    if (last !== undefined && last.timeline === span.timeline && span.fromSegNo <= last.toSegNo + 1) {
      last.toSegNo = segmentNumber(Math.max(last.toSegNo, span.toSegNo));
    } else {
      ranges.push(span);
    }
  }
  return ranges;
}

/** The stored form: plain JSON (dates as ISO-8601). */
export type RetentionTombstoneJson = {
  readonly timeline: number;
  readonly fromSegNo: number;
  readonly toSegNo: number;
  readonly planId: string;
  readonly deletedAt: string;
};

/** @example retentionTombstonesJson(tombstones)[0].deletedAt // '2026-11-21T02:00:00.000Z' */
export function retentionTombstonesJson(tombstones: readonly RetentionTombstone[]): RetentionTombstoneJson[] {
  return tombstones.map((tombstone) => ({ ...tombstone, deletedAt: tombstone.deletedAt.toISOString() }));
}

/**
 * Reads the stored form back; a malformed entry is an error naming it (a damaged cluster state must not silently
 * turn recorded deletions into alarms, or alarms into silence).
 *
 * @example parseRetentionTombstones('orders-main', [{ timeline: 1, fromSegNo: 5, toSegNo: 6, planId: 'p1', deletedAt: '2026-11-21T02:00:00Z' }])
 */
export function parseRetentionTombstones(cluster: string, value: unknown): RetentionTombstone[] {
  if (!Array.isArray(value)) {
    throw new InvalidInputError(
      `cluster ${cluster}: the retention tombstones in the cluster state are ${JSON.stringify(value)}, not a list; the state item is damaged (restore it from a backup of the table)`,
    );
  }
  return value.map((entry: unknown, index) => {
    const candidate = entry as Partial<RetentionTombstoneJson> | null;
    const deletedAt = new Date(String(candidate?.deletedAt));
    if (
      candidate === null ||
      typeof candidate !== 'object' ||
      typeof candidate.timeline !== 'number' ||
      typeof candidate.fromSegNo !== 'number' ||
      typeof candidate.toSegNo !== 'number' ||
      candidate.toSegNo < candidate.fromSegNo ||
      typeof candidate.planId !== 'string' ||
      Number.isNaN(deletedAt.getTime())
    ) {
      throw new InvalidInputError(
        `cluster ${cluster}: retention tombstone ${index} in the cluster state is ${JSON.stringify(entry)}; expected { timeline, fromSegNo, toSegNo, planId, deletedAt } (the state item is damaged)`,
      );
    }
    return {
      timeline: timelineId(candidate.timeline),
      fromSegNo: segmentNumber(candidate.fromSegNo),
      toSegNo: segmentNumber(candidate.toSegNo),
      planId: candidate.planId,
      deletedAt,
    };
  });
}
