/**
 * Memory and time of a steady-state full sync at archive sizes no emulator holds: 1M and 10M live WAL objects,
 * each with as many tombstones of deleted segments. Each size runs in a fresh process (support/sync-memory-probe.ts)
 * so its peak RSS is the sync's own plus Node and the TypeScript loader (about 70 MB here, less in Lambda). The
 * bucket and the catalog are synthetic and stream (support/streaming-archive.ts): listing pages and catalog query
 * pages are computed on request, so what stays in memory is what the sync itself keeps. No S3 or DynamoDB latency
 * is modelled: the time is the sync's CPU cost (classify, compare), the part that grows with the archive, taken as
 * the probe's own CPU time so that a busy machine disturbs it less.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Benchmark, BenchRow } from './bench-types.ts';

const NAME = 'sync-memory';
const probe = fileURLToPath(new URL('./support/sync-memory-probe.ts', import.meta.url));

interface ProbeResult {
  readonly objects: number;
  readonly tombstones: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly peakRssMb: number;
  readonly listRequests: number;
  readonly streamed: number;
}

async function runProbe(objects: number): Promise<ProbeResult> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', probe, `${objects}`, `${objects}`],
    {
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as ProbeResult;
}

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
    return [
      {
        benchmark: NAME,
        metric: `peak RSS, full sync of ${millions(small.objects)} objects`,
        value: Math.round(small.peakRssMb),
        unit: 'MB',
        note: `${shape(small)}; fresh process`,
        goal: { max: 256 },
      },
      {
        benchmark: NAME,
        metric: `peak RSS, full sync of ${millions(large.objects)} objects`,
        value: Math.round(large.peakRssMb),
        unit: 'MB',
        note: `${shape(large)}; measured, not extrapolated`,
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
