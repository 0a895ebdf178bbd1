import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbPlanStore } from '../../../lib/adapters/dynamodb/dynamodb-plan-store.ts';
import type { ClusterId } from '../../../lib/domain/cluster.ts';
import { deletionBatches } from '../../../lib/domain/retention/deletion-batches.ts';
import { newPlanId } from '../../../lib/domain/retention/plan-id.ts';
import { DEFAULT_WAL_SEGMENT_SIZE } from '../../../lib/domain/wal/segment-size.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import type { StoredPlanBody } from '../../../lib/ports/plan-store.ts';
import { type CatalogTableFixture, startCatalogTable } from '../../support/catalog-table.ts';

const TABLE = 'plan-store-test';
const cluster = 'orders-main' as ClusterId;
let catalog: CatalogTableFixture;
let store: DynamoDbPlanStore;

beforeAll(async () => {
  catalog = await startCatalogTable(TABLE);
  store = new DynamoDbPlanStore({ client: catalog.client, tableName: TABLE });
});
afterAll(async () => {
  await catalog?.close();
});

/** A plan whose JSON body is far larger than one item, with thousands of deleted backups. */
function bigPlan(planId: string, createdAt: Date): StoredPlanBody {
  const backups = Array.from({ length: 3000 }, (_, i) => ({
    name: `base_0000000100000${i.toString(16).toUpperCase().padStart(3, '0')}00000000`,
    status: 'complete' as const,
    kind: 'full' as const,
    finishedAt: new Date(createdAt.getTime() - (3000 - i) * 3_600_000),
    reason: `superseded by base_000000010000000A00000000 (daily 2026-11-${(i % 28) + 1})`,
    bytes: 1024,
  }));
  return {
    planId,
    cluster,
    createdAt,
    policy: {
      keepLast: 1,
      keepDaily: 7,
      keepWeekly: 0,
      keepMonthly: 0,
      keepYearly: 0,
      pitrWindowMs: 0,
      timezone: 'UTC',
      incompleteGraceMs: 1,
      applyGraceMs: 1,
    },
    walSegmentSize: DEFAULT_WAL_SEGMENT_SIZE,
    windowStart: new Date(createdAt.getTime() - 86_400_000),
    chainBase: 'base_000000010000000A00000000',
    keep: [
      {
        name: 'base_000000010000000A00000000',
        status: 'complete',
        permanent: false,
        finishedAt: createdAt,
        reasons: ['newest', 'last 1'],
      },
    ],
    delete: {
      backups,
      wal: [
        {
          timeline: timelineId(1),
          from: '000000010000000000000001',
          to: '000000010000000000000FFF',
          count: 4095,
          objects: 4095,
          bytes: 9,
        },
      ],
    },
    protectedWal: [],
    keptWalObjects: 10,
    bytesFreed: 123456789,
  };
}

