import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backoffMs, SingleTable } from '../../../lib/adapters/dynamodb/single-table.ts';
import { TransientError } from '../../../lib/domain/errors.ts';
import { type CatalogTableFixture, startCatalogTable } from '../../support/catalog-table.ts';
import { dynaliteClients } from '../../support/dynalite.ts';
import { attachFaults, FaultInjector } from '../../support/faults.ts';

const TABLE = 'walcat-single-table-test';
let catalog: CatalogTableFixture;
let table: SingleTable;
const naps: number[] = [];

beforeAll(async () => {
  catalog = await startCatalogTable(TABLE);
  table = new SingleTable({ client: catalog.client, tableName: TABLE });
});
afterAll(() => catalog?.close());

const sk = (n: number) => `ITEM#${String(n).padStart(4, '0')}`;

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

describe('single-table module against dynalite', () => {
  it('writes 260 items in batches and reads them back by batch get (more than 100 keys) and by paged query', async () => {
    const puts = Array.from({ length: 260 }, (_, n) => ({ pk: 'P#paged', sk: sk(n), n }));
    await table.batchWrite({ puts });
    const got = await table.batchGet([...puts.map(({ pk, sk }) => ({ pk, sk })), { pk: 'P#paged', sk: 'ITEM#none' }]);
    expect(got.map((item) => item.n).sort((a, b) => Number(a) - Number(b))).toEqual(puts.map((item) => item.n));
    // Pages of 7 items: the query must follow LastEvaluatedKey to the end of the range, in order.
    const forward = await collect(table.query({ pk: 'P#paged', skPrefix: 'ITEM#', pageSize: 7 }));
    expect(forward.map((item) => item.n)).toEqual(puts.map((item) => item.n));
    const backward = await collect(table.query({ pk: 'P#paged', skPrefix: 'ITEM#', forward: false, pageSize: 9 }));
    expect(backward.map((item) => item.n)).toEqual(puts.map((item) => item.n).reverse());
    const range = await collect(table.query({ pk: 'P#paged', skBetween: [sk(10), sk(19)], pageSize: 3 }));
    expect(range.map((item) => item.n)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    const tail = await collect(table.query({ pk: 'P#paged', skAtLeast: sk(255), pageSize: 2 }));
    expect(tail.map((item) => item.n)).toEqual([255, 256, 257, 258, 259]);
    const head = await collect(table.query({ pk: 'P#paged', skAtMost: sk(3), forward: false }));
    expect(head.map((item) => item.n)).toEqual([3, 2, 1, 0]);
    const filtered = await collect(
      table.query({ pk: 'P#paged', pageSize: 11, filter: { expression: 'n < :max', values: { ':max': 5 } } }),
    );
    expect(filtered.map((item) => item.n)).toEqual([0, 1, 2, 3, 4]);
    await table.batchWrite({ deletes: puts.slice(0, 250) });
    expect((await collect(table.query({ pk: 'P#paged' }))).map((item) => item.n)).toEqual(
      puts.slice(250).map((item) => item.n),
    );
  });

  it('detects conflicts: putIfAbsent and putIfVersion let exactly one of concurrent writers win', async () => {
    const writers = Array.from({ length: 10 }, (_, n) => n);
    const created = await Promise.all(
      writers.map((n) => table.putIfAbsent({ pk: 'P#race', sk: 'ONE', version: 0, writer: n })),
    );
    expect(created.filter(Boolean)).toHaveLength(1);
    const saved = await Promise.all(
      writers.map((n) => table.putIfVersion({ pk: 'P#race', sk: 'ONE', version: 1, writer: n }, 0)),
    );
    expect(saved.filter(Boolean)).toHaveLength(1);
    const stored = await table.get({ pk: 'P#race', sk: 'ONE' });
    expect(stored?.version).toBe(1);
    expect(stored?.writer).toBe(writers[saved.indexOf(true)]);
    // A stale version is a conflict, not an exception; a delete on a failed condition leaves the item.
    expect(await table.putIfVersion({ pk: 'P#race', sk: 'ONE', version: 1 }, 0)).toBe(false);
    expect(await table.delete({ pk: 'P#race', sk: 'ONE' }, { expression: 'version = :v', values: { ':v': 7 } })).toBe(
      false,
    );
    expect(await table.get({ pk: 'P#race', sk: 'ONE' })).toBeDefined();
    expect(
      await table.update(
        { pk: 'P#race', sk: 'ONE' },
        { expression: 'SET note = :note', values: { ':note': 'kept' } },
        { expression: 'version = :v', values: { ':v': 1 } },
      ),
    ).toBe(true);
    expect((await table.get({ pk: 'P#race', sk: 'ONE' }))?.note).toBe('kept');
    expect(await table.delete({ pk: 'P#race', sk: 'ONE' })).toBe(true);
  });

  it('resends unprocessed batch items and keys with backoff until every one is written and read', async () => {
    const { client } = dynaliteClients(catalog.ddb.endpoint);
    const faults = new FaultInjector(11);
    attachFaults(client, faults);
    const throttled = new SingleTable({
      client,
      tableName: TABLE,
      sleep: async (ms) => {
        naps.push(ms);
      },
      retry: { maxAttempts: 40, baseDelayMs: 50, maxDelayMs: 2000 },
    });
    faults.set([{ kind: 'unprocessed', rate: 0.5 }]);
    const puts = Array.from({ length: 120 }, (_, n) => ({ pk: 'P#throttled', sk: sk(n), n }));
    await throttled.batchWrite({ puts });
    const got = await throttled.batchGet(puts.map(({ pk, sk }) => ({ pk, sk })));
    faults.stop();
    expect(faults.counts.injected.unprocessed ?? 0).toBeGreaterThan(0);
    expect(naps.length).toBeGreaterThan(0);
    expect(got).toHaveLength(120);
    expect((await collect(table.query({ pk: 'P#throttled' }))).map((item) => item.n)).toEqual(
      puts.map((item) => item.n),
    );
    client.destroy();
  });

  it('gives up with a TransientError naming the table when items stay unprocessed', async () => {
    const { client } = dynaliteClients(catalog.ddb.endpoint);
    const faults = new FaultInjector(3);
    attachFaults(client, faults);
    const stuck = new SingleTable({
      client,
      tableName: TABLE,
      sleep: async () => {},
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 4 },
    });
    faults.set([{ kind: 'unprocessed', rate: 1 }]);
    const write = stuck.batchWrite({ puts: [{ pk: 'P#stuck', sk: 'A' }] });
    await expect(write).rejects.toBeInstanceOf(TransientError);
    await expect(write).rejects.toThrow(`table ${TABLE}: 1 batch writes still unprocessed after 3 attempts`);
    faults.stop();
    client.destroy();
  });

  it('tells its hooks every request by operation and the capacity it consumed, estimating what DynamoDB bills unreported', async () => {
    const operations: string[] = [];
    const capacity = { read: 0, write: 0 };
    const observed = new SingleTable({
      client: catalog.client,
      tableName: TABLE,
      onRequest: (operation) => operations.push(operation),
      onCapacity: (kind, units) => {
        capacity[kind] += units;
      },
    });
    const puts = Array.from({ length: 30 }, (_, n) => ({ pk: 'P#hooks', sk: sk(n), n }));
    await observed.batchWrite({ puts });
    await observed.batchGet(puts.map(({ pk, sk }) => ({ pk, sk })));
    await collect(observed.query({ pk: 'P#hooks', pageSize: 20 }));
    await observed.get({ pk: 'P#hooks', sk: sk(0) });
    expect(operations).toEqual(['BatchWriteItem', 'BatchWriteItem', 'BatchGetItem', 'Query', 'Query', 'GetItem']);
    expect(capacity.write).toBeGreaterThanOrEqual(30);
    expect(capacity.read).toBeGreaterThan(0);
    // A failed condition answers no capacity, but DynamoDB bills it as a write of the item.
    const before = capacity.write;
    expect(await observed.putIfAbsent({ pk: 'P#hooks', sk: sk(0), text: 'x'.repeat(3000) })).toBe(false);
    expect(capacity.write - before).toBe(3);
    expect(operations.at(-1)).toBe('PutItem');
  });

  it('keeps at most parallelBatches batch requests in flight, and uses them all', async () => {
    const { client } = dynaliteClients(catalog.ddb.endpoint);
    let inFlight = 0;
    let most = 0;
    client.middlewareStack.add(
      (next) => async (args) => {
        most = Math.max(most, ++inFlight);
        try {
          // Long enough that every worker has sent before the first answer comes back.
          await new Promise((resolve) => setTimeout(resolve, 100));
          return await next(args);
        } finally {
          inFlight--;
        }
      },
      { step: 'initialize', name: 'countInFlight' },
    );
    const parallel = new SingleTable({ client, tableName: TABLE, parallelBatches: 3 });
    const puts = Array.from({ length: 200 }, (_, n) => ({ pk: 'P#parallel', sk: sk(n), n }));
    await parallel.batchWrite({ puts });
    expect(most).toBe(3);
    most = 0;
    expect(await parallel.batchGet(puts.map(({ pk, sk }) => ({ pk, sk })))).toHaveLength(200);
    expect(most).toBe(2);
    client.destroy();
  });

  it('answers the item after an update, and nothing when its condition failed', async () => {
    const key = { pk: 'P#update', sk: 'ONE' };
    const added = { expression: 'ADD parts :part', values: { ':part': new Set([1]) } };
    expect((await table.updateAndRead(key, added))?.parts).toEqual(new Set([1]));
    const more = { expression: 'ADD parts :part', values: { ':part': new Set([2]) } };
    expect((await table.updateAndRead(key, more))?.parts).toEqual(new Set([1, 2]));
    expect(await table.updateAndRead(key, more, { expression: 'attribute_not_exists(pk)' })).toBeUndefined();
  });

  it('backs off exponentially, capped at 2 s, with full jitter', () => {
    expect([1, 2, 3, 6, 20].map((attempt) => backoffMs(attempt, () => 1))).toEqual([100, 200, 400, 2000, 2000]);
    expect(backoffMs(4, () => 0.5)).toBe(400);
  });
});
