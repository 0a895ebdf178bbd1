/**
 * Catalog ingestion end to end against dynalite (in-process, in-memory): SQS messages holding S3 notifications (URL-
 * encoded keys, sequencers) → parse → classify → ingestObjectEvents → DynamoDbCatalogStore (BatchGetItem for the
 * conditional PutItem per changed item, "if absent" first for WAL keys, no read). Figures: events per second,
 * DynamoDB requests per 1,000 WAL events at the SQS batch sizes a deployment can choose (10 is the SQS default;
 * larger batches need a batching window), and the capacity units DynamoDB reports for them (what on-demand
 * capacity bills). The request floor is 40 per 1,000 with 25-item BatchWriteItem requests, which cannot carry a
 * condition; a conditional write is one request per item but bills the same one write unit per item (< 1 KB) as
 * a batched one, and a new WAL key needs no read.
 */

import { DynamoDbCatalogStore } from '../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { parseIngestInvocation } from '../lib/adapters/events/s3-notification-events.ts';
import { createBackupInterpreter } from '../lib/domain/catalog/backup-interpreter.ts';
import { historyTextOrUndefined } from '../lib/domain/wal/history-file-content.ts';
import { timelineId } from '../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../lib/domain/wal/wal-segment.ts';
import { ingestObjectEvents } from '../lib/use-cases/ingest-object-events.ts';
import { startDynalite } from '../test/support/dynalite.ts';
import type { Benchmark, BenchRow } from './bench-types.ts';
import { LatentMemoryObjectStore } from './support/latent-memory-object-store.ts';
import { BENCH_BUCKET, BENCH_CLUSTER } from './support/synthetic-wal-g-bucket.ts';

const NAME = 'ingest';
const EVENTS = 10_000;
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

const ingestBenchmark: Benchmark = {
  name: NAME,
  async run(): Promise<BenchRow[]> {
    const ddb = await startDynalite();
    const rows: BenchRow[] = [];
    try {
      let table = 0;
      const store = async () => {
        const catalog = new DynamoDbCatalogStore({
          client: ddb.client,
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
      for (const batchSize of [10, 100, 1000]) {
        const catalog = await store();
        const before = catalog.requestCount;
        const capacityBefore = { ...catalog.consumedCapacity };
        const messages = sqsMessages(EVENTS, 0);
        const started = performance.now();
        for (let start = 0; start < messages.length; start += batchSize) {
          const outcome = await ingestObjectEvents(
            deps(catalog),
            parseIngestInvocation({ Records: messages.slice(start, start + batchSize) }),
          );
          if (outcome.failedRecordIds.length > 0 || outcome.skipped.length > 0)
            throw new Error('ingest bench: events failed');
        }
        const seconds = (performance.now() - started) / 1000;
        const counts = catalog.requestCounts;
        const perThousand =
          ((catalog.requestCount - before - (counts.DescribeTable ?? 0) - (counts.CreateTable ?? 0)) * 1000) / EVENTS;
        const units = (kind: 'read' | 'write') =>
          Math.round(((catalog.consumedCapacity[kind] - capacityBefore[kind]) * 1000) / EVENTS);
        rows.push(
          {
            benchmark: NAME,
            metric: `events/s, SQS batch ${batchSize}`,
            value: Math.round(EVENTS / seconds),
            unit: 'events/s',
            note: `${EVENTS} WAL events into dynalite, one process`,
          },
          {
            benchmark: NAME,
            metric: `DynamoDB requests per 1,000 WAL events, SQS batch ${batchSize}`,
            value: Math.round(perThousand * 10) / 10,
            unit: 'requests',
            note: `PutItem ${counts.PutItem ?? 0}, GetItem ${counts.GetItem ?? 0}, BatchWriteItem ${counts.BatchWriteItem ?? 0} (timeline marker) for ${EVENTS}; the goal is 25-item unconditional batches, which would lose updates`,
            ...(batchSize === 1000 ? { goal: { max: 40 } } : {}),
          },
          {
            benchmark: NAME,
            metric: `write capacity units per 1,000 WAL events, SQS batch ${batchSize}`,
            value: units('write'),
            unit: 'WCU',
            note: 'as reported by DynamoDB; floor 1,000 (one unit per item under 1 KB, batched or not)',
            goal: { max: 1000 },
          },
          {
            benchmark: NAME,
            metric: `read capacity units per 1,000 WAL events, SQS batch ${batchSize}`,
            value: units('read'),
            unit: 'RCU',
            note: 'a new WAL key is written "if absent" without a read',
            goal: { max: 0 },
          },
        );
        if (batchSize === 1000) {
          const requestsBefore = catalog.requestCount;
          await ingestObjectEvents(deps(catalog), parseIngestInvocation({ Records: messages.slice(0, 1000) }));
          rows.push({
            benchmark: NAME,
            metric: 'DynamoDB requests per 1,000 redelivered (duplicate) events',
            value: catalog.requestCount - requestsBefore,
            unit: 'requests',
            note: 'each duplicate: a failed "if absent" write, a consistent read, found stale, not written',
          });
        }
      }
    } finally {
      await ddb.close();
    }
    return rows;
  },
};

export default ingestBenchmark;
