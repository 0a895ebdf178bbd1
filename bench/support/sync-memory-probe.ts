/**
 * One full sync of a synthetic archive in a fresh process, so its peak RSS is the sync's own:
 *   node --import tsx bench/support/sync-memory-probe.ts <objects> <tombstones>
 * prints one JSON line { objects, tombstones, seconds, cpuSeconds, peakRssMb, baselineRssMb, peakHeapUsedMb,
 * peakExternalMb, listRequests, streamed, changes }. `peakRssMb` is this process's own high-water mark (VmHWM: not
 * the runner's RSS, which getrusage would count), `baselineRssMb` the RSS before the sync starts (Node, tsx, the
 * modules), the heap and external peaks are sampled at every list request. `cpuSeconds` is this process's own CPU
 * time, which a busy shared machine disturbs less than wall time.
 */

import type { ObjectStore } from '../../lib/ports/object-store.ts';
import { syncCatalog } from '../../lib/use-cases/sync-catalog.ts';
import { ownPeakRssBytes } from './peak-rss.ts';
import { StreamingBucket, StreamingCatalog } from './streaming-archive.ts';
import { BENCH_CLUSTER } from './synthetic-wal-g-bucket.ts';

const objects = Number(process.argv[2] ?? 100_000);
const tombstones = Number(process.argv[3] ?? objects);
const shape = { cluster: BENCH_CLUSTER, objects, tombstones };
const bucket = new StreamingBucket(shape);
const catalog = new StreamingCatalog(shape);
const MB = 1024 * 1024;
const baselineRssMb = ownPeakRssBytes() / MB;
const peaks = { heapUsed: 0, external: 0 };
const listPage = bucket.listPage.bind(bucket);
bucket.listPage = (...args) => {
  const usage = process.memoryUsage();
  peaks.heapUsed = Math.max(peaks.heapUsed, usage.heapUsed);
  peaks.external = Math.max(peaks.external, usage.external);
  return listPage(...args);
};
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
    peakRssMb: ownPeakRssBytes() / MB,
    baselineRssMb,
    peakHeapUsedMb: peaks.heapUsed / MB,
    peakExternalMb: peaks.external / MB,
    listRequests: bucket.listRequests,
    streamed: catalog.streamed,
    changes: catalog.walChanges + catalog.backupChanges,
  }),
);
