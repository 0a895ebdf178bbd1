/**
 * Full sync listing: walcat's sharded concurrent listing (lib/use-cases/list-objects-sharded.ts, the sync's default
 * concurrency 16) against one sequential ListObjectsV2 stream, over the same keys, with S3's per-request latency
 * injected (support/request-latency.ts). The store is in memory with S3's page semantics, so the figures compare the
 * listing strategies; s3rver would add its own O(N)-per-page directory walk, which S3 does not have.
 */
import { listObjectsSharded } from '../lib/use-cases/list-objects-sharded.ts';
import type { Benchmark, BenchRow } from './bench-types.ts';
import { LatentMemoryObjectStore } from './support/latent-memory-object-store.ts';
import { S3_REQUEST_LATENCY_MS } from './support/request-latency.ts';
import { BENCH_BUCKET, BENCH_CLUSTER, syntheticBucket } from './support/synthetic-wal-g-bucket.ts';

const NAME = 'sharded-listing';
const SEGMENTS = 100_000;
const CONCURRENCY = 16;

const shardedListing: Benchmark = {
  name: NAME,
  async run(): Promise<BenchRow[]> {
    const bucket = syntheticBucket(SEGMENTS, 6);
    const summaries = bucket.objects.map((item) => ({
      key: item.key,
      size: item.body.length,
      etag: item.etag,
      lastModified: item.uploadedAt,
    }));
    const prefix = BENCH_CLUSTER.storage.prefix;
    const measure = async (concurrency: number) => {
      const store = new LatentMemoryObjectStore(summaries, S3_REQUEST_LATENCY_MS);
      const started = performance.now();
      const listed = await listObjectsSharded(store, BENCH_BUCKET, prefix, { concurrency });
      return {
        ms: performance.now() - started,
        requests: store.listRequests,
        listed: new Set(listed.map((o) => o.key)).size,
      };
    };
    const sequential = await measure(1);
    const sharded = await measure(CONCURRENCY);
    const complete = sequential.listed === summaries.length && sharded.listed === summaries.length;
    const note = `${summaries.length.toLocaleString('en-US')} keys, in-memory store with S3 paging, ${S3_REQUEST_LATENCY_MS} ms per request`;
    return [
      {
        benchmark: NAME,
        metric: 'sequential listing',
        value: sequential.ms,
        unit: 'ms',
        note: `${sequential.requests} requests; ${note}`,
      },
      {
        benchmark: NAME,
        metric: `sharded listing (concurrency ${CONCURRENCY})`,
        value: sharded.ms,
        unit: 'ms',
        note: `${sharded.requests} requests; ${note}`,
      },
      {
        benchmark: NAME,
        metric: 'time ratio sequential / sharded',
        value: sequential.ms / sharded.ms,
        unit: 'x',
        note: `measured; both listings saw every key once: ${complete ? 'yes' : 'NO'}`,
      },
      {
        benchmark: NAME,
        metric: 'request overhead of sharding',
        value: sharded.requests / sequential.requests,
        unit: 'ratio',
        note: 'sharded requests / sequential requests (split ranges end with partial pages)',
      },
    ];
  },
};

export default shardedListing;
