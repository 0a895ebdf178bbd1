/**
 * One full sync of a synthetic archive in a fresh process, so its peak RSS is the sync's own:
 *   node --import tsx bench/support/sync-memory-probe.ts <objects> <tombstones>
 * prints one JSON line { objects, tombstones, seconds, peakRssMb, listRequests, streamed, changes }.
 */

import type { ObjectStore } from '../../lib/ports/object-store.ts';
import { syncCatalog } from '../../lib/use-cases/sync-catalog.ts';
import { StreamingBucket, StreamingCatalog } from './streaming-archive.ts';
import { BENCH_CLUSTER } from './synthetic-wal-g-bucket.ts';

const objects = Number(process.argv[2] ?? 100_000);
const tombstones = Number(process.argv[3] ?? objects);
const shape = { cluster: BENCH_CLUSTER, objects, tombstones };
const bucket = new StreamingBucket(shape);
const catalog = new StreamingCatalog(shape);
const started = performance.now();
const outcome = await syncCatalog(
  { catalog, objects: bucket as unknown as ObjectStore, decompress: () => undefined },
  BENCH_CLUSTER,
  { now: new Date(Date.UTC(2026, 0, 2)), concurrency: 16 },
);
const seconds = (performance.now() - started) / 1000;
if (outcome.listed !== objects) throw new Error(`probe: listed ${outcome.listed} of ${objects}`);
console.log(
  JSON.stringify({
    objects,
    tombstones,
    seconds,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    listRequests: bucket.listRequests,
    streamed: catalog.streamed,
    changes: catalog.walChanges + catalog.backupChanges,
  }),
);
