/**
 * Catalog ingestion end to end against dynalite (in-process, in-memory): SQS messages holding S3 notifications (URL-
 * encoded keys, sequencers) → parse → classify → ingestObjectEvents → DynamoDbCatalogStore (BatchGetItem for the
 * stored sequencers, BatchWriteItem 25 per request). Figures: events per second, and DynamoDB requests per 1,000 WAL
 * events at the SQS batch sizes a deployment can choose (10 is the SQS default; larger batches need a batching
 * window). The floor is 40 write requests per 1,000 items with 25-item batches; reading stored sequencers adds 10
 * (100 keys per BatchGetItem). A redelivered batch costs only the reads.
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
            note: `BatchGetItem ${counts.BatchGetItem ?? 0}, BatchWriteItem ${counts.BatchWriteItem ?? 0} for ${EVENTS}; floor 40 (writes only)`,
          },
        );
        if (batchSize === 1000) {
          const writesBefore = counts.BatchWriteItem ?? 0;
          const readsBefore = counts.BatchGetItem ?? 0;
          await ingestObjectEvents(deps(catalog), parseIngestInvocation({ Records: messages.slice(0, 1000) }));
          rows.push({
            benchmark: NAME,
            metric: 'DynamoDB requests per 1,000 redelivered (duplicate) events',
            value:
              (catalog.requestCounts.BatchGetItem ?? 0) -
              readsBefore +
              (catalog.requestCounts.BatchWriteItem ?? 0) -
              writesBefore,
            unit: 'requests',
            note: 'duplicates are read, found stale and not written',
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
