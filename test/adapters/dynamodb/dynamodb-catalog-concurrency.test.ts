/**
 * Concurrent writers of one catalog: each writer has its own DynamoDB client (as separate Lambda invocations have),
 * and its reads return before the other writer's writes land. Whatever the interleaving, the stored state must be
 * the pure reducer's state for the same events. The property runs against dynalite (no transactions: one conditional
 * PutItem per WAL item, UpdateItem per backup part) and against moto's server mode, where batches of three changed
 * items or more go in TransactWriteItems requests (puts of WAL items, field-wise updates of backups) and cancelled
 * transactions are merged and retried. moto is reached through a proxy that hands it one request at a time: its
 * server runs requests on threads without a lock, so without the proxy it can lose a conditional write on its own,
 * which DynamoDB never does.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCatalogStore, TRANSACTION_THRESHOLD } from '../../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import type { BackupChange, BackupInterpreter, WalObjectChange } from '../../../lib/domain/catalog/catalog-change.ts';
import type { WalObjectRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import {
  applyEventsToCatalogState,
  type CatalogChange,
  EMPTY_CATALOG_STATE,
} from '../../../lib/domain/catalog/catalog-state.ts';
import type { ClusterId } from '../../../lib/domain/cluster.ts';
import { lsnFromInteger } from '../../../lib/domain/wal/lsn.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber } from '../../../lib/domain/wal/wal-segment.ts';
import { type DynaliteHandle, startDynalite } from '../../support/dynalite.ts';
import { type JitterOptions, jitteryDocumentClient } from '../../support/jittery-dynamodb.ts';
import { type MotoHandle, startMoto } from '../../support/moto.ts';
import { type SerialProxy, startSerialProxy } from '../../support/one-request-at-a-time.ts';

const cluster = 'orders-main' as ClusterId;
const at = (second: number) => new Date(Date.UTC(2026, 10, 20, 12, 0, second));
const interpret: BackupInterpreter = (_c, name, _sentinel, metadata) => ({
  backup: {
    name,
    kind: 'full',
    timeline: timelineId(1),
    startLsn: lsnFromInteger(0),
    finishLsn: lsnFromInteger(16),
    startSegment: { timeline: timelineId(1), segNo: segmentNumber(1) },
    permanent: metadata?.text === 'permanent',
  },
});

let ddb: DynaliteHandle;
let moto: MotoHandle;
let atomicMoto: SerialProxy;
let tables = 0;
beforeAll(async () => {
  [ddb, moto] = await Promise.all([startDynalite(), startMoto()]);
  atomicMoto = await startSerialProxy(moto.endpoint);
}, 60_000);
afterAll(() => Promise.all([ddb.close(), atomicMoto.close().then(() => moto.close())]));

/** Two stores on one new table, each with its own client: reads answer at once, writes wait `writeDelayMs`. */
async function twoWriters(jitter: JitterOptions): Promise<[DynamoDbCatalogStore, DynamoDbCatalogStore]> {
  const tableName = `concurrent-${++tables}`;
  const make = () =>
    new DynamoDbCatalogStore({ client: jitteryDocumentClient(ddb.endpoint, jitter), tableName, interpret });
  const first = make();
  await first.ensureTable();
  return [first, make()];
}

const WRITES_WAIT = { delayMs: { BatchWrite: 40, Put: 40, Update: 40 } };

const segment = (sequence: number, present: boolean): WalObjectChange => ({
  origin: 'event',
  record: {
    cluster,
    key: 'orders-main/wal_005/0000000100000000000000A3.br',
    kind: 'segment',
    timeline: timelineId(1),
    segNo: segmentNumber(0xa3),
    compression: 'brotli',
    size: present ? 16 : 0,
    ...(present ? { etag: `e${sequence}` } : {}),
    uploadedAt: at(sequence),
    sequencer: `00000000000000000${sequence}`,
    deleted: !present,
    ...(present ? {} : { deletedAt: at(sequence) }),
  },
});

