import type { BackupRecord, WalObjectRecord } from '../domain/catalog/catalog-records.ts';
import type { ClusterConfig, ClusterId, RetentionPolicy } from '../domain/cluster.ts';
import { TransientError, WalcatError } from '../domain/errors.ts';
import { BASEBACKUPS_FOLDER, SENTINEL_SUFFIX } from '../domain/layout/wal-g-layout.ts';
import { assertClockAgrees, DEFAULT_MAX_CLOCK_SKEW_MS } from '../domain/retention/clock-skew.ts';
import { DeletionBatcher } from '../domain/retention/deletion-batches.ts';
import {
  type HeldWalObject,
  heldWalRanges,
  objectLockReason,
  objectLockUnknownReason,
} from '../domain/retention/object-lock-hold.ts';
import { newPlanId } from '../domain/retention/plan-id.ts';
import { NO_RETENTION_POLICY, NoRetentionPolicyError } from '../domain/retention/retention-errors.ts';
import {
  decideRetention,
  planRetentionOverRuns,
  type RetentionDecision,
  type RetentionPlan,
} from '../domain/retention/retention-plan.ts';
import { retentionPlanSlackMessage } from '../domain/retention/retention-slack-message.ts';
import {
  type ProtectedWalRange,
  RetentionWalRunsBuilder,
  type WalDeletionRange,
  walRunBreaks,
} from '../domain/retention/wal-retention.ts';
import type { WalSegmentSize } from '../domain/wal/segment-size.ts';
import { parseWalFileName } from '../domain/wal/wal-segment.ts';
import { BucketConfigurationUnsupportedError } from '../ports/bucket-inspector.ts';
import type { CatalogStore } from '../ports/catalog-store.ts';
import type { Notifier } from '../ports/notifier.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { PlanHeader, PlanStore } from '../ports/plan-store.ts';
import type { ServiceClock } from '../ports/service-clock.ts';
import { mapInOrder } from './map-in-order.ts';
import { type BackupDigestRefresh, retentionBackups } from './retention-backup-digest.ts';
import { type DigestRefresh, planOverDigest, refreshRetentionWalDigest } from './retention-wal-digest.ts';
import { type RetentionBucketReader, reviewRetentionBucket } from './review-retention-bucket.ts';

export interface PlanRetentionDependencies {
  readonly catalog: CatalogStore;
  readonly objects: ObjectStore;
  readonly plans: PlanStore;
  /** Posts the summary to the cluster's Slack channel; skipped when absent or the cluster has no webhook. */
  readonly notifier?: Notifier;
  /** The storage service's time, compared with `now` before planning (production wires the S3 store). */
  readonly serviceClock?: ServiceClock;
  /** Four hex digits that keep two plans made in the same second apart. */
  readonly planIdSuffix?: () => string;
  /**
   * Batch limits (default: 1,000 keys, 150 KB of key text; `maxKeys` also sizes the WAL batches apply expands);
   * tests use small batches to stop an apply midway.
   */
  readonly batchLimits?: { readonly maxKeys?: number; readonly maxBytes?: number };
  /**
   * Reads the Object Lock of the backups a plan would delete, so locked ones are kept instead, and the bucket's
   * versioning and lifecycle rules, so the Slack summary says what the deletions really do (absent: not read).
   */
  readonly inspector?: RetentionBucketReader;
}

export interface PlannedRetention {
  readonly plan: RetentionPlan;
  /** Absent when the plan was only shown (`store: false`). */
  readonly header?: PlanHeader;
  /** Backup objects (sentinel, metadata, tars) the plan deletes, as listed when planning. */
  readonly backupKeys: readonly string[];
  readonly notified: boolean;
  /** Why the Slack summary could not be posted (the plan is stored regardless; Slack is not a gate). */
  readonly notifyError?: string;
  /**
   * How the WAL digest was brought up to date (built or updated, what it read, whether it could be stored); absent
   * when the catalog keeps none and every WAL object was read. The scheduled run logs it.
   */
  readonly walDigest?: DigestRefresh;
  /** How the backup digest the plan read its backups from was brought up to date (absent: read in full). */
  readonly backupDigest?: BackupDigestRefresh;
}

const randomSuffix = (): string => crypto.randomUUID().slice(0, 4);
const LISTING_CONCURRENCY = 8;
/** Lock reads of doomed WAL on an Object Lock bucket: about one HeadObject per object (docs/bucket.md). */
const LOCK_READ_CONCURRENCY = 16;

