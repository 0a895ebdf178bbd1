/**
 * A backup the stored plan deletes turns unreadable between plan and apply (its metadata.json rewritten badly, a tar
 * partition lost): apply spares that backup and the WAL from its name on, reports it in `spared`, and applies the
 * rest of the plan. Refusing the whole plan would let one damaged backup stop retention for the cluster, day after
 * day, while the bucket grows. A backup marked permanent since the plan still refuses the whole plan.
 */
import { describe, expect, it } from 'vitest';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import type { BackupRecord, WalObjectRecord } from '../../lib/domain/catalog/catalog-records.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import { PermanentBackupDeletionError } from '../../lib/domain/retention/retention-errors.ts';
import { timelineId } from '../../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../../lib/domain/wal/wal-segment.ts';
import { applyClusterRetention } from '../../lib/use-cases/apply-retention.ts';
import { planClusterRetention } from '../../lib/use-cases/plan-retention.ts';
import { backupRecord, CLUSTER, DAY, HOUR, SIZE } from '../domain/retention/retention-fixtures.ts';
import { MemoryBucket, MemoryPlanStore, MemoryRetentionCatalog } from '../support/memory-retention-stores.ts';

const D0 = Date.UTC(2026, 10, 1, 1, 0);
const BACKUPS = 6;
const HEAD = 16 + BACKUPS * 4 + 1;
const PLAN_AT = new Date(D0 + BACKUPS * DAY);
const cluster = parseWalcatConfig(
  [
    'catalogTable: unreadable',
    'clusters:',
    `  - id: ${CLUSTER}`,
    '    storage: s3://unreadable-bucket',
    '    retention: { keepLast: 2, pitrWindow: 1d, applyGrace: 1h }',
  ].join('\n'),
  'unreadable test config',
).clusters[0] as ClusterConfig;

const walKey = (segNo: number) =>
  `wal_005/${walFileName({ timeline: timelineId(1), segNo: segmentNumber(segNo) }, SIZE)}.lz4`;
const sentinelKey = (name: string) => `basebackups_005/${name}_backup_stop_sentinel.json`;
const partKey = (name: string) => `basebackups_005/${name}/tar_partitions/part_001.tar.lz4`;

function ours(index: number): BackupRecord {
  const record = backupRecord({ startSegNo: 16 + index * 4, finishedAt: new Date(D0 + index * DAY + HOUR) });
  return { ...record, sentinel: { key: sentinelKey(record.name), present: true, observedAt: record.firstSeenAt } };
}

function wal(): WalObjectRecord[] {
  return Array.from({ length: HEAD - 15 }, (_, index) => ({
    cluster: CLUSTER,
    key: walKey(16 + index),
    kind: 'segment' as const,
    timeline: timelineId(1),
    segNo: segmentNumber(16 + index),
    size: 16,
    uploadedAt: new Date(D0 + index * 6 * HOUR),
    deleted: false,
  }));
}

async function planned() {
  const backups = Array.from({ length: BACKUPS }, (_, index) => ours(index));
  const catalog = new MemoryRetentionCatalog();
  catalog.syncTo(backups, wal(), new Date(PLAN_AT.getTime() - HOUR));
  const bucket = new MemoryBucket();
  for (const record of backups) {
    bucket.put(sentinelKey(record.name), record.firstSeenAt);
    bucket.put(partKey(record.name), record.firstSeenAt);
  }
  for (const object of wal()) bucket.put(object.key, object.uploadedAt);
  const plans = new MemoryPlanStore();
  const deps = { catalog, objects: bucket, plans, batchLimits: { maxKeys: 5 }, planIdSuffix: () => 'c0de' };
  const plan = (await planClusterRetention(deps, cluster, PLAN_AT)).plan;
  return { backups, catalog, bucket, deps, plan };
}

describe('retention apply when a doomed backup changed since the plan', () => {
  it('spares a doomed backup that became unreadable, reports it, and applies the rest of the plan', async () => {
    const { backups, catalog, bucket, deps, plan } = await planned();
    const doomed = plan.delete.backups.map((entry) => entry.name);
    expect(doomed.length).toBeGreaterThanOrEqual(3);
    const damaged = doomed[1] as string;
    const damagedStart = 16 + 4 * backups.findIndex((record) => record.name === damaged);
    // The sync after the plan reads a metadata.json that no longer parses.
    const nowCatalog = backups.map((record) =>
      record.name === damaged
        ? ({
            ...record,
            status: 'unreadable',
            backup: undefined,
            problem: 'WAL-G metadata.json hostname: expected string, received number',
          } as BackupRecord)
        : record,
    );
    catalog.syncTo(nowCatalog, wal(), new Date(PLAN_AT.getTime() + HOUR));

    const outcome = await applyClusterRetention(deps, cluster, {
      planId: plan.planId,
      now: new Date(PLAN_AT.getTime() + 2 * HOUR),
      explicit: true,
    });
    expect(outcome.status).toBe('applied');
    if (outcome.status !== 'applied') return;
    expect(outcome.spared).toContainEqual(
      expect.objectContaining({ key: sentinelKey(damaged), reason: expect.stringContaining(damaged) }),
    );
    expect(outcome.deleted).toBeGreaterThan(0);
    // The damaged backup and every segment from its name on stay; the other doomed backups go.
    expect(bucket.objects.has(sentinelKey(damaged))).toBe(true);
    expect(bucket.objects.has(partKey(damaged))).toBe(true);
    for (let segNo = damagedStart; segNo <= HEAD; segNo++) expect(bucket.objects.has(walKey(segNo))).toBe(true);
    for (const name of doomed.filter((candidate) => candidate !== damaged)) {
      expect(bucket.objects.has(sentinelKey(name)), name).toBe(false);
    }
    expect(bucket.objects.has(walKey(16))).toBe(false);
  });

  it('still refuses the whole plan when a doomed backup was marked permanent since', async () => {
    const { backups, catalog, bucket, deps, plan } = await planned();
    const marked = plan.delete.backups[0]?.name as string;
    const nowCatalog = backups.map((record) =>
      record.name === marked
        ? { ...record, backup: { ...(record.backup as NonNullable<BackupRecord['backup']>), permanent: true } }
        : record,
    );
    catalog.syncTo(nowCatalog, wal(), new Date(PLAN_AT.getTime() + HOUR));
    const before = new Set(bucket.objects.keys());
    await expect(
      applyClusterRetention(deps, cluster, {
        planId: plan.planId,
        now: new Date(PLAN_AT.getTime() + 2 * HOUR),
        explicit: true,
      }),
    ).rejects.toThrow(PermanentBackupDeletionError);
    expect(new Set(bucket.objects.keys())).toEqual(before);
  });
});
