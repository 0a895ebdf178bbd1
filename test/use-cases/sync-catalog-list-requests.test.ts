/**
 * How many list requests a steady-state full sync makes: the listing is cut into ranges of about one page each, so
 * a small cluster is not split into more requests than its pages, and a large one spreads over the workers. Over
 * the synthetic streaming archive (S3's page semantics, a catalog that agrees with it), so only requests count.
 */
import { describe, expect, it } from 'vitest';
import { StreamingBucket, StreamingCatalog } from '../../bench/support/streaming-archive.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import type { ObjectStore } from '../../lib/ports/object-store.ts';
import { syncCatalog } from '../../lib/use-cases/sync-catalog.ts';
import { testConfig } from './catalog-test-setup.ts';

const cluster = testConfig().clusters[0] as ClusterConfig;

/** Catalog records a steady-state full sync streams from the catalog. */
async function catalogRecordsRead(objects: number, tombstones: number, concurrency: number): Promise<number> {
  const shape = { cluster, objects, tombstones };
  const catalog = new StreamingCatalog(shape);
  const outcome = await syncCatalog(
    { catalog, objects: new StreamingBucket(shape) as unknown as ObjectStore, decompress: () => undefined },
    cluster,
    { now: new Date('2026-11-21T00:00:00Z'), concurrency },
  );
  expect(outcome.listed).toBe(objects);
  return catalog.streamed;
}

async function listRequests(objects: number, concurrency: number): Promise<number> {
  const shape = { cluster, objects, tombstones: 0 };
  const bucket = new StreamingBucket(shape);
  const outcome = await syncCatalog(
    { catalog: new StreamingCatalog(shape), objects: bucket as unknown as ObjectStore, decompress: () => undefined },
    cluster,
    { now: new Date('2026-11-21T00:00:00Z'), concurrency },
  );
  expect(outcome.listed).toBe(objects);
  return bucket.listRequests;
}

describe('list requests of a steady-state full sync', () => {
  it('a cluster of one or two pages is listed with as many requests as the sequential listing', async () => {
    for (const objects of [10, 999, 1_500]) {
      expect(await listRequests(objects, 16)).toBe(await listRequests(objects, 1));
    }
  });

  it('10k objects: about one request per page, not two ranges per worker', async () => {
    const sequential = await listRequests(10_000, 1);
    expect(sequential).toBe(10);
    expect(await listRequests(10_000, 16)).toBeLessThanOrEqual(sequential + 4);
  });

  it('100k objects: each range about one page, so the 16 workers share about 110 requests', async () => {
    const sharded = await listRequests(100_000, 16);
    expect(sharded).toBeGreaterThanOrEqual(100);
    expect(sharded).toBeLessThanOrEqual(116);
  });

  it('the sharded sync reads each catalog record once, as the sequential one does', async () => {
    // The backups range before the WAL folder holds no WAL record; querying it read the whole catalog again. The
    // segment at a boundary between two ranges may be read by both (its bounds cover all its suffixes).
    const sequential = await catalogRecordsRead(20_000, 5_000, 1);
    // Each of the 25,000 records once, plus one query page (3,000) for the first segment the listing ranges start at.
    expect(sequential).toBeLessThanOrEqual(25_000 + 3_000 + 100);
    expect(await catalogRecordsRead(20_000, 5_000, 16)).toBeLessThanOrEqual(sequential + 32);
  });
});
