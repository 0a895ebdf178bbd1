/**
 * What a retention apply keeps while it deletes batch after batch: the fresh evaluation (a plan of the catalog as it
 * is at apply time, an entry per backup) is needed to make the apply-time check and no longer. Kept for the whole
 * apply, it was most of the heap apply held above the backup records at ten years of hourly backups.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it, vi } from 'vitest';
import { applyClusterRetention } from '../../lib/use-cases/apply-retention.ts';
import { planClusterRetention } from '../../lib/use-cases/plan-retention.ts';
import { HOUR } from '../domain/retention/retention-fixtures.ts';
import { MemoryBucket, MemoryPlanStore, MemoryRetentionCatalog } from '../support/memory-retention-stores.ts';
import { dailyRetentionArchive, dailyRetentionCluster } from './daily-retention-archive.ts';

/** Weak references to every plan the WAL read hands back while `watching` (the fresh evaluations of an apply). */
const evaluations = vi.hoisted(() => ({ watching: false, made: [] as WeakRef<object>[] }));
vi.mock('../../lib/use-cases/plan-retention.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../lib/use-cases/plan-retention.ts')>();
  return {
    ...original,
    planOverCatalogWal: async (...args: Parameters<typeof original.planOverCatalogWal>) => {
      const result = await original.planOverCatalogWal(...args);
      if (evaluations.watching) evaluations.made.push(new WeakRef(result.plan));
      return result;
    },
  };
});

const BACKUPS = 8;
const { planAt: PLAN_AT, sentinelKey, backup, wal } = dailyRetentionArchive(BACKUPS);
const cluster = dailyRetentionCluster('apply-memory', 's3://apply-memory-bucket');

function fullCollection(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

describe('retention apply memory', () => {
  it('lets the fresh evaluation go once the apply-time check is made, before the first batch', async () => {
    const collect = fullCollection();
    const backups = Array.from({ length: BACKUPS }, (_, index) => backup(index));
    const catalog = new MemoryRetentionCatalog();
    catalog.syncTo(backups, wal(), new Date(PLAN_AT.getTime() - HOUR));
    const bucket = new MemoryBucket();
    for (const record of backups) bucket.put(sentinelKey(record.name), record.firstSeenAt);
    for (const object of wal()) bucket.put(object.key, object.uploadedAt);
    const plans = new MemoryPlanStore();
    const deps = { catalog, objects: bucket, plans, batchLimits: { maxKeys: 5 }, planIdSuffix: () => 'c0de' };
    const { plan } = await planClusterRetention(deps, cluster, PLAN_AT);
    catalog.syncTo(backups, wal(), new Date(PLAN_AT.getTime() + HOUR));

    const stillHeld: number[] = [];
    evaluations.watching = true;
    const outcome = await applyClusterRetention(
      {
        ...deps,
        beforeBatch: async () => {
          // A weak reference holds its target until the microtasks of the task that made (or read) it are done.
          await new Promise((resolve) => setImmediate(resolve));
          collect();
          stillHeld.push(evaluations.made.filter((made) => made.deref() !== undefined).length);
        },
      },
      cluster,
      { planId: plan.planId, now: new Date(PLAN_AT.getTime() + 2 * HOUR), explicit: true },
    );
    evaluations.watching = false;

    expect(outcome.status).toBe('applied');
    expect(evaluations.made).toHaveLength(1);
    expect(stillHeld.length).toBeGreaterThan(1);
    expect(stillHeld).toEqual(stillHeld.map(() => 0));
  });
});
