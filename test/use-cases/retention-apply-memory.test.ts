/**
 * What a retention apply keeps while it deletes batch after batch: the fresh evaluation (a plan of the catalog as it
 * is at apply time, an entry per backup) is needed to make the apply-time check and no longer. Kept for the whole
 * apply, it was most of the heap apply held above the backup records at ten years of hourly backups.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it, vi } from 'vitest';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import type { BackupRecord, WalObjectRecord } from '../../lib/domain/catalog/catalog-records.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import { timelineId } from '../../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../../lib/domain/wal/wal-segment.ts';
import { applyClusterRetention } from '../../lib/use-cases/apply-retention.ts';
import { planClusterRetention } from '../../lib/use-cases/plan-retention.ts';
import { backupRecord, CLUSTER, DAY, HOUR, SIZE } from '../domain/retention/retention-fixtures.ts';
import { MemoryBucket, MemoryPlanStore, MemoryRetentionCatalog } from '../support/memory-retention-stores.ts';

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

const D0 = Date.UTC(2026, 10, 1, 1, 0);
const BACKUPS = 8;
const HEAD = 16 + BACKUPS * 4 + 1;
const PLAN_AT = new Date(D0 + BACKUPS * DAY);
const cluster = parseWalcatConfig(
  [
    'catalogTable: apply-memory',
    'clusters:',
    `  - id: ${CLUSTER}`,
    '    storage: s3://apply-memory-bucket',
    '    retention: { keepLast: 2, pitrWindow: 1d, applyGrace: 1h }',
  ].join('\n'),
  'apply memory test config',
).clusters[0] as ClusterConfig;

const walKey = (segNo: number) =>
  `wal_005/${walFileName({ timeline: timelineId(1), segNo: segmentNumber(segNo) }, SIZE)}.lz4`;
const sentinelKey = (name: string) => `basebackups_005/${name}_backup_stop_sentinel.json`;

function backup(index: number): BackupRecord {
  const record = backupRecord({ startSegNo: 16 + index * 4, finishedAt: new Date(D0 + index * DAY + HOUR) });
  return { ...record, sentinel: { key: sentinelKey(record.name), present: true, observedAt: record.firstSeenAt } };
}

const wal = (): WalObjectRecord[] =>
  Array.from({ length: HEAD - 15 }, (_, index) => ({
    cluster: CLUSTER,
    key: walKey(16 + index),
    kind: 'segment' as const,
    timeline: timelineId(1),
    segNo: segmentNumber(16 + index),
    size: 16,
    uploadedAt: new Date(D0 + index * 6 * HOUR),
    deleted: false,
  }));

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
