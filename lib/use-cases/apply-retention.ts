import type { BackupChange, WalObjectChange } from '../domain/catalog/catalog-change.ts';
import { ClusterStateConflictError } from '../domain/catalog/catalog-errors.ts';
import type { BackupRecord, WalObjectRecord } from '../domain/catalog/catalog-records.ts';
import {
  type RetentionTombstone,
  recordRetentionDeletions,
  retentionSpans,
  spanKey,
  type TombstonedSegment,
  withdrawRetentionDeletions,
} from '../domain/catalog/retention-tombstones.ts';
import type { ClusterConfig } from '../domain/cluster.ts';
import { InvalidInputError } from '../domain/errors.ts';
import { BASEBACKUPS_FOLDER, SENTINEL_SUFFIX } from '../domain/layout/wal-g-layout.ts';
import { applyTimeCheck, type SparedKey } from '../domain/retention/apply-time-check.ts';
import { DEFAULT_MAX_CLOCK_SKEW_MS, isInTheFuture } from '../domain/retention/clock-skew.ts';
import { StaleCatalogError } from '../domain/retention/retention-errors.ts';
import { isUnreadableBackup, verifyRetentionPlan } from '../domain/retention/retention-plan.ts';
import type { TimelineId } from '../domain/wal/timeline.ts';

import { BucketConfigurationUnsupportedError, type BucketInspector } from '../ports/bucket-inspector.ts';
import type { CatalogStore } from '../ports/catalog-store.ts';
import type { DeleteObjectsOutcome, ObjectStore } from '../ports/object-store.ts';
import type { ObjectVersionStore } from '../ports/object-version-store.ts';
import type { DeletionBatch, KeyFailure, PlanHeader, PlanStore } from '../ports/plan-store.ts';
import type { ServiceClock } from '../ports/service-clock.ts';
import { assertRetentionClock, liveWalObjects, requireRetentionPolicy } from './plan-retention.ts';

/** S3 refuses deletes of objects under Object Lock retention or legal hold with these codes: never retried. */
export const OBJECT_LOCK_CODES: ReadonlySet<string> = new Set(['AccessDenied', 'ObjectLocked']);
/** Per-key codes worth another attempt within the same run. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'InternalError',
  'SlowDown',
  'ServiceUnavailable',
  'RequestTimeout',
]);
const ATTEMPTS_PER_BATCH = 3;

export interface ApplyRetentionDependencies {
  readonly catalog: CatalogStore;
  readonly objects: ObjectStore;
  readonly plans: PlanStore;
  /** Called before each batch is deleted (tests inject a crash here). */
  readonly beforeBatch?: (batch: DeletionBatch) => void | Promise<void>;
  /**
   * Asked before each batch; true stops the run cleanly (a Lambda close to its timeout). The plan stays `applying`
   * and the next run resumes it.
   */
  readonly shouldStop?: () => boolean;
  /** The storage service's time, compared with `now` before deleting (production wires the S3 store). */
  readonly serviceClock?: ServiceClock;
  /** Tells a versioned bucket apart; without it every delete is a plain one (a delete marker on a versioned bucket). */
  readonly inspector?: Pick<BucketInspector, 'versioning'>;
  /** Deletes by version id on a versioned bucket (unless the policy says `versionedDeletes: markers`). */
  readonly versions?: ObjectVersionStore;
}

/**
 * How this apply deletes: `objects` on an unversioned bucket; `versions` removes every version of a doomed key;
 * `delete-markers` only hides the keys of a versioned bucket (the bytes stay until a NoncurrentVersionExpiration rule).
 */
export type RetentionDeleteMode = 'objects' | 'versions' | 'delete-markers';

export interface ApplyRetentionRequest {
  readonly planId: string;
  readonly now: Date;
  /** True for `walcat retention apply PLAN_ID`: an operator asked, the apply grace does not hold it back. */
  readonly explicit: boolean;
}

export type ApplyRetentionOutcome =
  | {
      readonly status: 'applied';
      readonly planId: string;
      /** Keys deleted by this run (a resumed run counts only its own). */
      readonly deleted: number;
      /** Batches done before this run started. */
      readonly resumedAfter: number;
      /** Under Object Lock: skipped and reported, never retried. */
      readonly locked: readonly KeyFailure[];
      /** Other per-key refusals, after retries within this run. */
      readonly failed: readonly KeyFailure[];
      /** Keys of the plan left in place because the catalog at apply time needs them, with the reason. */
      readonly spared: readonly SparedKey[];
      readonly deletes: RetentionDeleteMode;
      /** With `deletes: versions`: the versions and delete markers this run removed, and their bytes. */
      readonly versionsDeleted?: number;
      readonly bytesFreed?: number;
    }
  | {
      /** Stopped by `shouldStop` with batches left; the next run resumes. */
      readonly status: 'partial';
      readonly planId: string;
      readonly deleted: number;
      readonly batchesLeft: number;
    }
  | {
      /** A newer plan superseded this one while it was being applied: the run stopped; the plan stays superseded. */
      readonly status: 'superseded';
      readonly planId: string;
      readonly deleted: number;
    }
  | { readonly status: 'already-applied'; readonly planId: string }
  | { readonly status: 'waiting'; readonly planId: string; readonly appliesAfter: Date };