const source = (name: string, kind: 'sentinel' | 'metadata', text: string): BackupChange => ({
  type: 'source-observed',
  origin: 'event',
  cluster,
  name,
  source: kind,
  observation: { key: `${name}/${kind}`, present: true, text, etag: kind, sequencer: '0001', observedAt: at(5) },
});

async function storedSegment(store: DynamoDbCatalogStore): Promise<WalObjectRecord | undefined> {
  for await (const record of store.listWalObjects(cluster, timelineId(1), {}, { includeDeleted: true })) return record;
  return undefined;
}

describe('concurrent catalog writers against dynalite', () => {
  it('keeps the newer event of a new key when an older one is written by another invocation at the same time', async () => {
    const [a, b] = await twoWriters(WRITES_WAIT);
    // The removal (newer) and the creation (older) of one segment, handled by two invocations at once.
    await Promise.all([a.applyWalChanges([segment(2, false)]), b.applyWalChanges([segment(1, true)])]);
    expect(await storedSegment(a)).toMatchObject({ deleted: true, sequencer: '000000000000000002' });
  });

  it('keeps the newer event of a key that already exists', async () => {
    const [a, b] = await twoWriters(WRITES_WAIT);
    await a.applyWalChanges([segment(1, true)]);
    await Promise.all([a.applyWalChanges([segment(3, false)]), b.applyWalChanges([segment(2, true)])]);
    expect(await storedSegment(a)).toMatchObject({ deleted: true, sequencer: '000000000000000003' });
  });

  it('updates an item written before versions existed, conditionally, and versions it from then on', async () => {
    const [a, b] = await twoWriters(WRITES_WAIT);
    const tableName = `concurrent-${tables}`;
    const legacy = segment(1, true).record;
    await ddb.client.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: 'WAL#orders-main#00000001',
          sk: `0000000000A3#${legacy.key.slice(legacy.key.lastIndexOf('/') + 1)}`,
          itemType: 'wal',
          ...legacy,
          uploadedAt: legacy.uploadedAt.toISOString(),
        },
      }),
    );
    await Promise.all([a.applyWalChanges([segment(3, false)]), b.applyWalChanges([segment(2, true)])]);
    expect(await storedSegment(a)).toMatchObject({ deleted: true, sequencer: '000000000000000003' });
    const stored = await ddb.client.send(
      new GetCommand({
        TableName: tableName,
        Key: { pk: 'WAL#orders-main#00000001', sk: `0000000000A3#0000000100000000000000A3.br` },
      }),
    );
    expect(stored.Item?.version).toBeGreaterThanOrEqual(1);
  });

  it('keeps both the sentinel and the metadata.json of a backup observed by two invocations at once', async () => {
    for (let run = 0; run < 5; run++) {
      const [a, b] = await twoWriters(WRITES_WAIT);
      const name = `base_00000001000000000000000${run}`;
      await Promise.all([
        a.applyBackupChanges([source(name, 'sentinel', 'ok')]),
        b.applyBackupChanges([source(name, 'metadata', 'permanent')]),
      ]);
      const record = await a.getBackup(cluster, name);
      expect(record).toMatchObject({ status: 'complete', backup: { permanent: true } });
      expect(record?.sentinel?.present).toBe(true);
      expect(record?.metadata?.present).toBe(true);
      // Each source is its own conditional update: neither write had to be retried.
      expect(a.conflicts + b.conflicts).toBe(0);
    }
  });
});

/** One key's history: create/remove steps with increasing sequencers (two events never share one). */
const walHistory = (segNo: number, steps: readonly boolean[]): CatalogChange[] =>
  steps.map((present, index) => ({
    type: 'wal',
    change: {
      origin: 'event',
      record: {
        cluster,
        key: `orders-main/wal_005/00000001000000000000${segNo.toString(16).toUpperCase().padStart(4, '0')}.br`,
        kind: 'segment',
        timeline: timelineId(1),
        segNo: segmentNumber(segNo),
        compression: 'brotli',
        size: present ? 16 + index : 0,
        ...(present ? { etag: `e${index}` } : {}),
        uploadedAt: at(index),
        sequencer: (index + 1).toString(16).padStart(18, '0'),
        deleted: !present,
        ...(present ? {} : { deletedAt: at(index) }),
      },
    },
  }));

