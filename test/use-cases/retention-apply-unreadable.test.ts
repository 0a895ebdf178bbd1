/**
 * A backup the stored plan deletes turns unreadable between plan and apply (its metadata.json rewritten badly, a tar
 * partition lost): apply spares that backup and the WAL from its name on, reports it in `spared`, and applies the
 * rest of the plan. Refusing the whole plan would let one damaged backup stop retention for the cluster, day after
 * day, while the bucket grows. A backup marked permanent since the plan still refuses the whole plan.
 */
import { describe, expect, it } from 'vitest';
import type { BackupRecord } from '../../lib/domain/catalog/catalog-records.ts';
import { PermanentBackupDeletionError } from '../../lib/domain/retention/retention-errors.ts';
import { applyClusterRetention } from '../../lib/use-cases/apply-retention.ts';
import { planClusterRetention } from '../../lib/use-cases/plan-retention.ts';
import { HOUR } from '../domain/retention/retention-fixtures.ts';
import { MemoryBucket, MemoryPlanStore, MemoryRetentionCatalog } from '../support/memory-retention-stores.ts';
import { dailyRetentionArchive, dailyRetentionCluster } from './daily-retention-archive.ts';

const BACKUPS = 6;
const { head: HEAD, planAt: PLAN_AT, walKey, sentinelKey, partKey, backup: ours, wal } = dailyRetentionArchive(BACKUPS);
const cluster = dailyRetentionCluster('unreadable', 's3://unreadable-bucket');

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
