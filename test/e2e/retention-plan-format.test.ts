/**
 * How a retention plan is stored, on s3rver + dynalite: its WAL as ranges, never as keys; and a plan stored the way
 * walcat stored plans before (every key, WAL included, in its key batches) still applies, across a crash.
 */
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterPk, planSk } from '../../lib/adapters/dynamodb/catalog-keys.ts';
import { DynamoDbPlanStore, encodePlanBody } from '../../lib/adapters/dynamodb/dynamodb-plan-store.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import type { ClusterConfig, WalcatConfig } from '../../lib/domain/cluster.ts';
import { deletionBatches } from '../../lib/domain/retention/deletion-batches.ts';
import { planIdSecond } from '../../lib/domain/retention/plan-id.ts';
import type { RetentionPlan } from '../../lib/domain/retention/retention-plan.ts';
import type { DeletionBatch } from '../../lib/ports/plan-store.ts';
import { applyClusterRetention } from '../../lib/use-cases/apply-retention.ts';
import { evaluateContinuity } from '../../lib/use-cases/evaluate-continuity.ts';
import { planClusterRetention } from '../../lib/use-cases/plan-retention.ts';
import { BUCKET, type CatalogServices, startCatalogServices } from '../use-cases/catalog-test-setup.ts';
import { catalogueFromEvents, listBucket, plannedWalKeys, seedWalgBucket } from '../use-cases/retention-test-bucket.ts';

const HOUR = 3_600_000;
const PLANNED_AT = new Date('2026-11-21T03:00:00Z');
const APPLY_AT = new Date(PLANNED_AT.getTime() + 7 * HOUR);

let services: CatalogServices;

function configFor(root: string): WalcatConfig {
  return parseWalcatConfig(
    [
      `catalogTable: ${root}`,
      'clusters:',
      '  - id: orders-main',
      `    storage: s3://${BUCKET}/${root}`,
      '    layout: wal-g',
      '    retention: { keepDaily: 3, keepWeekly: 2, pitrWindow: 1d, applyGrace: 6h, timezone: UTC }',
      '    alerts: {}',
    ].join('\n'),
    'retention plan format config',
  );
}

async function seededAndCatalogued(root: string) {
  const config = configFor(root);
  const cluster = config.clusters[0] as ClusterConfig;
  const eventsBefore = services.s3.events().length;
  await seedWalgBucket(services, root);
  const catalog = await catalogueFromEvents(services, config, root, eventsBefore);
  const plans = new DynamoDbPlanStore({ client: services.ddb.client, tableName: root });
  return { cluster, catalog, plans, before: await listBucket(services, root) };
}

async function planItems(table: string, plan: RetentionPlan): Promise<Record<string, unknown>[]> {
  const answer = await services.ddb.client.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': clusterPk(plan.cluster) },
    }),
  );
  return (answer.Items ?? []).filter((item) => String(item.sk).includes(plan.planId));
}

/**
 * The items of a plan exactly as walcat wrote them before the WAL was kept as ranges: no `format` in the header,
 * every key in the key batches.
 */
async function storeAsKeyLists(table: string, plan: RetentionPlan, keys: readonly string[], maxKeys: number) {
  const pk = clusterPk(plan.cluster);
  const second = planIdSecond(plan.planId);
  const parts = `PLANPART#${second.toISOString()}#${plan.planId}#`;
  const put = (item: Record<string, unknown>) =>
    services.ddb.client.send(new PutCommand({ TableName: table, Item: { pk, ...item } }));
  await put({ sk: `${parts}BODY#000000`, itemType: 'plan-body', text: encodePlanBody(plan) });
  const batches = deletionBatches(keys, { maxKeys });
  for (const [index, batch] of batches.entries()) {
    const sk = `${parts}BATCH#${index.toString().padStart(6, '0')}`;
    await put({ sk, itemType: 'plan-batch', index, keys: batch, done: false, failed: [] });
  }
  await put({
    sk: planSk(second, plan.planId),
    itemType: 'retention-plan',
    planId: plan.planId,
    cluster: plan.cluster,
    createdAt: plan.createdAt.toISOString(),
    status: 'pending',
    bucket: BUCKET,
    batchCount: batches.length,
    keyCount: keys.length,
    bytesFreed: plan.bytesFreed,
    backupsDeleted: plan.delete.backups.length,
    walObjectsDeleted: plan.delete.wal.reduce((sum, range) => sum + range.objects, 0),
    bodyParts: 1,
  });
  return batches;
}

