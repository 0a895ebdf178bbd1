/**
 * Cold-start proxies for every Lambda function in `functions/`, in the deployed configuration: each bundle built with
 * serverless.yml's `custom.esbuild` settings as serverless-esbuild passes them to esbuild (minified, AWS SDK bundled,
 * the YAML parser replaced by the JSON reader of the packaged config, the source map written outside the zip), the
 * config packaged as `npm run package` packages it, and node started with the stack's NODE_OPTIONS.
 *
 * - size: what the zip holds, unzipped: the bundle and the packaged config (goal: under 1 MB).
 * - import: a fresh `node` process imports the handler module (performance.now() around `import()`, so node's own
 *   start-up is excluded); the median of several processes (goal: under 150 ms). The CPU time of the same import is
 *   printed beside it: on a machine shared by other work the wall time includes waiting for a core, the CPU time
 *   does not.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { parse } from 'yaml';
import { packagedConfigJson } from '../lib/config/packaged-config.ts';
import { chunksBesideEntry, sourceMapsOutsideZip } from '../scripts/lambda-bundle-plugins.mjs';
import type { Benchmark, BenchRow } from './bench-types.ts';

const NAME = 'cold-start';
/**
 * Fresh processes per bundle import; the median is reported. The imports go in rounds, one of each bundle per round,
 * so a burst of other work on the machine lands on one import of several bundles instead of on every import of one
 * (run back to back, three imports of one bundle once measured 199 ms, and 144 ms a minute later). Five rounds keep
 * two slow starts out of each median and take about 20 s.
 */
const RUNS = 5;
const SIZE_GOAL_KB = 1024;
const IMPORT_GOAL_MS = 150;
const root = fileURLToPath(new URL('..', import.meta.url));
const functionsDir = join(root, 'functions');
/** Inside the repository, like the other bench output (not committed). */
const bundleDir = join(root, 'bench', 'results', 'cold-start');
const PACKAGED_CONFIG = 'walcat.config.deploy.yml';

const serverless = parse(readFileSync(join(root, 'serverless.yml'), 'utf8'), { logLevel: 'error' }) as {
  custom: { esbuild: Record<string, unknown> };
  provider: { environment?: Record<string, unknown> };
};
/** serverless-esbuild's own keys, which it removes before handing the rest to esbuild. */
const PLUGIN_KEYS = new Set(['exclude', 'outputFileExtension', 'plugins', 'packager', 'concurrency', 'zipConcurrency']);
const settings = serverless.custom.esbuild;
const esbuildOptions = Object.fromEntries(
  Object.entries(settings).filter(([key]) => !PLUGIN_KEYS.has(key)),
) as BuildOptions;
const nodeOptions = String(serverless.provider.environment?.NODE_OPTIONS ?? '');

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/** Wall and CPU milliseconds of importing `moduleUrl` in a fresh node process, or the error text. */
function importTime(moduleUrl: string, cwd: string): { wall: number; cpu: number } | string {
  const script = `const c = process.cpuUsage(); const t = performance.now(); await import(${JSON.stringify(moduleUrl)}); const wall = performance.now() - t; const u = process.cpuUsage(c); process.stdout.write(JSON.stringify({ wall, cpu: (u.user + u.system) / 1000 }));`;
  const child = spawnSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      ...process.env,
      NODE_OPTIONS: nodeOptions,
      WALCAT_CONFIG: PACKAGED_CONFIG,
      AWS_REGION: 'eu-west-1',
      WALCAT_ALERTS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/walcat-alerts',
    },
  });
  try {
    if (child.status !== 0) throw new Error('failed');
    return JSON.parse(child.stdout) as { wall: number; cpu: number };
  } catch {
    const lines = (child.stderr || child.stdout || `exit ${child.status}`).split('\n').map((line) => line.trim());
    // Node prints the failing source line first; the error class and message are what explain it.
    const reason = lines.find((line) => /^[A-Za-z]*Error\b/.test(line)) ?? lines.find((line) => line !== '');
    return reason?.slice(0, 160) ?? 'failed';
  }
}

type ImportTiming = { wall: number; cpu: number } | string;

