/**
 * Full sync of 10,000 WAL objects (plus backups and a history file) into a dynalite catalog: first from empty
 * (every record written, one conditional PutItem each), then in the steady state (nothing changed), walcat's
 * sharded listing (16 workers over ranges of about one page each) against one sequential ListObjectsV2 stream. The listing and the catalog's
 * range queries are interleaved page by page (the sync streams), so they are timed together. The bucket is in
 * memory with S3's page semantics and 30 ms per request (support/request-latency.ts: the low end of S3's published
 * "tens of milliseconds"); s3rver re-walks its whole directory per page, a cost S3 does not have, so it would
 * measure the emulator instead. Memory at large sizes is sync-memory.bench.ts.
 */

import { DynamoDbCatalogStore } from '../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { createBackupInterpreter } from '../lib/domain/catalog/backup-interpreter.ts';
import { historyTextOrUndefined } from '../lib/domain/wal/history-file-content.ts';
import type { ObjectStore, ObjectSummary } from '../lib/ports/object-store.ts';
import { syncCatalog } from '../lib/use-cases/sync-catalog.ts';
import { startDynalite } from '../test/support/dynalite.ts';
import type { Benchmark, BenchRow } from './bench-types.ts';
import { LatentMemoryObjectStore } from './support/latent-memory-object-store.ts';
import { S3_REQUEST_LATENCY_MS, sleep } from './support/request-latency.ts';
import { StreamingBucket, StreamingCatalog } from './support/streaming-archive.ts';
import { BENCH_CLUSTER, syntheticBucket } from './support/synthetic-wal-g-bucket.ts';

const NAME = 'sync';
/** Conditional catalog writes are one request per item (dynalite: about 1,000 per second), so from empty stays small. */
const SEGMENTS = 10_000;
const LISTING_OBJECTS = 100_000;

/** The latent in-memory bucket, also serving object bodies (sentinels, metadata.json, history). */
class BucketWithBodies extends LatentMemoryObjectStore {
  readonly #bodies: ReadonlyMap<string, Uint8Array>;
  gets = 0;
  constructor(objects: readonly ObjectSummary[], bodies: ReadonlyMap<string, Uint8Array>) {
    super(objects, S3_REQUEST_LATENCY_MS);
    this.#bodies = bodies;
  }
  override async getObjectBytes(_bucket?: string, key = ''): Promise<Uint8Array | undefined> {
    this.gets++;
    await sleep(S3_REQUEST_LATENCY_MS);
    return this.#bodies.get(key);
  }
  override async getObjectText(bucket?: string, key?: string): Promise<string | undefined> {
    const bytes = await this.getObjectBytes(bucket, key);
    return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
  }
}

const syncBenchmark: Benchmark = {
  name: NAME,
  async run(): Promise<BenchRow[]> {
    const bucket = syntheticBucket(SEGMENTS, 6);
    const summaries = bucket.objects.map((item) => ({
      key: item.key,
      size: item.body.length,
      etag: item.etag,
      lastModified: item.uploadedAt,
    }));
    const bodies = new Map(bucket.objects.map((item) => [item.key, item.body]));
    const ddb = await startDynalite();
    const rows: BenchRow[] = [];
    try {
      const catalog = new DynamoDbCatalogStore({
        client: ddb.client,
        tableName: 'sync-bench',
        interpret: createBackupInterpreter([BENCH_CLUSTER]),
      });
      await catalog.ensureTable();
      const measure = async (concurrency: number) => {
        const objects = new BucketWithBodies(summaries, bodies);
        const started = performance.now();
        const outcome = await syncCatalog({ catalog, objects, decompress: historyTextOrUndefined }, BENCH_CLUSTER, {
          now: bucket.now,
          concurrency,
        });
        const total = performance.now() - started;
        if (outcome.listed !== summaries.length)
          throw new Error(`sync bench: listed ${outcome.listed} of ${summaries.length}`);
        return { total, requests: objects.listRequests, gets: objects.gets, outcome };
      };
      // From empty: every record written (conditional writes); then the steady state, where the listing and the
      // catalog's range queries are the whole cost.
      const fromEmpty = await measure(16);
      const sequential = await measure(1);
      const sharded = await measure(16);
      const note = `${summaries.length} objects, ${S3_REQUEST_LATENCY_MS} ms per S3 request, catalog in dynalite`;
      const row = (
        metric: string,
        value: number,
        unit: string,
        rowNote: string,
        goal?: BenchRow['goal'],
      ): BenchRow => ({
        benchmark: NAME,
        metric,
        value: Math.round(value * 10) / 10,
        unit,
        note: rowNote,
        ...(goal === undefined ? {} : { goal }),
      });
      rows.push(
        row(
          'full sync from empty, sharded (16 workers)',
          fromEmpty.total,
          'ms',
          `incl. writing ${fromEmpty.outcome.added} records, one conditional PutItem each; ${note}`,
        ),
        row(
          'steady-state full sync, sequential ListObjectsV2',
          sequential.total,
          'ms',
          `${sequential.requests} list requests, ${sequential.outcome.added + sequential.outcome.updated} changes; ${note}`,
        ),
        row(
          'steady-state full sync, sharded (16 workers)',
          sharded.total,
          'ms',
          `${sharded.requests} list requests, ${sharded.outcome.added + sharded.outcome.updated} changes; ${note}`,
        ),
        // Sharding must never cost time: a small cluster's listing is not split beyond its pages.
        row('steady-state full sync speed-up, sharded vs sequential', sequential.total / sharded.total, 'x', note, {
          min: 1,
        }),
      );
      // The listing's own speed-up at 100k objects: a synthetic catalog that streams and answers at once, so the
      // 30 ms list requests are the whole cost.
      const shape = { cluster: BENCH_CLUSTER, objects: LISTING_OBJECTS, tombstones: 0 };
      const listingBound = async (concurrency: number) => {
        const listing = new StreamingBucket(shape, S3_REQUEST_LATENCY_MS);
        const started = performance.now();
        await syncCatalog(
          {
            catalog: new StreamingCatalog(shape),
            objects: listing as unknown as ObjectStore,
            decompress: () => undefined,
          },
          BENCH_CLUSTER,
          { now: bucket.now, concurrency },
        );
        return { ms: performance.now() - started, requests: listing.listRequests };
      };
      const listedSequentially = await listingBound(1);
      const listedSharded = await listingBound(16);
      const listingNote = `${LISTING_OBJECTS} objects, ${S3_REQUEST_LATENCY_MS} ms per S3 list request, synthetic catalog`;
      rows.push(
        row(
          'listing-bound full sync, sequential',
          listedSequentially.ms,
          'ms',
          `${listedSequentially.requests} list requests; ${listingNote}`,
        ),
        row(
          'listing-bound full sync, sharded (16 workers)',
          listedSharded.ms,
          'ms',
          `${listedSharded.requests} list requests; ${listingNote}`,
        ),
        row('listing speed-up, sharded vs sequential', listedSequentially.ms / listedSharded.ms, 'x', listingNote, {
          min: 8,
        }),
      );
    } finally {
      await ddb.close();
    }
    return rows;
  },
};

export default syncBenchmark;
