/**
 * Applies of one plan racing each other, and a plan superseded while it is applied, on s3rver + dynalite: each key
 * is deleted and reported by one run only, and a superseded plan stays superseded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbPlanStore } from '../../lib/adapters/dynamodb/dynamodb-plan-store.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import { applyClusterRetention } from '../../lib/use-cases/apply-retention.ts';
import { planClusterRetention } from '../../lib/use-cases/plan-retention.ts';
import { type CatalogServices, startCatalogServices } from '../use-cases/catalog-test-setup.ts';
import {
  catalogueFromEvents,
  listBucket,
  plannedWalKeys,
  retentionTestConfig,
  seedWalgBucket,
} from '../use-cases/retention-test-bucket.ts';

const HOUR = 3_600_000;
const PLANNED_AT = new Date('2026-11-21T03:00:00Z');
const config = retentionTestConfig('walcat-retention-race', '{ keepDaily: 3, keepWeekly: 2, pitrWindow: 1d }');
const cluster = config.clusters[0] as ClusterConfig;

let services: CatalogServices;
beforeAll(async () => {
  services = await startCatalogServices(config);
});
afterAll(async () => {
  await services.close();
});

async function plannedBucket(table: string) {
  const from = services.s3.events().length;
  await seedWalgBucket(services, 'orders-main');
  const catalog = await catalogueFromEvents(services, config, table, from);
  const plans = new DynamoDbPlanStore({ client: services.ddb.client, tableName: table });
  const deps = { catalog, objects: services.objects, plans, batchLimits: { maxKeys: 5 } };
  const planned = await planClusterRetention(deps, cluster, PLANNED_AT);
  const walKeys = await plannedWalKeys(catalog, cluster, planned.plan);
  await catalog.updateClusterState(cluster.id, { lastFullSyncAt: new Date(PLANNED_AT.getTime() + HOUR) });
  return { deps, plans, planned, walKeys };
}

describe('concurrent retention applies', () => {
  it('report every key of the plan once between them, and the plan ends applied', async () => {
    const { deps, plans, planned, walKeys } = await plannedBucket('retention-race-two');
    const keyCount = planned.header?.keyCount ?? 0;
    expect(keyCount).toBeGreaterThan(20);
    const request = { planId: planned.plan.planId, now: new Date(PLANNED_AT.getTime() + 2 * HOUR), explicit: true };
    // Both runs read the plan before either deletes anything.
    let arrived = 0;
    let release: () => void = () => {};
    const together = new Promise<void>((resolve) => {
      release = resolve;
    });
    const meet = async () => {
      if (++arrived === 2) release();
      await together;
    };
    let firstBatchA = true;
    let firstBatchB = true;
    const [a, b] = await Promise.all([
      applyClusterRetention(
        {
          ...deps,
          beforeBatch: async () => {
            if (firstBatchA) await meet();
            firstBatchA = false;
          },
        },
        cluster,
        request,
      ),
      applyClusterRetention(
        {
          ...deps,
          beforeBatch: async () => {
            if (firstBatchB) await meet();
            firstBatchB = false;
          },
        },
        cluster,
        request,
      ),
    ]);
    const deletedBy = (outcome: typeof a) => ('deleted' in outcome ? outcome.deleted : 0);
    expect(deletedBy(a) + deletedBy(b)).toBe(keyCount);
    expect((await plans.getPlanHeader(cluster.id, planned.plan.planId))?.status).toBe('applied');
    const after = await listBucket(services, 'orders-main');
    expect(walKeys.length).toBeGreaterThan(0);
    for (const key of walKeys) expect(after.has(key)).toBe(false);
  });

  it('stops a plan superseded during its apply, and it stays superseded', async () => {
    const { deps, plans, planned } = await plannedBucket('retention-race-superseded');
    let batches = 0;
    const outcome = await applyClusterRetention(
      {
        ...deps,
        beforeBatch: async () => {
          // A newer plan is stored while the first batch is being deleted.
          if (++batches === 2) {
            await planClusterRetention(
              { ...deps, planIdSuffix: () => 'beef' },
              cluster,
              new Date(PLANNED_AT.getTime() + HOUR),
            );
          }
        },
      },
      cluster,
      { planId: planned.plan.planId, now: new Date(PLANNED_AT.getTime() + 2 * HOUR), explicit: true },
    );
    expect(outcome).toMatchObject({ status: 'superseded', planId: planned.plan.planId });
    expect((await plans.getPlanHeader(cluster.id, planned.plan.planId))?.status).toBe('superseded');
    const newest = (await plans.listPlans(cluster.id))[0];
    expect(newest?.planId).toMatch(/-beef$/);
    expect(newest?.status).toBe('pending');
  });
});
