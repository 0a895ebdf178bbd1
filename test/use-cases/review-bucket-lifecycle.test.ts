import { describe, expect, it } from 'vitest';
import type { LifecycleRule } from '../../lib/domain/bucket/bucket-configuration.ts';
import { bucketDigestJson, parseBucketDigest } from '../../lib/domain/bucket/bucket-digest.ts';
import { reviewLifecycle } from '../../lib/domain/bucket/lifecycle-review.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import { BucketConfigurationUnsupportedError, type BucketInspector } from '../../lib/ports/bucket-inspector.ts';
import { lifecycleAnswer, readBucketDigest } from '../../lib/use-cases/review-bucket-lifecycle.ts';
import { dailyBackups, NOW, rule } from '../domain/bucket/bucket-fixtures.ts';
import { CLUSTER, DAY, policyOf, SIZE } from '../domain/retention/retention-fixtures.ts';

const cluster = {
  id: CLUSTER,
  storage: { bucket: 'acme-pg-backups', prefix: 'orders-main/' },
  walSegmentSize: SIZE,
  retention: policyOf({ keepDaily: 7, keepMonthly: 12, pitrWindowMs: DAY }),
} as ClusterConfig;
const backups = dailyBackups('2026-09-01', '2026-12-01');

function inspectorWith(rules: LifecycleRule[] | Error, reads: string[] = []): BucketInspector {
  return {
    lifecycleRules: async (bucket) => {
      reads.push(`lifecycle ${bucket}`);
      if (rules instanceof Error) throw rules;
      return rules;
    },
    versioning: async () => {
      reads.push('versioning');
      return 'enabled';
    },
    objectLock: async () => {
      reads.push('object lock');
      return { enabled: true, defaultRetention: { mode: 'GOVERNANCE', days: 14 } };
    },
    encryption: async () => undefined,
    notifications: async () => ({ targets: [], eventBridge: false }),
    objectRetention: async () => ({ legalHold: false }),
  };
}

const wal35d = rule({ id: 'wal-35d', filter: { prefix: 'orders-main/wal_005/', tags: [] }, expiration: { days: 35 } });
/** Rules of a bucket several clusters share: some reach this cluster, some cannot act on it. */
const sharedBucketRules: LifecycleRule[] = [
  rule({ id: 'other-cluster', filter: { prefix: 'billing/', tags: [] }, expiration: { days: 3 } }),
  rule({ id: '', filter: { prefix: '', tags: [] }, expiration: { days: 200 } }),
  rule({ id: 'tagged', filter: { prefix: '', tags: [{ key: 'tier', value: 'tmp' }] }, expiration: { days: 1 } }),
  rule({ id: 'disabled', enabled: false, expiration: { days: 1 } }),
  wal35d,
  rule({
    id: 'deep',
    filter: { prefix: 'orders-main/basebackups_005/', tags: [] },
    transitions: [{ timing: { days: 30 }, storageClass: 'DEEP_ARCHIVE' }],
  }),
];

describe('readBucketDigest', () => {
  it('reads lifecycle, versioning and Object Lock once each and keeps only the rules that act on the cluster', async () => {
    const reads: string[] = [];
    const digest = await readBucketDigest(inspectorWith(sharedBucketRules, reads), cluster, NOW);
    expect(reads.sort()).toEqual(['lifecycle acme-pg-backups', 'object lock', 'versioning']);
    expect(digest.lifecycleRules?.map((kept) => kept.id)).toEqual(['#2 (no ID)', 'wal-35d', 'deep']);
    expect(digest).toMatchObject({
      readAt: NOW,
      versioning: 'enabled',
      objectLock: { enabled: true, defaultRetention: { mode: 'GOVERNANCE', days: 14 } },
    });
  });

  it('gives the same findings from the digest as from the whole rule list, names included', async () => {
    const digest = await readBucketDigest(inspectorWith(sharedBucketRules), cluster, NOW);
    const answer = lifecycleAnswer(cluster, { bucket: digest, backups }, NOW);
    const whole = reviewLifecycle({
      cluster: CLUSTER,
      root: 'orders-main/',
      rules: sharedBucketRules,
      versioning: 'enabled',
      backups,
      ...(cluster.retention ? { policy: cluster.retention } : {}),
      walSegmentSize: SIZE,
      now: NOW,
    }).findings;
    expect(whole.length).toBeGreaterThanOrEqual(3);
    expect(answer).toEqual({ known: true, findings: whole });
    expect(whole.map((finding) => finding.rule)).toContain('#2 (no ID)');
  });

  it('survives being stored: the JSON read back is the same digest', async () => {
    const digest = await readBucketDigest(
      inspectorWith([
        ...sharedBucketRules,
        rule({
          id: 'dated',
          expiration: { date: new Date('2027-01-01T00:00:00Z') },
          noncurrentVersionExpirationDays: 3,
        }),
      ]),
      cluster,
      NOW,
    );
    expect(parseBucketDigest(JSON.parse(JSON.stringify(bucketDigestJson(digest))))).toEqual(digest);
    expect(parseBucketDigest({ readAt: 'yesterday' })).toBeUndefined();
    expect(parseBucketDigest({ readAt: NOW.toISOString(), lifecycleRules: [{ id: 3 }] })).toBeUndefined();
  });

  it('an endpoint without lifecycle support has no conflict; a refused read is no answer, and says why', async () => {
    const unsupported = await readBucketDigest(
      inspectorWith(new BucketConfigurationUnsupportedError('NotImplemented')),
      cluster,
      NOW,
    );
    expect(lifecycleAnswer(cluster, { bucket: unsupported, backups }, NOW)).toEqual({ known: true, findings: [] });
    const denied = await readBucketDigest(
      inspectorWith(
        new Error('bucket acme-pg-backups: walcat may not read the lifecycle configuration (AccessDenied)'),
      ),
      cluster,
      NOW,
    );
    expect(denied.versioning).toBe('enabled');
    const answer = lifecycleAnswer(cluster, { bucket: denied, backups }, NOW);
    expect(answer).toMatchObject({ known: false, reason: 'unreadable' });
    expect(answer.known ? '' : answer.message).toContain('walcat may not read the lifecycle configuration');
    expect(lifecycleAnswer(cluster, { backups }, NOW)).toMatchObject({ known: false, reason: 'not-read-yet' });
  });

  it("reviews the cluster's rules against the catalog's backups and its retention at the time asked", async () => {
    const digest = await readBucketDigest(inspectorWith([wal35d]), cluster, NOW);
    const answer = lifecycleAnswer(cluster, { bucket: digest, backups }, NOW);
    if (!answer.known) throw new Error(answer.message);
    expect(answer.findings.map((finding) => [finding.rule, finding.severity, finding.conflict])).toEqual([
      ['wal-35d', 'FAILURE', 'kept-backups-lose-wal'],
    ]);
    expect(answer.findings[0]?.message).toContain('(the bucket is versioned');
  });
});
