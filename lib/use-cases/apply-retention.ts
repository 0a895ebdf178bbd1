import type { BackupChange, WalObjectChange } from '../domain/catalog/catalog-change.ts';
import { ClusterStateConflictError } from '../domain/catalog/catalog-errors.ts';
import type { BackupRecord, WalObjectRecord } from '../domain/catalog/catalog-records.ts';
import {
  type RetentionTombstone,
  recordRetentionDeletions,
  type TombstonedSegment,
  withdrawRetentionDeletions,
} from '../domain/catalog/retention-tombstones.ts';
import type { ClusterConfig } from '../domain/cluster.ts';
import { InvalidInputError } from '../domain/errors.ts';
import { classifyKey } from '../domain/layout/classify-key.ts';
import { BASEBACKUPS_FOLDER, SENTINEL_SUFFIX } from '../domain/layout/wal-g-layout.ts';
import { type ApplyTimeCheck, applyTimeCheck, type SparedKey } from '../domain/retention/apply-time-check.ts';
import { DEFAULT_MAX_CLOCK_SKEW_MS, isInTheFuture } from '../domain/retention/clock-skew.ts';
import { MAX_KEYS_PER_DELETE } from '../domain/retention/deletion-batches.ts';
import { StaleCatalogError } from '../domain/retention/retention-errors.ts';
import {
  decideRetention,
  isUnreadableBackup,
  type KeyedRetentionPlan,
  type RetentionDecision,
  type RetentionPlan,
  verifyRetentionPlan,
} from '../domain/retention/retention-plan.ts';
import type { WalDeletionRange } from '../domain/retention/wal-retention.ts';

import { BucketConfigurationUnsupportedError, type BucketInspector } from '../ports/bucket-inspector.ts';
import type { CatalogStore } from '../ports/catalog-store.ts';
import type { DeleteObjectsOutcome, ObjectStore } from '../ports/object-store.ts';
import type { ObjectVersionStore } from '../ports/object-version-store.ts';
import type {
  DeletionBatch,
  KeyFailure,
  PlanHeader,
  PlanStore,
  StoredPlanBody,
  WalBatchRecord,
} from '../ports/plan-store.ts';
import type { ServiceClock } from '../ports/service-clock.ts';
import { assertRetentionClock, planOverCatalogWal, requireRetentionPolicy } from './plan-retention.ts';
import {
  batchTombstoneSpans,
  cursorAfter,
  segmentsOf,
  sortFailures,
  type WalCursor,
  walCursor,
  walRangeBatches,
  walRecordsOfKeys,
} from './retention-apply-batches.ts';

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
  const backups = await deps.catalog.listBackups(cluster.id);
  const plannedBackups = body.delete.backups.map((doomed) => doomed.name);
  const check = await checkAtApplyTime(deps, cluster, header.bucket, { planId, now, backups, plannedBackups });
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
  const storedPlan: KeyedRetentionPlan = {
    ...body,
    delete: {
      ...body.delete,
      backups: body.delete.backups.filter((doomed) => !nowUnreadable.has(doomed.name)),
      walKeys: [],
    },
  };
  verifyRetentionPlan(storedPlan, backups, []);
  // The WAL of each batch is verified against what the kept backups need; their records are all that check reads.
  const keptNames = new Set([...body.keep.map((kept) => kept.name), body.chainBase]);
  const keptRecords = backups.filter((record) => keptNames.has(record.name));
  const verifyWal = (doomedWal: readonly WalObjectRecord[]): void =>
    verifyRetentionPlan(
      { ...storedPlan, delete: { ...storedPlan.delete, backups: [], walKeys: doomedWal.map((record) => record.key) } },
      keptRecords,
      doomedWal,
    );
  const batches = new ApplyBatches(deps, cluster, header, body);
  // Plan first, delete after: every batch left is expanded, judged and verified before the first key goes.
  for await (const batch of batches.left()) verifyWal(judge(batch, check).doomedWal);

  const backupSources = backupSourceLookup(cluster, byNameNow);
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
  const reported = { locked: [] as KeyFailure[], failed: [] as KeyFailure[] };
  const spared: SparedKey[] = [];
  const done = await batches.done((failures) => sortFailures(failures, OBJECT_LOCK_CODES, reported));
  for await (const batch of batches.left(done)) {
    if (deps.shouldStop?.()) {
      return { status: 'partial', planId, deleted, batchesLeft: await batches.countLeft(batch) };
    }
    await deps.beforeBatch?.({ index: batch.index, keys: batch.keys, done: false, failed: [] });
    // A plan superseded while this run was going stops here and stays superseded.
    if ((await deps.plans.getPlanHeader(cluster.id, planId))?.status === 'superseded') {
      return { status: 'superseded', planId, deleted };
    }
    const judged = judge(batch, check);
    verifyWal(judged.doomedWal);
    // Recorded before the delete, so continuity never sees the hole unexplained; withdrawn for keys S3 refused.
    const doomedSegments = segmentsOf(judged.doomedWal);
    const doomedSpans = await batchTombstoneSpans(deps.catalog, cluster, batch.previousDoomed, doomedSegments);
    if (doomedSpans.length > 0) {
      await updateRetentionTombstones(deps.catalog, cluster, (stored) =>
        recordRetentionDeletions(stored, doomedSpans, planId, now),
      );
    }
    const outcome = await deleteWithRetries(deleteKeys, judged.doomed);
    const refused = segmentsOf(outcome.failed.map((failure) => batch.walByKey.get(failure.key)));
    if (refused.length > 0) {
      await updateRetentionTombstones(deps.catalog, cluster, (stored) => withdrawRetentionDeletions(stored, refused));
    }
    await recordDeletions(deps.catalog, cluster, outcome.deleted, batch.walByKey, backupSources, now);
    // Another apply of the plan finished this batch first: its keys are that run's to report.
    if (!(await batch.record(outcome.failed, doomedSegments.at(-1)))) continue;
    deleted += outcome.deleted.length;
    spared.push(...judged.spared);
    sortFailures(outcome.failed, OBJECT_LOCK_CODES, reported);
  }
  // Batches another run finished are that run's to report; the plan is applied once every batch is done.
  if (batches.finishedElsewhere > 0) {
    const batchesLeft = await batches.countLeft();
    if (batchesLeft > 0) return { status: 'partial', planId, deleted, batchesLeft };
  }
  const { locked, failed } = reported;
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
    resumedAfter: done.count,
    locked,
    failed,
    spared,
    deletes,
    ...(deletes === 'versions' ? { versionsDeleted, bytesFreed } : {}),
  };
}

