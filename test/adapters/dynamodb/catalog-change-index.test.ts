/**
 * The catalog's change index: every WAL write (creation or tombstone) is stamped and readable by time in one Query;
 * an older table without the index says so (and `ensureTable`, i.e. `walcat init`, adds it with the job index and
 * TTL); the deployed table declares the same indexes and TTL the adapter creates.
 */
import { readFileSync } from 'node:fs';
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DynamoDbCatalogStore } from '../../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import type { WalObjectRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import type { ClusterId } from '../../../lib/domain/cluster.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber } from '../../../lib/domain/wal/wal-segment.ts';
import { ChangeIndexUnavailableError, type WalChange } from '../../../lib/ports/catalog-store.ts';
import { type CatalogTableFixture, createKeysOnlyTable, startCatalogTable } from '../../support/catalog-table.ts';
import { dynaliteClients } from '../../support/dynalite.ts';
import { type MotoHandle, startMoto } from '../../support/moto.ts';

const cluster = 'orders-main' as ClusterId;
const at = (minute: number) => new Date(Date.UTC(2026, 10, 20, 12, minute));

let catalog: CatalogTableFixture;
/** For the index added to an existing table: dynalite does not build an index by UpdateTable, DynamoDB (moto) does. */
let moto: MotoHandle;
let tables = 0;
beforeAll(async () => {
  [catalog, moto] = await Promise.all([startCatalogTable(), startMoto()]);
});
afterAll(async () => {
  await Promise.all([catalog?.close(), moto?.close()]);
});

const segment = (segNo: number, sequencer: string, deleted = false): WalObjectRecord => ({
  cluster,
  key: `orders-main/wal_005/0000000100000000000000${segNo.toString(16).toUpperCase().padStart(2, '0')}.br`,
  kind: 'segment',
  timeline: timelineId(1),
  segNo: segmentNumber(segNo),
  compression: 'brotli',
  size: deleted ? 0 : 16,
  uploadedAt: at(segNo),
  sequencer,
  deleted,
  ...(deleted ? { deletedAt: at(30) } : {}),
});

/** The catalog table's properties as serverless.yml declares them. */
function declaredTable(): Record<string, unknown> | undefined {
  const stack = parse(readFileSync('serverless.yml', 'utf8'), { logLevel: 'error' }) as {
    resources: Array<{ Resources?: Record<string, { Properties: Record<string, unknown> }> }>;
  };
  return stack.resources.find((part) => part.Resources?.CatalogTable)?.Resources?.CatalogTable?.Properties;
}

async function all(changes: AsyncIterable<WalChange>): Promise<WalChange[]> {
  const out: WalChange[] = [];
  for await (const change of changes) out.push(change);
  return out;
}

describe('the change index', () => {
  it('holds every WAL write with the writer clock stamp, deletions included, readable from a stamp on', async () => {
    let clock = at(0);
    const store = new DynamoDbCatalogStore({
      client: catalog.client,
      tableName: await catalog.newTable(),
      interpret: () => ({ problem: 'unused' }),
      now: () => clock,
    });
    await store.applyWalChanges([1, 2, 3].map((segNo) => ({ origin: 'event' as const, record: segment(segNo, '01') })));
    clock = at(40);
    await store.applyWalChanges([{ origin: 'event', record: segment(2, '02', true) }]);
    expect(store.changeStamp()).toBe(at(40).toISOString());

    const everything = await all(store.listWalChanges(cluster, undefined));
    expect(everything.map(({ record, changedAt }) => [record.segNo, record.deleted, changedAt])).toEqual([
      [1, false, at(0).toISOString()],
      [3, false, at(0).toISOString()],
      [2, true, at(40).toISOString()],
    ]);
    const since = await all(store.listWalChanges(cluster, at(10).toISOString()));
    expect(since.map(({ record }) => record)).toEqual([
      expect.objectContaining({ key: segment(2, '02').key, deleted: true, timeline: 1, kind: 'segment' }),
    ]);
    expect(await all(store.listWalChanges('other-cluster' as ClusterId, undefined))).toEqual([]);
  });

  it('on a table made without it: reads say so, and ensureTable adds it, the job index and TTL', async () => {
    const tableName = `changes-${++tables}`;
    const { client, raw } = dynaliteClients(moto.endpoint);
    await createKeysOnlyTable(raw, tableName);
    const store = new DynamoDbCatalogStore({ client, tableName, interpret: () => ({ problem: 'unused' }) });
    await expect(all(store.listWalChanges(cluster, undefined))).rejects.toThrow(ChangeIndexUnavailableError);
    await expect(all(store.listWalChanges(cluster, undefined))).rejects.toThrow(/walcat init/);
    await store.ensureTable();
    // The index is built in the background (backfilled from the items); the table lists it at once or shortly.
    let indexes: Array<string | undefined> | undefined;
    for (let attempt = 0; attempt < 50 && indexes === undefined; attempt++) {
      const described = await raw.send(new DescribeTableCommand({ TableName: tableName }));
      indexes = described.Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName);
      if (indexes === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(indexes).toEqual(['changes', 'active']);
    // Finished jobs, locks and tombstones expire only if TTL is on; a table made by an older walcat had it off.
    const ttl = await raw.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
    // Running walcat init again changes nothing and does not fail.
    await store.ensureTable();
  });

  it('on a new table: TTL on the ttl attribute, as the deployed table declares', async () => {
    const tableName = `changes-${++tables}`;
    const { client, raw } = dynaliteClients(moto.endpoint);
    await new DynamoDbCatalogStore({ client, tableName, interpret: () => ({ problem: 'unused' }) }).ensureTable();
    const ttl = await raw.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
    const table = declaredTable();
    expect(table?.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
  });

  it('is declared by the deployed table exactly as the adapter creates it, with the job index', async () => {
    const created = (await catalog.ddb.raw.send(new DescribeTableCommand({ TableName: catalog.tableName }))).Table;
    const table = declaredTable();
    const declared = table?.GlobalSecondaryIndexes as Array<Record<string, unknown>>;
    expect(declared).toEqual(
      (created?.GlobalSecondaryIndexes ?? []).map(({ IndexName, KeySchema, Projection }) => ({
        IndexName,
        KeySchema,
        Projection,
      })),
    );
    expect(declared.map((index) => index.IndexName)).toEqual(['changes', 'active']);
    expect(table?.AttributeDefinitions).toEqual(created?.AttributeDefinitions);
  });
});
