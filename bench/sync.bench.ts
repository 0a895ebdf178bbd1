/**
 * Full sync of 100,000 WAL objects (plus backups and a history file) into an empty dynalite catalog: walcat's
 * sharded listing (16 parallel ranges) against one sequential ListObjectsV2 stream. The bucket is in memory with
 * S3's page semantics and 30 ms per request (support/request-latency.ts: the low end of S3's published "tens of
 * milliseconds"); s3rver re-walks its whole directory per page, a cost S3 does not have, so it would measure the
 * emulator instead. Catalog writes are the same in both runs and are reported separately.
 */

import { DynamoDbCatalogStore } from '../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { createBackupInterpreter } from '../lib/domain/catalog/backup-interpreter.ts';
import { historyTextOrUndefined } from '../lib/domain/wal/history-file-content.ts';
import type { ObjectSummary } from '../lib/ports/object-store.ts';
import { syncCatalog } from '../lib/use-cases/sync-catalog.ts';
import { startDynalite } from '../test/support/dynalite.ts';
import type { Benchmark, BenchRow } from './bench-types.ts';
import { LatentMemoryObjectStore } from './support/latent-memory-object-store.ts';
import { S3_REQUEST_LATENCY_MS, sleep } from './support/request-latency.ts';
import { BENCH_CLUSTER, syntheticBucket } from './support/synthetic-wal-g-bucket.ts';

const NAME = 'sync';
const SEGMENTS = 100_000;

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
      let table = 0;
      const measure = async (concurrency: number) => {
        const catalog = new DynamoDbCatalogStore({
          client: ddb.client,
          tableName: `sync-bench-${++table}`,
          interpret: createBackupInterpreter([BENCH_CLUSTER]),
        });
        await catalog.ensureTable();
        const objects = new BucketWithBodies(summaries, bodies);
        let listingStarted = 0;
        let lastPage = 0;
        let listingEnded = 0;
        const started = performance.now();
        const outcome = await syncCatalog({ catalog, objects, decompress: historyTextOrUndefined }, BENCH_CLUSTER, {
          now: bucket.now,
          concurrency,
          onProgress: (progress) => {
            if (progress.phase === 'catalog') listingStarted = performance.now();
            if (progress.phase === 'listing') lastPage = performance.now();
            if (progress.phase === 'applying') listingEnded = performance.now();
          },
        });
        const total = performance.now() - started;
        if (outcome.listed !== summaries.length)
          throw new Error(`sync bench: listed ${outcome.listed} of ${summaries.length}`);
        return {
          total,
          pages: lastPage - listingStarted,
          listing: listingEnded - started,
          requests: objects.listRequests,
          gets: objects.gets,
          outcome,
        };
      };
      const sequential = await measure(1);
      const sharded = await measure(16);
      const note = `${summaries.length} objects, ${S3_REQUEST_LATENCY_MS} ms per S3 request`;
      const row = (metric: string, value: number, unit: string, rowNote: string): BenchRow => ({
        benchmark: NAME,
        metric,
        value: Math.round(value * 10) / 10,
        unit,
        note: rowNote,
      });
      rows.push(
        row(
          'listing only, sequential ListObjectsV2',
          sequential.pages,
          'ms',
          `${sequential.requests} list requests; ${note}`,
        ),
        row('listing only, sharded (16 ranges)', sharded.pages, 'ms', `${sharded.requests} list requests; ${note}`),
        row('listing speed-up, sharded vs sequential', sequential.pages / sharded.pages, 'x', note),
        row(
          'listing + compare + reads, sequential',
          sequential.listing,
          'ms',
          `${note}; classifying every object is CPU`,
        ),
        row('listing + compare + reads, sharded', sharded.listing, 'ms', `${note}; classifying every object is CPU`),
        row(
          'full sync from empty, sequential',
          sequential.total,
          'ms',
          `incl. writing ${sequential.outcome.added} records to dynalite`,
        ),
        row(
          'full sync from empty, sharded',
          sharded.total,
          'ms',
          `incl. writing ${sharded.outcome.added} records to dynalite`,
        ),
      );
    } finally {
      await ddb.close();
    }
    return rows;
  },
};

export default syncBenchmark;
