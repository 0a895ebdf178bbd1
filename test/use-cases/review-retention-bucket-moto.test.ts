import {
  CreateBucketCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectLockConfigurationCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BucketInspector } from '../../lib/adapters/s3/s3-bucket-inspector.ts';
import type { BackupRecord } from '../../lib/domain/catalog/catalog-records.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import { planRetention } from '../../lib/domain/retention/retention-plan.ts';
import { reviewRetentionBucket } from '../../lib/use-cases/review-retention-bucket.ts';
import { dailyBackups, NOW, ROOT } from '../domain/bucket/bucket-fixtures.ts';
import { CLUSTER, policyOf, SIZE } from '../domain/retention/retention-fixtures.ts';
import { type MotoHandle, startMoto } from '../support/moto.ts';

let moto: MotoHandle;
let inspector: S3BucketInspector;

const sentinelKey = (name: string) => `${ROOT}basebackups_005/${name}_backup_stop_sentinel.json`;
const backups: BackupRecord[] = dailyBackups('2026-11-01', '2026-12-01').map((record) => ({
  ...record,
  sentinel: { key: sentinelKey(record.name), present: true, observedAt: record.firstSeenAt },
}));
const policy = policyOf({ keepDaily: 7 });
const plan = planRetention({
  cluster: CLUSTER,
  backups,
  wal: [],
  policy,
  walSegmentSize: SIZE,
  now: NOW,
  planId: 'bucket-review',
});
const clusterIn = (bucket: string, versionedDeletes?: 'versions' | 'markers') =>
  ({
    id: CLUSTER,
    storage: { bucket, prefix: ROOT },
    walSegmentSize: SIZE,
    retention: versionedDeletes ? { ...policy, versionedDeletes } : policy,
  }) as unknown as ClusterConfig;
const catalog = { listBackups: async () => backups };

beforeAll(async () => {
  moto = await startMoto();
  inspector = new S3BucketInspector(moto.s3);
}, 60_000);
afterAll(async () => {
  await moto?.close();
});

describe('what a retention plan really does in the bucket (moto)', () => {
  it('an unversioned bucket: deletes free the planned bytes', async () => {
    await moto.s3.send(new CreateBucketCommand({ Bucket: 'plain-pg' }));
    const review = await reviewRetentionBucket({ inspector, catalog }, clusterIn('plain-pg'), plan, NOW);
    expect(plan.delete.backups.length).toBeGreaterThan(0);
    expect(review).toMatchObject({
      kind: 'effects',
      effects: { deletes: 'objects', bytesFreed: plan.bytesFreed, locked: [] },
    });
  });

  it('a versioned bucket: apply deletes by version, so the planned bytes are freed, and the plan says so', async () => {
    await moto.s3.send(new CreateBucketCommand({ Bucket: 'by-version-pg' }));
    await moto.s3.send(
      new PutBucketVersioningCommand({ Bucket: 'by-version-pg', VersioningConfiguration: { Status: 'Enabled' } }),
    );
    const review = await reviewRetentionBucket({ inspector, catalog }, clusterIn('by-version-pg'), plan, NOW);
    if (review.kind !== 'effects') throw new Error(`expected effects, got ${JSON.stringify(review)}`);
    expect(review.effects).toMatchObject({ versioning: 'enabled', deletes: 'versions', bytesFreed: plan.bytesFreed });
    expect(review.effects.notes.join('\n')).toContain('apply deletes every version of each doomed object');
  });

  it('a versioned bucket with versionedDeletes: markers and no noncurrent rule: only delete markers, nothing freed, and the plan says so', async () => {
    await moto.s3.send(new CreateBucketCommand({ Bucket: 'versioned-pg' }));
    await moto.s3.send(
      new PutBucketVersioningCommand({ Bucket: 'versioned-pg', VersioningConfiguration: { Status: 'Enabled' } }),
    );
    const review = await reviewRetentionBucket({ inspector, catalog }, clusterIn('versioned-pg', 'markers'), plan, NOW);
    if (review.kind !== 'effects') throw new Error(`expected effects, got ${JSON.stringify(review)}`);
    expect(review.effects).toMatchObject({ versioning: 'enabled', deletes: 'delete-markers', bytesFreed: 0 });
    expect(review.effects.bytesFreedLater).toBeUndefined();
    expect(review.effects.notes).toContain(
      'the bucket is versioned: deleting adds delete markers and frees no bytes; add a NoncurrentVersionExpiration rule on orders-main/ to free them',
    );
  });

  it('Object Lock: each deleted backup still locked or on legal hold is shown with its date, not skipped at apply', async () => {
    const bucket = 'locked-pg';
    await moto.s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
    await moto.s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: bucket,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 14 } },
        },
      }),
    );
    await moto.s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: bucket,
        LifecycleConfiguration: {
          Rules: [
            {
              ID: 'noncurrent-1d',
              Status: 'Enabled',
              Filter: { Prefix: ROOT },
              NoncurrentVersionExpiration: { NoncurrentDays: 1 },
            },
            { ID: 'expire-8d', Status: 'Enabled', Filter: { Prefix: ROOT }, Expiration: { Days: 8 } },
          ],
        },
      }),
    );
    const [first, second] = plan.delete.backups;
    if (!first || !second) throw new Error('the plan must delete two backups');
    await moto.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: sentinelKey(first.name),
        Body: '{}',
        ChecksumAlgorithm: 'CRC32',
        ObjectLockMode: 'GOVERNANCE',
        ObjectLockRetainUntilDate: new Date(NOW.getTime() + 14 * 86_400_000),
      }),
    );
    // The second backup's retention has ended, but a legal hold keeps it.
    await moto.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: sentinelKey(second.name),
        Body: '{}',
        ChecksumAlgorithm: 'CRC32',
        ObjectLockMode: 'GOVERNANCE',
        ObjectLockRetainUntilDate: new Date('2026-11-01T00:00:00Z'),
      }),
    );
    await moto.s3.send(
      new PutObjectLegalHoldCommand({
        Bucket: bucket,
        Key: sentinelKey(second.name),
        LegalHold: { Status: 'ON' },
        ChecksumAlgorithm: 'CRC32',
      }),
    );
    const review = await reviewRetentionBucket({ inspector, catalog }, clusterIn(bucket, 'markers'), plan, NOW);
    if (review.kind !== 'effects') throw new Error(`expected effects, got ${JSON.stringify(review)}`);
    const { effects } = review;
    expect(effects.locked.map((lock) => [lock.backup, lock.mode, lock.legalHold])).toEqual([
      [first.name, 'GOVERNANCE', false],
      [second.name, 'GOVERNANCE', true],
    ]);
    expect(effects.locked[0]?.retainUntil?.getTime()).toBeGreaterThan(NOW.getTime());
    expect(effects.locked[1]?.retainUntil).toBeUndefined();
    const lockedBytes = first.bytes + second.bytes;
    expect(effects).toMatchObject({
      deletes: 'delete-markers',
      bytesFreed: 0,
      bytesFreedLater: { bytes: plan.bytesFreed - lockedBytes, afterDays: 1 },
    });
    expect(effects.notes).toContain(
      `backup ${second.name} is under an Object Lock legal hold: not deletable until the hold is removed`,
    );
    // The 8-day expiration next to what walcat would delete: every backup older than 8 days, kept ones included.
    const expiring = effects.lifecycle.find((deletion) => deletion.rule === 'expire-8d');
    expect(expiring?.backups.length).toBe(23);
    expect(expiring?.keptByRetention).toEqual([]);
    expect(expiring?.expiresWal).toBe(true);
  });
});
