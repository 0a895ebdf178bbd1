/**
 * A daily retention plan reads what changed, not the whole archive (s3rver + dynalite, the real plan use case):
 * once a plan has stored the cluster's retention digest, the next plan reads from the WAL partitions only the
 * chunks that changed since, and makes exactly the plan a read of every WAL object makes.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { DynamoDbPlanStore } from '../../lib/adapters/dynamodb/dynamodb-plan-store.ts';
import { createBackupInterpreter } from '../../lib/domain/catalog/backup-interpreter.ts';
import type { WalObjectRecord } from '../../lib/domain/catalog/catalog-records.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import { timelineId } from '../../lib/domain/wal/timeline.ts';
import { segmentNumber } from '../../lib/domain/wal/wal-segment.ts';
import type { CatalogStore } from '../../lib/ports/catalog-store.ts';
import { planClusterRetention } from '../../lib/use-cases/plan-retention.ts';
import { type CatalogServices, startCatalogServices } from '../use-cases/catalog-test-setup.ts';
import {
  catalogueFromEvents,
  retentionTestConfig,
  seedWalgBucket,
  segName,
} from '../use-cases/retention-test-bucket.ts';

const ROOT = 'digest-plan';
const config = retentionTestConfig(
  ROOT,
  '{ keepDaily: 3, keepWeekly: 2, pitrWindow: 1d, applyGrace: 6h, timezone: UTC }',
);
const cluster = config.clusters[0] as ClusterConfig;
/** WAL beyond the seeded bucket's: chunks 1 and 2 of the digest (4,096 segments each), catalogued only. */
const EXTRA_FROM = 4096;
const EXTRA = 5000;
const MINUTE = 60_000;

let services: CatalogServices;
beforeAll(async () => {
  services = await startCatalogServices(config);
});
afterAll(async () => {
  await services?.close();
});

/** A document client that counts the items Queries return from WAL partitions. */
function countingWalReads(client: DynamoDBDocumentClient): { client: DynamoDBDocumentClient; walItems: () => number } {
  let walItems = 0;
  const counting = new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return async (command: { input?: { ExpressionAttributeValues?: Record<string, unknown> } }, ...rest: []) => {
        const output = await (target.send as (...args: unknown[]) => Promise<{ Count?: number }>)(command, ...rest);
        const pk = command.input?.ExpressionAttributeValues?.[':pk'];
        if (typeof pk === 'string' && pk.startsWith('WAL#')) walItems += output.Count ?? 0;
        return output;
      };
    },
  });
  return { client: counting, walItems: () => walItems };
}

const extraSegment = (segNo: number, at: Date): WalObjectRecord => ({
  cluster: cluster.id,
  key: `orders-main/wal_005/${segName(segNo)}.lz4`,
  kind: 'segment',
  timeline: timelineId(1),
  segNo: segmentNumber(segNo),
  compression: 'lz4',
  size: 4000 + (segNo % 97),
  uploadedAt: at,
  sequencer: '0000000000000001',
  deleted: false,
});

describe('a retention plan after the first', () => {
  it('reads only the changed chunk of WAL and plans as a full read does', async () => {
    const eventsBefore = services.s3.events().length;
    await seedWalgBucket(services, 'orders-main');
    await catalogueFromEvents(services, config, ROOT, eventsBefore);
    // The catalog's writes from here on are stamped by this clock, an hour after the seeding.
    let clock = new Date(Date.now() + 60 * MINUTE);
    const counted = countingWalReads(services.ddb.client);
    const catalog = new DynamoDbCatalogStore({
      client: counted.client,
      tableName: ROOT,
      interpret: createBackupInterpreter(config.clusters),
      now: () => clock,
    });
    const extra = Array.from({ length: EXTRA }, (_, index) => EXTRA_FROM + index);
    await catalog.applyWalChanges(extra.map((segNo) => ({ origin: 'event', record: extraSegment(segNo, clock) })));
    const deps = {
      catalog,
      objects: services.objects,
      plans: new DynamoDbPlanStore({ client: services.ddb.client, tableName: ROOT }),
      planIdSuffix: () => 'd1g5',
    };
    clock = new Date(clock.getTime() + 10 * MINUTE);
    const first = await planClusterRetention(deps, cluster, clock, { store: false });
    expect(first.plan.keptWalObjects).toBeGreaterThan(EXTRA);

    // A day later, one more segment arrived (chunk 2).
    clock = new Date(clock.getTime() + 24 * 60 * MINUTE);
    await catalog.applyWalChanges([{ origin: 'event', record: extraSegment(EXTRA_FROM + EXTRA, clock) }]);
    clock = new Date(clock.getTime() + 10 * MINUTE);
    const before = counted.walItems();
    const second = await planClusterRetention(deps, cluster, clock, { store: false });
    const walItemsRead = counted.walItems() - before;
    expect(first.walDigest).toMatchObject({ mode: 'built', reason: 'no digest stored', chunksWritten: 3 });
    // The new segment and nothing else: the seeding is older than the change read's overlap.
    expect(second.walDigest).toEqual({ mode: 'updated', changesRead: 1, chunksReread: 1, chunksWritten: 1 });
    // Chunk 2 holds segments 8,192..9,000 (809 items); a read of every WAL object reads more than 5,000.
    expect(walItemsRead).toBeLessThanOrEqual(EXTRA_FROM + EXTRA + 1 - 2 * 4096);

    // The same plan as over every WAL object read one by one (a catalog that keeps no digest).
    const withoutDigest = new Proxy(catalog, {
      get: (target, property) => {
        if (property === 'retentionDigest') return undefined;
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as CatalogStore;
    const full = await planClusterRetention({ ...deps, catalog: withoutDigest }, cluster, clock, { store: false });
    expect(second.plan).toEqual(full.plan);
    expect(second.backupKeys).toEqual(full.backupKeys);
    expect(second.plan.keptWalObjects).toBe(first.plan.keptWalObjects + 1);
  }, 240_000);
});
