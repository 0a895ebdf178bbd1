/**
 * Retention apply on a versioned bucket (moto's server mode, real S3 versioning semantics): a DeleteObjects without
 * version ids only stacks delete markers, so every byte of the doomed backups and WAL stays billed. Apply deletes
 * every version of each doomed key by version id instead, reports the bytes that really left, and leaves every
 * version of every other key alone: a kept segment's noncurrent version, and an object whose key merely begins with
 * a doomed one. With `versionedDeletes: markers` it only adds the markers, as configured. On an Object Lock bucket
 * the plan keeps a backup under retention or legal hold, with the lock as the reason and the WAL it needs, so apply
 * never runs into it.
 */
import {
  CreateBucketCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectLockConfigurationCommand,
  PutObjectRetentionCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../lib/adapters/aws/aws-clients.ts';
import { S3BucketInspector } from '../../lib/adapters/s3/s3-bucket-inspector.ts';
import { S3ObjectStore } from '../../lib/adapters/s3/s3-object-store.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import { applyClusterRetention } from '../../lib/use-cases/apply-retention.ts';
import { planClusterRetention, walKeysInRanges } from '../../lib/use-cases/plan-retention.ts';
import { HOUR } from '../domain/retention/retention-fixtures.ts';
import { denyObjectLockReads } from '../support/lock-read-denied.ts';
import { MemoryPlanStore, MemoryRetentionCatalog } from '../support/memory-retention-stores.ts';
import { MOTO_CREDENTIALS, MOTO_REGION, type MotoHandle, startMoto } from '../support/moto.ts';
import { dailyRetentionArchive, dailyRetentionCluster } from './daily-retention-archive.ts';

const BACKUPS = 6;
const ROOT = 'orders-main/';
const {
  head: HEAD,
  planAt: PLAN_AT,
  walKey,
  sentinelKey,
  partKey,
  backup: ours,
  wal,
} = dailyRetentionArchive(BACKUPS, ROOT);
const clusterIn = (bucket: string, extra = '') =>
  dailyRetentionCluster('versioned', `s3://${bucket}/orders-main`, extra);

let moto: MotoHandle;
let objects: S3ObjectStore;
let inspector: S3BucketInspector;

beforeAll(async () => {
  moto = await startMoto();
  objects = new S3ObjectStore(moto.s3);
  inspector = new S3BucketInspector(moto.s3);
}, 60_000);
afterAll(async () => {
  await moto?.close();
});

interface Version {
  readonly key: string;
  readonly versionId: string;
  readonly size: number;
  readonly marker: boolean;
}

async function versionsIn(bucket: string): Promise<Version[]> {
  const found: Version[] = [];
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  for (;;) {
    const page = await moto.s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: ROOT, KeyMarker, VersionIdMarker }),
    );
    for (const v of page.Versions ?? [])
      found.push({ key: v.Key ?? '', versionId: v.VersionId ?? '', size: v.Size ?? 0, marker: false });
    for (const m of page.DeleteMarkers ?? [])
      found.push({ key: m.Key ?? '', versionId: m.VersionId ?? '', size: 0, marker: true });
    if (!page.IsTruncated) return found;
    KeyMarker = page.NextKeyMarker;
    VersionIdMarker = page.NextVersionIdMarker;
  }
}

/**
 * A versioned bucket where every WAL segment was uploaded twice (WAL-G re-archiving it): two versions each. With
 * `defaultRetentionDays`, Object Lock keeps every upload that long (moto dates it from its own clock).
 */
async function seededVersionedBucket(bucket: string, objectLock = false, defaultRetentionDays?: number) {
  // A bucket made with Object Lock is versioned from the start.
  await moto.s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: objectLock }));
  if (!objectLock) {
    await moto.s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
  }
  if (defaultRetentionDays !== undefined) {
    await moto.s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: bucket,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: defaultRetentionDays } },
        },
      }),
    );
  }
  // S3 takes an upload under a default retention only with a checksum.
  const put = (key: string, body: string) =>
    moto.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ChecksumAlgorithm: 'CRC32' }));
  const backups = Array.from({ length: BACKUPS }, (_, index) => ours(index));
  for (const record of backups) {
    await put(sentinelKey(record.name), '{}');
    await put(partKey(record.name), `tar of ${record.name}`.padEnd(512, '.'));
  }
  for (const object of wal()) {
    await put(object.key, 'first upload'.padEnd(24, '.'));
    await put(object.key, 'second upload'.padEnd(16, '.'));
  }
  // Not catalogued and not planned, but listed in the same range as the doomed segment it begins with.
  const lookalike = `${walKey(16)}.copy`;
  await put(lookalike, 'a copy someone made');
  const catalog = new MemoryRetentionCatalog();
  catalog.syncTo(backups, wal(), new Date(PLAN_AT.getTime() - HOUR));
  return { backups, catalog, lookalike };
}