/** Every live WAL object of the cluster, on every timeline (`.history` files never matter for deletion). */
export async function liveWalObjects(catalog: CatalogStore, cluster: ClusterConfig): Promise<WalObjectRecord[]> {
  const objects: WalObjectRecord[] = [];
  for (const timeline of await catalog.listTimelines(cluster.id)) {
    for await (const object of catalog.listWalObjects(cluster.id, timeline)) if (!object.deleted) objects.push(object);
  }
  return objects;
}

/**
 * The catalogued WAL objects in the given deletion ranges, in range order, read one range Query at a time (paged by
 * the store), so no more than a page of records is held: a ten-year plan's ranges hold ~900,000 objects, which only
 * ever exist as the batches they are written into.
 *
 * @example for await (const object of walObjectsInRanges(catalog, cluster.id, plan.delete.wal, plan.walSegmentSize)) batcher.add(object.key);
 */
export async function* walObjectsInRanges(
  catalog: Pick<CatalogStore, 'listWalObjects'>,
  cluster: ClusterId,
  ranges: readonly WalDeletionRange[],
  size: WalSegmentSize,
): AsyncIterable<WalObjectRecord & { readonly segNo: NonNullable<WalObjectRecord['segNo']> }> {
  for (const range of ranges) {
    const fromSegNo = parseWalFileName(range.from, size).segNo;
    const toSegNo = parseWalFileName(range.to, size).segNo;
    for await (const object of catalog.listWalObjects(cluster, range.timeline, { fromSegNo, toSegNo })) {
      // The same objects the plan counted: live, with a segment number, not a `.history` file.
      if (object.deleted || object.segNo === undefined || object.kind === 'history') continue;
      if (object.segNo < fromSegNo || object.segNo > toSegNo) continue;
      yield { ...object, segNo: object.segNo };
    }
  }
}

/**
 * The keys of the catalogued WAL objects in the given deletion ranges, in range order (see {@link walObjectsInRanges}).
 *
 * @example for await (const key of walKeysInRanges(catalog, cluster.id, plan.delete.wal, plan.walSegmentSize)) batcher.add(key);
 */
export async function* walKeysInRanges(
  catalog: Pick<CatalogStore, 'listWalObjects'>,
  cluster: ClusterId,
  ranges: readonly WalDeletionRange[],
  size: WalSegmentSize,
): AsyncIterable<string> {
  for await (const object of walObjectsInRanges(catalog, cluster, ranges, size)) yield object.key;
}

/** `work` for every item, at most `limit` at once, holding no more than `limit` items; rethrows the first failure. */
async function forEachConcurrently<T>(
  items: AsyncIterable<T>,
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  for await (const item of items) {
    if (failure) break;
    const task: Promise<void> = work(item)
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => running.delete(task));
    running.add(task);
    if (running.size >= limit) await Promise.race(running);
  }
  await Promise.all(running);
  if (failure) throw failure.error;
}

/** What the clock check reads of a WAL object: its key and when it was uploaded. */
type UploadedWal = Pick<WalObjectRecord, 'key' | 'uploadedAt'>;

/**
 * Compares this machine's clock with the storage service's (S3's `Date` header) or, when the service gave none,
 * with the newest upload in the catalog; does nothing without a service clock (tests with fixed times).
 *
 * @throws ClockSkewError naming both times when they differ by more than `retention.maxClockSkew`.
 */
export async function assertRetentionClock(
  serviceClock: ServiceClock | undefined,
  cluster: ClusterConfig,
  action: 'plan' | 'apply',
  now: Date,
  wal: readonly UploadedWal[],
): Promise<void> {
  if (serviceClock === undefined) return;
  const maxSkewMs = cluster.retention?.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
  const { bucket } = cluster.storage;
  const time = await serviceClock.serviceTime(bucket);
  if (time !== undefined) {
    assertClockAgrees(
      action,
      cluster.id,
      now,
      { source: `S3 Date header of bucket ${bucket}`, time, kind: 'service' },
      maxSkewMs,
    );
    return;
  }
  let newest: UploadedWal | undefined;
  for (const object of wal) if (!newest || object.uploadedAt > newest.uploadedAt) newest = object;
  if (newest) {
    const reference = {
      source: `newest upload in the catalog (${newest.key})`,
      time: newest.uploadedAt,
      kind: 'newest-upload',
    } as const;
    assertClockAgrees(action, cluster.id, now, reference, maxSkewMs);
  }
}

