/**
 * One full sync of a synthetic archive in a fresh process, so its peak RSS is the sync's own:
 *   node --import tsx bench/support/sync-memory-probe.ts <objects> <tombstones>
 * prints one JSON line { objects, tombstones, seconds, cpuSeconds, peakRssMb, listRequests, streamed, changes }.
 * `cpuSeconds` is this process's own CPU time, which a busy shared machine disturbs less than wall time.
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
const cpuBefore = process.cpuUsage();
const outcome = await syncCatalog(
  { catalog, objects: bucket as unknown as ObjectStore, decompress: () => undefined },
  BENCH_CLUSTER,
  { now: new Date(Date.UTC(2026, 0, 2)), concurrency: 16 },
);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
if (outcome.listed !== objects) throw new Error(`probe: listed ${outcome.listed} of ${objects}`);
console.log(
  JSON.stringify({
    objects,
    tombstones,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    listRequests: bucket.listRequests,
    streamed: catalog.streamed,
    changes: catalog.walChanges + catalog.backupChanges,
  }),
);
