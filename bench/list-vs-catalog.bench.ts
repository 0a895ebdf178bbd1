/**
 * Status, gaps and restorable window: walcat's catalog (DynamoDB Query by sort key from the stored verification
 * cursor) against the list-based way WAL-G answers the same question (ListObjectsV2 of `wal_005/` and
 * `basebackups_005/`, GET the sentinels, walk), on the same bucket contents in the same run.
 *
 * Measured at 10k segments on both sides (s3rver and dynalite, populated with the same objects; the catalog through
 * the real ingestion of S3 events). At 100k and 1M both sides are computed from the exact request formulas, which
 * the 10k run checks against the measured counts, and the catalog side carries the measured incremental figures: the
 * list side because s3rver re-walks its whole directory on every page (an emulator artifact, O(N) per page), so a
 * 100k listing on it would take many minutes and say nothing about S3; the catalog side because filling 100k items
 * takes longer than the whole bench may (peer-pgbackrest runs the real CLI on a real 100k table).
 *
 * Latency: requests × the per-request figures in support/request-latency.ts. The catalog figure is measured with
 * the latency injected into every DynamoDB request; the list figure is a lower bound (latency only, no CPU).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDynamoDbDocumentClient } from '../lib/adapters/aws/aws-clients.ts';
import { DynamoDbCatalogStore } from '../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { S3ObjectStore } from '../lib/adapters/s3/s3-object-store.ts';
import { createBackupInterpreter } from '../lib/domain/catalog/backup-interpreter.ts';
import type { ObjectEvent } from '../lib/domain/catalog/object-event.ts';
import { gapsJson } from '../lib/domain/continuity/gap-detection.ts';
import { windowJson } from '../lib/domain/continuity/restorable-window.ts';
import { historyTextOrUndefined } from '../lib/domain/wal/history-file-content.ts';
import { evaluateContinuity } from '../lib/use-cases/evaluate-continuity.ts';
import { ingestObjectEvents } from '../lib/use-cases/ingest-object-events.ts';
import { startS3rver } from '../test/support/s3rver.ts';
import type { Benchmark, BenchRow } from './bench-types.ts';
import { startCountingDynalite } from './support/counting-servers.ts';
import { listBasedContinuity } from './support/list-based-continuity.ts';
import { recordingWalCreates } from './support/replayed-catalog-load.ts';
import { DYNAMODB_REQUEST_LATENCY_MS, S3_REQUEST_LATENCY_MS, withLatency } from './support/request-latency.ts';
import {
  BENCH_BUCKET,
  BENCH_CLUSTER,
  type BucketObject,
  type SyntheticBucket,
  syntheticBucket,
  writeS3rverStore,
} from './support/synthetic-wal-g-bucket.ts';

const NAME = 'list-vs-catalog';
/** Catalog sizes; each spans a 7-day window (1, 10, 100 segments per minute). */
const SIZES = [10_000, 100_000, 1_000_000] as const;
/** Both sides measured. */
const FULLY_MEASURED = 10_000;
/**
 * Catalog side measured (a real table of that size); list side computed. 10k only: filling a 100k table through the
 * ingestion takes 2 to 12 minutes on this machine (one conditional PutItem per segment on dynalite), more than
 * `npm run bench` may take in all; peer-pgbackrest measures walcat's real CLI on a real 100k table.
 */
const CATALOG_MEASURED = new Set<number>([10_000]);
const WINDOW_SECONDS = 7 * 86_400;
const INCREMENTAL_RUNS = 5;
const S3_PAGE = 1000;

const interpret = createBackupInterpreter([BENCH_CLUSTER]);
const cluster = BENCH_CLUSTER;

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const label = (size: number): string => (size >= 1_000_000 ? `${size / 1_000_000}M` : `${size / 1000}k`);

/** Exact request count of the list-based answer (checked against the measurement at 10k). */
function listRequestFormula(walObjects: number, backups: number, histories: number): { list: number; get: number } {
  // wal_005/ pages, one basebackups_005/ page (sentinels + backup folders are far below 1,000), a sentinel and a
  // metadata.json GET per backup, one GET per history file.
  const backupEntries = backups * 2;
  return {
    list: Math.ceil(walObjects / S3_PAGE) + Math.max(1, Math.ceil(backupEntries / S3_PAGE)),
    get: backups * 2 + histories,
  };
}
/** Sequential S3 round trips of the list-based answer: pages one after another, each backup's two GETs together. */
const listRoundTrips = (list: number, backups: number, histories: number): number => list + backups + histories;

