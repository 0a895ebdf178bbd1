/**
 * In-memory stores for the retention use cases (plan and apply), for property runs of thousands of cases: a catalog
 * whose contents a test sets (what a full sync would have produced), a bucket of keys, and a plan store with the
 * same conditional semantics as the DynamoDB one.
 */
import type { BackupChange, WalObjectChange } from '../../lib/domain/catalog/catalog-change.ts';
import type { BackupRecord, WalObjectRecord } from '../../lib/domain/catalog/catalog-records.ts';
import type { ClusterId } from '../../lib/domain/cluster.ts';
import type { TimelineId } from '../../lib/domain/wal/timeline.ts';
import type {
  ApplyOutcome,
  CatalogStore,
  ClusterState,
  ClusterStateUpdate,
  SegmentRange,
} from '../../lib/ports/catalog-store.ts';
import type { DeleteObjectsOutcome, ObjectHead, ObjectStore, ObjectSummary } from '../../lib/ports/object-store.ts';
import type {
  DeletionBatch,
  KeyFailure,
  NewPlan,
  PlanHeader,
  PlanStatus,
  PlanStore,
  StoredPlanBody,
  WalBatchRecord,
} from '../../lib/ports/plan-store.ts';

const unsupported = (what: string) => (): never => {
  throw new Error(`${what} is not part of the in-memory retention catalog`);
};

export class MemoryRetentionCatalog implements CatalogStore {
  backups: BackupRecord[] = [];
  wal: WalObjectRecord[] = [];
  state: ClusterState = { version: 0 } as ClusterState;

  /** What a full sync at `at` leaves: exactly these records. */
  syncTo(backups: readonly BackupRecord[], wal: readonly WalObjectRecord[], at: Date): void {
    this.backups = backups.map((record) => ({ ...record }));
    this.wal = wal.map((record) => ({ ...record }));
    this.state = { ...this.state, lastFullSyncAt: at, version: this.state.version + 1 };
  }

  ensureTable = async (): Promise<void> => {};
  async applyWalChanges(changes: readonly WalObjectChange[]): Promise<ApplyOutcome> {
    for (const change of changes) {
      const index = this.wal.findIndex((record) => record.key === change.record.key);
      if (index >= 0) this.wal[index] = change.record;
      else this.wal.push(change.record);
    }
    return { applied: changes.length, stale: 0 };
  }
  async applyBackupChanges(changes: readonly BackupChange[]): Promise<ApplyOutcome> {
    for (const change of changes) {
      if (change.type !== 'expired') continue;
      this.backups = this.backups.map((record) =>
        record.name === change.name && !record.sentinel?.present
          ? { ...record, status: 'expired', expiredAt: change.expiredAt }
          : record.name === change.name
            ? { ...record, status: 'expired', expiredAt: change.expiredAt, sentinel: undefined }
            : record,
      );
    }
    return { applied: changes.length, stale: 0 };
  }
  async listBackups(): Promise<BackupRecord[]> {
    return this.backups.map((record) => ({ ...record }));
  }
  getBackup = unsupported('getBackup');
  async listTimelines(): Promise<TimelineId[]> {
    return [...new Set(this.wal.map((record) => record.timeline))].sort((a, b) => a - b);
  }
  /** In the DynamoDB store's order (segment, then key) and within the range, like its Query. */
  async *listWalObjects(
    _cluster: ClusterId,
    timeline: TimelineId,
    range: SegmentRange = {},
    options?: { readonly includeDeleted?: boolean },
  ): AsyncIterable<WalObjectRecord> {
    const inRange = this.wal.filter(
      (record) =>
        record.timeline === timeline &&
        record.kind !== 'history' &&
        (range.fromSegNo === undefined || (record.segNo ?? -1) >= range.fromSegNo) &&
        (range.toSegNo === undefined || (record.segNo ?? -1) <= range.toSegNo),
    );
    inRange.sort((a, b) => (a.segNo ?? -1) - (b.segNo ?? -1) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const record of inRange) if (options?.includeDeleted || !record.deleted) yield record;
  }
  latestWalObject = unsupported('latestWalObject');
  async listHistoryFiles(): Promise<WalObjectRecord[]> {
    return this.wal.filter((record) => record.kind === 'history').map((record) => ({ ...record }));
  }
  async getClusterState(): Promise<ClusterState> {
    return this.state;
  }
  async updateClusterState(_cluster: ClusterId, update: ClusterStateUpdate): Promise<ClusterState> {
    this.state = { ...this.state, ...update, version: this.state.version + 1 };
    return this.state;
  }
}

export class MemoryBucket implements ObjectStore {
  readonly objects = new Map<string, Date>();