/** The median import of each bundle over RUNS rounds of one import per bundle (or the first failure's text). */
function medianImports(targets: readonly { readonly moduleUrl: string; readonly cwd: string }[]): ImportTiming[] {
  const samples = targets.map(() => ({
    walls: [] as number[],
    cpus: [] as number[],
    failed: undefined as string | undefined,
  }));
  for (let run = 0; run < RUNS; run++) {
    targets.forEach((target, index) => {
      const sample = samples[index] as (typeof samples)[number];
      if (sample.failed !== undefined) return;
      const result = importTime(target.moduleUrl, target.cwd);
      if (typeof result === 'string') sample.failed = result;
      else {
        sample.walls.push(result.wall);
        sample.cpus.push(result.cpu);
      }
    });
  }
  return samples.map((sample) =>
    sample.failed !== undefined ? sample.failed : { wall: median(sample.walls), cpu: median(sample.cpus) },
  );
}

const coldStart: Benchmark = {
  name: NAME,
  async run(): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    const example = join(root, 'walcat.config.example.yml');
    const config = packagedConfigJson(readFileSync(example, 'utf8'), example);
    const sources = readdirSync(functionsDir)
      .filter((file) => file.endsWith('.ts'))
      .sort();
    // All bundles are built at once (esbuild spreads the work over the cores), before any import is timed: an import
    // timed while bundles are still being built would wait for a core.
    const bundles = await Promise.all(
      sources.map(async (source) => {
        const fn = source.replace(/\.ts$/, '');
        // One folder per function, laid out as its zip: functions/<fn>.mjs and the packaged config.
        const zipDir = join(bundleDir, fn);
        const outdir = join(zipDir, 'functions');
        // Emptied first: chunk names carry a content hash, so a previous run's chunks would be counted as well.
        rmSync(outdir, { recursive: true, force: true });
        mkdirSync(outdir, { recursive: true });
        writeFileSync(join(zipDir, PACKAGED_CONFIG), config);
        await build({
          ...esbuildOptions,
          entryPoints: [join(functionsDir, source)],
          outdir,
          outExtension: { '.js': String(settings.outputFileExtension ?? '.js') },
          external: (settings.exclude as string[] | undefined) ?? [],
          plugins: [chunksBesideEntry(), sourceMapsOutsideZip(join(bundleDir, 'sourcemaps', fn))],
          absWorkingDir: root,
          logLevel: 'silent',
        });
        return { fn, zipDir, outdir, bundle: join(outdir, `${fn}${String(settings.outputFileExtension ?? '.js')}`) };
      }),
    );
    const timings = medianImports(
      bundles.map(({ zipDir, bundle }) => ({ moduleUrl: pathToFileURL(bundle).href, cwd: zipDir })),
    );
    for (const [index, { fn, zipDir, outdir }] of bundles.entries()) {
      // The bundle and its chunks (in <fn>.chunks/, with splitting): everything the zip holds but the config.
      const zipped = readdirSync(outdir, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => join(entry.parentPath, entry.name));
      const bytes = [...zipped, join(zipDir, PACKAGED_CONFIG)].reduce((sum, file) => sum + statSync(file).size, 0);
      rows.push({
        benchmark: NAME,
        metric: `${fn}: zip contents, unzipped`,
        value: bytes / 1024,
        unit: 'KB',
        goal: { max: SIZE_GOAL_KB },
        note: `${zipped.length} bundle file(s) + packaged config; serverless.yml custom.esbuild (minify ${String(settings.minify)}, sourcemap ${String(settings.sourcemap)} outside the zip)`,
      });
      const timing = timings[index] as ImportTiming;
      const failed = typeof timing === 'string' ? `FAILED: ${timing}` : undefined;
      rows.push({
        benchmark: NAME,
        metric: `${fn}: import of the bundle (wall)`,
        value: typeof timing === 'string' ? Number.NaN : timing.wall,
        unit: 'ms',
        goal: { max: IMPORT_GOAL_MS },
        note:
          failed ??
          `median of ${RUNS} fresh node ${process.version} processes, one per round of all bundles, NODE_OPTIONS="${nodeOptions}"`,
      });
      rows.push({
        benchmark: NAME,
        metric: `${fn}: import of the bundle (CPU)`,
        value: typeof timing === 'string' ? Number.NaN : timing.cpu,
        unit: 'ms',
        goal: { max: IMPORT_GOAL_MS },
        note: failed ?? 'user + system CPU of the same imports (excludes waiting for a core on a busy machine)',
      });
    }
    return rows;
  },
};

export default coldStart;