let sequencer = 0;
const eventOf = (item: BucketObject): ObjectEvent => ({
  bucket: BENCH_BUCKET,
  key: item.key,
  kind: 'created',
  size: item.body.length,
  etag: item.etag,
  sequencer: (++sequencer).toString(16).toUpperCase().padStart(16, '0'),
  eventTime: item.uploadedAt,
});

interface CatalogSide {
  readonly fullReadRequests: number;
  readonly fullReadMs: number;
  readonly fullReadWalItems: number;
  readonly incrementalRequests: number;
  readonly incrementalMs: number;
  readonly incrementalWithLatencyMs: number;
  readonly populateMs: number;
  readonly answer: string;
  readonly bucket: SyntheticBucket;
}

interface Services {
  readonly s3: Awaited<ReturnType<typeof startS3rver>>;
  readonly directory: string;
}

/** New segments between two evaluations: one minute of WAL, as the watchdog runs every minute. */
const segmentsPerMinute = (size: number): number => Math.max(1, Math.round((60 * size) / WINDOW_SECONDS));

async function measureCatalog(size: number, services: Services, bucket: SyntheticBucket): Promise<CatalogSide> {
  const newSegmentsPerRun = segmentsPerMinute(size);
  const ddb = await startCountingDynalite();
  const client = createDynamoDbDocumentClient({
    region: 'us-east-1',
    dynamodb: ddb.endpoint,
    credentials: { accessKeyId: 'dynalite', secretAccessKey: 'dynalite' },
  });
  try {
    const tableName = `bench-catalog-${size}`;
    const catalog = new DynamoDbCatalogStore({ client, tableName, interpret });
    await catalog.ensureTable();
    const readers = { objects: new S3ObjectStore(services.s3.client), decompress: historyTextOrUndefined };
    const ingestInto = (store: DynamoDbCatalogStore) => async (objects: readonly BucketObject[]) => {
      const deps = { ...readers, catalog: store, clusters: [cluster] };
      // One SQS batch is up to 100 messages of one S3 notification each (serverless.yml batchSize 100).
      for (let start = 0; start < objects.length; start += 100) {
        const records = objects
          .slice(start, start + 100)
          .map((item, index) => ({ recordId: `${start + index}`, events: [eventOf(item)] }));
        const outcome = await ingestObjectEvents(deps, records);
        if (outcome.failedRecordIds.length > 0)
          throw new Error(`ingest failed: ${String(outcome.transientErrors[0]?.error)}`);
      }
    };
    const ingest = ingestInto(catalog);
    // The archive goes through the real ingestion, but each new WAL key's conditional PutItem (one request per
    // segment on dynalite: 300 s at 10k and load 20) is held back and put in bulk, as the store would have written
    // it (support/replayed-catalog-load.ts); the minutes of WAL added below are ingested as they come.
    const populateStarted = performance.now();
    const seeding = recordingWalCreates(client);
    await ingestInto(new DynamoDbCatalogStore({ client: seeding.client, tableName, interpret }))(bucket.objects);
    await ddb.bulkPut(tableName, seeding.recorded);
    const populateMs = performance.now() - populateStarted;

    // First evaluation: no cursor yet, every WAL item is read (the same as the hourly full re-read).
    let before = catalog.requestCount;
    let started = performance.now();
    const full = await evaluateContinuity(catalog, cluster, { now: bucket.now, persistCursor: true, forceFull: true });
    const fullReadMs = performance.now() - started;
    const fullReadRequests = catalog.requestCount - before;

    const incrementalMs: number[] = [];
    let incrementalRequests = 0;
    let answer = '';
    for (let run = 0; run < INCREMENTAL_RUNS; run++) {
      const added = bucket.appendSegments(newSegmentsPerRun);
      writeS3rverStore(services.directory, BENCH_BUCKET, added);
      await ingest(added);
      before = catalog.requestCount;
      started = performance.now();
      const evaluation = await evaluateContinuity(catalog, cluster, { now: bucket.now, persistCursor: true });
      incrementalMs.push(performance.now() - started);
      incrementalRequests = catalog.requestCount - before;
      if (evaluation.readMode !== 'incremental')
        throw new Error(`expected an incremental read, got ${evaluation.readMode}`);
      answer = JSON.stringify([gapsJson(evaluation.gaps, cluster.walSegmentSize), windowJson(evaluation.windows)]);
    }

    // The same incremental evaluation with DynamoDB's latency injected into every request.
    const slowCatalog = new DynamoDbCatalogStore({
      client: withLatency(client, DYNAMODB_REQUEST_LATENCY_MS),
      tableName,
      interpret,
    });
    const added = bucket.appendSegments(newSegmentsPerRun);
    writeS3rverStore(services.directory, BENCH_BUCKET, added);
    await ingest(added);
    started = performance.now();
    const slow = await evaluateContinuity(slowCatalog, cluster, { now: bucket.now, persistCursor: true });
    const incrementalWithLatencyMs = performance.now() - started;
    if (slow.readMode !== 'incremental') throw new Error(`expected an incremental read, got ${slow.readMode}`);
    answer = JSON.stringify([gapsJson(slow.gaps, cluster.walSegmentSize), windowJson(slow.windows)]);

    return {
      fullReadRequests,
      fullReadMs,
      fullReadWalItems: full.walItemsRead,
      incrementalRequests,
      incrementalMs: median(incrementalMs),
      incrementalWithLatencyMs,
      populateMs,
      answer,
      bucket,
    };
  } finally {
    client.destroy();
    await ddb.close();
  }
}