/**
 * The apply-time check of the stored plan: the bucket's last look at its incomplete backups, then the fresh
 * evaluation compared with the plan. Only the check outlives this call: the fresh evaluation holds an entry per
 * backup of the catalog, which the whole apply would otherwise keep beside the backup records.
 */
async function checkAtApplyTime(
  deps: Pick<ApplyRetentionDependencies, 'catalog' | 'objects' | 'serviceClock'>,
  cluster: ClusterConfig,
  bucket: string,
  stored: {
    readonly planId: string;
    readonly now: Date;
    readonly backups: readonly BackupRecord[];
    readonly plannedBackups: readonly string[];
  },
): Promise<ApplyTimeCheck> {
  const { planId, now, plannedBackups } = stored;
  const backups = await lookAtIncompleteBackups(deps.objects, bucket, cluster, stored.backups, plannedBackups);
  const fresh = await freshEvaluation(deps, cluster, planId, backups, now);
  return applyTimeCheck({
    cluster: cluster.id,
    layout: cluster.layout,
    prefix: cluster.storage.prefix,
    policy: requireRetentionPolicy(cluster),
    walSegmentSize: cluster.walSegmentSize,
    plannedBackups,
    backups,
    fresh,
    now,
  });
}

/**
 * The fresh evaluation apply compares the stored plan with: a plan of the catalog as it is now, over its WAL folded
 * into runs as it streams (memory follows the runs, not the objects). The clock is checked on the way, before a
 * refusal of the fresh evaluation (no complete backup any more) is raised.
 */
async function freshEvaluation(
  deps: Pick<ApplyRetentionDependencies, 'catalog' | 'serviceClock'>,
  cluster: ClusterConfig,
  planId: string,
  backups: readonly BackupRecord[],
  now: Date,
): Promise<RetentionPlan> {
  let decision: RetentionDecision;
  try {
    decision = decideRetention({
      cluster: cluster.id,
      backups,
      policy: requireRetentionPolicy(cluster),
      walSegmentSize: cluster.walSegmentSize,
      now,
      planId: `${planId} (re-checked at ${now.toISOString()})`,
    });
  } catch (error) {
    await assertRetentionClock(deps.serviceClock, cluster, 'apply', now, await newestUpload(deps.catalog, cluster));
    throw error;
  }
  const { plan, newestUpload: newest } = await planOverCatalogWal(deps.catalog, cluster, decision);
  await assertRetentionClock(deps.serviceClock, cluster, 'apply', now, newest ? [newest] : []);
  return plan;
}

