/**
 * A ten-year catalog that costs the benchmark almost nothing to hold: the backups as records, the WAL generated
 * record by record as a range is read (one segment object per segment), its tombstones a bit per segment. Every
 * call is counted as the request the DynamoDB store would make (one Query per listing, a page per 1 MB of
 * records), so a benchmark can report what apply asks of the catalog without a table.
 */
import type { BackupChange, WalObjectChange } from '../../lib/domain/catalog/catalog-change.ts';
import type { BackupRecord, WalObjectRecord } from '../../lib/domain/catalog/catalog-records.ts';
import type { ClusterId } from '../../lib/domain/cluster.ts';
import { lsnFromInteger } from '../../lib/domain/wal/lsn.ts';
import type { WalSegmentSize } from '../../lib/domain/wal/segment-size.ts';
import { type TimelineId, timelineId } from '../../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../../lib/domain/wal/wal-segment.ts';
import type {
  ApplyOutcome,
  CatalogStore,
  ClusterState,
  ClusterStateUpdate,
  SegmentRange,
} from '../../lib/ports/catalog-store.ts';
import type { DeleteObjectsOutcome, ObjectHead, ObjectStore, ObjectSummary } from '../../lib/ports/object-store.ts';

/** About what one WAL item weighs in the table: a 1 MB Query page holds this many. */
const RECORDS_PER_PAGE = 3000;

const unsupported = (what: string) => (): never => {
  throw new Error(`${what} is not part of the synthetic retention catalog`);
};

export interface CatalogRequests {
  queries: number;
  pages: number;
  walRecordsRead: number;
  walWrites: number;
  backupWrites: number;
  stateReads: number;
  stateWrites: number;
}

export class SyntheticRetentionCatalog implements CatalogStore {
  readonly requests: CatalogRequests = {
    queries: 0,
    pages: 0,
    walRecordsRead: 0,
    walWrites: 0,
    backupWrites: 0,
    stateReads: 0,
    stateWrites: 0,
  };
  readonly #cluster: ClusterId;
  readonly #backups: BackupRecord[];
  readonly #firstSegNo: number;
  readonly #deleted: Uint8Array;
  readonly #size: WalSegmentSize;
  readonly #uploadedAt: Date;
  #state: ClusterState;

  constructor(options: {
    readonly cluster: ClusterId;
    readonly backups: BackupRecord[];
    readonly firstSegNo: number;
    readonly segments: number;
    readonly size: WalSegmentSize;
    readonly syncedAt: Date;
  }) {
    this.#cluster = options.cluster;
    this.#backups = options.backups;
    this.#firstSegNo = options.firstSegNo;
    this.#deleted = new Uint8Array(options.segments);
    this.#size = options.size;
    this.#uploadedAt = new Date(options.syncedAt.getTime() - 60_000);
    this.#state = { version: 1, lastFullSyncAt: options.syncedAt } as ClusterState;
  }

