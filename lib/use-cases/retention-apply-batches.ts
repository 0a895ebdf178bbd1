/**
 * The batches a retention apply goes through, read as it goes so that memory follows one batch, never the plan: the
 * stored key batches (the backups' objects; with a plan of format `keys`, its WAL keys too), then the WAL ranges of
 * a plan of format `ranges`, expanded from the catalog a batch at a time.
 */
import type { WalObjectRecord } from '../domain/catalog/catalog-records.ts';
import {
  retentionSpans,
  type SegmentSpan,
  spanKey,
  type TombstonedSegment,
} from '../domain/catalog/retention-tombstones.ts';
import type { ClusterConfig } from '../domain/cluster.ts';
import { classifyKey } from '../domain/layout/classify-key.ts';
import type { WalDeletionRange } from '../domain/retention/wal-retention.ts';
import type { TimelineId } from '../domain/wal/timeline.ts';
import { parseWalFileName, segmentNumber } from '../domain/wal/wal-segment.ts';
import type { CatalogStore } from '../ports/catalog-store.ts';
import type { KeyFailure, PlanStore, WalBatchRecord, WalPosition } from '../ports/plan-store.ts';

/** Where the WAL of a `ranges` plan's apply continues: the next batch number and the place in the ranges. */
export interface WalCursor {
  /** Number of the next WAL batch (the batches recorded so far). */
  readonly next: number;
  /** Index of the range in the plan's `delete.wal` (its length once every range is done). */
  readonly range: number;
  /** The last catalog record of the range the recorded batches covered. */
  readonly after?: WalPosition;
  /** The last segment the apply deleted so far, for the tombstone bridge of the next one. */
  readonly lastDoomed?: TombstonedSegment;
  /** WAL batches recorded in the current range (for the estimate of what is left). */
  readonly batchesInRange: number;
}

/**
 * The cursor after the WAL batches recorded so far, handing each record to `onRecorded` (their failures are
 * reported again by the run that finishes the plan). Holds one record at a time.
 */
export async function walCursor(
  plans: PlanStore,
  cluster: ClusterConfig,
  planId: string,
  onRecorded: (record: WalBatchRecord) => void = () => {},
): Promise<WalCursor> {
  let cursor: WalCursor = { next: 0, range: 0, batchesInRange: 0 };
  for await (const record of plans.listWalBatches(cluster.id, planId)) {
    onRecorded(record);
    cursor = cursorAfter(cursor, record);
  }
  return cursor;
}

/** The cursor once `record` (the batch at `cursor.next`) is recorded. */
export function cursorAfter(cursor: WalCursor, record: WalBatchRecord): WalCursor {
  const lastDoomed = record.lastDoomed
    ? { timeline: record.lastDoomed.timeline as TimelineId, segNo: segmentNumber(record.lastDoomed.segNo) }
    : cursor.lastDoomed;
  const sameRange = record.range === cursor.range;
  return {
    next: record.index + 1,
    range: record.rangeDone ? record.range + 1 : record.range,
    ...(record.rangeDone || record.last === undefined ? {} : { after: record.last }),
    ...(lastDoomed ? { lastDoomed } : {}),
    batchesInRange: record.rangeDone ? 0 : (sameRange ? cursor.batchesInRange : 0) + 1,
  };
}

/** Catalog order within a timeline: segment number, then key (the file name, under one prefix). */
function comparePosition(record: WalObjectRecord, position: WalPosition): number {
  const bySegment = (record.segNo as number) - position.segNo;
  if (bySegment !== 0) return bySegment;
  return record.key < position.key ? -1 : record.key > position.key ? 1 : 0;
}

/** One batch of a range: up to `batchKeys` catalog records (tombstones included, so batches do not move as it runs). */
export interface WalRangeBatch {
  readonly records: readonly WalObjectRecord[];
  readonly rangeDone: boolean;
}

/**
 * The catalog records of one deletion range after `after`, in catalog order, `batchKeys` at a time. Tombstones count
 * too: an apply running beside this one, or the run before a crash, tombstones what it deletes, and the batches
 * must stay where they were for both. The last batch says `rangeDone` (a range found empty is one empty batch).
 *
 * @example for await (const batch of walRangeBatches(catalog, cluster, range, undefined, 1000)) batch.records.length // <= 1000
 */
export async function* walRangeBatches(
  catalog: Pick<CatalogStore, 'listWalObjects'>,
  cluster: ClusterConfig,
  range: WalDeletionRange,
  after: WalPosition | undefined,
  batchKeys: number,
): AsyncIterable<WalRangeBatch> {
  const size = cluster.walSegmentSize;
  const fromSegNo = after === undefined ? parseWalFileName(range.from, size).segNo : segmentNumber(after.segNo);
  const toSegNo = parseWalFileName(range.to, size).segNo;
  let batch: WalObjectRecord[] = [];
  for await (const record of catalog.listWalObjects(
    cluster.id,
    range.timeline,
    { fromSegNo, toSegNo },
    { includeDeleted: true },
  )) {
    // The same objects the plan counted: a segment number, not a `.history` file.
    if (record.segNo === undefined || record.kind === 'history') continue;
    if (record.segNo < fromSegNo || record.segNo > toSegNo) continue;
    if (after !== undefined && comparePosition(record, after) <= 0) continue;
    // A full batch goes only once a record follows it, so the last batch of a range is the one that says so.
    if (batch.length >= batchKeys) {
      yield { records: batch, rangeDone: false };
      batch = [];
    }
    batch.push(record);
  }
  yield { records: batch, rangeDone: true };
}