/** The most recently uploaded live WAL object, as a list of at most one (what the clock check compares with). */
async function newestUpload(catalog: CatalogStore, cluster: ClusterConfig): Promise<WalObjectRecord[]> {
  let newest: WalObjectRecord | undefined;
  for (const timeline of await catalog.listTimelines(cluster.id)) {
    for await (const object of catalog.listWalObjects(cluster.id, timeline)) {
      if (!object.deleted && (!newest || object.uploadedAt > newest.uploadedAt)) newest = object;
    }
  }
  return newest ? [newest] : [];
}

/** What apply does with the keys of one batch: the keys that go (WAL with its records), the keys it spares. */
interface JudgedBatch {
  readonly doomed: readonly string[];
  readonly doomedWal: readonly WalObjectRecord[];
  readonly spared: readonly SparedKey[];
}

function judge(batch: ApplyBatch, check: ApplyTimeCheck): JudgedBatch {
  const doomed: string[] = [];
  const doomedWal: WalObjectRecord[] = [];
  const spared: SparedKey[] = [];
  for (const key of batch.candidates) {
    const reason = check.spareReason(key);
    if (reason !== undefined) {
      spared.push({ key, reason });
      continue;
    }
    doomed.push(key);
    const record = batch.walByKey.get(key);
    if (record) doomedWal.push(record);
  }
  return { doomed, doomedWal, spared };
}

/** One batch on its way: what it covers, what may be deleted of it, and how its outcome is recorded. */
interface ApplyBatch {
  /** Position in apply order: the key batches first, then the WAL batches. */
  readonly index: number;
  /** Every key the batch covers (tombstones of a WAL range included). */
  readonly keys: readonly string[];
  /** The keys apply judges: a key batch's keys; a WAL batch's live records. */
  readonly candidates: readonly string[];
  /** The live catalog records of the batch's WAL keys. */
  readonly walByKey: ReadonlyMap<string, WalObjectRecord>;
  /** The last segment the apply deleted before this batch on the same run of batches. */
  readonly previousDoomed?: TombstonedSegment;
  /** Records the batch done; false when another run recorded it first. */
  readonly record: (failed: readonly KeyFailure[], lastDoomed: TombstonedSegment | undefined) => Promise<boolean>;
}

/** What the plan's apply recorded before this run: the batches done, counted. */
interface DoneBatches {
  readonly count: number;
  readonly keyBatchesDone: ReadonlySet<number>;
  readonly wal: WalCursor;
}

/**
 * The batches of a stored plan, read as apply goes: the key batches (stored), then the WAL ranges of a `ranges` plan,
 * expanded from the catalog `walBatchKeys` records at a time from where the recorded batches end. A WAL batch another
 * run recorded first moves this run to the end of that run's batches.
 */
class ApplyBatches {
  finishedElsewhere = 0;
  readonly #deps: ApplyRetentionDependencies;
  readonly #cluster: ClusterConfig;
  readonly #header: PlanHeader;
  readonly #ranges: readonly WalDeletionRange[];
  readonly #walBatchKeys: number;
  #keyBatchCount = 0;

  constructor(deps: ApplyRetentionDependencies, cluster: ClusterConfig, header: PlanHeader, body: StoredPlanBody) {
    this.#deps = deps;
    this.#cluster = cluster;
    this.#header = header;
    this.#ranges = header.format === 'ranges' ? body.delete.wal : [];
    this.#walBatchKeys = header.walBatchKeys ?? MAX_KEYS_PER_DELETE;
  }

