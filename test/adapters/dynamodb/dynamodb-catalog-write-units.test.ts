/**
 * What a batch of WAL changes costs and keeps, on moto's server mode (which runs TransactWriteItems as DynamoDB
 * does) and on dynalite (which has none): a batch of new WAL keys is one TransactWriteItems request per 100 keys
 * without a read (two write units per item), a batch below the threshold one conditional PutItem per key (one
 * unit), and a cancelled transaction writes the keys whose condition held and merges the others with what another
 * writer stored. Without transactions every key is its own conditional PutItem.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCatalogStore, TRANSACTION_THRESHOLD } from '../../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import type { BackupInterpreter, WalObjectChange } from '../../../lib/domain/catalog/catalog-change.ts';
import type { WalObjectRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import type { ClusterId } from '../../../lib/domain/cluster.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber } from '../../../lib/domain/wal/wal-segment.ts';
import { type DynaliteHandle, startDynalite } from '../../support/dynalite.ts';
import { jitteryDocumentClient } from '../../support/jittery-dynamodb.ts';
import { type MotoHandle, startMoto } from '../../support/moto.ts';

const cluster = 'orders-main' as ClusterId;
const interpret: BackupInterpreter = () => ({ problem: 'not used here' });
const at = (second: number) => new Date(Date.UTC(2026, 10, 20, 12, 0, second));

let moto: MotoHandle;
let ddb: DynaliteHandle;
let tables = 0;
beforeAll(async () => {
  [moto, ddb] = await Promise.all([startMoto(), startDynalite()]);
}, 60_000);
afterAll(() => Promise.all([moto.close(), ddb.close()]));

async function store(endpoint: string): Promise<DynamoDbCatalogStore> {
  const catalog = new DynamoDbCatalogStore({
    client: jitteryDocumentClient(endpoint),
    tableName: `write-units-${++tables}`,
    interpret,
  });
  await catalog.ensureTable();
  return catalog;
}

const segment = (segNo: number, sequence: number, present = true): WalObjectChange => ({
  origin: 'event',
  record: {
    cluster,
    key: `orders-main/wal_005/00000001000000000000${segNo.toString(16).toUpperCase().padStart(4, '0')}.br`,
    kind: 'segment',
    timeline: timelineId(1),
    segNo: segmentNumber(segNo),
    compression: 'brotli',
    size: present ? 16 : 0,
    ...(present ? { etag: `e${sequence}` } : {}),
    uploadedAt: at(sequence),
    sequencer: sequence.toString(16).padStart(18, '0'),
    deleted: !present,
    ...(present ? {} : { deletedAt: at(sequence) }),
  },
});

async function stored(catalog: DynamoDbCatalogStore): Promise<WalObjectRecord[]> {
  const records: WalObjectRecord[] = [];
  for await (const record of catalog.listWalObjects(cluster, timelineId(1), {}, { includeDeleted: true })) {
    records.push(record);
  }
  return records;
}

const operations = (catalog: DynamoDbCatalogStore, from: Readonly<Record<string, number>>) =>
  Object.fromEntries(
    Object.entries(catalog.requestCounts)
      .map(([operation, n]) => [operation, n - (from[operation] ?? 0)] as const)
      .filter(([, n]) => n > 0),
  );

describe('WAL writes against moto (TransactWriteItems)', () => {
  it('writes 200 new WAL keys in two TransactWriteItems requests without a read: at most 41 requests per 1,000', async () => {
    const catalog = await store(moto.endpoint);
    const before = { ...catalog.requestCounts };
    const unitsBefore = catalog.consumedCapacity.write;
    const outcome = await catalog.applyWalChanges(Array.from({ length: 200 }, (_, i) => segment(i + 1, 1)));
    expect(outcome).toEqual({ applied: 200, stale: 0 });
    // 100 conditional puts to a request, and the timeline marker (one BatchWriteItem, once per container).
    expect(operations(catalog, before)).toEqual({ TransactWriteItems: 2, BatchWriteItem: 1 });
    // A transaction bills two units per item under 1 KB (moto reports none for transactions: estimated so).
    expect(catalog.consumedCapacity.write - unitsBefore).toBe(2 * 200 + 1);
    expect(await stored(catalog)).toHaveLength(200);
  });

  it('writes a batch below the threshold one conditional PutItem per key, at one unit each', async () => {
    const catalog = await store(moto.endpoint);
    const before = { ...catalog.requestCounts };
    const unitsBefore = catalog.consumedCapacity.write;
    const small = Array.from({ length: TRANSACTION_THRESHOLD - 1 }, (_, i) => segment(i + 1, 1));
    await catalog.applyWalChanges(small);
    expect(operations(catalog, before)).toEqual({ PutItem: small.length, BatchWriteItem: 1 });
    expect(catalog.consumedCapacity.write - unitsBefore).toBe(small.length + 1);
  });

  it('writes the other keys of a cancelled transaction and merges the ones another writer changed', async () => {
    const catalog = await store(moto.endpoint);
    // Another writer stored the removal (newer) of segment 7 and the creation of segment 9 (older).
    await catalog.applyWalChanges([segment(7, 5, false)]);
    await catalog.applyWalChanges([segment(9, 1)]);
    const before = { ...catalog.requestCounts };
    const batch = Array.from({ length: 20 }, (_, i) => (i + 1 === 9 ? segment(9, 3, false) : segment(i + 1, 2)));
    const outcome = await catalog.applyWalChanges(batch);
    const used = operations(catalog, before);
    expect(outcome).toEqual({ applied: 19, stale: 1 });
    const records = await stored(catalog);
    expect(records).toHaveLength(20);
    expect(records.find((r) => r.segNo === 7)).toMatchObject({
      deleted: true,
      sequencer: segment(7, 5).record.sequencer,
    });
    expect(records.find((r) => r.segNo === 9)).toMatchObject({
      deleted: true,
      sequencer: segment(9, 3).record.sequencer,
    });
    expect(records.filter((r) => !r.deleted)).toHaveLength(18);
    // Cancelled once (two conditions failed); those two were read again in one consistent BatchGetItem; segment 7's
    // older creation was then found stale, and the 19 that change went in a second transaction.
    expect(catalog.conflicts).toBe(2);
    expect(used).toEqual({ TransactWriteItems: 2, BatchGetItem: 1 });
  });
});

describe('WAL writes against dynalite (no transactions)', () => {
  it('finds out once that the table has no transactions and writes one conditional PutItem per key', async () => {
    const catalog = await store(ddb.endpoint);
    const before = { ...catalog.requestCounts };
    const unitsBefore = catalog.consumedCapacity.write;
    await catalog.applyWalChanges(Array.from({ length: 250 }, (_, i) => segment(i + 1, 1)));
    await catalog.applyWalChanges(Array.from({ length: 250 }, (_, i) => segment(i + 251, 1)));
    // The first transaction is sent alone and refused; never again for this store.
    expect(operations(catalog, before)).toEqual({ TransactWriteItems: 1, PutItem: 500, BatchWriteItem: 1 });
    expect(catalog.consumedCapacity.write - unitsBefore).toBe(501);
    expect(await stored(catalog)).toHaveLength(500);
  });

  it('re-reads and merges only the keys another writer changed, and keeps what it stored newer', async () => {
    const catalog = await store(ddb.endpoint);
    await catalog.applyWalChanges([segment(7, 5, false)]);
    await catalog.applyWalChanges([segment(9, 1)]);
    const batch = Array.from({ length: 20 }, (_, i) => (i + 1 === 9 ? segment(9, 3, false) : segment(i + 1, 2)));
    expect(await catalog.applyWalChanges(batch)).toEqual({ applied: 19, stale: 1 });
    const records = await stored(catalog);
    expect(records.find((r) => r.segNo === 7)).toMatchObject({
      deleted: true,
      sequencer: segment(7, 5).record.sequencer,
    });
    expect(records.find((r) => r.segNo === 9)).toMatchObject({
      deleted: true,
      sequencer: segment(9, 3).record.sequencer,
    });
    expect(records.filter((r) => !r.deleted)).toHaveLength(18);
    expect(catalog.conflicts).toBe(2);
  });
});

describe.each([
  { backend: 'moto', endpoint: () => moto.endpoint },
  { backend: 'dynalite', endpoint: () => ddb.endpoint },
])('WAL writes against $backend', ({ endpoint }) => {
  it('stores the newest event per key whatever the split into batches', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ segNo: fc.integer({ min: 1, max: 6 }), present: fc.boolean() }), {
          minLength: 2,
          maxLength: 16,
        }),
        fc.integer({ min: 1, max: 15 }),
        async (events, split) => {
          const first = await store(endpoint());
          const changes = events.map((e, index) => segment(e.segNo, index + 1, e.present));
          await first.applyWalChanges(changes.slice(0, split));
          await first.applyWalChanges(changes.slice(split));
          const newest = new Map<number, WalObjectChange>();
          for (const change of changes) newest.set(change.record.segNo as number, change);
          const records = await stored(first);
          expect(records.map((r) => [r.segNo, r.sequencer, r.deleted])).toEqual(
            [...newest.entries()]
              .sort(([a], [b]) => a - b)
              .map(([segNo, change]) => [segNo, change.record.sequencer, change.record.deleted]),
          );
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});
