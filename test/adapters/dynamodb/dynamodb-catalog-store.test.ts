import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walPk, walSk } from '../../../lib/adapters/dynamodb/catalog-keys.ts';
import { DynamoDbCatalogStore, TOMBSTONE_TTL_DAYS } from '../../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import type { Item } from '../../../lib/adapters/dynamodb/single-table.ts';
import type { BackupInterpreter } from '../../../lib/domain/catalog/catalog-change.ts';
import { ClusterStateConflictError } from '../../../lib/domain/catalog/catalog-errors.ts';
import type { WalObjectRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import {
  applyEventsToCatalogState,
  type CatalogChange,
  EMPTY_CATALOG_STATE,
} from '../../../lib/domain/catalog/catalog-state.ts';
import type { ClusterId } from '../../../lib/domain/cluster.ts';
import { TransientError } from '../../../lib/domain/errors.ts';
import { lsnFromInteger } from '../../../lib/domain/wal/lsn.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber } from '../../../lib/domain/wal/wal-segment.ts';
import { type DynaliteHandle, startDynalite } from '../../support/dynalite.ts';

const cluster = 'orders-main' as ClusterId;
const at = (second: number) => new Date(Date.UTC(2026, 10, 20, 12, 0, second));
const interpret: BackupInterpreter = (_c, name, sentinel, metadata) =>
  sentinel.text === 'bad'
    ? { problem: `sentinel of ${name} is malformed` }
    : {
        backup: {
          name,
          kind: 'full',
          timeline: timelineId(1),
          startLsn: lsnFromInteger(0),
          finishLsn: lsnFromInteger(16),
          startSegment: { timeline: timelineId(1), segNo: segmentNumber(1) },
          startTime: at(1),
          permanent: metadata?.text === 'permanent',
        },
      };

let ddb: DynaliteHandle;
let tables = 0;
beforeAll(async () => {
  ddb = await startDynalite();
});
afterAll(() => ddb.close());

async function newStore(): Promise<DynamoDbCatalogStore> {
  const store = new DynamoDbCatalogStore({ client: ddb.client, tableName: `catalog-${++tables}`, interpret });
  await store.ensureTable();
  return store;
}

const walRecord = (key: string, segNo: number, sequence: number, present: boolean, size = 16): WalObjectRecord => ({
  cluster,
  key: `orders-main/wal_005/${key}`,
  kind: 'segment',
  timeline: timelineId(1),
  segNo: segmentNumber(segNo),
  compression: 'brotli',
  size: present ? size : 0,
  ...(present ? { etag: `e${sequence}` } : {}),
  uploadedAt: at(sequence),
  sequencer: sequence.toString(16).toUpperCase().padStart(12, '0'),
  deleted: !present,
  ...(present ? {} : { deletedAt: at(sequence) }),
});

const segmentName = (segNo: number) => `00000001000000000000${segNo.toString(16).toUpperCase().padStart(4, '0')}.br`;
/** The table key of segment `segNo`'s item (timeline 1). */
const walItemKey = (segNo: number) => ({
  pk: walPk(cluster, timelineId(1)),
  sk: walSk(segmentNumber(segNo), segmentName(segNo)),
});

describe('DynamoDbCatalogStore against dynalite', () => {
  it('creates the table idempotently', async () => {
    const store = await newStore();
    await expect(store.ensureTable()).resolves.toBeUndefined();
  });

  it('converges to the pure reducer state for shuffled, duplicated, batched deliveries', async () => {
    // One history per key: two different events never share a key's sequencer.
    const changeArbitrary = fc
      .uniqueArray(
        fc.record({
          segNo: fc.integer({ min: 1, max: 6 }),
          steps: fc.array(fc.record({ present: fc.boolean(), size: fc.nat(99) }), { minLength: 1, maxLength: 3 }),
        }),
        { minLength: 1, maxLength: 5, selector: (key) => key.segNo },
      )
      .map((keys) =>
        keys.flatMap(({ segNo, steps }) =>
          steps.map(
            (step, index): CatalogChange => ({
              type: 'wal',
              change: {
                origin: 'event',
                record: walRecord(segmentName(segNo), segNo, index + 1, step.present, step.size),
              },
            }),
          ),
        ),
      )
      .chain((changes) =>
        fc.tuple(
          fc.constant(changes),
          fc.shuffledSubarray(changes, { minLength: changes.length, maxLength: changes.length }),
          fc.subarray(changes),
          fc.integer({ min: 1, max: 4 }),
        ),
      );
    await fc.assert(
      fc.asyncProperty(changeArbitrary, async ([ordered, shuffled, duplicates, batchSize]) => {
        const expected = applyEventsToCatalogState(EMPTY_CATALOG_STATE, ordered, interpret);
        const store = await newStore();
        const delivered = [...shuffled, ...duplicates];
        for (let start = 0; start < delivered.length; start += batchSize) {
          const batch = delivered.slice(start, start + batchSize).flatMap((c) => (c.type === 'wal' ? [c.change] : []));
          await store.applyWalChanges(batch);
        }
        const stored: WalObjectRecord[] = [];
        for await (const record of store.listWalObjects(cluster, timelineId(1), {}, { includeDeleted: true })) {
          stored.push(record);
        }
        const expectedRecords = [...expected.wal.values()].sort((a, b) => a.key.localeCompare(b.key));
        expect(stored).toEqual(expectedRecords);
      }),
      { numRuns: 25 },
    );
    // 25 fresh tables on dynalite: over 20 s on two loaded cores, so not the 30 s default.
  }, 120_000);

  it('gives tombstones a TTL of 30 days after their removal, and live objects none', async () => {
    const store = await newStore();
    await store.applyWalChanges([
      { origin: 'event', record: walRecord(segmentName(1), 1, 2, false) },
      { origin: 'event', record: walRecord(segmentName(2), 2, 1, true) },
    ]);
    const table = `catalog-${tables}`;
    const items = await ddb.client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'WAL#orders-main#00000001' },
      }),
    );
    expect(items.Items?.map((item) => item.ttl)).toEqual([
      at(2).getTime() / 1000 + TOMBSTONE_TTL_DAYS * 86_400,
      undefined,
    ]);
    expect(TOMBSTONE_TTL_DAYS).toBe(30);
  });

  it('stores backups by their sources and returns them oldest first with the derived status', async () => {
    const store = await newStore();
    const observation = (name: string, text: string, sequence: string) => ({
      type: 'source-observed' as const,
      origin: 'event' as const,
      cluster,
      name,
      source: 'sentinel' as const,
      observation: { key: `${name}_sentinel`, present: true, text, sequencer: sequence, observedAt: at(5) },
    });
    await store.applyBackupChanges([
      observation('base_b', 'ok', '01'),
      observation('base_a', 'bad', '01'),
      { type: 'payload-seen', cluster, name: 'base_c', observedAt: at(2) },
    ]);
    const outcome = await store.applyBackupChanges([observation('base_b', 'ok', '01')]);
    expect(outcome).toEqual({ applied: 0, stale: 1 });
    const listed = await store.listBackups(cluster);
    expect(listed.map((b) => [b.name, b.status])).toEqual([
      ['base_b', 'complete'],
      ['base_a', 'unreadable'],
      ['base_c', 'incomplete'],
    ]);
    expect((await store.getBackup(cluster, 'base_a'))?.problem).toBe('sentinel of base_a is malformed');
  });

  it('reads segment ranges by sort key, the latest live object and the timelines', async () => {
    const store = await newStore();
    await store.applyWalChanges(
      [1, 2, 3, 0x100, 0x101].map((segNo) => ({
        origin: 'event' as const,
        record: walRecord(segmentName(segNo), segNo, 1, segNo !== 0x101),
      })),
    );
    const range: number[] = [];
    for await (const r of store.listWalObjects(cluster, timelineId(1), {
      fromSegNo: segmentNumber(2),
      toSegNo: segmentNumber(0x100),
    })) {
      range.push(r.segNo as number);
    }
    expect(range).toEqual([2, 3, 0x100]);
    // The same range a query page at a time, tombstones on request (the full sync's read).
    const paged: number[] = [];
    for await (const page of store.listWalObjectPages(
      cluster,
      timelineId(1),
      { fromSegNo: segmentNumber(2), toSegNo: segmentNumber(0x101) },
      { includeDeleted: true },
    ))
      paged.push(...page.map((r) => r.segNo as number));
    expect(paged).toEqual([2, 3, 0x100, 0x101]);
    expect((await store.latestWalObject(cluster, timelineId(1)))?.segNo).toBe(0x100);
    expect(await store.listTimelines(cluster)).toEqual([1]);
  });

  it('reads a timeline for retention as listWalObjects does, with only the fields retention reads', async () => {
    const store = await newStore();
    const partial = {
      ...walRecord(`${segmentName(3).slice(0, -3)}.partial.br`, 3, 4, true, 7),
      kind: 'partial' as const,
    };
    await store.applyWalChanges(
      [
        ...[1, 2, 3, 5].map((segNo) => walRecord(segmentName(segNo), segNo, segNo, segNo !== 2, 10 + segNo)),
        partial,
      ].map((record) => ({ origin: 'event' as const, record })),
    );
    const lean = [];
    for await (const object of store.listRetentionWal(cluster, timelineId(1))) lean.push(object);
    const full = [];
    for await (const record of store.listWalObjects(cluster, timelineId(1))) {
      full.push({
        key: record.key,
        kind: record.kind,
        timeline: record.timeline,
        segNo: record.segNo,
        size: record.size,
        uploadedAt: record.uploadedAt,
      });
    }
    expect(lean).toEqual(full);
    expect(lean.map((object) => [object.segNo, object.kind, object.size])).toEqual([
      [1, 'segment', 11],
      [3, 'segment', 13],
      [3, 'partial', 7],
      [5, 'segment', 15],
    ]);
  });

  it('keeps cluster state with optimistic versions and an opaque cursor holding bigints', async () => {
    const store = await newStore();
    expect(await store.getClusterState(cluster)).toEqual({ cluster, version: 0 });
    const first = await store.updateClusterState(cluster, { verifiedCursor: { lsn: 2n ** 60n, at: at(3) } }, 0);
    expect(first.version).toBe(1);
    await expect(store.updateClusterState(cluster, { lastFullSyncAt: at(4) }, 0)).rejects.toBeInstanceOf(
      ClusterStateConflictError,
    );
    const second = await store.updateClusterState(cluster, { lastFullSyncAt: at(4) });
    expect(second).toEqual({
      cluster,
      version: 2,
      lastFullSyncAt: at(4),
      verifiedCursor: { lsn: 2n ** 60n, at: at(3) },
    });
  });

  it('counts the capacity of every request it sends, reads of queries and state writes included', async () => {
    const store = await newStore();
    await store.applyWalChanges([{ origin: 'event', record: walRecord(segmentName(1), 1, 1, true) }]);
    const measure = async (work: () => Promise<unknown>) => {
      const before = { ...store.consumedCapacity };
      const requests = store.requestCount;
      await work();
      return {
        requests: store.requestCount - requests,
        read: store.consumedCapacity.read - before.read,
        write: store.consumedCapacity.write - before.write,
      };
    };
    // Each is one request that DynamoDB bills; the figure the benchmarks report must include it.
    const update = await measure(() => store.updateClusterState(cluster, { lastFullSyncAt: at(5) }));
    expect(update.requests).toBe(1);
    expect(update.write).toBeGreaterThan(0);
    const state = await measure(() => store.getClusterState(cluster));
    expect(state.requests).toBe(1);
    expect(state.read).toBeGreaterThan(0);
    const listing = await measure(() => store.listTimelines(cluster));
    expect(listing.requests).toBe(1);
    expect(listing.read).toBeGreaterThan(0);
  });
});