beforeAll(async () => {
  services = await startCatalogServices(configFor('unused'));
});
afterAll(async () => {
  await services?.close();
});

describe('stored retention plans', () => {
  it('hold the WAL deletions as ranges: no WAL key is written, however many the ranges hold', async () => {
    const root = 'format-ranges';
    const { cluster, catalog, plans } = await seededAndCatalogued(root);
    const planned = await planClusterRetention(
      { catalog, objects: services.objects, plans, batchLimits: { maxKeys: 4 }, planIdSuffix: () => 'f0f0' },
      cluster,
      PLANNED_AT,
    );
    const walKeys = await plannedWalKeys(catalog, cluster, planned.plan);
    expect(walKeys.length).toBeGreaterThan(20);
    const items = await planItems(root, planned.plan);
    const stored = JSON.stringify(items);
    for (const key of walKeys) expect(stored.includes(key), `${key} stored`).toBe(false);
    expect(stored.includes('/wal_005/')).toBe(false);
    // Body, header and the backups' key batches: nothing grows with the WAL.
    expect(items.filter((item) => item.itemType === 'plan-batch')).toHaveLength(
      Math.ceil(planned.backupKeys.length / 4),
    );
    expect(planned.header).toMatchObject({
      format: 'ranges',
      walBatchKeys: 4,
      keyCount: planned.backupKeys.length + walKeys.length,
    });
  });

  it('stored as key lists by an earlier walcat still apply, across a crash, deleting exactly their keys', async () => {
    const root = 'format-keys';
    const { cluster, catalog, plans, before } = await seededAndCatalogued(root);
    const shown = await planClusterRetention(
      { catalog, objects: services.objects, plans, planIdSuffix: () => 'f1f1' },
      cluster,
      PLANNED_AT,
      { store: false },
    );
    const keys = [...shown.backupKeys, ...(await plannedWalKeys(catalog, cluster, shown.plan))];
    const batches = await storeAsKeyLists(root, shown.plan, keys, 6);
    expect(batches.length).toBeGreaterThan(4);
    expect(await plans.getPlanHeader(cluster.id, shown.plan.planId)).toMatchObject({
      format: 'keys',
      keyCount: keys.length,
    });
    await catalog.updateClusterState(cluster.id, { lastFullSyncAt: new Date(PLANNED_AT.getTime() + HOUR) });

    const started: DeletionBatch[] = [];
    const crashing = {
      catalog,
      objects: services.objects,
      plans,
      beforeBatch: (batch: DeletionBatch) => {
        started.push(batch);
        if (started.length === 3) throw new Error('injected crash before the third batch');
      },
    };
    const request = { planId: shown.plan.planId, now: APPLY_AT, explicit: false };
    await expect(applyClusterRetention(crashing, cluster, request)).rejects.toThrow(/injected crash/);
    expect(started.map((batch) => batch.keys)).toEqual(batches.slice(0, 3));
    const midway = await listBucket(services, root);
    expect([...before].filter((key) => !midway.has(key)).sort()).toEqual(batches.slice(0, 2).flat().sort());

    const resumed = await applyClusterRetention({ catalog, objects: services.objects, plans }, cluster, request);
    expect(resumed).toMatchObject({ status: 'applied', resumedAfter: 2, locked: [], failed: [], spared: [] });
    expect(resumed.status === 'applied' && resumed.deleted).toBe(keys.length - batches.slice(0, 2).flat().length);
    const after = await listBucket(services, root);
    expect([...before].filter((key) => !after.has(key)).sort()).toEqual([...keys].sort());
    const continuity = await evaluateContinuity(catalog, cluster, {
      now: APPLY_AT,
      persistCursor: false,
      forceFull: true,
    });
    expect(continuity.gaps.gaps).toEqual([]);
    expect(continuity.gaps.deletedByRetention.length).toBeGreaterThan(0);
  });
});