describe('DynamoDbPlanStore on dynalite', () => {
  it('round-trips a plan larger than one item, keeps every item under 400 KB, and lists headers only', async () => {
    const createdAt = new Date('2026-11-21T02:00:00.123Z');
    const planId = newPlanId(cluster, createdAt, 'a1b2');
    const keys = Array.from(
      { length: 5200 },
      (_, i) => `orders-main/basebackups_005/base_${i.toString(16).padStart(24, '0')}/tar_partitions/part_001.tar.lz4`,
    );
    const body = bigPlan(planId, createdAt);
    const header = await store.savePlan({ plan: body, bucket: 'pg-backups', batches: deletionBatches(keys) });
    // The backups' objects are stored as keys; the WAL stays the body's ranges, counted by the objects they hold.
    expect(header).toMatchObject({
      planId,
      status: 'pending',
      format: 'ranges',
      batchCount: 6,
      keyCount: 5200 + 4095,
      walBatchKeys: 1000,
      walObjectsDeleted: 4095,
    });

    expect(await store.getPlanBody(cluster, planId)).toEqual(body);
    expect(await store.getPlanHeader(cluster, planId)).toEqual(header);
    expect((await store.listPlans(cluster)).map((h) => h.planId)).toEqual([planId]);

    const batches = [];
    for await (const batch of store.listBatches(cluster, planId)) batches.push(batch);
    expect(batches.flatMap((batch) => batch.keys)).toEqual(keys);
    expect(batches.every((batch) => batch.keys.length <= 1000 && !batch.done)).toBe(true);

    const items = await catalog.client.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'CLUSTER#orders-main' },
      }),
    );
    const sizes = (items.Items ?? []).map((item) => Buffer.byteLength(JSON.stringify(item)));
    expect(sizes.length).toBeGreaterThan(8);
    expect(Math.max(...sizes)).toBeLessThan(400 * 1024);
  });

  it('records each batch outcome with its failures, and the plan status', async () => {
    const createdAt = new Date('2026-11-22T02:00:00Z');
    const planId = newPlanId(cluster, createdAt, 'c3d4');
    await store.savePlan({ plan: bigPlan(planId, createdAt), bucket: 'pg-backups', batches: [['k1', 'k2'], ['k3']] });
    await store.completeBatch(cluster, planId, 0, [
      { key: 'k2', code: 'AccessDenied', message: `Access Denied ${'x'.repeat(500)}` },
    ]);
    const batches = [];
    for await (const batch of store.listBatches(cluster, planId)) batches.push(batch);
    expect(batches[0]).toMatchObject({ index: 0, done: true, failed: [{ key: 'k2', code: 'AccessDenied' }] });
    expect(batches[0]?.failed[0]?.message.length).toBe(120);
    expect(batches[1]).toMatchObject({ index: 1, done: false, failed: [] });

    await store.setStatus(cluster, planId, 'applied', { appliedAt: new Date('2026-11-22T09:00:00Z'), failedCount: 1 });
    expect(await store.getPlanHeader(cluster, planId)).toMatchObject({
      status: 'applied',
      failedCount: 1,
      appliedAt: new Date('2026-11-22T09:00:00Z'),
    });
    expect((await store.listPlans(cluster)).map((h) => h.planId)).toEqual([
      planId,
      newPlanId(cluster, new Date('2026-11-21T02:00:00.123Z'), 'a1b2'),
    ]);
  });

  it('answers undefined for a plan that does not exist', async () => {
    const planId = newPlanId(cluster, new Date('2026-01-01T00:00:00Z'), 'ffff');
    expect(await store.getPlanHeader(cluster, planId)).toBeUndefined();
    expect(await store.getPlanBody(cluster, planId)).toBeUndefined();
  });

  it('writes batches handed over as a stream, in order, counting them as they come', async () => {
    const createdAt = new Date('2026-11-21T04:00:00Z');
    const planId = newPlanId(cluster, createdAt, 'c3d4');
    const handedOver: number[] = [];
    async function* streamed(): AsyncIterable<string[]> {
      for (let index = 0; index < 60; index++) {
        handedOver.push(index);
        yield [`orders-main/wal_005/${index.toString(16).toUpperCase().padStart(24, '0')}.lz4`];
      }
    }
    const header = await store.savePlan({
      plan: bigPlan(planId, createdAt),
      bucket: 'pg-backups',
      batches: streamed(),
    });
    expect(handedOver).toHaveLength(60);
    expect(header).toMatchObject({ planId, batchCount: 60, keyCount: 60 + 4095 });
    const batches = [];
    for await (const batch of store.listBatches(cluster, planId)) batches.push(batch);
    expect(batches.map((batch) => batch.index)).toEqual(handedOver);
    expect(batches.map((batch) => batch.keys[0])).toEqual(
      handedOver.map((index) => `orders-main/wal_005/${index.toString(16).toUpperCase().padStart(24, '0')}.lz4`),
    );
  });

  it('records each WAL batch once, first run first, and lists them in order with their failures', async () => {
    const createdAt = new Date('2026-11-21T05:00:00Z');
    const planId = newPlanId(cluster, createdAt, 'e5f6');
    await store.savePlan({ plan: bigPlan(planId, createdAt), bucket: 'pg-backups', batches: [], walBatchKeys: 7 });
    expect(await store.getPlanHeader(cluster, planId)).toMatchObject({ format: 'ranges', walBatchKeys: 7 });
    const first = {
      index: 0,
      range: 0,
      last: { segNo: 7, key: 'orders-main/wal_005/000000010000000000000007.lz4' },
      rangeDone: false,
      lastDoomed: { timeline: 1, segNo: 7 },
      failed: [
        { key: 'orders-main/wal_005/000000010000000000000003.lz4', code: 'AccessDenied', message: 'x'.repeat(500) },
      ],
    };
    expect(await store.recordWalBatch(cluster, planId, first)).toBe(true);
    expect(await store.recordWalBatch(cluster, planId, { ...first, failed: [] })).toBe(false);
    expect(await store.recordWalBatch(cluster, planId, { index: 1, range: 0, rangeDone: true, failed: [] })).toBe(true);
    const recorded = [];
    for await (const record of store.listWalBatches(cluster, planId)) recorded.push(record);
    expect(recorded).toEqual([
      { ...first, failed: [{ ...first.failed[0], message: 'x'.repeat(120) }] },
      { index: 1, range: 0, rangeDone: true, failed: [] },
    ]);
  });
});