/** Whether the bucket has Object Lock: `unknown` (with what went wrong) when walcat may not read it. */
type BucketLockState =
  | { readonly kind: 'none' }
  | { readonly kind: 'enabled' }
  | { readonly kind: 'unknown'; readonly problem: string };

/** A read walcat may retry (throttling) is rethrown; one no retry helps is the problem an unknown lock names. */
function lockProblem(error: unknown): string {
  if (error instanceof WalcatError && !(error instanceof TransientError)) return error.message;
  throw error;
}

async function bucketLockState(
  inspector: PlanRetentionDependencies['inspector'],
  bucket: string,
): Promise<BucketLockState> {
  if (inspector === undefined) return { kind: 'none' };
  try {
    return (await inspector.objectLock(bucket)).enabled ? { kind: 'enabled' } : { kind: 'none' };
  } catch (error) {
    // An endpoint without Object Lock (s3rver) has no lock to hold anything.
    if (error instanceof BucketConfigurationUnsupportedError) return { kind: 'none' };
    return { kind: 'unknown', problem: lockProblem(error) };
  }
}

/** Why the lock of one object keeps it at `now`, or undefined when nothing holds it. */
async function lockReasonOf(
  inspector: RetentionBucketReader,
  bucket: string,
  key: string,
  now: Date,
): Promise<string | undefined> {
  try {
    return objectLockReason(await inspector.objectRetention(bucket, key), now);
  } catch (error) {
    if (error instanceof BucketConfigurationUnsupportedError) return undefined;
    return objectLockUnknownReason(lockProblem(error));
  }
}

/**
 * The backups among `doomed` whose sentinel is under Object Lock retention or legal hold at `now`, with the lock as
 * the reason. The sentinel is written last, so its retention ends last: it stands for the backup. A lock walcat may
 * not read (the bucket's, or the sentinel's) keeps the backup too, with the problem and its fix as the reason.
 */
async function heldByObjectLock(
  inspector: PlanRetentionDependencies['inspector'],
  lock: BucketLockState,
  cluster: ClusterConfig,
  backups: readonly BackupRecord[],
  doomed: readonly string[],
  now: Date,
): Promise<Map<string, string>> {
  const held = new Map<string, string>();
  if (inspector === undefined || lock.kind === 'none' || doomed.length === 0) return held;
  if (lock.kind === 'unknown') {
    for (const name of doomed) held.set(name, objectLockUnknownReason(lock.problem));
    return held;
  }
  const { bucket, prefix } = cluster.storage;
  const sentinels = new Map(backups.map((record) => [record.name, record.sentinel?.key]));
  const reasons = await mapInOrder(doomed, LISTING_CONCURRENCY, (name) =>
    lockReasonOf(
      inspector,
      bucket,
      sentinels.get(name) ?? `${prefix}${BASEBACKUPS_FOLDER}${name}${SENTINEL_SUFFIX}`,
      now,
    ),
  );
  doomed.forEach((name, index) => {
    const reason = reasons[index];
    if (reason !== undefined) held.set(name, reason);
  });
  return held;
}

/**
 * The WAL among a plan's deletions that Object Lock holds, as ranges to keep. Each doomed WAL object's lock is read,
 * since WAL under the bucket's default retention (or a lock set on it alone) cannot be deleted before its date; on
 * a bucket whose lock walcat may not read, every doomed range stays.
 */
async function walHeldByObjectLock(
  inspector: PlanRetentionDependencies['inspector'],
  lock: BucketLockState,
  catalog: Pick<CatalogStore, 'listWalObjects'>,
  cluster: ClusterConfig,
  ranges: readonly WalDeletionRange[],
  now: Date,
): Promise<ProtectedWalRange[]> {
  if (inspector === undefined || lock.kind === 'none' || ranges.length === 0) return [];
  const size = cluster.walSegmentSize;
  if (lock.kind === 'unknown') {
    return ranges.map((range) => ({
      timeline: range.timeline,
      fromSegNo: parseWalFileName(range.from, size).segNo,
      toSegNo: parseWalFileName(range.to, size).segNo,
      reason: objectLockUnknownReason(lock.problem),
    }));
  }
  const held: HeldWalObject[] = [];
  await forEachConcurrently(
    walObjectsInRanges(catalog, cluster.id, ranges, size),
    LOCK_READ_CONCURRENCY,
    async (object) => {
      const reason = await lockReasonOf(inspector, cluster.storage.bucket, object.key, now);
      if (reason !== undefined) held.push({ timeline: object.timeline, segNo: object.segNo, key: object.key, reason });
    },
  );
  return heldWalRanges(held);
}