const backupEvents = (
  name: string,
  sentinel: readonly boolean[],
  metadata: readonly boolean[],
  payload: readonly number[],
): CatalogChange[] => [
  ...(
    [
      ['sentinel', sentinel],
      ['metadata', metadata],
    ] as const
  ).flatMap(([kind, steps]) =>
    steps.map(
      (present, index): CatalogChange => ({
        type: 'backup',
        change: {
          type: 'source-observed',
          origin: 'event',
          cluster,
          name,
          source: kind,
          observation: {
            key: `${name}/${kind}`,
            present,
            sequencer: (index + 1).toString(16).padStart(18, '0'),
            ...(present ? { text: index % 2 === 0 ? 'permanent' : 'plain', etag: `${kind}-${index}` } : {}),
            observedAt: at(10 + index),
          },
        },
      }),
    ),
  ),
  ...payload.map(
    (second): CatalogChange => ({
      type: 'backup',
      change: { type: 'payload-seen', cluster, name, observedAt: at(second) },
    }),
  ),
];

const eventsArbitrary = fc
  .record({
    // Enough keys that a batch reaches the transaction threshold, few enough that invocations meet on them.
    wal: fc.array(fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 8 }),
    backups: fc.array(
      fc.record({
        sentinel: fc.array(fc.boolean(), { maxLength: 2 }),
        metadata: fc.array(fc.boolean(), { maxLength: 2 }),
        payload: fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 2 }),
      }),
      { maxLength: 4 },
    ),
  })
  .map(eventsOf);

interface EventPlan {
  readonly wal: readonly (readonly boolean[])[];
  readonly backups: readonly { sentinel: boolean[]; metadata: boolean[]; payload: number[] }[];
}
function eventsOf({ wal, backups }: EventPlan): CatalogChange[] {
  return [
    ...wal.flatMap((steps, index) => walHistory(index + 1, steps)),
    ...backups.flatMap((b, index) => backupEvents(`base_${index}`, b.sentinel, b.metadata, b.payload)),
  ];
}

/**
 * A scenario sure to reach every path: four WAL keys and three backups, every event delivered twice, to two
 * invocations in batches of ten, so transactions of puts and of backup updates meet on the same keys.
 */
function transactionalExample() {
  const changes = eventsOf({
    wal: [[true], [true, false], [true], [false, true]],
    backups: [0, 1, 2].map(() => ({ sentinel: [true], metadata: [true], payload: [3] })),
  });
  return {
    changes,
    invocations: 2,
    delivery: changes,
    owners: Array.from({ length: 2 * changes.length }, (_, index) => index % 2),
    batchSize: 10,
    seed: 11,
  };
}

/** What the catalog answers, without `updatedAt` (when the catalog last wrote a backup depends on arrival order). */
async function readState(store: DynamoDbCatalogStore) {
  const wal: WalObjectRecord[] = [];
  for await (const record of store.listWalObjects(cluster, timelineId(1), {}, { includeDeleted: true })) {
    wal.push(record);
  }
  const backups = (await store.listBackups(cluster))
    .map(({ updatedAt: _updatedAt, ...record }) => record)
    .sort((a, b) => a.name.localeCompare(b.name));
  return { wal, backups };
}

