/**
 * What a batch of WAL changes costs and keeps, on moto's server mode (which runs TransactWriteItems, so a store
 * tempted by transactions would use them there) and on dynalite: each WAL item is one conditional PutItem, billed
 * one write unit (a transactional put bills two), a new key is written without a read, and a key another writer
 * changed is re-read and merged alone, the other keys of the batch unaffected.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCatalogStore } from '../../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
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

describe.each([
  { backend: 'moto', endpoint: () => moto.endpoint },
  { backend: 'dynalite', endpoint: () => ddb.endpoint },
])('WAL writes against $backend', ({ endpoint }) => {
  it('writes 250 new WAL keys as 250 conditional PutItems of one write unit each, without a read', async () => {
    const catalog = await store(endpoint());
    const before = { ...catalog.requestCounts };
    const unitsBefore = catalog.consumedCapacity.write;
    const outcome = await catalog.applyWalChanges(Array.from({ length: 250 }, (_, i) => segment(i + 1, 1)));
    expect(outcome).toEqual({ applied: 250, stale: 0 });
    // The timeline marker is one BatchWriteItem, once per container.
    expect(operations(catalog, before)).toEqual({ PutItem: 250, BatchWriteItem: 1 });
    // 250 items and the marker, each under 1 KB: one unit apiece.
    expect(catalog.consumedCapacity.write - unitsBefore).toBe(251);
    expect(await stored(catalog)).toHaveLength(250);
  });

  it('re-reads and merges only the keys another writer changed, and keeps what it stored newer', async () => {
    const catalog = await store(endpoint());
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
    // Two conditions failed: those two keys were read again; segment 9's removal was written on the version read,
    // segment 7's older creation was found stale and not written.
    expect(catalog.conflicts).toBe(2);
    expect(used).toEqual({ PutItem: 21, GetItem: 2 });
  });

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