/**
 * Applies a stored retention plan: deletes its keys batch by batch (at most 1,000 per DeleteObjects), records every
 * deleted key in the catalog (WAL tombstones, backups `expired`), then marks the batch done. The WAL segments of a
 * batch are recorded as retention tombstones (ranges in the cluster state, with the plan id) before they are
 * deleted, and withdrawn when S3 refuses them: continuity expects a hole in the chain only there. Killed at any point and
 * started again, it redoes at most the batch in flight (deleting an absent key is a no-op in S3) and never deletes a
 * key outside the plan.
 *
 * Refuses (StaleCatalogError) unless the catalog was fully synced after the plan was made, and re-checks the plan
 * against the catalog as it is now (a backup marked permanent since, a chain base gone) before deleting anything.
 *
 * @throws InvalidInputError when the plan does not exist or was superseded; UnsafePlanError subclasses when unsafe.
 */
export async function applyClusterRetention(
  deps: ApplyRetentionDependencies,
  cluster: ClusterConfig,
  request: ApplyRetentionRequest,
): Promise<ApplyRetentionOutcome> {
  const { planId, now } = request;
  const policy = requireRetentionPolicy(cluster);
  const header = await requirePlan(deps.plans, cluster, planId);
  if (header.status === 'applied') return { status: 'already-applied', planId };
  if (header.status === 'superseded') {
    throw new InvalidInputError(
      `retention plan ${planId} of cluster ${cluster.id} was superseded by a newer plan; apply the newest one (\`walcat retention plan --cluster ${cluster.id}\` shows it)`,
    );
  }
  const appliesAfter = new Date(header.createdAt.getTime() + policy.applyGraceMs);
  if (!request.explicit && now.getTime() < appliesAfter.getTime()) return { status: 'waiting', planId, appliesAfter };

  const state = await deps.catalog.getClusterState(cluster.id);
  const maxSkewMs = policy.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
  // A sync from a fast clock stores a lastFullSyncAt in the future, which would satisfy this guard for plans made
  // before the next real sync: it is ignored, and said so.
  const futureSync = state.lastFullSyncAt !== undefined && isInTheFuture(state.lastFullSyncAt, now, maxSkewMs);
  const lastFullSyncAt = futureSync ? undefined : state.lastFullSyncAt;
  if (lastFullSyncAt === undefined || lastFullSyncAt.getTime() <= header.createdAt.getTime()) {
    const last = futureSync
      ? `at ${state.lastFullSyncAt?.toISOString()}, which is in the future (now ${now.toISOString()}: a sync from a fast clock; ignored)`
      : state.lastFullSyncAt
        ? `at ${state.lastFullSyncAt.toISOString()}`
        : 'never';
    throw new StaleCatalogError(
      `cluster ${cluster.id}: the catalog was last fully synced ${last}, not after retention plan ${planId} was made (${header.createdAt.toISOString()}); run \`walcat sync --cluster ${cluster.id}\` and apply again`,
    );
  }

  const body = await deps.plans.getPlanBody(cluster.id, planId);
  if (body === undefined)
    throw new InvalidInputError(`retention plan ${planId}: its body is missing from the catalog table; plan again`);
  const batches: DeletionBatch[] = [];
  for await (const batch of deps.plans.listBatches(cluster.id, planId)) batches.push(batch);
  const backups = await deps.catalog.listBackups(cluster.id);
  const wal = await liveWalObjects(deps.catalog, cluster);
  await assertRetentionClock(deps.serviceClock, cluster, 'apply', now, wal);
  const plannedBackups = body.delete.backups.map((doomed) => doomed.name);
  const backupsNow = await lookAtIncompleteBackups(deps.objects, header.bucket, cluster, backups, plannedBackups);
  const check = applyTimeCheck({
    cluster: cluster.id,
    layout: cluster.layout,
    prefix: cluster.storage.prefix,
    policy,
    walSegmentSize: cluster.walSegmentSize,
    planId,
    plannedBackups,
    keys: batches.filter((batch) => !batch.done).flatMap((batch) => batch.keys),
    backups: backupsNow,
    wal,
    now,
  });
  const { deletable, spared } = check;
  // What apply will really delete must still be safe against the catalog as it is now: a backup marked permanent
  // since, or a chain base gone, refuses the whole plan. A doomed backup that became unreadable since is not a reason
  // to refuse: the check above keeps it and the WAL from its name on (reported in `spared`), the rest goes.
  const byNameNow = new Map(backups.map((record) => [record.name, record]));
  const nowUnreadable = new Set(
    plannedBackups.filter((name) => {
      const record = byNameNow.get(name);
      return record !== undefined && isUnreadableBackup(record);
    }),
  );
  verifyRetentionPlan(
    {
      ...body,
      delete: {
        ...body.delete,
        backups: body.delete.backups.filter((doomed) => !nowUnreadable.has(doomed.name)),
        walKeys: [...deletable],
      },
    },
    backups,
    wal,
  );

  const walByKey = new Map(wal.map((object) => [object.key, object]));
  const spans = retentionSpans(segmentsOf([...deletable], walByKey), stayingSegments(wal, deletable));
  const backupSources = backupSourceIndex(cluster, backups, check.backupsDeleted);
  const deletes = await deleteModeOf(deps, cluster, header.bucket);
  let versionsDeleted = 0;
  let bytesFreed = 0;
  const deleteKeys = async (keys: readonly string[]): Promise<DeleteObjectsOutcome> => {
    if (deletes !== 'versions' || deps.versions === undefined) return deps.objects.deleteObjects(header.bucket, keys);
    const outcome = await deps.versions.deleteAllVersions(header.bucket, keys);
    versionsDeleted += outcome.versionsDeleted;
    bytesFreed += outcome.bytesFreed;
    return outcome;
  };
  if (header.status === 'pending') await deps.plans.setStatus(cluster.id, planId, 'applying', {}, ['pending']);

  let deleted = 0;
  let finishedElsewhere = 0;
  const locked: KeyFailure[] = [];
  const failed: KeyFailure[] = [];
  const resumedAfter = batches.filter((batch) => batch.done).length;
  for (const [position, batch] of batches.entries()) {
    if (batch.done) {
      for (const failure of batch.failed) (OBJECT_LOCK_CODES.has(failure.code) ? locked : failed).push(failure);
      continue;
    }
    if (deps.shouldStop?.()) {
      const batchesLeft = batches.slice(position).filter((left) => !left.done).length;
      return { status: 'partial', planId, deleted, batchesLeft };
    }
    await deps.beforeBatch?.(batch);
    // A plan superseded while this run was going stops here and stays superseded.
    if ((await deps.plans.getPlanHeader(cluster.id, planId))?.status === 'superseded') {
      return { status: 'superseded', planId, deleted };
    }
    const doomed = batch.keys.filter((key) => deletable.has(key));
    // Recorded before the delete, so continuity never sees the hole unexplained; withdrawn for keys S3 refused.
    const doomedSpans = segmentsOf(doomed, walByKey).flatMap((segment) => spans.get(spanKey(segment)) ?? []);
    if (doomedSpans.length > 0) {
      await updateRetentionTombstones(deps.catalog, cluster, (stored) =>
        recordRetentionDeletions(stored, doomedSpans, planId, now),
      );
    }
    const outcome = await deleteWithRetries(deleteKeys, doomed);
    const refused = segmentsOf(
      outcome.failed.map((failure) => failure.key),
      walByKey,
    );
    if (refused.length > 0) {
      await updateRetentionTombstones(deps.catalog, cluster, (stored) => withdrawRetentionDeletions(stored, refused));
    }
    await recordDeletions(deps.catalog, cluster, outcome.deleted, walByKey, backupSources, now);
    // Another apply of the plan finished this batch first: its keys are that run's to report.
    if (!(await deps.plans.completeBatch(cluster.id, planId, batch.index, outcome.failed, true))) {
      finishedElsewhere++;
      continue;
    }
    deleted += outcome.deleted.length;
    for (const failure of outcome.failed) (OBJECT_LOCK_CODES.has(failure.code) ? locked : failed).push(failure);
  }
  // Batches another run finished are that run's to report; the plan is applied once every batch is done.
  if (finishedElsewhere > 0) {
    let batchesLeft = 0;
    for await (const batch of deps.plans.listBatches(cluster.id, planId)) if (!batch.done) batchesLeft++;
    if (batchesLeft > 0) return { status: 'partial', planId, deleted, batchesLeft };
  }
  const marked = await deps.plans.setStatus(
    cluster.id,
    planId,
    'applied',
    { appliedAt: now, failedCount: locked.length + failed.length },
    ['applying'],
  );
  if (!marked && (await deps.plans.getPlanHeader(cluster.id, planId))?.status === 'superseded') {
    return { status: 'superseded', planId, deleted };
  }
  return {
    status: 'applied',
    planId,
    deleted,
    resumedAfter,
    locked,
    failed,
    spared,
    deletes,
    ...(deletes === 'versions' ? { versionsDeleted, bytesFreed } : {}),
  };
}