function expectedState(changes: readonly CatalogChange[]) {
  const state = applyEventsToCatalogState(EMPTY_CATALOG_STATE, changes, interpret);
  return {
    wal: [...state.wal.values()].sort((a, b) => a.key.localeCompare(b.key)),
    backups: [...state.backups.values()]
      .map(({ updatedAt: _updatedAt, ...record }) => record)
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/** What the TransactWriteItems requests of a client carried, and why DynamoDB cancelled those it cancelled. */
interface TransactionLog {
  /** Per request, its kinds of write (`Put`, `Update`). */
  readonly sent: string[][];
  /** Per cancelled request, the reason of each write (`None`, `ConditionalCheckFailed`, ...). */
  readonly cancelled: string[][];
}

function logTransactions(client: DynamoDBDocumentClient, log: TransactionLog): DynamoDBDocumentClient {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (!(context.commandName ?? '').includes('TransactWrite')) return next(args);
      const items = (args.input as { TransactItems: Record<string, unknown>[] }).TransactItems;
      log.sent.push(items.map((item) => Object.keys(item)[0] ?? '?'));
      try {
        return await next(args);
      } catch (error) {
        const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
        if (reasons) log.cancelled.push(reasons.map((reason) => reason.Code ?? 'None'));
        throw error;
      }
    },
    { step: 'initialize', name: 'walcatTestTransactionLog' },
  );
  return client;
}

const newLog = (): TransactionLog => ({ sent: [], cancelled: [] });

describe.each([
  { backend: 'dynalite', endpoint: () => ddb.endpoint, runs: 30, transactions: false },
  { backend: 'moto', endpoint: () => atomicMoto.endpoint, runs: 15, transactions: true },
])('N concurrent invocations against $backend', ({ endpoint, runs, transactions }) => {
  it('store exactly the pure reducer state for any split, order, duplication and jitter', async () => {
    const used: Record<string, number> = {};
    const log = newLog();
    let invocationsRun = 0;
    const scenario = eventsArbitrary.chain((changes) =>
      fc.record({
        changes: fc.constant(changes),
        invocations: fc.integer({ min: 2, max: 8 }),
        // Each delivered event (some twice) goes to one invocation, in a shuffled order, in batches.
        delivery: fc.shuffledSubarray([...changes, ...changes], { minLength: changes.length }),
        owners: fc.array(fc.nat(7), { minLength: 2 * changes.length, maxLength: 2 * changes.length }),
        batchSize: fc.integer({ min: 1, max: 10 }),
        seed: fc.integer(),
      }),
    );
    await fc.assert(
      fc.asyncProperty(scenario, async ({ changes, invocations, delivery, owners, batchSize, seed }) => {
        // Every event is delivered at least once.
        const delivered = [...changes, ...delivery];
        const tableName = `property-${++tables}`;
        let state = seed;
        const random = () => {
          state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
          return Math.abs(state) / 2 ** 31;
        };
        const stores = Array.from(
          { length: invocations },
          () =>
            new DynamoDbCatalogStore({
              client: logTransactions(jitteryDocumentClient(endpoint(), { jitterMs: 8, random }), log),
              tableName,
              interpret,
            }),
        );
        invocationsRun += invocations;
        await (stores[0] as DynamoDbCatalogStore).ensureTable();
        const queues = stores.map(() => [] as CatalogChange[]);
        delivered.forEach((change, index) => {
          queues[(owners[index] ?? 0) % invocations]?.push(change);
        });
        await Promise.all(
          stores.map(async (store, index) => {
            const queue = queues[index] ?? [];
            for (let start = 0; start < queue.length; start += batchSize) {
              const batch = queue.slice(start, start + batchSize);
              await Promise.all([
                store.applyWalChanges(batch.flatMap((c) => (c.type === 'wal' ? [c.change] : []))),
                store.applyBackupChanges(batch.flatMap((c) => (c.type === 'backup' ? [c.change] : []))),
              ]);
            }
          }),
        );
        for (const store of stores) {
          for (const [operation, n] of Object.entries(store.requestCounts))
            used[operation] = (used[operation] ?? 0) + n;
        }
        expect(await readState(stores[0] as DynamoDbCatalogStore)).toEqual(expectedState(changes));
      }),
      { numRuns: runs, examples: [[transactionalExample()]] },
    );
    // Small batches went item by item on both tables.
    expect(used.PutItem).toBeGreaterThan(0);
    if (transactions) {
      // Batches at the threshold went in transactions: WAL puts and backup updates, some cancelled by a concurrent
      // invocation's write and then merged and retried.
      expect(log.sent.some((kinds) => kinds.includes('Put') && kinds.length >= TRANSACTION_THRESHOLD)).toBe(true);
      expect(log.sent.some((kinds) => kinds.includes('Update'))).toBe(true);
      expect(log.cancelled.some((reasons) => reasons.includes('ConditionalCheckFailed'))).toBe(true);
    } else {
      // Without transactions each store found out with its first batch at the threshold: once, or twice when its WAL
      // and backup batches (written at the same time) both were the first.
      expect(used.TransactWriteItems ?? 0).toBeGreaterThan(0);
      expect(used.TransactWriteItems ?? 0).toBeLessThanOrEqual(2 * invocationsRun);
      expect(log.cancelled).toEqual([]);
    }
  }, 180_000);
});