  get deletedSegments(): number {
    let count = 0;
    for (const flag of this.#deleted) count += flag;
    return count;
  }

  ensureTable = async (): Promise<void> => {};

  async applyWalChanges(changes: readonly WalObjectChange[]): Promise<ApplyOutcome> {
    this.requests.walWrites += changes.length;
    for (const change of changes) {
      const segNo = change.record.segNo;
      if (segNo !== undefined && change.record.deleted) this.#deleted[segNo - this.#firstSegNo] = 1;
    }
    return { applied: changes.length, stale: 0 };
  }

  async applyBackupChanges(changes: readonly BackupChange[]): Promise<ApplyOutcome> {
    this.requests.backupWrites += changes.length;
    return { applied: changes.length, stale: 0 };
  }

  async listBackups(): Promise<BackupRecord[]> {
    this.requests.queries++;
    this.requests.pages += Math.ceil(this.#backups.length / RECORDS_PER_PAGE);
    return this.#backups;
  }

  getBackup = unsupported('getBackup');

  async listTimelines(): Promise<TimelineId[]> {
    return [timelineId(1)];
  }

  async *listWalObjects(
    _cluster: ClusterId,
    timeline: TimelineId,
    range: SegmentRange = {},
    options: { readonly includeDeleted?: boolean } = {},
  ): AsyncIterable<WalObjectRecord> {
    this.requests.queries++;
    const last = this.#firstSegNo + this.#deleted.length - 1;
    const from = Math.max(range.fromSegNo ?? this.#firstSegNo, this.#firstSegNo);
    const to = Math.min(range.toSegNo ?? last, last);
    for (let segNo = from, read = 0; segNo <= to; segNo++, read++) {
      if (read % RECORDS_PER_PAGE === 0) this.requests.pages++;
      this.requests.walRecordsRead++;
      const deleted = this.#deleted[segNo - this.#firstSegNo] === 1;
      if (deleted && !options.includeDeleted) continue;
      const name = walFileName({ timeline, segNo: segmentNumber(segNo) }, this.#size);
      yield {
        cluster: this.#cluster,
        key: `${this.#cluster}/wal_005/${name}.lz4`,
        kind: 'segment',
        timeline,
        segNo: segmentNumber(segNo),
        compression: 'lz4',
        size: 5_000_000,
        uploadedAt: this.#uploadedAt,
        deleted,
      };
    }
  }

  latestWalObject = unsupported('latestWalObject');

  async listHistoryFiles(): Promise<WalObjectRecord[]> {
    return [];
  }

  async getClusterState(): Promise<ClusterState> {
    this.requests.stateReads++;
    return this.#state;
  }

  async updateClusterState(_cluster: ClusterId, update: ClusterStateUpdate): Promise<ClusterState> {
    this.requests.stateWrites++;
    this.#state = { ...this.#state, ...update, version: this.#state.version + 1 };
    return this.#state;
  }
}

/** A bucket that holds every backup's sentinel and one tar, and deletes whatever it is asked to, counting requests. */
export class SyntheticBackupBucket implements ObjectStore {
  readonly requests = { heads: 0, lists: 0, deleteRequests: 0, keysDeleted: 0, largestDelete: 0 };
  readonly #lastModified: Date;

  constructor(lastModified: Date) {
    this.#lastModified = lastModified;
  }

  listPage = unsupported('listPage');

  async *list(_bucket: string, prefix: string): AsyncIterable<ObjectSummary> {
    this.requests.lists++;
    yield { key: `${prefix}tar_partitions/part_001.tar.lz4`, size: 1024, etag: 'e', lastModified: this.#lastModified };
  }

  getObjectText = unsupported('getObjectText');
  getObjectBytes = unsupported('getObjectBytes');

  async headObject(): Promise<ObjectHead | undefined> {
    this.requests.heads++;
    return { size: 512, etag: 'e', lastModified: this.#lastModified };
  }

  async deleteObjects(_bucket: string, keys: readonly string[]): Promise<DeleteObjectsOutcome> {
    this.requests.deleteRequests++;
    this.requests.keysDeleted += keys.length;
    this.requests.largestDelete = Math.max(this.requests.largestDelete, keys.length);
    return { deleted: [...keys], failed: [] };
  }

  putObject = unsupported('putObject');
}

/**
 * Hourly complete backups over `hours`, each `segmentsPerHour` segments after the last, finishing 20 minutes past
 * the hour, the newest just before `now`.
 */
export function hourlyBackups(options: {
  readonly cluster: ClusterId;
  readonly hours: number;
  readonly segmentsPerHour: number;
  readonly firstSegNo: number;
  readonly size: WalSegmentSize;
  readonly now: Date;
}): BackupRecord[] {
  const { cluster, hours, segmentsPerHour, firstSegNo, size, now } = options;
  const tli = timelineId(1);
  const firstFinish = now.getTime() - hours * 3_600_000 + 20 * 60_000;
  const backups: BackupRecord[] = [];
  for (let hour = 0; hour < hours; hour++) {
    const startSegNo = firstSegNo + hour * segmentsPerHour;
    const name = `base_${walFileName({ timeline: tli, segNo: segmentNumber(startSegNo) }, size)}`;
    const finishTime = new Date(firstFinish + hour * 3_600_000);
    backups.push({
      cluster,
      name,
      status: 'complete',
      firstSeenAt: finishTime,
      updatedAt: finishTime,
      sentinel: {
        key: `${cluster}/basebackups_005/${name}_backup_stop_sentinel.json`,
        present: true,
        observedAt: finishTime,
      },
      backup: {
        name,
        kind: 'full',
        timeline: tli,
        startLsn: lsnFromInteger(BigInt(startSegNo) * BigInt(size) + 40n),
        finishLsn: lsnFromInteger(BigInt(startSegNo + 1) * BigInt(size) + 4096n),
        startSegment: { timeline: tli, segNo: segmentNumber(startSegNo) },
        startTime: new Date(finishTime.getTime() - 15 * 60_000),
        finishTime,
        compressedSize: 2 * 1024 ** 3,
        permanent: false,
      },
    });
  }
  return backups;
}