async function withS3rver<T>(objects: readonly BucketObject[], work: (services: Services) => Promise<T>): Promise<T> {
  const directory = mkdtempSync(join(tmpdir(), 'walcat-bench-s3-'));
  writeS3rverStore(directory, BENCH_BUCKET, objects);
  const s3 = await startS3rver({ directory, buckets: [BENCH_BUCKET] });
  try {
    return await work({ s3, directory });
  } finally {
    await s3.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

const listVsCatalog: Benchmark = {
  name: NAME,
  async run(): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    const row = (metric: string, value: number, unit: string, note: string) =>
      rows.push({ benchmark: NAME, metric, value, unit, note });
    let largestMeasured: CatalogSide | undefined;
    /** The most requests any measured incremental read needed: the figure carried to unmeasured sizes. */
    let mostIncrementalRequests = 0;
    let itemsPerQueryPage = 0;

    for (const size of SIZES) {
      const n = label(size);
      const secondsPerSegment = Math.max(1, Math.round(WINDOW_SECONDS / size));
      const formula = listRequestFormula(size, 7, 1);
      const listTrips = listRoundTrips(formula.list, 7, 1);
      const listLatencyMs = listTrips * S3_REQUEST_LATENCY_MS;

      let catalog: CatalogSide | undefined;
      if (size === FULLY_MEASURED) {
        const bucket = syntheticBucket(size, secondsPerSegment);
        await withS3rver(bucket.objects, async (services) => {
          catalog = await measureCatalog(size, services, bucket);
          const started = performance.now();
          const list = await listBasedContinuity(services.s3.client, cluster, interpret, bucket.now);
          const listMs = performance.now() - started;
          const listAnswer = JSON.stringify([gapsJson(list.gaps, cluster.walSegmentSize), windowJson(list.windows)]);
          const expected = listRequestFormula(list.walObjectsListed, 7, 1);
          const formulaHolds = expected.list === list.listRequests && expected.get === list.getRequests;
          const listRequests = list.listRequests + list.getRequests;
          row(
            `${n}: list-based requests`,
            listRequests,
            'requests',
            `measured on s3rver: ${list.listRequests} LIST + ${list.getRequests} GET; formula ${formulaHolds ? 'matches' : 'DOES NOT match'}`,
          );
          row(
            `${n}: list-based wall time on s3rver`,
            listMs,
            'ms',
            'measured; s3rver re-walks its directory on every page (O(N) per page), so this is not S3 time',
          );
          row(
            `${n}: catalog and list answers identical`,
            catalog.answer === listAnswer ? 1 : 0,
            'bool',
            `gaps --json and window --json compared (${list.gaps.gaps.length} gap(s), ${list.windows.ranges.length} window range(s))`,
          );
          row(
            `${n}: request ratio list-based / catalog incremental`,
            listRequests / catalog.incrementalRequests,
            'x',
            'measured both sides',
          );
        });
      } else if (CATALOG_MEASURED.has(size)) {
        const bucket = syntheticBucket(size, secondsPerSegment);
        // The catalog only reads sentinels, metadata.json and history files back from S3 while ingesting.
        const readBack = bucket.objects.filter((item) => !item.key.includes('/wal_005/0000'));
        await withS3rver(readBack, async (services) => {
          catalog = await measureCatalog(size, services, bucket);
        });
        row(
          `${n}: list-based requests`,
          formula.list + formula.get,
          'requests',
          `computed: ${formula.list} LIST (ceil(N/1000)+1) + ${formula.get} GET (formula checked at 10k)`,
        );
        if (catalog) {
          row(
            `${n}: request ratio list-based / catalog incremental`,
            (formula.list + formula.get) / catalog.incrementalRequests,
            'x',
            'list computed, catalog measured',
          );
        }
      } else {
        row(
          `${n}: list-based requests`,
          formula.list + formula.get,
          'requests',
          `computed: ${formula.list} LIST (ceil(N/1000)+1) + ${formula.get} GET (formula checked at 10k)`,
        );
      }

      if (catalog) {
        largestMeasured = catalog;
        mostIncrementalRequests = Math.max(mostIncrementalRequests, catalog.incrementalRequests);
        itemsPerQueryPage = Math.max(
          itemsPerQueryPage,
          catalog.fullReadWalItems / Math.max(1, catalog.fullReadRequests - 5),
        );
        row(
          `${n}: catalog incremental requests`,
          catalog.incrementalRequests,
          'requests',
          `measured on dynalite (${size.toLocaleString('en-US')}-segment table, ${segmentsPerMinute(size)} new segment(s): one minute of WAL)`,
        );
        row(
          `${n}: catalog incremental wall time`,
          catalog.incrementalMs,
          'ms',
          `measured on dynalite, median of ${INCREMENTAL_RUNS}`,
        );
        row(
          `${n}: catalog full re-read requests`,
          catalog.fullReadRequests,
          'requests',
          `measured: first run and the hourly forced full read (${catalog.fullReadWalItems.toLocaleString('en-US')} WAL items, Query pages of 1 MB)`,
        );
        row(`${n}: catalog full re-read wall time`, catalog.fullReadMs, 'ms', 'measured on dynalite');
        row(
          `${n}: catalog populate (ingest ${catalog.bucket.objects.length.toLocaleString('en-US')} events)`,
          catalog.populateMs,
          'ms',
          'setup, real ingestion path: SQS-sized batches of 100 into dynalite, each new WAL key created in bulk (its conditional create held back)',
        );
        row(
          `${n}: catalog incremental at DynamoDB latency`,
          catalog.incrementalWithLatencyMs,
          'ms',
          `measured with ${DYNAMODB_REQUEST_LATENCY_MS} ms injected into every DynamoDB request`,
        );
      } else if (largestMeasured) {
        const fullPages = Math.ceil(size / itemsPerQueryPage) + 5;
        row(
          `${n}: catalog incremental requests`,
          mostIncrementalRequests,
          'requests',
          'derived: the incremental read touches only items after the cursor; the most any measured size needed',
        );
        row(
          `${n}: catalog full re-read requests`,
          fullPages,
          'requests',
          `computed: ceil(N / ${Math.round(itemsPerQueryPage)} items per measured Query page) + 5 fixed reads`,
        );
        row(
          `${n}: request ratio list-based / catalog incremental`,
          (formula.list + formula.get) / mostIncrementalRequests,
          'x',
          'computed both sides',
        );
      }
      row(
        `${n}: list-based at S3 latency`,
        listLatencyMs,
        'ms',
        `derived lower bound: ${listTrips} sequential round trips x ${S3_REQUEST_LATENCY_MS} ms, CPU excluded`,
      );
      const catalogLatencyMs = catalog?.incrementalWithLatencyMs ?? largestMeasured?.incrementalWithLatencyMs;
      if (catalogLatencyMs !== undefined) {
        row(
          `${n}: time ratio list-based / catalog at service latency`,
          listLatencyMs / catalogLatencyMs,
          'x',
          catalog
            ? 'list derived, catalog measured with injected latency'
            : 'list derived, catalog time as measured at the largest real table',
        );
      }
    }
    return rows;
  },
};

export default listVsCatalog;
