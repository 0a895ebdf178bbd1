/**
 * A synthetic archive of any size that holds nothing in memory: a bucket whose listing pages are computed from
 * the key (S3 page semantics: ascending keys, 1,000 per page, StartAfter, continuation tokens), and a catalog store
 * whose WAL query streams records computed from the segment number. Segments below `tombstones` were deleted
 * (catalogued as tombstones, absent from the bucket); the next `objects` segments are live in both, with the same
 * size and ETag, so a full sync compares everything and writes nothing (the steady state). Used to measure the
 * memory and time of a full sync at sizes no emulator holds.
 */

import type { BackupChange, WalObjectChange } from '../../lib/domain/catalog/catalog-change.ts';
import type { WalObjectRecord } from '../../lib/domain/catalog/catalog-records.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import { segmentsPerLogId } from '../../lib/domain/wal/segment-size.ts';
import { type TimelineId, timelineId } from '../../lib/domain/wal/timeline.ts';
import { type SegmentNumber, segmentNumber, walFileName } from '../../lib/domain/wal/wal-segment.ts';
import type { ApplyOutcome, CatalogStore, ClusterState, SegmentRange } from '../../lib/ports/catalog-store.ts';
import type { ListPageRequest, ObjectPage, ObjectStore, ObjectSummary } from '../../lib/ports/object-store.ts';
import type { RequestLatency } from './request-clock.ts';

const UPLOADED = new Date(Date.UTC(2026, 0, 1));
const TIMELINE = timelineId(1);
const QUERY_PAGE_ITEMS = 3000;

export interface ArchiveShape {
  readonly cluster: ClusterConfig;
  readonly tombstones: number;
  readonly objects: number;
}

const keyOf = (shape: ArchiveShape, segNo: number): string =>
  `${shape.cluster.storage.prefix}wal_005/${walFileName({ timeline: TIMELINE, segNo: segmentNumber(segNo) }, shape.cluster.walSegmentSize)}.br`;

/**
 * keyOf for every segment number, made cheaply: the generator must not be what a benchmark of the sync measures.
 * The key is a fixed head (root, folder, timeline) and the segment number's log id and low part in 8 hex digits
 * each; a key is built from the cached hex of both, and checked against walFileName once.
 */
function segmentKeys(shape: ArchiveShape): (segNo: number) => string {
  const perLog = segmentsPerLogId(shape.cluster.walSegmentSize);
  const head = keyOf(shape, 0).slice(0, -'0000000000000000.br'.length);
  const hex8 = (value: number) => value.toString(16).toUpperCase().padStart(8, '0');
  const lows = Array.from({ length: Math.min(perLog, 1 << 16) }, (_, low) => `${hex8(low)}.br`);
  let cachedLog = -1;
  let logHead = '';
  const key = (segNo: number): string => {
    const log = Math.floor(segNo / perLog);
    if (log !== cachedLog) {
      cachedLog = log;
      logHead = head + hex8(log);
    }
    const low = segNo - log * perLog;
    return logHead + (lows[low] ?? `${hex8(low)}.br`);
  };
  for (const probe of [0, 1, perLog - 1, perLog, 12_345_678])
    if (key(probe) !== keyOf(shape, probe)) throw new Error(`streaming archive: key of ${probe} is ${key(probe)}`);
  return key;
}

/** The first segment number whose key sorts after `key` (keys grow with the segment number). */
function firstSegmentAfter(keyOf: (segNo: number) => string, key: string, from: number, to: number): number {
  let low = from;
  let high = to;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (keyOf(middle) <= key) low = middle + 1;
    else high = middle;
  }
  return low;
}

export class StreamingBucket implements Partial<ObjectStore> {
  readonly #shape: ArchiveShape;
  readonly #latencyMs: number;
  readonly #clock: RequestLatency | undefined;
  readonly #keyOf: (segNo: number) => string;
  listRequests = 0;
  /** `latencyMs` is added to every listing request, waited on `clock` when given (which also tracks the requests). */
  constructor(shape: ArchiveShape, latencyMs = 0, clock?: RequestLatency) {
    this.#shape = shape;
    this.#keyOf = segmentKeys(shape);
    this.#latencyMs = latencyMs;
    this.#clock = clock;
  }