async function plannedAndSynced(bucket: string, cluster: ClusterConfig) {
  const seeded = await seededVersionedBucket(bucket);
  const plans = new MemoryPlanStore();
  const base = { catalog: seeded.catalog, objects, plans, batchLimits: { maxKeys: 7 }, planIdSuffix: () => 've75' };
  const { plan, backupKeys } = await planClusterRetention(base, cluster, PLAN_AT);
  seeded.catalog.syncTo(seeded.backups, wal(), new Date(PLAN_AT.getTime() + HOUR));
  const stored = plans.plans.get(plan.planId);
  // The backups' objects are stored as keys, the WAL as the plan's ranges, which hold these keys in the catalog.
  const doomed = new Set(stored?.batches.flatMap((batch) => batch.keys) ?? []);
  for await (const key of walKeysInRanges(seeded.catalog, cluster.id, plan.delete.wal, cluster.walSegmentSize)) {
    doomed.add(key);
  }
  expect(backupKeys.every((key) => doomed.has(key))).toBe(true);
  expect(plan.delete.backups.length).toBeGreaterThanOrEqual(3);
  return { ...seeded, plan, doomed, deps: { ...base, inspector, versions: objects } };
}

describe('retention apply on a versioned bucket (moto)', () => {
  it('deletes every version of each doomed key, frees their bytes, and leaves every version of the rest', async () => {
    const bucket = 'versioned-apply';
    const cluster = clusterIn(bucket);
    const { plan, doomed, deps, lookalike } = await plannedAndSynced(bucket, cluster);
    const before = await versionsIn(bucket);
    const doomedBytes = before.filter((v) => doomed.has(v.key)).reduce((sum, v) => sum + v.size, 0);
    const kept = before.filter((v) => !doomed.has(v.key));
    expect(kept.some((v) => v.key === lookalike)).toBe(true);
    // A kept segment has a noncurrent version too: it must not be taken for something to delete.
    const keptSegment = walKey(HEAD);
    expect(kept.filter((v) => v.key === keptSegment)).toHaveLength(2);

    const outcome = await applyClusterRetention(deps, cluster, {
      planId: plan.planId,
      now: new Date(PLAN_AT.getTime() + 2 * HOUR),
      explicit: true,
    });
    expect(outcome).toMatchObject({ status: 'applied', deletes: 'versions', failed: [], locked: [] });
    if (outcome.status !== 'applied') return;
    expect(outcome.bytesFreed).toBe(doomedBytes);
    expect(outcome.deleted).toBe(doomed.size);

    const after = await versionsIn(bucket);
    expect(after.filter((v) => doomed.has(v.key))).toEqual([]);
    expect(after.filter((v) => v.marker)).toEqual([]);
    const byId = (list: readonly Version[]) => list.map((v) => `${v.key} ${v.versionId}`).sort();
    expect(byId(after)).toEqual(byId(kept));
  });

  it('with versionedDeletes: markers, only adds delete markers and says so: every version stays', async () => {
    const bucket = 'markers-apply';
    const cluster = clusterIn(bucket, ', versionedDeletes: markers');
    const { plan, doomed, deps } = await plannedAndSynced(bucket, cluster);
    const before = await versionsIn(bucket);
    const outcome = await applyClusterRetention(deps, cluster, {
      planId: plan.planId,
      now: new Date(PLAN_AT.getTime() + 2 * HOUR),
      explicit: true,
    });
    expect(outcome).toMatchObject({ status: 'applied', deletes: 'delete-markers' });
    const after = await versionsIn(bucket);
    const markers = after.filter((v) => v.marker).map((v) => v.key);
    expect(new Set(markers)).toEqual(doomed);
    expect(after.filter((v) => !v.marker)).toHaveLength(before.length);
  });
});