describe('DynamoDbCatalogStore batching and retries', () => {
  const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  const mock = mockClient(documentClient);
  const store = () =>
    new DynamoDbCatalogStore({
      client: documentClient,
      tableName: 'walcat',
      interpret,
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 4 },
      sleep: async () => {},
    });
  const changes = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      origin: 'event' as const,
      record: walRecord(segmentName(i + 1), i + 1, 1, true),
    }));

  it('writes 1,000 new WAL keys in 10 TransactWriteItems requests and no read, and retries unprocessed markers', async () => {
    mock.reset();
    const conditions = new Set<string>();
    const sizes: number[] = [];
    mock.on(TransactWriteCommand).callsFake((input: { TransactItems: { Put: { ConditionExpression?: string } }[] }) => {
      sizes.push(input.TransactItems.length);
      for (const item of input.TransactItems) conditions.add(item.Put.ConditionExpression ?? 'none');
      return {};
    });
    let writes = 0;
    mock.on(BatchWriteCommand).callsFake((input: { RequestItems: Record<string, unknown[]> }) => {
      writes++;
      // The timeline marker comes back unprocessed once, as under throttling.
      return writes === 1 ? { UnprocessedItems: input.RequestItems } : {};
    });
    const subject = store();
    const outcome = await subject.applyWalChanges(changes(1000));
    expect(outcome).toEqual({ applied: 1000, stale: 0 });
    expect(subject.requestCounts).toEqual({ TransactWriteItems: 10, BatchWriteItem: 2 });
    // A full batch: at most 41 requests per 1,000 WAL events, 40 being the 25-item BatchWriteItem floor.
    expect(subject.requestCount).toBeLessThanOrEqual(41);
    expect(sizes).toEqual(Array(10).fill(100));
    expect([...conditions]).toEqual(['attribute_not_exists(pk)']);
  });

  it('falls back to one conditional PutItem per key where the table has no transactions, and remembers it', async () => {
    mock.reset();
    mock
      .on(TransactWriteCommand)
      .rejects(Object.assign(new Error('UnknownError'), { name: 'UnknownOperationException' }));
    mock.on(PutCommand).resolves({});
    mock.on(BatchWriteCommand).resolves({});
    const subject = store();
    await subject.applyWalChanges(changes(1000));
    // The first transaction goes alone, so only one request finds out.
    expect(subject.requestCounts).toEqual({ TransactWriteItems: 1, PutItem: 1000, BatchWriteItem: 1 });
    await subject.applyWalChanges(changes(1000).map((c) => ({ ...c, record: { ...c.record, sequencer: 'FF' } })));
    expect(subject.requestCounts.TransactWriteItems).toBe(1);
  });

  it('after a cancelled transaction re-reads only the key whose condition failed and resends the others as they were', async () => {
    mock.reset();
    const existing = { ...walRecord(segmentName(2), 2, 1, true), uploadedAt: '2026-11-20T12:00:01.000Z' };
    const sent: { Put: { Item: { sk: string }; ConditionExpression: string; ExpressionAttributeValues?: Item } }[][] =
      [];
    mock.on(TransactWriteCommand).callsFake((input: { TransactItems: (typeof sent)[number] }) => {
      sent.push(input.TransactItems);
      if (sent.length > 1) return {};
      // The second write's item exists (another writer); the third is in a concurrent transaction; the fourth was
      // throttled; the others were cancelled for their sake.
      throw Object.assign(new Error('Transaction cancelled'), {
        name: 'TransactionCanceledException',
        CancellationReasons: [
          { Code: 'None' },
          { Code: 'ConditionalCheckFailed' },
          { Code: 'TransactionConflict' },
          { Code: 'ThrottlingError' },
          { Code: 'None' },
        ],
      });
    });
    const reads: { Keys: Item[]; ConsistentRead?: boolean }[] = [];
    mock.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, (typeof reads)[number]> }) => {
      reads.push(input.RequestItems.walcat as (typeof reads)[number]);
      return { Responses: { walcat: [{ ...walItemKey(2), itemType: 'wal', ...existing, version: 4 }] } };
    });
    mock.on(BatchWriteCommand).resolves({});
    const subject = store();
    const batch = changes(5).map((c, i) => (i === 1 ? { ...c, record: walRecord(segmentName(2), 2, 2, false) } : c));
    expect(await subject.applyWalChanges(batch)).toEqual({ applied: 5, stale: 0 });
    expect(subject.conflicts).toBe(1);
    // One consistent read, of the one key whose condition failed.
    expect(reads).toEqual([{ Keys: [walItemKey(2)], ConsistentRead: true }]);
    expect(sent).toHaveLength(2);
    const second = sent[1] ?? [];
    expect(second.map((w) => w.Put.ConditionExpression)).toEqual([
      'attribute_not_exists(pk)',
      '#version = :version',
      'attribute_not_exists(pk)',
      'attribute_not_exists(pk)',
      'attribute_not_exists(pk)',
    ]);
    expect(second[1]?.Put.ExpressionAttributeValues).toEqual({ ':version': 4 });
  });

  it('refuses a batch DynamoDB finds invalid in a transaction, naming the item', async () => {
    mock.reset();
    mock.on(TransactWriteCommand).rejects(
      Object.assign(new Error('Transaction cancelled'), {
        name: 'TransactionCanceledException',
        CancellationReasons: [
          { Code: 'None' },
          { Code: 'ValidationError', Message: 'Item size too large' },
          { Code: 'None' },
        ],
      }),
    );
    await expect(store().applyWalChanges(changes(3))).rejects.toThrow(/refused in a transaction: Item size too large/);
  });

  it('gives up as transient when every transaction round loses its condition (heavy contention)', async () => {
    mock.reset();
    mock.on(TransactWriteCommand).callsFake((input: { TransactItems: unknown[] }) => {
      throw Object.assign(new Error('Transaction cancelled'), {
        name: 'TransactionCanceledException',
        CancellationReasons: input.TransactItems.map(() => ({ Code: 'ConditionalCheckFailed' })),
      });
    });
    // Each re-read finds a newer version of every key that this batch's changes still change.
    let version = 0;
    mock.on(BatchGetCommand).callsFake((input: { RequestItems: { walcat: { Keys: Item[] } } }) => ({
      Responses: {
        walcat: input.RequestItems.walcat.Keys.map((key) => ({ ...key, itemType: 'wal', version: ++version })),
      },
    }));
    const subject = store();
    await expect(subject.applyWalChanges(changes(3))).rejects.toBeInstanceOf(TransientError);
    expect(subject.requestCounts.TransactWriteItems).toBe(20);
  });

  it('retries a PutItem that a concurrent transaction on its item refused, after reading the item again', async () => {
    mock.reset();
    let puts = 0;
    mock.on(PutCommand).callsFake(() => {
      puts++;
      if (puts === 1) {
        throw Object.assign(new Error('Transaction is ongoing for the item'), { name: 'TransactionConflictException' });
      }
      return {};
    });
    mock.on(GetCommand).resolves({});
    mock.on(BatchWriteCommand).resolves({});
    const subject = store();
    expect(await subject.applyWalChanges(changes(1))).toEqual({ applied: 1, stale: 0 });
    expect(subject.requestCounts).toEqual({ PutItem: 2, GetItem: 1, BatchWriteItem: 1 });
  });

  it('re-reads and merges a key whose conditional write failed, and writes it on the version it read', async () => {
    mock.reset();
    const existing = { ...walRecord(segmentName(1), 1, 1, true), uploadedAt: '2026-11-20T12:00:01.000Z' };
    const puts: { ConditionExpression?: string; ExpressionAttributeValues?: Record<string, unknown> }[] = [];
    mock.on(PutCommand).callsFake((input: (typeof puts)[number]) => {
      puts.push(input);
      if (input.ConditionExpression === 'attribute_not_exists(pk)') {
        throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
      }
      return {};
    });
    mock.on(GetCommand).resolves({ Item: { pk: 'p', sk: 's', itemType: 'wal', ...existing, version: 3 } });
    mock.on(BatchWriteCommand).resolves({});
    const subject = store();
    const newer = { origin: 'event' as const, record: walRecord(segmentName(1), 1, 2, false) };
    expect(await subject.applyWalChanges([newer])).toEqual({ applied: 1, stale: 0 });
    expect(puts.map((p) => [p.ConditionExpression, p.ExpressionAttributeValues?.[':version']])).toEqual([
      ['attribute_not_exists(pk)', undefined],
      ['#version = :version', 3],
    ]);
  });

  it('gives up with a TransientError after the capped attempts, so the platform retries the batch', async () => {
    mock.reset();
    mock.on(PutCommand).resolves({});
    mock.on(BatchWriteCommand).callsFake((input: { RequestItems: Record<string, unknown[]> }) => ({
      UnprocessedItems: input.RequestItems,
    }));
    await expect(store().applyWalChanges(changes(3))).rejects.toBeInstanceOf(TransientError);
  });
});
