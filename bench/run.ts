/**
 * Runs the benchmarks in `bench/*.bench.ts` one after another and prints one table.
 *
 *   npm run bench                 # all benchmarks
 *   npm run bench -- classify     # only those whose file or benchmark name contains "classify"
 *
 * Results also go to bench/results/latest.json and bench/results/latest.md (not committed). Rows whose unit is `x`
 * are ratios; latest.md lists them first in a table of their own that the README can quote, and the run ends with
 * its total wall time (a row with its 10-minute goal when every benchmark ran) and each benchmark's own time. A
 * benchmark that throws becomes a missed `benchmark failed` row and the run goes on, exiting 1 at the end.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchGoal, Benchmark, BenchRow } from './bench-types.ts';

/** The whole run (no filter) should fit in this; each benchmark's sizes are chosen for it. */
const TOTAL_GOAL_SECONDS = 600;
const benchDir = fileURLToPath(new URL('.', import.meta.url));
const resultsDir = join(benchDir, 'results');

interface MachineContext {
  node: string;
  cpu: string;
  cores: number;
  os: string;
  /** 1-minute load average at the start: figures from a busy machine are lower than its real capacity. */
  loadAverage: number;
  date: string;
}

function machineContext(): MachineContext {
  const cpuList = cpus();
  return {
    node: process.version,
    cpu: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    os: `${platform()} ${release()} ${process.arch}`,
    loadAverage: loadavg()[0] ?? 0,
    date: new Date().toISOString(),
  };
}

function describeMachine(context: MachineContext): string {
  return `node ${context.node} | ${context.cpu} (${context.cores} cores) | ${context.os} | load ${context.loadAverage.toFixed(2)} | ${context.date}`;
}

function isBenchmark(value: unknown): value is Benchmark {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Benchmark).name === 'string' &&
    typeof (value as Benchmark).run === 'function'
  );
}

async function loadBenchmarks(filter: string | undefined): Promise<Benchmark[]> {
  const files = (await readdir(benchDir)).filter((file) => file.endsWith('.bench.ts')).sort();
  const benchmarks: Benchmark[] = [];
  for (const file of files) {
    const module: { default?: unknown } = await import(pathToFileURL(join(benchDir, file)).href);
    if (!isBenchmark(module.default)) {
      throw new Error(`bench/${file} must default-export a Benchmark ({ name, run })`);
    }
    if (filter === undefined || file.includes(filter) || module.default.name.includes(filter)) {
      benchmarks.push(module.default);
    }
  }
  return benchmarks;
}