describe('transactions cancelled by a concurrent invocation against moto', () => {
  /** A new WAL key's events, `present` steps with sequencers unique across writers (writer, then step). */
  const keyEvents = (segNo: number, writer: number, steps: readonly boolean[]): WalObjectChange[] =>
    walHistory(segNo, steps).map((change, index) => {
      const wal = (change as Extract<CatalogChange, { type: 'wal' }>).change;
      return { ...wal, record: { ...wal.record, sequencer: (writer * 16 + index + 1).toString(16).padStart(18, '0') } };
    });

  it('store the reducer state when one write of a transaction fails its condition and the others are cancelled with it', async () => {
    const log = newLog();
    // Each writer: the keys of its one batch (at least the threshold, so one transaction), overlapping the others'.
    const writerBatches = fc.array(
      fc.uniqueArray(
        fc.record({
          segNo: fc.integer({ min: 1, max: 10 }),
          steps: fc.array(fc.boolean(), { minLength: 1, maxLength: 2 }),
        }),
        {
          minLength: TRANSACTION_THRESHOLD,
          maxLength: 6,
          selector: (entry) => entry.segNo,
        },
      ),
      { minLength: 2, maxLength: 4 },
    );
    await fc.assert(
      fc.asyncProperty(writerBatches, fc.integer(), async (batches, seed) => {
        const tableName = `cancelled-${++tables}`;
        let state = seed;
        const random = () => {
          state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
          return Math.abs(state) / 2 ** 31;
        };
        const stores = batches.map(
          () =>
            new DynamoDbCatalogStore({
              client: logTransactions(jitteryDocumentClient(atomicMoto.endpoint, { jitterMs: 10, random }), log),
              tableName,
              interpret,
            }),
        );
        await (stores[0] as DynamoDbCatalogStore).ensureTable();
        const changes = batches.map((batch, writer) =>
          batch.flatMap(({ segNo, steps }) => keyEvents(segNo, writer, steps)),
        );
        await Promise.all(stores.map((store, writer) => store.applyWalChanges(changes[writer] ?? [])));
        const expected = expectedState(changes.flat().map((change): CatalogChange => ({ type: 'wal', change })));
        expect((await readState(stores[0] as DynamoDbCatalogStore)).wal).toEqual(expected.wal);
      }),
      {
        numRuns: 10,
        // Two writers whose batches share only segment 5: whichever transaction lands second fails on it alone.
        examples: [
          [
            [
              [1, 2, 3, 4, 5].map((segNo) => ({ segNo, steps: [true] })),
              [5, 6, 7, 8, 9].map((segNo) => ({ segNo, steps: [false] })),
            ],
            7,
          ],
        ],
      },
    );
    // Some transaction failed on one item's condition while the others of it were cancelled only for its sake.
    expect(
      log.cancelled.some((reasons) => reasons.includes('ConditionalCheckFailed') && reasons.includes('None')),
    ).toBe(true);
  }, 180_000);
});
