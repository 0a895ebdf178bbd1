/**
 * Memory and time of a steady-state full sync at archive sizes no emulator holds: 1M and 10M live WAL objects,
 * each with as many tombstones of deleted segments. Each size runs in a fresh process (support/sync-memory-probe.ts)
 * so its peak RSS is the sync's own plus Node and the TypeScript loader (about 85 MB here, less in Lambda), read as
 * the probe's own high-water mark (support/peak-rss.ts: getrusage's maxRSS counted the runner's RSS too). The
 * bucket and the catalog are synthetic and stream (support/streaming-archive.ts): listing pages and catalog query
 * pages are computed on request, so what stays in memory is what the sync itself keeps. No S3 or DynamoDB latency
 * is modelled: the time is the sync's CPU cost (classify, compare), the part that grows with the archive, taken as
 * the probe's own CPU time so that a busy machine disturbs it less.
 */
import { fileURLToPath } from 'node:url';
import type { Benchmark, BenchRow } from './bench-types.ts';
import { runProbe as runFreshProbe } from './support/peak-rss.ts';

const NAME = 'sync-memory';
const probe = fileURLToPath(new URL('./support/sync-memory-probe.ts', import.meta.url));

interface ProbeResult {
  readonly objects: number;
  readonly tombstones: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly peakRssMb: number;
  readonly baselineRssMb: number;
  readonly peakHeapUsedMb: number;
  readonly peakExternalMb: number;
  readonly listRequests: number;
  readonly streamed: number;
}

const runProbe = (objects: number): Promise<ProbeResult> => runFreshProbe(probe, [`${objects}`, `${objects}`]);

const millions = (n: number) => `${n / 1_000_000}M`;

/**
 * CPU seconds per million objects the sync may take: both probes (11M objects) then fit in about 80 s of the
 * bench's 10 minutes. Measured 25 s before the sync read the catalog by page and stopped reading it twice.
 */
const CPU_PER_MILLION_GOAL = 7;

const syncMemoryBenchmark: Benchmark = {
  name: NAME,
  async run(): Promise<BenchRow[]> {
    const small = await runProbe(1_000_000);
    const large = await runProbe(10_000_000);
    const perMillion = (result: ProbeResult) => (result.cpuSeconds * 1_000_000) / result.objects;
    const shape = (result: ProbeResult) =>
      `${millions(result.objects)} objects + ${millions(result.tombstones)} tombstones, ${result.listRequests} list pages, ${result.streamed} catalog records streamed`;
    const memory = (result: ProbeResult) =>
      `the probe's own VmHWM, ${Math.round(result.baselineRssMb)} MB of it before the sync (Node, tsx, modules); heap used at most ${Math.round(result.peakHeapUsedMb)} MB, external ${Math.round(result.peakExternalMb)} MB`;
    return [
      {
        benchmark: NAME,
        metric: `peak RSS, full sync of ${millions(small.objects)} objects`,
        value: Math.round(small.peakRssMb),
        unit: 'MB',
        note: `${shape(small)}; fresh process, ${memory(small)}`,
        goal: { max: 256 },
      },
      {
        benchmark: NAME,
        metric: `peak RSS, full sync of ${millions(large.objects)} objects`,
        value: Math.round(large.peakRssMb),
        unit: 'MB',
        note: `${shape(large)}; measured, not extrapolated; ${memory(large)}`,
        goal: { max: 256 },
      },
      {
        benchmark: NAME,
        metric: `sync CPU time per 1M objects at ${millions(small.objects)}`,
        value: Math.round(perMillion(small) * 100) / 100,
        unit: 's',
        note: `${small.cpuSeconds.toFixed(1)} s CPU, ${small.seconds.toFixed(1)} s wall; no request latency modelled`,
        goal: { max: CPU_PER_MILLION_GOAL },
      },
      {
        benchmark: NAME,
        metric: `sync CPU time per 1M objects at ${millions(large.objects)}`,
        value: Math.round(perMillion(large) * 100) / 100,
        unit: 's',
        note: `${large.cpuSeconds.toFixed(1)} s CPU, ${large.seconds.toFixed(1)} s wall; no request latency modelled`,
        goal: { max: CPU_PER_MILLION_GOAL },
      },
      {
        benchmark: NAME,
        metric: 'time growth, 10x the objects (per-object CPU time at 10M over 1M)',
        value: Math.round((perMillion(large) / perMillion(small)) * 100) / 100,
        unit: 'x',
        note: '1 is linear; the goal allows noise of a shared machine',
        goal: { max: 1.5 },
      },
    ];
  },
};

export default syncMemoryBenchmark;