/**
 * The live catalog records of the WAL keys among `keys` (a stored key batch), read with one segment-range Query per
 * timeline the keys are on.
 */
export async function walRecordsOfKeys(
  catalog: Pick<CatalogStore, 'listWalObjects'>,
  cluster: ClusterConfig,
  keys: readonly string[],
): Promise<Map<string, WalObjectRecord>> {
  const spans = new Map<TimelineId, { from: number; to: number }>();
  const wanted = new Set<string>();
  for (const key of keys) {
    const object = classifyKey(key.slice(cluster.storage.prefix.length), cluster.layout, cluster.walSegmentSize);
    const segment = 'segment' in object ? object.segment : undefined;
    if (segment === undefined) continue;
    wanted.add(key);
    const span = spans.get(segment.timeline);
    if (span === undefined) spans.set(segment.timeline, { from: segment.segNo, to: segment.segNo });
    else
      spans.set(segment.timeline, { from: Math.min(span.from, segment.segNo), to: Math.max(span.to, segment.segNo) });
  }
  const records = new Map<string, WalObjectRecord>();
  for (const [timeline, span] of spans) {
    const range = { fromSegNo: segmentNumber(span.from), toSegNo: segmentNumber(span.to) };
    for await (const record of catalog.listWalObjects(cluster.id, timeline, range)) {
      if (!record.deleted && wanted.has(record.key)) records.set(record.key, record);
    }
  }
  return records;
}

/** The WAL segments (not `.partial`, `.history` or other files: only segments make a chain) among `records`. */
export function segmentsOf(records: Iterable<WalObjectRecord | undefined>): TombstonedSegment[] {
  const segments: TombstonedSegment[] = [];
  for (const record of records) {
    if (record?.kind === 'segment' && record.segNo !== undefined) {
      segments.push({ timeline: record.timeline, segNo: record.segNo });
    }
  }
  segments.sort((a, b) => a.timeline - b.timeline || a.segNo - b.segNo);
  // A segment kept in two compressions is one segment of the chain.
  return segments.filter(
    (segment, i) =>
      i === 0 || segment.timeline !== segments[i - 1]?.timeline || segment.segNo !== segments[i - 1]?.segNo,
  );
}

/** The greatest segment number of a live WAL segment on the timeline within `from..to`, if any. */
async function lastLiveSegment(
  catalog: Pick<CatalogStore, 'listWalObjects'>,
  cluster: ClusterConfig,
  timeline: TimelineId,
  from: number,
  to: number,
): Promise<number | undefined> {
  let last: number | undefined;
  const range = { fromSegNo: segmentNumber(from), toSegNo: segmentNumber(to) };
  for await (const record of catalog.listWalObjects(cluster.id, timeline, range)) {
    if (record.kind === 'segment' && record.segNo !== undefined && record.segNo >= from && record.segNo <= to) {
      last = Math.max(last ?? record.segNo, record.segNo);
    }
  }
  return last;
}

/**
 * The tombstone spans of a batch's doomed segments (sorted, as {@link segmentsOf} gives them): each segment, plus
 * the stretch back to the segment the apply deleted before it on the same timeline (`previous`, possibly in an
 * earlier batch) when nothing live lies in between (see retentionSpans). Only a stretch with a hole is read from the
 * catalog, once, for its last live segment.
 */
export async function batchTombstoneSpans(
  catalog: Pick<CatalogStore, 'listWalObjects'>,
  cluster: ClusterConfig,
  previous: TombstonedSegment | undefined,
  doomed: readonly TombstonedSegment[],
): Promise<SegmentSpan[]> {
  const chain = previous === undefined ? [...doomed] : [previous, ...doomed];
  const staying = new Map<TimelineId, number[]>();
  for (let i = 1; i < chain.length; i++) {
    const before = chain[i - 1] as TombstonedSegment;
    const segment = chain[i] as TombstonedSegment;
    if (before.timeline !== segment.timeline || before.segNo >= segment.segNo - 1) continue;
    const live = await lastLiveSegment(catalog, cluster, segment.timeline, before.segNo + 1, segment.segNo - 1);
    if (live === undefined) continue;
    const list = staying.get(segment.timeline);
    if (list) list.push(live);
    else staying.set(segment.timeline, [live]);
  }
  const spans = retentionSpans(chain, staying);
  return doomed.map((segment) => spans.get(spanKey(segment)) as SegmentSpan);
}

/** The failures of a batch, for the outcome: Object Lock refusals apart from the rest. */
export function sortFailures(
  failures: readonly KeyFailure[],
  lockCodes: ReadonlySet<string>,
  into: { readonly locked: KeyFailure[]; readonly failed: KeyFailure[] },
): void {
  for (const failure of failures) (lockCodes.has(failure.code) ? into.locked : into.failed).push(failure);
}
