/**
 * Full sync of 10,000 WAL objects (plus backups and a history file) into a dynalite catalog: first from empty, then in
 * the steady state (nothing changed), walcat's sharded listing (16 workers over ranges of about one page each)
 * against one sequential ListObjectsV2 stream. The listing and the catalog's range queries are interleaved page by
 * page (the sync streams), so they are timed together. The bucket is in memory with S3's page semantics and 30 ms per
 * request (support/request-latency.ts: the low end of S3's published "tens of milliseconds"); s3rver re-walks its
 * whole directory per page, a cost S3 does not have, so it would measure the emulator instead. Then the listing
 * alone, at 10k and 100k objects against a synthetic catalog, where the 30 ms requests are the whole cost.
 *
 * The 30 ms is injected, so every figure says how many list requests were made and how many were in flight at once
 * (time-weighted mean and most); the listing rows come twice, on the wall clock (measured: the CPU between requests
 * counts, and on a loaded machine it waits for a core) and on a virtual clock (support/request-clock.ts: the latency
 * alone, from the real code's chaining of its requests, the same at any load). Memory at large sizes is
 * sync-memory.bench.ts.
 */
import { createDynamoDbDocumentClient } from '../lib/adapters/aws/aws-clients.ts';
import { DynamoDbCatalogStore } from '../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { createBackupInterpreter } from '../lib/domain/catalog/backup-interpreter.ts';
import { historyTextOrUndefined } from '../lib/domain/wal/history-file-content.ts';
import type { ObjectStore, ObjectSummary } from '../lib/ports/object-store.ts';
import { syncCatalog } from '../lib/use-cases/sync-catalog.ts';
import type { Benchmark, BenchRow } from './bench-types.ts';
import { startCountingDynalite } from './support/counting-servers.ts';
import { LatentMemoryObjectStore } from './support/latent-memory-object-store.ts';
import { recordingWalCreates } from './support/replayed-catalog-load.ts';
import { type RequestLatency, VirtualLatency, WallClockLatency } from './support/request-clock.ts';
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
  constructor(objects: readonly ObjectSummary[], bodies: ReadonlyMap<string, Uint8Array>, clock: RequestLatency) {
    super(objects, S3_REQUEST_LATENCY_MS, clock);
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

/** Steady-state runs of each of the sequential and the sharded sync, alternated; the median of each is compared. */
const STEADY_RUNS = 3;

/** "11 list requests, ..., 0 changes, 10 catalog Queries, 900 ms CPU". */
const describeSteady = (steady: {
  clock: RequestLatency;
  outcome: { added: number; updated: number };
  queries: number;
  cpuMs: number;
}): string =>
  `${describeRequests(steady.clock)}, ${steady.outcome.added + steady.outcome.updated} changes, ${steady.queries} catalog Queries, ${Math.round(steady.cpuMs)} ms CPU (dynalite's included)`;

/** Workers of walcat's sharded listing (the sync's default). */
const WORKERS = 16;

const row = (metric: string, value: number, unit: string, note: string, goal?: BenchRow['goal']): BenchRow => ({
  benchmark: NAME,
  metric,
  value: Math.round(value * 100) / 100,
  unit,
  note,
  ...(goal === undefined ? {} : { goal }),
});

/** "114 list requests, 14.2 in flight on average (16 at most)". */
const describeRequests = (clock: RequestLatency): string =>
  `${clock.requests} list requests, ${clock.meanInFlight.toFixed(1)} in flight on average (${clock.maxInFlight} at most)`;

/**
 * The listing alone at `objects` objects: a synthetic catalog that streams and answers at once, so the 30 ms list
 * requests are the whole cost; measured on the wall clock and on the virtual one (support/request-clock.ts).
 */
async function listingBound(objects: number, concurrency: number, clock: RequestLatency, now: Date) {
  const shape = { cluster: BENCH_CLUSTER, objects, tombstones: 0 };
  const listing = new StreamingBucket(shape, S3_REQUEST_LATENCY_MS, clock);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await syncCatalog(
    { catalog: new StreamingCatalog(shape), objects: listing as unknown as ObjectStore, decompress: () => undefined },
    BENCH_CLUSTER,
    { now, concurrency },
  );
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    ms: clock instanceof VirtualLatency ? clock.elapsedMs : wallMs,
    clock,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

/** Rows of the listing-bound comparison at one size, on one clock, with the speed-up's goal. */
async function listingRows(objects: number, virtual: boolean, goal: BenchRow['goal'], now: Date): Promise<BenchRow[]> {
  const clockOf = (): RequestLatency => (virtual ? new VirtualLatency() : new WallClockLatency());
  const sequential = await listingBound(objects, 1, clockOf(), now);
  const sharded = await listingBound(objects, WORKERS, clockOf(), now);
  if (virtual && sequential.ms !== sequential.clock.requests * S3_REQUEST_LATENCY_MS)
    throw new Error(
      `sync bench: the virtual clock gave a sequential listing ${sequential.ms} ms for ${sequential.clock.requests} requests of ${S3_REQUEST_LATENCY_MS} ms`,
    );
  const label = `${objects / 1000}k`;
  const how = virtual
    ? 'virtual clock: the 30 ms latency is the whole cost, the code between requests costs nothing (derived from the real request chaining, the same at any machine load)'
    : 'wall clock: measured, includes the CPU between requests (and waiting for a core on a loaded machine)';
  const note = `${objects.toLocaleString('en-US')} objects, ${S3_REQUEST_LATENCY_MS} ms per S3 list request, synthetic catalog; ${how}`;
  const clockName = virtual ? 'latency-bound (virtual clock)' : 'wall clock';
  return [
    row(
      `${label} listing, ${clockName}: sequential`,
      sequential.ms,
      'ms',
      `${describeRequests(sequential.clock)}, ${Math.round(sequential.cpuMs)} ms CPU; ${note}`,
    ),
    row(
      `${label} listing, ${clockName}: sharded (${WORKERS} workers)`,
      sharded.ms,
      'ms',
      `${describeRequests(sharded.clock)}, ${Math.round(sharded.cpuMs)} ms CPU; ${note}`,
    ),
    row(`${label} listing, ${clockName}: speed-up, sharded vs sequential`, sequential.ms / sharded.ms, 'x', note, goal),
    row(
      `${label} listing: list requests, sharded vs sequential`,
      sharded.clock.requests / sequential.clock.requests,
      'x',
      `${sharded.clock.requests} against ${sequential.clock.requests}: the sharded listing's extra requests are its ranges' last, partial pages`,
    ),
  ].filter((_, index) => virtual || index < 3);
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
    const ddb = await startCountingDynalite();
    const client = createDynamoDbDocumentClient({
      region: 'us-east-1',
      dynamodb: ddb.endpoint,
      credentials: { accessKeyId: 'dynalite', secretAccessKey: 'dynalite' },
    });
    const rows: BenchRow[] = [];
    try {
      const tableName = 'sync-bench';
      const interpret = createBackupInterpreter([BENCH_CLUSTER]);
      const catalog = new DynamoDbCatalogStore({ client, tableName, interpret });
      await catalog.ensureTable();
      const measure = async (concurrency: number, store: DynamoDbCatalogStore = catalog) => {
        const clock = new WallClockLatency();
        const objects = new BucketWithBodies(summaries, bodies, clock);
        const queriesBefore = ddb.requests.byKind.Query ?? 0;
        const cpuBefore = process.cpuUsage();
        const started = performance.now();
        const outcome = await syncCatalog(
          { catalog: store, objects, decompress: historyTextOrUndefined },
          BENCH_CLUSTER,
          { now: bucket.now, concurrency },
        );
        const total = performance.now() - started;
        const cpu = process.cpuUsage(cpuBefore);
        if (outcome.listed !== summaries.length)
          throw new Error(`sync bench: listed ${outcome.listed} of ${summaries.length}`);
        return {
          total,
          clock,
          gets: objects.gets,
          outcome,
          // This process's CPU, dynalite's (in process) included: on a loaded machine the wall time waits for a core.
          cpuMs: (cpu.user + cpu.system) / 1000,
          queries: (ddb.requests.byKind.Query ?? 0) - queriesBefore,
        };
      };
      type Measured = Awaited<ReturnType<typeof measure>>;
      /** The run of median wall time among `runs` (alternated by the caller, so load drifts touch both sides). */
      const median = (runs: Measured[]): Measured =>
        [...runs].sort((a, b) => a.total - b.total)[Math.floor(runs.length / 2)] as Measured;
      // From empty: every record written. dynalite has no transactions, so each new WAL record would be its own
      // conditional PutItem (10,000 of them took 238 s at load 20, most of the bench's budget, where DynamoDB takes
      // 100 per TransactWriteItems): those creates are held back and put in bulk afterwards, untimed
      // (support/replayed-catalog-load.ts), and the row times the listing, the comparison and the other writes.
      const seeding = recordingWalCreates(client);
      const fromEmpty = await measure(
        WORKERS,
        new DynamoDbCatalogStore({ client: seeding.client, tableName, interpret }),
      );
      const bulkStarted = performance.now();
      await ddb.bulkPut(tableName, seeding.recorded);
      const bulkSeconds = (performance.now() - bulkStarted) / 1000;
      // Then the steady state, where the listing and the catalog's range queries are the whole cost: three runs of
      // each, alternated, the median of each compared (one run of each swung 0.6-1.3x with the load of the moment).
      const sequentialRuns: Measured[] = [];
      const shardedRuns: Measured[] = [];
      for (let round = 0; round < STEADY_RUNS; round++) {
        sequentialRuns.push(await measure(1));
        shardedRuns.push(await measure(WORKERS));
      }
      const sequential = median(sequentialRuns);
      const sharded = median(shardedRuns);
      for (const steady of [...sequentialRuns, ...shardedRuns]) {
        const changes = steady.outcome.added + steady.outcome.updated + steady.outcome.removed;
        if (changes > 0) throw new Error(`sync bench: the steady-state sync found ${changes} changes, not 0`);
      }
      const note = `${summaries.length} objects, ${S3_REQUEST_LATENCY_MS} ms per S3 request, catalog in dynalite; wall clock (measured, with the catalog's queries and the CPU between requests)`;
      rows.push(
        row(
          `full sync from empty, sharded (${WORKERS} workers)`,
          fromEmpty.total,
          'ms',
          `${fromEmpty.outcome.added} records added; their ${seeding.recorded.length} WAL creates held back and put in bulk afterwards in ${bulkSeconds.toFixed(1)} s (not in this figure); ${note}`,
        ),
        row(
          'steady-state full sync, sequential ListObjectsV2',
          sequential.total,
          'ms',
          `median of ${STEADY_RUNS}; ${describeSteady(sequential)}; ${note}`,
        ),
        row(
          `steady-state full sync, sharded (${WORKERS} workers)`,
          sharded.total,
          'ms',
          `median of ${STEADY_RUNS}; ${describeSteady(sharded)}; ${note}`,
        ),
        // Sharding must never cost time: a small cluster's listing is not split beyond its pages.
        row('steady-state full sync speed-up, sharded vs sequential', sequential.total / sharded.total, 'x', note, {
          min: 1,
        }),
      );
      // The listing's own speed-up: at 10k (the steady state's listing without its catalog), and at 100k where the
      // goal is 8x; each on the wall clock and on the virtual clock that a loaded machine cannot slow down.
      for (const objects of [SEGMENTS, LISTING_OBJECTS]) {
        const goal = objects === LISTING_OBJECTS ? { min: 8 } : { min: 1 };
        rows.push(...(await listingRows(objects, false, goal, bucket.now)));
        rows.push(...(await listingRows(objects, true, goal, bucket.now)));
      }
    } finally {
      client.destroy();
      await ddb.close();
    }
    return rows;
  },
};

export default syncBenchmark;