/**
 * Reads the bucket's versioning once per apply. An endpoint that cannot tell (s3rver, an S3-compatible store) or a
 * versioning state walcat may not read gets plain deletes: they only ever hide objects, never destroy more.
 */
async function deleteModeOf(
  deps: Pick<ApplyRetentionDependencies, 'inspector' | 'versions'>,
  cluster: ClusterConfig,
  bucket: string,
): Promise<RetentionDeleteMode> {
  if (deps.inspector === undefined) return 'objects';
  let versioning: Awaited<ReturnType<BucketInspector['versioning']>>;
  try {
    versioning = await deps.inspector.versioning(bucket);
  } catch (error) {
    if (error instanceof BucketConfigurationUnsupportedError) return 'objects';
    throw error;
  }
  if (versioning === 'unversioned') return 'objects';
  return cluster.retention?.versionedDeletes === 'markers' || deps.versions === undefined
    ? 'delete-markers'
    : 'versions';
}

/**
 * The last look at the bucket before an incomplete backup of the plan goes: its sentinel may have arrived (it then
 * counts as present, so it is never deleted), or parts may have been written since the catalog last saw any (events
 * lost or late), which moves its sign of life. The records returned are what the apply-time check judges.
 */
async function lookAtIncompleteBackups(
  objects: ObjectStore,
  bucket: string,
  cluster: ClusterConfig,
  backups: readonly BackupRecord[],
  plannedBackups: readonly string[],
): Promise<BackupRecord[]> {
  const planned = new Set(plannedBackups);
  const looked: BackupRecord[] = [];
  for (const record of backups) {
    if (!planned.has(record.name) || record.status !== 'incomplete' || record.sentinel?.present) {
      looked.push(record);
      continue;
    }
    const sentinelKey = sentinelKeyOf(cluster, record.name);
    const sentinel = await objects.headObject(bucket, sentinelKey);
    let newest = record.lastSignOfLifeAt;
    for await (const object of objects.list(bucket, `${cluster.storage.prefix}${BASEBACKUPS_FOLDER}${record.name}/`)) {
      if (newest === undefined || object.lastModified.getTime() > newest.getTime()) newest = object.lastModified;
    }
    looked.push({
      ...record,
      ...(newest ? { lastSignOfLifeAt: newest } : {}),
      ...(sentinel
        ? {
            sentinel: { key: sentinelKey, present: true, etag: sentinel.etag, observedAt: sentinel.lastModified },
            problem: `sentinel ${sentinelKey} arrived after the catalog was read; run walcat sync to read it`,
          }
        : {}),
    });
  }
  return looked;
}