function formatValue(value: number): string {
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 1 ? 2 : 4;
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

const HEADERS = ['benchmark', 'metric', 'value', 'unit', 'goal', 'met', 'note'] as const;

function describeGoal(goal: BenchGoal | undefined): string {
  if (goal === undefined) return '';
  return [
    goal.min === undefined ? '' : `>= ${formatValue(goal.min)}`,
    goal.max === undefined ? '' : `<= ${formatValue(goal.max)}`,
  ]
    .filter((part) => part !== '')
    .join(' and ');
}

/** `met`, `missed`, or empty for a row without a goal. */
function goalVerdict(row: BenchRow): string {
  if (row.goal === undefined) return '';
  const { min, max } = row.goal;
  return (min === undefined || row.value >= min) && (max === undefined || row.value <= max) ? 'met' : 'missed';
}

function cellsOf(row: BenchRow): string[] {
  return [
    row.benchmark,
    row.metric,
    formatValue(row.value),
    row.unit,
    describeGoal(row.goal),
    goalVerdict(row),
    row.note ?? '',
  ];
}

function textTable(rows: readonly BenchRow[]): string {
  const cells = rows.map(cellsOf);
  const widths = HEADERS.map((header, column) =>
    Math.max(header.length, ...cells.map((line) => line[column]?.length ?? 0)),
  );
  const render = (line: readonly string[]) =>
    line
      .map((cell, column) => (column === 2 ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [render(HEADERS), render(widths.map((width) => '-'.repeat(width))), ...cells.map(render)].join('\n');
}

/** A ratio row: the figure the README quotes (list-based over walcat, sharded over sequential...). */
const isRatio = (row: BenchRow): boolean => row.unit === 'x';

interface Timing {
  readonly benchmark: string;
  readonly seconds: number;
}

function describeTimings(timings: readonly Timing[], totalSeconds: number): string {
  const each = timings.map((timing) => `${timing.benchmark} ${timing.seconds.toFixed(1)} s`).join(', ');
  return `total wall time ${totalSeconds.toFixed(1)} s (${each})`;
}

/**
 * Printed as each benchmark ends, so a run over its ten minutes says which benchmark took the time (and a run cut
 * short still leaves each finished benchmark's time in the log).
 */
function budgetLine(benchmark: string, seconds: number, elapsedSeconds: number): string {
  return `budget: ${benchmark} took ${seconds.toFixed(1)} s wall; ${elapsedSeconds.toFixed(1)} s of the run's ${TOTAL_GOAL_SECONDS} s so far, load ${loadavg()[0]?.toFixed(2) ?? '?'}`;
}

function markdownTable(
  rows: readonly BenchRow[],
  context: MachineContext,
  timings: readonly Timing[],
  totalSeconds: number,
): string {
  const escapePipes = (cell: string) => cell.replaceAll('|', '\\|');
  const tableOf = (selected: readonly BenchRow[]) => [
    `| ${HEADERS.join(' | ')} |`,
    '| --- | --- | ---: | --- | --- | --- | --- |',
    ...selected.map((row) => `| ${cellsOf(row).map(escapePipes).join(' | ')} |`),
  ];
  const ratios = rows.filter(isRatio);
  return [
    '# walcat benchmarks',
    '',
    describeMachine(context),
    '',
    describeTimings(timings, totalSeconds),
    '',
    ...(ratios.length > 0 ? ['## Ratios', '', ...tableOf(ratios), '', '## All figures', ''] : []),
    ...tableOf(rows),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const filter = process.argv[2];
  const benchmarks = await loadBenchmarks(filter);
  if (benchmarks.length === 0) {
    console.error(`no benchmark in bench/*.bench.ts matches ${JSON.stringify(filter)}`);
    process.exitCode = 2;
    return;
  }
  const context = machineContext();
  console.log(describeMachine(context));
  const rows: BenchRow[] = [];
  const timings: Timing[] = [];
  const runStarted = performance.now();
  for (const benchmark of benchmarks) {
    console.error(`running ${benchmark.name} ...`);
    const started = performance.now();
    try {
      rows.push(...(await benchmark.run()));
    } catch (error) {
      // One broken benchmark is a missed row, not a lost run: the others' figures are still printed and written.
      const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
      console.error(`${benchmark.name} failed: ${message}`);
      rows.push({
        benchmark: benchmark.name,
        metric: 'benchmark failed',
        value: 1,
        unit: 'failure',
        note: message.slice(0, 300),
        goal: { max: 0 },
      });
      process.exitCode = 1;
    }
    const seconds = (performance.now() - started) / 1000;
    timings.push({ benchmark: benchmark.name, seconds });
    console.log(budgetLine(benchmark.name, seconds, (performance.now() - runStarted) / 1000));
  }
  const totalSeconds = (performance.now() - runStarted) / 1000;
  if (filter === undefined) {
    rows.push({
      benchmark: 'npm run bench',
      metric: 'total wall time',
      value: totalSeconds,
      unit: 's',
      note: `every benchmark, one after another; 1-minute load ${context.loadAverage.toFixed(1)} at the start, ${loadavg()[0]?.toFixed(1) ?? '?'} at the end`,
      goal: { max: TOTAL_GOAL_SECONDS },
    });
  }
  console.log(textTable(rows));
  const missed = rows.filter((row) => goalVerdict(row) === 'missed');
  if (missed.length > 0)
    console.log(`\ngoals missed: ${missed.map((row) => `${row.benchmark}: ${row.metric}`).join('; ')}`);
  console.log(`\n${describeTimings(timings, totalSeconds)}; load average now ${loadavg()[0]?.toFixed(2) ?? '?'}`);
  await mkdir(resultsDir, { recursive: true });
  await writeFile(
    join(resultsDir, 'latest.json'),
    `${JSON.stringify({ context, totalSeconds, timings, rows }, null, 2)}\n`,
  );
  await writeFile(join(resultsDir, 'latest.md'), markdownTable(rows, context, timings, totalSeconds));
  console.log(`written: bench/results/latest.json, bench/results/latest.md`);
}

await main();