  /** The batches recorded done so far, handing over their failures. */
  async done(onFailures: (failures: readonly KeyFailure[]) => void = () => {}): Promise<DoneBatches> {
    const { plans } = this.#deps;
    const keyBatchesDone = new Set<number>();
    for await (const batch of plans.listBatches(this.#cluster.id, this.#header.planId)) {
      if (!batch.done) continue;
      keyBatchesDone.add(batch.index);
      onFailures(batch.failed);
    }
    const wal = await walCursor(plans, this.#cluster, this.#header.planId, (record) => onFailures(record.failed));
    return { count: keyBatchesDone.size + wal.next, keyBatchesDone, wal };
  }

  /** The batches not yet done, in apply order, one at a time. */
  async *left(done?: DoneBatches): AsyncIterable<ApplyBatch> {
    const { catalog, plans } = this.#deps;
    const cluster = this.#cluster;
    const planId = this.#header.planId;
    const already = done ?? (await this.done());
    let previousDoomed: TombstonedSegment | undefined;
    this.#keyBatchCount = 0;
    for await (const stored of plans.listBatches(cluster.id, planId)) {
      this.#keyBatchCount++;
      if (stored.done || already.keyBatchesDone.has(stored.index)) continue;
      const walByKey = await walRecordsOfKeys(catalog, cluster, stored.keys);
      const batch: ApplyBatch = {
        index: stored.index,
        keys: stored.keys,
        candidates: stored.keys,
        walByKey,
        ...(previousDoomed ? { previousDoomed } : {}),
        record: async (failed, lastDoomed) => {
          if (lastDoomed) previousDoomed = lastDoomed;
          const first = await plans.completeBatch(cluster.id, planId, stored.index, failed, true);
          if (!first) this.finishedElsewhere++;
          return first;
        },
      };
      yield batch;
    }
    let cursor = already.wal;
    while (cursor.range < this.#ranges.length) {
      const range = this.#ranges[cursor.range] as WalDeletionRange;
      let moved = false;
      for await (const expanded of walRangeBatches(catalog, cluster, range, cursor.after, this.#walBatchKeys)) {
        const walByKey = new Map<string, WalObjectRecord>();
        for (const record of expanded.records) if (!record.deleted) walByKey.set(record.key, record);
        const from = cursor;
        const last = expanded.records.at(-1);
        const reached: WalBatchRecord = {
          index: from.next,
          range: from.range,
          ...(last?.segNo === undefined ? {} : { last: { segNo: last.segNo, key: last.key } }),
          rangeDone: expanded.rangeDone,
          failed: [],
        };
        const batch: ApplyBatch = {
          index: this.#keyBatchCount + from.next,
          keys: expanded.records.map((record) => record.key),
          candidates: [...walByKey.keys()],
          walByKey,
          ...(from.lastDoomed ? { previousDoomed: from.lastDoomed } : {}),
          record: async (failed, lastDoomed) => {
            const carried = lastDoomed ?? from.lastDoomed;
            const record: WalBatchRecord = { ...reached, ...(carried ? { lastDoomed: carried } : {}), failed };
            if (await plans.recordWalBatch(cluster.id, planId, record)) {
              cursor = cursorAfter(from, record);
              return true;
            }
            // Another run recorded this batch first: continue after its batches.
            this.finishedElsewhere++;
            cursor = await walCursor(plans, cluster, planId);
            moved = true;
            return false;
          },
        };
        yield batch;
        // A batch only looked at (the verification before any delete) moves the cursor in memory only.
        if (cursor === from) cursor = cursorAfter(from, reached);
        if (moved || cursor.range !== from.range) break;
      }
    }
  }

  /** Batches left from `batch` on (or all not done): the key batches exactly, the WAL estimated from the counts. */
  async countLeft(batch?: ApplyBatch): Promise<number> {
    let keyBatches = 0;
    for await (const stored of this.#deps.plans.listBatches(this.#cluster.id, this.#header.planId)) {
      if (!stored.done && (batch === undefined || stored.index >= batch.index)) keyBatches++;
    }
    const cursor = await walCursor(this.#deps.plans, this.#cluster, this.#header.planId);
    let walBatches = 0;
    for (const [index, range] of this.#ranges.entries()) {
      if (index < cursor.range) continue;
      const inRange = Math.max(1, Math.ceil(range.objects / this.#walBatchKeys));
      walBatches += index === cursor.range ? Math.max(1, inRange - cursor.batchesInRange) : inRange;
    }
    return keyBatches + walBatches;
  }
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

/**
 * The backup record and source (sentinel or metadata.json) a deleted key was, looked up key by key from the key's
 * backup name: apply deletes a backup's objects only when the check dooms that backup, so no index of every doomed
 * backup's two keys (two map entries per backup of the plan, for the whole apply) is needed.
 */
function backupSourceLookup(
  cluster: ClusterConfig,
  byName: ReadonlyMap<string, BackupRecord>,
): (key: string) => BackupSourceKey | undefined {
  return (key) => {
    const object = classifyKey(key.slice(cluster.storage.prefix.length), cluster.layout, cluster.walSegmentSize);
    if (object.kind !== 'backup-sentinel' && object.kind !== 'backup-metadata') return undefined;
    const record = byName.get(object.backupName);
    if (record === undefined) return undefined;
    if (key === (record.sentinel?.key ?? sentinelKeyOf(cluster, record.name))) return { record, source: 'sentinel' };
    if (key === record.metadata?.key) return { record, source: 'metadata' };
    return undefined;
  };
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
  backupSourceOf: (key: string) => BackupSourceKey | undefined,
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
    const source = backupSourceOf(key);
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
