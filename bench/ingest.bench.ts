/**
 * Catalog ingestion end to end: SQS messages holding S3 notifications (URL-encoded keys, sequencers) → parse →
 * classify → ingestObjectEvents → DynamoDbCatalogStore, on two tables. moto's server mode runs TransactWriteItems as
 * DynamoDB does: a batch of new WAL keys goes 100 conditional puts "if absent" to a request, without a read, and
 * its figures are the deployed ones. dynalite has no transactions: there every key is its own conditional PutItem
 * (the store's fallback), and it gives the events per second (in-process; moto is a Python server). Figures:
 * DynamoDB requests per 1,000 WAL events at the SQS batch sizes a deployment can choose (10 is the SQS default;
 * larger batches need a batching window), with the goal at full batches, and the write units they bill (two per
 * item in a transaction, one for a PutItem).
 */

import { join } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoDbDocumentClient } from '../lib/adapters/aws/aws-clients.ts';
import { DynamoDbCatalogStore } from '../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { parseIngestInvocation } from '../lib/adapters/events/s3-notification-events.ts';
import { createBackupInterpreter } from '../lib/domain/catalog/backup-interpreter.ts';
import { historyTextOrUndefined } from '../lib/domain/wal/history-file-content.ts';
import { timelineId } from '../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../lib/domain/wal/wal-segment.ts';
import { ingestObjectEvents } from '../lib/use-cases/ingest-object-events.ts';
import { startDynalite } from '../test/support/dynalite.ts';
import { MOTO_CREDENTIALS, MOTO_REGION, startMoto } from '../test/support/moto.ts';
import { startSerialProxy } from '../test/support/one-request-at-a-time.ts';
import type { Benchmark, BenchRow } from './bench-types.ts';
import { LatentMemoryObjectStore } from './support/latent-memory-object-store.ts';
import { BENCH_BUCKET, BENCH_CLUSTER } from './support/synthetic-wal-g-bucket.ts';

const NAME = 'ingest';
/**
 * Events sent to dynalite at each SQS batch size: its rows are the events per second and the fallback's requests,
 * neither with a goal, and every batch of a size makes the same requests, so 1,000 events say what 10,000 said
 * (dynalite writes about 40 conditional PutItems a second on a loaded 2-core machine, and the whole bench has ten
 * minutes). The one-off timeline marker of the cluster is one request in these 1,000.
 */
const DYNALITE_EVENTS = 1_000;
/**
 * Events sent to moto at each SQS batch size: one full batch of 1,000 (the goal's row), and as many at the smaller
 * sizes, whose every batch makes the same requests. The timeline marker is one request in these 1,000.
 */
const MOTO_EVENTS = 1_000;
/**
 * moto as a script that copies a table once per transaction for its rollback, where moto copies it once per write
 * of the transaction (100 copies of the whole table per request; a full batch took minutes on a loaded machine).
 * The rollback is the same, so are the answers and the request counts.
 */
const MOTO_COMMAND = ['python3', join(import.meta.dirname, 'support', 'moto-one-copy-per-transaction.py')] as const;
const SIZE = BENCH_CLUSTER.walSegmentSize;

/** One SQS message per S3 notification, as S3 → SQS delivers them. */
function sqsMessages(count: number, offset: number): { messageId: string; eventSource: string; body: string }[] {
  return Array.from({ length: count }, (_, index) => {
    const segNo = 0x1000 + offset + index;
    const key = `${BENCH_CLUSTER.storage.prefix}wal_005/${walFileName({ timeline: timelineId(1), segNo: segmentNumber(segNo) }, SIZE)}.br`;
    const notification = {
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          awsRegion: 'us-east-1',
          eventTime: new Date(Date.UTC(2026, 10, 1) + segNo * 6000).toISOString(),
          eventName: 'ObjectCreated:Put',
          s3: {
            s3SchemaVersion: '1.0',
            bucket: { name: BENCH_BUCKET },
            object: {
              key: encodeURIComponent(key).replaceAll('%2F', '/'),
              size: 16_777_216,
              eTag: `e${segNo}`,
              sequencer: `00${(0x5f00000000 + segNo).toString(16).toUpperCase()}`,
            },
          },
        },
      ],
    };
    return { messageId: `m-${offset + index}`, eventSource: 'aws:sqs', body: JSON.stringify(notification) };
  });
}

interface Table {
  readonly name: string;
  readonly client: DynamoDBDocumentClient;
  /** Events sent at each batch size. */
  readonly events: (batchSize: number) => number;
  readonly batchSizes: readonly number[];
  /** Whether the table runs transactions, as DynamoDB does: its request rows carry the goal. */
  readonly transactions: boolean;
  readonly close: () => Promise<void>;
}

async function tables(): Promise<Table[]> {
  const [ddb, moto] = await Promise.all([startDynalite(), startMoto({ command: MOTO_COMMAND })]);
  // moto runs requests on threads without a lock (two transactions at once on one table can fail there); DynamoDB
  // runs each request atomically, and the proxy hands moto one request at a time.
  const atomicMoto = await startSerialProxy(moto.endpoint);
  return [
    {
      name: 'moto',
      client: createDynamoDbDocumentClient({
        region: MOTO_REGION,
        dynamodb: atomicMoto.endpoint,
        credentials: MOTO_CREDENTIALS,
      }),
      events: () => MOTO_EVENTS,
      batchSizes: [10, 100, 1000],
      transactions: true,
      close: () => atomicMoto.close().then(() => moto.close()),
    },
    {
      name: 'dynalite, no transactions',
      client: ddb.client,
      events: () => DYNALITE_EVENTS,
      batchSizes: [10, 100, 1000],
      transactions: false,
      close: () => ddb.close(),
    },
  ];
}