describe('retention on an Object Lock bucket (moto)', () => {
  it('keeps the backups under retention or legal hold, with the lock as the reason and their WAL, so apply meets no lock', async () => {
    const bucket = 'locked-apply';
    const cluster = clusterIn(bucket);
    const { backups, catalog } = await seededVersionedBucket(bucket, true);
    const plans = new MemoryPlanStore();
    const base = { catalog, objects, plans, batchLimits: { maxKeys: 7 }, planIdSuffix: () => '10c4' };
    const unaware = await planClusterRetention(base, cluster, PLAN_AT, { store: false });
    const [retained, onHold, ...rest] = unaware.plan.delete.backups.map((doomed) => doomed.name);
    if (retained === undefined || onHold === undefined || rest.length === 0) throw new Error('three doomed backups');
    // Real retain-until dates are checked by moto against its own clock: this one lies well ahead of both.
    const until = new Date('2030-01-01T00:00:00Z');
    await moto.s3.send(
      new PutObjectRetentionCommand({
        Bucket: bucket,
        Key: sentinelKey(retained),
        Retention: { Mode: 'GOVERNANCE', RetainUntilDate: until },
        ChecksumAlgorithm: 'CRC32',
      }),
    );
    await moto.s3.send(
      new PutObjectLegalHoldCommand({
        Bucket: bucket,
        Key: sentinelKey(onHold),
        LegalHold: { Status: 'ON' },
        ChecksumAlgorithm: 'CRC32',
      }),
    );

    const { plan } = await planClusterRetention({ ...base, inspector }, cluster, PLAN_AT);
    const reasonsOf = (name: string) => plan.keep.find((kept) => kept.name === name)?.reasons;
    expect(reasonsOf(retained)).toContain('object-lock: GOVERNANCE retention until 2030-01-01T00:00:00Z');
    expect(reasonsOf(onHold)).toContain('object-lock: legal hold');
    expect(plan.delete.backups.map((doomed) => doomed.name)).toEqual(rest);
    const doomed = new Set(plans.plans.get(plan.planId)?.batches.flatMap((batch) => batch.keys) ?? []);
    for (const name of [retained, onHold]) {
      const record = backups.find((candidate) => candidate.name === name);
      const start = record?.backup?.startSegment.segNo as number;
      expect(doomed.has(sentinelKey(name)), name).toBe(false);
      expect(doomed.has(partKey(name)), name).toBe(false);
      // The WAL that makes the kept backup consistent stays with it.
      expect(doomed.has(walKey(start)), `${name} needs ${walKey(start)}`).toBe(false);
    }
    expect(doomed.size).toBeGreaterThan(0);

    catalog.syncTo(backups, wal(), new Date(PLAN_AT.getTime() + HOUR));
    const outcome = await applyClusterRetention({ ...base, inspector, versions: objects }, cluster, {
      planId: plan.planId,
      now: new Date(PLAN_AT.getTime() + 2 * HOUR),
      explicit: true,
    });
    expect(outcome).toMatchObject({ status: 'applied', deletes: 'versions', locked: [], failed: [] });
    const left = new Set((await versionsIn(bucket)).map((v) => v.key));
    expect(left.has(sentinelKey(retained))).toBe(true);
    expect(left.has(sentinelKey(onHold))).toBe(true);
    for (const key of doomed) expect(left.has(key), key).toBe(false);
  });

  it('WAL under the default retention stays, with the lock as the reason, as the backups do: apply meets no lock', async () => {
    const bucket = 'default-locked-apply';
    const cluster = clusterIn(bucket);
    // Fourteen days of GOVERNANCE retention on every upload: everything the plan would delete is still locked.
    const { backups, catalog } = await seededVersionedBucket(bucket, true, 14);
    const plans = new MemoryPlanStore();
    const base = { catalog, objects, plans, batchLimits: { maxKeys: 7 }, planIdSuffix: () => 'de14' };
    const unaware = await planClusterRetention(base, cluster, PLAN_AT, { store: false });
    expect(unaware.plan.delete.wal.length).toBeGreaterThan(0);

    const { plan } = await planClusterRetention({ ...base, inspector }, cluster, PLAN_AT);
    expect(plan.delete.backups).toEqual([]);
    expect(plan.delete.wal).toEqual([]);
    const stored = plans.plans.get(plan.planId);
    expect(stored?.batches.flatMap((batch) => batch.keys) ?? []).toEqual([]);
    for (const doomed of unaware.plan.delete.backups) {
      const reasons = plan.keep.find((kept) => kept.name === doomed.name)?.reasons ?? [];
      expect(
        reasons.some((reason) => reason.startsWith('object-lock: GOVERNANCE retention until ')),
        doomed.name,
      ).toBe(true);
    }
    // Each WAL range the unaware plan deleted is kept now, named after its first locked object.
    const lockedWal = plan.protectedWal.filter((range) => range.reason.startsWith('object-lock: GOVERNANCE'));
    expect(lockedWal.length).toBeGreaterThan(0);
    expect(lockedWal.every((range) => range.reason.includes(`${ROOT}wal_005/`))).toBe(true);

    catalog.syncTo(backups, wal(), new Date(PLAN_AT.getTime() + HOUR));
    const before = await versionsIn(bucket);
    const outcome = await applyClusterRetention({ ...base, inspector, versions: objects }, cluster, {
      planId: plan.planId,
      now: new Date(PLAN_AT.getTime() + 2 * HOUR),
      explicit: true,
    });
    expect(outcome).toMatchObject({ status: 'applied', locked: [], failed: [] });
    expect(await versionsIn(bucket)).toEqual(before);
  });

  it('a lock walcat may not read keeps the backup and its WAL, naming the object and the permission to grant', async () => {
    const bucket = 'unreadable-lock-apply';
    const cluster = clusterIn(bucket);
    const { backups, catalog } = await seededVersionedBucket(bucket, true);
    const plans = new MemoryPlanStore();
    const base = { catalog, objects, plans, batchLimits: { maxKeys: 7 }, planIdSuffix: () => '0dac' };
    const unaware = await planClusterRetention(base, cluster, PLAN_AT, { store: false });
    const [retained] = unaware.plan.delete.backups.map((doomed) => doomed.name);
    if (retained === undefined) throw new Error('a doomed backup');
    await moto.s3.send(
      new PutObjectRetentionCommand({
        Bucket: bucket,
        Key: sentinelKey(retained),
        Retention: { Mode: 'GOVERNANCE', RetainUntilDate: new Date('2030-01-01T00:00:00Z') },
        ChecksumAlgorithm: 'CRC32',
      }),
    );
    // The retention role without s3:GetObjectRetention and s3:GetObjectLegalHold: S3 hides the lock from its
    // HeadObject and refuses the two reads.
    const denied = createS3Client({ region: MOTO_REGION, s3: moto.endpoint, credentials: MOTO_CREDENTIALS });
    denyObjectLockReads(denied);
    try {
      const { plan } = await planClusterRetention(
        { ...base, inspector: new S3BucketInspector(denied) },
        cluster,
        PLAN_AT,
      );
      expect(plan.delete.backups).toEqual([]);
      expect(plan.delete.wal).toEqual([]);
      const reasons = plan.keep.find((kept) => kept.name === retained)?.reasons ?? [];
      expect(reasons).toContain(
        `object-lock: lock state unknown, kept (bucket ${bucket}: walcat may not read the Object Lock state of ${sentinelKey(retained)} (AccessDenied); grant s3:GetObjectRetention on arn:aws:s3:::${bucket}/${sentinelKey(retained)}, or on the cluster prefix)`,
      );
      const unknownWal = plan.protectedWal.filter((range) =>
        range.reason.startsWith('object-lock: lock state unknown'),
      );
      expect(unknownWal.length).toBeGreaterThan(0);
      expect(unknownWal[0]?.reason).toContain('grant s3:GetObjectRetention');
      expect(plans.plans.get(plan.planId)?.batches.flatMap((batch) => batch.keys) ?? []).toEqual([]);
    } finally {
      denied.destroy();
    }
    expect(backups.some((record) => record.name === retained)).toBe(true);
  });
});