async function requirePlan(plans: PlanStore, cluster: ClusterConfig, planId: string): Promise<PlanHeader> {
  const header = await plans.getPlanHeader(cluster.id, planId);
  if (header === undefined) {
    throw new InvalidInputError(
      `retention plan ${planId} does not exist for cluster ${cluster.id}; \`walcat retention plan --cluster ${cluster.id}\` makes one`,
    );
  }
  return header;
}

interface BackupSourceKey {
  readonly record: BackupRecord;
  readonly source: 'sentinel' | 'metadata';
}

/** Sentinel and metadata.json keys -> backup record, for the backups the plan deletes. */
function backupSourceIndex(
  cluster: ClusterConfig,
  backups: readonly BackupRecord[],
  doomedNames: readonly string[],
): Map<string, BackupSourceKey> {
  const byName = new Map(backups.map((record) => [record.name, record]));
  const index = new Map<string, BackupSourceKey>();
  for (const name of doomedNames) {
    const record = byName.get(name);
    if (record === undefined) continue;
    index.set(record.sentinel?.key ?? sentinelKeyOf(cluster, name), { record, source: 'sentinel' });
    if (record.metadata) index.set(record.metadata.key, { record, source: 'metadata' });
  }
  return index;
}

const sentinelKeyOf = (cluster: ClusterConfig, name: string): string =>
  `${cluster.storage.prefix}${BASEBACKUPS_FOLDER}${name}${SENTINEL_SUFFIX}`;

