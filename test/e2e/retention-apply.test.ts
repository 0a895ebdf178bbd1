/**
 * Retention end to end on s3rver + dynalite: a bucket in WAL-G layout is catalogued from the emulator's own events,
 * planned, applied, killed midway by an injected fault, applied again, and found to be missing exactly the planned
 * objects, with every kept backup still consistent (its sentinel, tars and start..finish WAL present).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbPlanStore } from '../../lib/adapters/dynamodb/dynamodb-plan-store.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import { StaleCatalogError } from '../../lib/domain/retention/retention-errors.ts';
import { timelineId } from '../../lib/domain/wal/timeline.ts';
import type { ObjectStore } from '../../lib/ports/object-store.ts';
import type { DeletionBatch } from '../../lib/ports/plan-store.ts';
import { applyClusterRetention } from '../../lib/use-cases/apply-retention.ts';
import { evaluateContinuity } from '../../lib/use-cases/evaluate-continuity.ts';
import { planClusterRetention } from '../../lib/use-cases/plan-retention.ts';
import { type CatalogServices, startCatalogServices } from '../use-cases/catalog-test-setup.ts';
import {
  catalogueFromEvents,
  HEAD_SEGNO,
  listBucket as listBucketOf,
  plannedWalKeys,
  retentionTestConfig,
  type SeededBackup,
  seedWalgBucket,
  segName,
} from '../use-cases/retention-test-bucket.ts';

const HOUR = 3_600_000;
const PLANNED_AT = new Date('2026-11-21T03:00:00Z');
const config = retentionTestConfig(
  'walcat-retention-e2e',
  '{ keepDaily: 3, keepWeekly: 2, pitrWindow: 1d, applyGrace: 6h, timezone: UTC }',
);
const cluster = config.clusters[0] as ClusterConfig;
const tli = timelineId(1);

let services: CatalogServices;
beforeAll(async () => {
  services = await startCatalogServices(config);
});
afterAll(async () => {
  await services.close();
});

const seedBucket = (root: string) => seedWalgBucket(services, root);
const listBucket = (root: string) => listBucketOf(services, root);
const catalogued = (table: string, from: number) => catalogueFromEvents(services, config, table, from);

describe('retention apply on s3rver + dynalite', () => {
  it('deletes exactly the planned objects across a crash and a restart, and keeps every kept backup consistent', async () => {
    const eventsBefore = services.s3.events().length;
    const seeded = await seedBucket('orders-main');
    const before = await listBucket('orders-main');
    const catalog = await catalogued('retention-e2e-crash', eventsBefore);
    const plans = new DynamoDbPlanStore({ client: services.ddb.client, tableName: 'retention-e2e-crash' });
    const deps = {
      catalog,
      objects: services.objects,
      plans,
      planIdSuffix: () => 'e2e1',
      batchLimits: { maxKeys: 10 },
    };

    const planned = await planClusterRetention(deps, cluster, PLANNED_AT);
    const stored = [];
    for await (const batch of plans.listBatches(cluster.id, planned.plan.planId)) stored.push(batch);
    // The backups' objects are stored as key batches; the WAL as ranges, which apply expands 10 records at a time.
    const walKeys = await plannedWalKeys(catalog, cluster, planned.plan);
    const plannedKeys = new Set([...stored.flatMap((batch) => batch.keys), ...walKeys]);
    const batchCount = stored.length + planned.plan.delete.wal.reduce((sum, r) => sum + Math.ceil(r.objects / 10), 0);
    expect(batchCount).toBeGreaterThan(4);
    expect(planned.header).toMatchObject({ status: 'pending', keyCount: plannedKeys.size });
    const keptNames = planned.plan.keep.map((kept) => kept.name);
    // keepDaily 3 (19th-21st), keepWeekly 2 (W47: the 21st; W46: Sunday the 15th), pitrWindow 1d (the 20th on), permanent (the 10th).
    expect(keptNames).toEqual([seeded[0], seeded[5], seeded[9], seeded[10], seeded[11]].map((backup) => backup?.name));
    for (const key of plannedKeys) expect(before.has(key)).toBe(true);

    // Not synced since the plan: refused, nothing deleted.
    const tooEarly = applyClusterRetention(deps, cluster, {
      planId: planned.plan.planId,
      now: new Date(PLANNED_AT.getTime() + 7 * HOUR),
      explicit: false,
    });
    await expect(tooEarly).rejects.toThrow(StaleCatalogError);
    await expect(tooEarly).rejects.toThrow(/walcat sync --cluster orders-main/);
    expect(await listBucket('orders-main')).toEqual(before);

    await catalog.updateClusterState(cluster.id, { lastFullSyncAt: new Date(PLANNED_AT.getTime() + HOUR) });
    const waiting = await applyClusterRetention(deps, cluster, {
      planId: planned.plan.planId,
      now: new Date(PLANNED_AT.getTime() + 2 * HOUR),
      explicit: false,
    });
    expect(waiting).toMatchObject({ status: 'waiting', appliesAfter: new Date(PLANNED_AT.getTime() + 6 * HOUR) });

    const started: (readonly string[])[] = [];
    const crashing = {
      ...deps,
      beforeBatch: (batch: DeletionBatch) => {
        started.push(batch.keys);
        if (started.length === 4) throw new Error('injected crash before the fourth batch');
      },
    };
    const applyAt = new Date(PLANNED_AT.getTime() + 7 * HOUR);
    await expect(
      applyClusterRetention(crashing, cluster, { planId: planned.plan.planId, now: applyAt, explicit: false }),
    ).rejects.toThrow(/injected crash/);
    const midway = await listBucket('orders-main');
    const goneMidway = [...before].filter((key) => !midway.has(key));
    expect(goneMidway.sort()).toEqual(started.slice(0, 3).flat().sort());
    expect(goneMidway.every((key) => plannedKeys.has(key))).toBe(true);
    expect((await plans.getPlanHeader(cluster.id, planned.plan.planId))?.status).toBe('applying');

    // A run that must stop for time (a Lambda near its timeout) stops between batches and says how many are left.
    let budget = 1;
    const shortOfTime = {
      ...deps,
      shouldStop: () => budget-- <= 0,
      beforeBatch: (batch: DeletionBatch) => {
        // The batch the crash stopped before is the one a new run starts with.
        expect(batch.keys).toEqual(started[3]);
      },
    };
    const partial = await applyClusterRetention(shortOfTime, cluster, {
      planId: planned.plan.planId,
      now: applyAt,
      explicit: false,
    });
    expect(partial).toEqual({
      status: 'partial',
      planId: planned.plan.planId,
      deleted: started[3]?.length,
      batchesLeft: batchCount - 4,
    });

    const resumed = await applyClusterRetention(deps, cluster, {
      planId: planned.plan.planId,
      now: applyAt,
      explicit: false,
    });
    expect(resumed).toMatchObject({ status: 'applied', resumedAfter: 4, locked: [], failed: [] });
    const after = await listBucket('orders-main');
    expect([...before].filter((key) => !after.has(key)).sort()).toEqual([...plannedKeys].sort());
    expect([...after].every((key) => before.has(key))).toBe(true);

    for (const kept of seeded.filter((backup) => keptNames.includes(backup.name))) {
      expect(after.has(`orders-main/basebackups_005/${kept.name}_backup_stop_sentinel.json`)).toBe(true);
      expect(after.has(`orders-main/basebackups_005/${kept.name}/tar_partitions/part_001.tar.lz4`)).toBe(true);
      for (let segNo = kept.startSegNo; segNo <= kept.finishSegNo; segNo++) {
        expect(after.has(`orders-main/wal_005/${segName(segNo)}.lz4`)).toBe(true);
      }
    }
    // The PITR chain from the window's base backup to the head is whole.
    const base = seeded[10] as SeededBackup;
    for (let segNo = base.startSegNo; segNo <= HEAD_SEGNO; segNo++) {
      expect(after.has(`orders-main/wal_005/${segName(segNo)}.lz4`)).toBe(true);
    }

    // The continuity checks agree: every kept backup is consistent, and the thinned WAL is not reported as a gap but
    // as deleted by this plan (the chain is checked from the oldest kept backup on).
    const continuity = await evaluateContinuity(catalog, cluster, {
      now: applyAt,
      persistCursor: false,
      forceFull: true,
    });
    expect(continuity.gaps.status).toBe('OK');
    expect(continuity.gaps.gaps).toEqual([]);
    expect(continuity.gaps.chainBase).toBe(seeded[5]?.name);
    expect(continuity.gaps.deletedByRetention.length).toBeGreaterThan(0);
    expect(new Set(continuity.gaps.deletedByRetention.map((hole) => hole.planId))).toEqual(
      new Set([planned.plan.planId]),
    );
    expect(
      continuity.windows.backups
        .filter((backup) => backup.consistent)
        .map((backup) => backup.name)
        .sort(),
    ).toEqual([...keptNames].sort());

    const records = await catalog.listBackups(cluster.id);
    for (const record of records) expect(record.status).toBe(keptNames.includes(record.name) ? 'complete' : 'expired');
    for await (const object of catalog.listWalObjects(cluster.id, tli)) expect(plannedKeys.has(object.key)).toBe(false);

    const again = await applyClusterRetention(deps, cluster, {
      planId: planned.plan.planId,
      now: applyAt,
      explicit: true,
    });
    expect(again).toEqual({ status: 'already-applied', planId: planned.plan.planId });
  });

  it('skips and reports keys under Object Lock without retrying them, and finishes the plan', async () => {
    const eventsBefore = services.s3.events().length;
    const root = 'orders-main';
    await seedBucket(root);
    const catalog = await catalogued('retention-e2e-locked', eventsBefore);
    const plans = new DynamoDbPlanStore({ client: services.ddb.client, tableName: 'retention-e2e-locked' });
    const planned = await planClusterRetention(
      { catalog, objects: services.objects, plans, planIdSuffix: () => 'e2e2' },
      cluster,
      PLANNED_AT,
    );
    // Between the permanent backup's consistency WAL (0x10-0x11) and the next backup: planned for deletion.
    const lockedKey = `orders-main/wal_005/${segName(0x12)}.lz4`;
    expect(await plannedWalKeys(catalog, cluster, planned.plan)).toContain(lockedKey);
    const attempts: string[][] = [];
    // s3rver has no Object Lock: the store answers for the locked key as S3 does (a per-key AccessDenied).
    const deleteObjects: ObjectStore['deleteObjects'] = async (bucket, keys) => {
      attempts.push([...keys]);
      const outcome = await services.objects.deleteObjects(
        bucket,
        keys.filter((key) => key !== lockedKey),
      );
      if (!keys.includes(lockedKey)) return outcome;
      const refusal = { key: lockedKey, code: 'AccessDenied', message: 'Access Denied (object is under retention)' };
      return { ...outcome, failed: [...outcome.failed, refusal] };
    };
    const lockingStore = new Proxy(services.objects, {
      get(target, property) {
        if (property === 'deleteObjects') return deleteObjects;
        const value = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    await catalog.updateClusterState(cluster.id, { lastFullSyncAt: new Date(PLANNED_AT.getTime() + HOUR) });
    const outcome = await applyClusterRetention({ catalog, objects: lockingStore, plans }, cluster, {
      planId: planned.plan.planId,
      now: new Date(PLANNED_AT.getTime() + HOUR + 1),
      explicit: true,
    });
    expect(outcome).toMatchObject({
      status: 'applied',
      failed: [],
      locked: [{ key: lockedKey, code: 'AccessDenied' }],
    });
    expect(attempts.filter((keys) => keys.includes(lockedKey))).toHaveLength(1);
    expect((await plans.getPlanHeader(cluster.id, planned.plan.planId))?.failedCount).toBe(1);
    expect((await listBucket(root)).has(lockedKey)).toBe(true);
  });
});