/**
 * The plan of a decision over the cluster's catalogued WAL, folded into runs as it is read, broken where protection
 * starts or ends: memory follows the runs (a few per timeline), not the hundreds of thousands of objects of a
 * long-lived cluster.
 */
export async function planOverCatalogWal(
  catalog: CatalogStore,
  cluster: ClusterConfig,
  decision: RetentionDecision,
): Promise<{ plan: RetentionPlan; newestUpload?: UploadedWal }> {
  const runs = new RetentionWalRunsBuilder(walRunBreaks(decision.protectedWal));
  let newestUpload: UploadedWal | undefined;
  for (const timeline of await catalog.listTimelines(cluster.id)) {
    const objects = catalog.listRetentionWal?.(cluster.id, timeline) ?? catalog.listWalObjects(cluster.id, timeline);
    for await (const object of objects) {
      if (object.deleted) continue;
      runs.add(object);
      if (!newestUpload || object.uploadedAt > newestUpload.uploadedAt) newestUpload = object;
    }
  }
  return { plan: planRetentionOverRuns(decision, runs.build()), ...(newestUpload ? { newestUpload } : {}) };
}

/**
 * The cluster's retention policy.
 *
 * @throws NoRetentionPolicyError when the cluster has none: walcat then deletes nothing of it.
 */
export function requireRetentionPolicy(cluster: ClusterConfig): RetentionPolicy {
  if (cluster.retention === undefined) {
    throw new NoRetentionPolicyError(
      `cluster ${cluster.id}: ${NO_RETENTION_POLICY}; add a retention: block to its configuration to let walcat thin its backups`,
    );
  }
  return cluster.retention;
}

/**
 * Computes the retention plan of one cluster from the catalog, lists the objects of each backup it deletes, stores
 * it (superseding older plans not yet applied) and posts a summary. Deletes nothing. With `store: false` it only
 * computes and measures the plan: nothing is stored, superseded or posted.
 *
 * Backup objects are deleted sentinel first, so a run killed in the middle of a backup leaves it visibly incomplete
 * rather than complete with missing tars; WAL goes last.
 *
 * @throws UnsafePlanError (subclasses) when the policy or the outcome is unsafe; nothing is stored then.
 */