const ingestBenchmark: Benchmark = {
  name: NAME,
  async run(): Promise<BenchRow[]> {
    const backends = await tables();
    const rows: BenchRow[] = [];
    try {
      let table = 0;
      for (const backend of backends) {
        const store = async () => {
          const catalog = new DynamoDbCatalogStore({
            client: backend.client,
            tableName: `ingest-bench-${++table}`,
            interpret: createBackupInterpreter([BENCH_CLUSTER]),
          });
          await catalog.ensureTable();
          return catalog;
        };
        const deps = (catalog: DynamoDbCatalogStore) => ({
          catalog,
          objects: new LatentMemoryObjectStore([], 0),
          decompress: historyTextOrUndefined,
          clusters: [BENCH_CLUSTER],
        });
        const inProcess = !backend.transactions;
        for (const batchSize of backend.batchSizes) {
          const catalog = await store();
          const before = { ...catalog.requestCounts };
          const capacityBefore = { ...catalog.consumedCapacity };
          const events = backend.events(batchSize);
          const messages = sqsMessages(events, 0);
          const started = performance.now();
          for (let start = 0; start < messages.length; start += batchSize) {
            const outcome = await ingestObjectEvents(
              deps(catalog),
              parseIngestInvocation({ Records: messages.slice(start, start + batchSize) }),
            );
            if (outcome.failedRecordIds.length > 0 || outcome.skipped.length > 0)
              throw new Error(
                `ingest bench (${backend.name}): ${outcome.failedRecordIds.length} events failed, ${outcome.skipped.length} skipped: ${JSON.stringify(outcome.skipped.slice(0, 2))} ${String(outcome.transientErrors[0]?.error)}`,
              );
          }
          const seconds = (performance.now() - started) / 1000;
          const used = Object.fromEntries(
            Object.entries(catalog.requestCounts)
              .filter(
                ([operation]) =>
                  operation !== 'DescribeTable' && operation !== 'CreateTable' && operation !== 'UpdateTimeToLive',
              )
              .map(([operation, n]) => [operation, n - (before[operation] ?? 0)] as const)
              .filter(([, n]) => n > 0),
          );
          const requests = Object.values(used).reduce((sum, n) => sum + n, 0);
          const perThousand = (requests * 1000) / events;
          const units = (kind: 'read' | 'write') =>
            Math.round(((catalog.consumedCapacity[kind] - capacityBefore[kind]) * 1000) / events);
          const breakdown = Object.entries(used)
            .map(([operation, n]) => `${operation} ${n}`)
            .join(', ');
          if (inProcess) {
            rows.push({
              benchmark: NAME,
              metric: `events/s, SQS batch ${batchSize}`,
              value: Math.round(events / seconds),
              unit: 'events/s',
              note: `${events} WAL events into dynalite, one process`,
            });
          }
          const goalRow = backend.transactions && batchSize === 1000;
          rows.push(
            {
              benchmark: NAME,
              metric: `DynamoDB requests per 1,000 WAL events, SQS batch ${batchSize} (${backend.name})`,
              value: Math.round(perThousand * 10) / 10,
              unit: 'requests',
              note: backend.transactions
                ? `${breakdown} for ${events} events; ${goalRow ? 'goal at full batches: 40 (1,000 / 25, the BatchWriteItem floor) + 1' : 'one transaction per batch'}`
                : `${breakdown} for ${events} events; the fallback where the table has no transactions, one PutItem per event (no goal)`,
              ...(goalRow ? { goal: { max: 41 } } : {}),
            },
            {
              benchmark: NAME,
              metric: `write capacity units per 1,000 WAL events, SQS batch ${batchSize} (${backend.name})`,
              value: units('write'),
              unit: 'WCU',
              note: backend.transactions
                ? 'information, no goal: a transaction bills two units per item under 1 KB (moto reports none for transactions: computed so), the price of the request goal; a PutItem would bill one'
                : 'as reported by the table: one unit per item under 1 KB',
            },
            {
              benchmark: NAME,
              metric: `read capacity units per 1,000 WAL events, SQS batch ${batchSize} (${backend.name})`,
              value: units('read'),
              unit: 'RCU',
              note: 'a new WAL key is written "if absent" without a read',
              goal: { max: 0 },
            },
          );
          // On the deployed path only: item by item a redelivered batch is 2 requests per event (a failed put, a read).
          if (batchSize === 1000 && backend.transactions) {
            const before = { ...catalog.requestCounts };
            await ingestObjectEvents(deps(catalog), parseIngestInvocation({ Records: messages.slice(0, 1000) }));
            const redelivered = Object.entries(catalog.requestCounts)
              .map(([operation, n]) => [operation, n - (before[operation] ?? 0)] as const)
              .filter(([, n]) => n > 0);
            rows.push({
              benchmark: NAME,
              metric: `DynamoDB requests per 1,000 redelivered (duplicate) events (${backend.name})`,
              value: redelivered.reduce((sum, [, n]) => sum + n, 0),
              unit: 'requests',
              note: `${redelivered.map(([operation, n]) => `${operation} ${n}`).join(', ')}: every transaction cancelled (each key exists), the keys read again 100 to a consistent BatchGetItem, found stale, not written`,
            });
          }
        }
      }
    } finally {
      await Promise.all(backends.map((backend) => backend.close()));
    }
    return rows;
  },
};

export default ingestBenchmark;