  async listPage(_bucket: string, request: ListPageRequest): Promise<ObjectPage> {
    this.listRequests++;
    if (this.#clock) await this.#clock.wait(this.#latencyMs);
    else if (this.#latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.#latencyMs));
    const start = this.#shape.tombstones;
    const end = start + this.#shape.objects;
    const after = request.continuationToken ?? request.startAfter ?? '';
    let segNo = firstSegmentAfter(this.#keyOf, after, start, end);
    const objects: ObjectSummary[] = [];
    for (; segNo < end && objects.length < Math.min(request.maxKeys ?? 1000, 1000); segNo++) {
      objects.push({ key: this.#keyOf(segNo), size: 16_777_216, etag: `e${segNo}`, lastModified: UPLOADED });
    }
    const last = objects.at(-1);
    return { objects, ...(segNo < end && last ? { continuationToken: last.key } : {}) };
  }

  async getObjectText(): Promise<string | undefined> {
    return undefined;
  }

  async getObjectBytes(): Promise<Uint8Array | undefined> {
    return undefined;
  }
}

/** Counts what the sync would write without keeping it. */
export class StreamingCatalog implements CatalogStore {
  readonly #shape: ArchiveShape;
  readonly #keyOf: (segNo: number) => string;
  walChanges = 0;
  backupChanges = 0;
  streamed = 0;
  constructor(shape: ArchiveShape) {
    this.#shape = shape;
    this.#keyOf = segmentKeys(shape);
  }

  #record(segNo: number): WalObjectRecord {
    const cluster = this.#shape.cluster.id;
    const key = this.#keyOf(segNo);
    const sequencer = segNo.toString(16).padStart(18, '0');
    // Two literals rather than spreads: the generator must cost little beside the sync it feeds.
    return segNo < this.#shape.tombstones
      ? {
          cluster,
          key,
          kind: 'segment',
          timeline: TIMELINE,
          segNo: segNo as SegmentNumber,
          compression: 'brotli',
          size: 0,
          uploadedAt: UPLOADED,
          sequencer,
          deleted: true,
          deletedAt: UPLOADED,
        }
      : {
          cluster,
          key,
          kind: 'segment',
          timeline: TIMELINE,
          segNo: segNo as SegmentNumber,
          compression: 'brotli',
          size: 16_777_216,
          etag: `e${segNo}`,
          uploadedAt: UPLOADED,
          sequencer,
          deleted: false,
        };
  }

  async ensureTable(): Promise<void> {}
  async applyWalChanges(changes: readonly WalObjectChange[]): Promise<ApplyOutcome> {
    this.walChanges += changes.length;
    return { applied: changes.length, stale: 0 };
  }
  async applyBackupChanges(changes: readonly BackupChange[]): Promise<ApplyOutcome> {
    this.backupChanges += changes.length;
    return { applied: changes.length, stale: 0 };
  }
  async listBackups() {
    return [];
  }
  async getBackup() {
    return undefined;
  }
  async listTimelines(): Promise<TimelineId[]> {
    return [TIMELINE];
  }
  async *listWalObjects(
    cluster: ClusterConfig['id'],
    timeline: TimelineId,
    range: SegmentRange = {},
    options: { readonly includeDeleted?: boolean } = {},
  ): AsyncIterable<WalObjectRecord> {
    for await (const page of this.listWalObjectPages(cluster, timeline, range, options)) yield* page;
  }
  async *listWalObjectPages(
    _cluster: ClusterConfig['id'],
    _timeline: TimelineId,
    range: SegmentRange = {},
    options: { readonly includeDeleted?: boolean } = {},
  ): AsyncIterable<readonly WalObjectRecord[]> {
    const end = this.#shape.tombstones + this.#shape.objects;
    const from = Math.max(options.includeDeleted ? 0 : this.#shape.tombstones, range.fromSegNo ?? 0);
    const to = Math.min(end - 1, range.toSegNo ?? end - 1);
    // Built a query page at a time (a 1 MB DynamoDB page holds about 3,000 of these items), as the adapter reads.
    for (let first = from; first <= to; first += QUERY_PAGE_ITEMS) {
      const page: WalObjectRecord[] = [];
      for (let segNo = first; segNo <= Math.min(to, first + QUERY_PAGE_ITEMS - 1); segNo++)
        page.push(this.#record(segNo));
      this.streamed += page.length;
      yield page;
    }
  }
  /** The newest segment, as the real catalog answers it (the sync cuts its listing ranges from it). */
  async latestWalObject(): Promise<WalObjectRecord | undefined> {
    const end = this.#shape.tombstones + this.#shape.objects;
    return this.#shape.objects > 0 ? this.#record(end - 1) : undefined;
  }
  async listHistoryFiles() {
    return [];
  }
  async getClusterState(cluster: ClusterConfig['id']): Promise<ClusterState> {
    return { cluster, version: 0 };
  }
  async updateClusterState(cluster: ClusterConfig['id']): Promise<ClusterState> {
    return { cluster, version: 1 };
  }
}