export async function planClusterRetention(
  deps: PlanRetentionDependencies,
  cluster: ClusterConfig,
  now: Date,
  options: { readonly store?: boolean } = {},
): Promise<PlannedRetention> {
  const policy = requireRetentionPolicy(cluster);
  // The digest answers what every backup record read from its item would (its property tests say so).
  const { records: backups, refresh: backupRefresh } = await retentionBackups(deps.catalog, cluster, now);
  const planId = newPlanId(cluster.id, now, (deps.planIdSuffix ?? randomSuffix)());
  const decide = (held?: ReadonlyMap<string, string>) =>
    decideRetention({
      cluster: cluster.id,
      backups,
      policy,
      walSegmentSize: cluster.walSegmentSize,
      now,
      planId,
      ...(held ? { held } : {}),
    });
  const unaware = decide();
  const lock = await bucketLockState(deps.inspector, cluster.storage.bucket);
  // Holding more backups only ever keeps more, so one more decision with every lock found is final.
  const held = await heldByObjectLock(
    deps.inspector,
    lock,
    cluster,
    backups,
    unaware.deleted.map((doomed) => doomed.name),
    now,
  );
  const decision = held.size === 0 ? unaware : decide(held);
  // The digest answers what the catalog's WAL objects read one by one would (its property tests say so); a catalog
  // without one is read in full.
  const digest = await refreshRetentionWalDigest(deps.catalog, cluster, now);
  const planWal = (over: RetentionDecision) =>
    digest === undefined ? planOverCatalogWal(deps.catalog, cluster, over) : planOverDigest(digest, over);
  const first = await planWal(decision);
  await assertRetentionClock(deps.serviceClock, cluster, 'plan', now, first.newestUpload ? [first.newestUpload] : []);
  // Keeping locked WAL only shortens the deletion ranges, so one more pass with every locked range kept is final.
  const lockedWal = await walHeldByObjectLock(deps.inspector, lock, deps.catalog, cluster, first.plan.delete.wal, now);
  const plan =
    lockedWal.length === 0
      ? first.plan
      : (
          await planWal({
            ...decision,
            protectedWal: [...decision.protectedWal, ...lockedWal],
          })
        ).plan;

  const { bucket, prefix } = cluster.storage;
  const byName = new Map(backups.map((record) => [record.name, record]));
  const objectsOf = async (name: string): Promise<{ key: string; size: number }[]> => {
    const found: { key: string; size: number }[] = [];
    const sentinelKey = byName.get(name)?.sentinel?.key ?? `${prefix}${BASEBACKUPS_FOLDER}${name}${SENTINEL_SUFFIX}`;
    const head = await deps.objects.headObject(bucket, sentinelKey);
    if (head) found.push({ key: sentinelKey, size: head.size });
    // The trailing slash keeps `base_X/` apart from a delta `base_X_D_Y/` that starts with the same characters.
    for await (const object of deps.objects.list(bucket, `${prefix}${BASEBACKUPS_FOLDER}${name}/`)) {
      found.push({ key: object.key, size: object.size });
    }
    return found;
  };
  // A first plan on an old bucket can delete tens of thousands of backups: list them a few at a time, in order.
  const perBackup = await mapInOrder(
    plan.delete.backups.map((doomed) => doomed.name),
    LISTING_CONCURRENCY,
    objectsOf,
  );
  const backupKeys = perBackup.flat().map((object) => object.key);
  const backupBytes = perBackup.flat().reduce((sum, object) => sum + object.size, 0);
  const walBytes = plan.bytesFreed - plan.delete.backups.reduce((sum, doomed) => sum + doomed.bytes, 0);
  const measured: RetentionPlan = { ...plan, bytesFreed: walBytes + backupBytes };

  // Shown only (`walcat retention plan` without --store): the pending plan stays the one the daily run applies.
  const walDigest = {
    ...(digest === undefined ? {} : { walDigest: digest.refresh }),
    ...(backupRefresh === undefined ? {} : { backupDigest: backupRefresh }),
  };
  if (options.store === false) return { plan: measured, backupKeys, notified: false, ...walDigest };
  // One active plan per cluster: what an older, unfinished plan still had to delete is in this one too.
  for (const older of await deps.plans.listPlans(cluster.id)) {
    if (older.status === 'pending' || older.status === 'applying') {
      await deps.plans.setStatus(cluster.id, older.planId, 'superseded', {}, ['pending', 'applying']);
    }
  }
  const batchLimits = deps.batchLimits;
  // Only the backups' objects are stored as keys; the WAL stays the plan's ranges, expanded batch by batch at apply.
  function* batches(): Iterable<string[]> {
    const batcher = new DeletionBatcher(batchLimits);
    const full: string[][] = [];
    for (const key of backupKeys) {
      batcher.add(key, full);
      yield* full.splice(0);
    }
    batcher.flush(full);
    yield* full.splice(0);
  }
  const header = await deps.plans.savePlan({
    plan: measured,
    bucket,
    batches: batches(),
    ...(batchLimits?.maxKeys === undefined ? {} : { walBatchKeys: batchLimits.maxKeys }),
  });

  const webhook = cluster.alerts.slackWebhookParameter;
  if (!deps.notifier || !webhook) return { plan: measured, header, backupKeys, notified: false, ...walDigest };
  const appliesAfter = new Date(now.getTime() + policy.applyGraceMs);
  try {
    const review = deps.inspector
      ? await reviewRetentionBucket({ inspector: deps.inspector, catalog: deps.catalog }, cluster, measured, now)
      : undefined;
    await deps.notifier.send(
      { cluster: cluster.id, slackWebhookParameter: webhook },
      retentionPlanSlackMessage(measured, appliesAfter, review?.kind === 'effects' ? review.effects : undefined),
    );
    return { plan: measured, header, backupKeys, notified: true, ...walDigest };
  } catch (error) {
    const notifyError = error instanceof Error ? error.message : String(error);
    return { plan: measured, header, backupKeys, notified: false, notifyError, ...walDigest };
  }
}