  put(key: string, at: Date): void {
    this.objects.set(key, at);
  }
  listPage = unsupported('listPage');
  async *list(_bucket: string, prefix: string): AsyncIterable<ObjectSummary> {
    for (const [key, lastModified] of [...this.objects].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (key.startsWith(prefix)) yield { key, size: 1, etag: 'e', lastModified };
    }
  }
  getObjectText = unsupported('getObjectText');
  getObjectBytes = unsupported('getObjectBytes');
  async headObject(_bucket: string, key: string): Promise<ObjectHead | undefined> {
    const lastModified = this.objects.get(key);
    return lastModified ? { size: 1, etag: 'e', lastModified } : undefined;
  }
  async deleteObjects(_bucket: string, keys: readonly string[]): Promise<DeleteObjectsOutcome> {
    for (const key of keys) this.objects.delete(key);
    return { deleted: [...keys], failed: [] };
  }
  putObject = unsupported('putObject');
}

interface StoredPlan {
  header: PlanHeader;
  body: StoredPlanBody;
  batches: { keys: readonly string[]; done: boolean; failed: KeyFailure[] }[];
  walBatches: WalBatchRecord[];
}

export class MemoryPlanStore implements PlanStore {
  readonly plans = new Map<string, StoredPlan>();

  async savePlan(plan: NewPlan): Promise<PlanHeader> {
    const batches: (readonly string[])[] = [];
    for await (const keys of plan.batches) batches.push(keys);
    const walObjectsDeleted = plan.plan.delete.wal.reduce((sum, range) => sum + range.objects, 0);
    const keyCount = batches.reduce((sum, batch) => sum + batch.length, 0) + walObjectsDeleted;
    const header: PlanHeader = {
      planId: plan.plan.planId,
      cluster: plan.plan.cluster,
      createdAt: plan.plan.createdAt,
      status: 'pending',
      bucket: plan.bucket,
      format: 'ranges',
      batchCount: batches.length,
      keyCount,
      walBatchKeys: Math.min(plan.walBatchKeys ?? 1000, 1000),
      bytesFreed: plan.plan.bytesFreed,
      backupsDeleted: plan.plan.delete.backups.length,
      walObjectsDeleted,
    };
    this.plans.set(header.planId, {
      header,
      body: plan.plan,
      batches: batches.map((keys) => ({ keys, done: false, failed: [] })),
      walBatches: [],
    });
    return header;
  }
  async getPlanHeader(_cluster: ClusterId, planId: string): Promise<PlanHeader | undefined> {
    return this.plans.get(planId)?.header;
  }
  async getPlanBody(_cluster: ClusterId, planId: string): Promise<StoredPlanBody | undefined> {
    return this.plans.get(planId)?.body;
  }
  async listPlans(): Promise<PlanHeader[]> {
    return [...this.plans.values()].map((plan) => plan.header).reverse();
  }
  async *listBatches(_cluster: ClusterId, planId: string): AsyncIterable<DeletionBatch> {
    const plan = this.plans.get(planId);
    for (const [index, batch] of (plan?.batches ?? []).entries()) {
      yield { index, keys: batch.keys, done: batch.done, failed: batch.failed };
    }
  }
  async *listWalBatches(_cluster: ClusterId, planId: string): AsyncIterable<WalBatchRecord> {
    yield* this.plans.get(planId)?.walBatches ?? [];
  }
  async recordWalBatch(_cluster: ClusterId, planId: string, record: WalBatchRecord): Promise<boolean> {
    const plan = this.plans.get(planId);
    if (plan === undefined || plan.walBatches.some((recorded) => recorded.index === record.index)) return false;
    plan.walBatches.push(record);
    plan.walBatches.sort((a, b) => a.index - b.index);
    return true;
  }
  async completeBatch(
    _cluster: ClusterId,
    planId: string,
    index: number,
    failed: readonly KeyFailure[],
    firstOnly = false,
  ): Promise<boolean> {
    const batch = this.plans.get(planId)?.batches[index];
    if (batch === undefined || (firstOnly && batch.done)) return false;
    batch.done = true;
    batch.failed = [...failed];
    return true;
  }
  async setStatus(
    _cluster: ClusterId,
    planId: string,
    status: PlanStatus,
    extra: { readonly appliedAt?: Date; readonly failedCount?: number } = {},
    onlyFrom?: readonly PlanStatus[],
  ): Promise<boolean> {
    const plan = this.plans.get(planId);
    if (plan === undefined || (onlyFrom && !onlyFrom.includes(plan.header.status))) return false;
    plan.header = { ...plan.header, status, ...extra };
    return true;
  }
}