/** Deletes one batch; per-key transient refusals get another attempt, Object Lock refusals never. */
async function deleteWithRetries(
  deleteKeys: (keys: readonly string[]) => Promise<DeleteObjectsOutcome>,
  keys: readonly string[],
): Promise<{ deleted: string[]; failed: KeyFailure[] }> {
  const deleted: string[] = [];
  let pending = keys;
  let failed: KeyFailure[] = [];
  for (let attempt = 1; attempt <= ATTEMPTS_PER_BATCH && pending.length > 0; attempt++) {
    const outcome = await deleteKeys(pending);
    deleted.push(...outcome.deleted);
    const retryable = outcome.failed.filter((failure) => TRANSIENT_CODES.has(failure.code));
    failed = outcome.failed.filter((failure) => !TRANSIENT_CODES.has(failure.code));
    pending = attempt < ATTEMPTS_PER_BATCH ? retryable.map((failure) => failure.key) : [];
    if (attempt === ATTEMPTS_PER_BATCH) failed.push(...retryable);
  }
  return { deleted, failed };
}

/** The WAL segments (not `.partial`, `.history` or other files: only segments make a chain) among `keys`. */
function segmentsOf(keys: readonly string[], walByKey: ReadonlyMap<string, WalObjectRecord>): TombstonedSegment[] {
  const segments: TombstonedSegment[] = [];
  for (const key of keys) {
    const record = walByKey.get(key);
    if (record?.kind === 'segment' && record.segNo !== undefined) {
      segments.push({ timeline: record.timeline, segNo: record.segNo });
    }
  }
  return segments;
}

/** The segment numbers per timeline of the live WAL segments apply leaves in place, ascending. */
function stayingSegments(
  wal: readonly WalObjectRecord[],
  deletable: ReadonlySet<string>,
): Map<TimelineId, readonly number[]> {
  const staying = new Map<TimelineId, number[]>();
  for (const object of wal) {
    if (object.kind !== 'segment' || object.segNo === undefined || object.deleted || deletable.has(object.key))
      continue;
    const list = staying.get(object.timeline);
    if (list) list.push(object.segNo);
    else staying.set(object.timeline, [object.segNo]);
  }
  for (const list of staying.values()) list.sort((a, b) => a - b);
  return staying;
}

const TOMBSTONE_UPDATE_ATTEMPTS = 20;

/**
 * Read-modify-write of the cluster's retention tombstones under the state's version: a concurrent writer (the
 * watchdog storing its cursor, another apply) makes the write fail, and it is done again on the fresh state. Merging
 * is idempotent, so a repeat never records more than was deleted.
 */
async function updateRetentionTombstones(
  catalog: CatalogStore,
  cluster: ClusterConfig,
  change: (stored: readonly RetentionTombstone[]) => RetentionTombstone[],
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const state = await catalog.getClusterState(cluster.id);
    try {
      await catalog.updateClusterState(
        cluster.id,
        { retentionTombstones: change(state.retentionTombstones ?? []) },
        state.version,
      );
      return;
    } catch (error) {
      if (!(error instanceof ClusterStateConflictError) || attempt >= TOMBSTONE_UPDATE_ATTEMPTS) throw error;
    }
  }
}

/** WAL tombstones and expired backups for the keys just deleted, each applied only over the record it replaces. */
async function recordDeletions(
  catalog: CatalogStore,
  cluster: ClusterConfig,
  deletedKeys: readonly string[],
  walByKey: ReadonlyMap<string, WalObjectRecord>,
  backupSources: ReadonlyMap<string, BackupSourceKey>,
  now: Date,
): Promise<void> {
  const walChanges: WalObjectChange[] = [];
  const backupChanges: BackupChange[] = [];
  for (const key of deletedKeys) {
    const stored = walByKey.get(key);
    if (stored) {
      walChanges.push({ origin: 'reconcile', record: { ...stored, deleted: true, deletedAt: now }, basis: stored });
      continue;
    }
    const source = backupSources.get(key);
    if (source === undefined) continue;
    const { record } = source;
    if (source.source === 'sentinel') {
      backupChanges.push({ type: 'expired', cluster: cluster.id, name: record.name, expiredAt: now });
    }
    backupChanges.push({
      type: 'source-observed',
      origin: 'reconcile',
      cluster: cluster.id,
      name: record.name,
      source: source.source,
      observation: { key, present: false, observedAt: now },
      basis: source.source === 'sentinel' ? record.sentinel : record.metadata,
    });
  }
  if (walChanges.length > 0) await catalog.applyWalChanges(walChanges);
  if (backupChanges.length > 0) await catalog.applyBackupChanges(backupChanges);
}
