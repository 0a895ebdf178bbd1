/**
 * Cold-start proxies for every Lambda function in `functions/`: the size of its bundle (esbuild as serverless.yml
 * configures it: bundle, node22, ESM, `@aws-sdk/*` external because the runtime ships it, not minified, the
 * createRequire banner) and the time
 * a fresh `node` process takes to import the handler module, from the TypeScript source through tsx and from the
 * bundle. Importing builds nothing: handlers construct their clients on the first invocation.
 *
 * The import times are measured inside the child process (performance.now() around `import()`), so node's own
 * start-up is excluded; the median of several fresh processes is reported.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { Benchmark, BenchRow } from './bench-types.ts';

const NAME = 'cold-start';
/** Fresh processes per bundle import (the median is reported); the tsx path, for development only, runs once. */
const RUNS = 3;
const TSX_RUNS = 1;
/** As serverless.yml sets it: CommonJS dependencies (yaml) call require() for node built-ins inside the ESM bundle. */
const REQUIRE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";
/** The SDK packages the functions import; the runtime provides them, so they are not in the bundles. */
const SDK_CLIENTS = [
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/lib-dynamodb',
  '@aws-sdk/client-s3',
  '@aws-sdk/client-ssm',
  '@aws-sdk/client-sqs',
] as const;
const root = fileURLToPath(new URL('..', import.meta.url));
const functionsDir = join(root, 'functions');
/** Inside the repository so the bundles resolve the external `@aws-sdk/*` from its node_modules, as on Lambda. */
const bundleDir = join(root, 'bench', 'results', 'cold-start');

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/** Milliseconds to import `moduleUrl` in a fresh node process, or the error text. */
function importTime(moduleUrl: string, nodeArgs: readonly string[]): number | string {
  const script = `const t = performance.now(); await import(${JSON.stringify(moduleUrl)}); process.stdout.write(String(performance.now() - t));`;
  const child = spawnSync(process.execPath, [...nodeArgs, '--no-warnings', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const value = Number(child.stdout);
  if (child.status !== 0 || Number.isNaN(value)) {
    const lines = (child.stderr || child.stdout || `exit ${child.status}`).split('\n').map((line) => line.trim());
    // Node prints the failing source line first; the error class and message are what explain it.
    const reason = lines.find((line) => /^[A-Za-z]*Error\b/.test(line)) ?? lines.find((line) => line !== '');
    return reason?.slice(0, 160) ?? 'failed';
  }
  return value;
}

function medianImport(moduleUrl: string, nodeArgs: readonly string[], runs: number): number | string {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const result = importTime(moduleUrl, nodeArgs);
    if (typeof result === 'string') return result;
    times.push(result);
  }
  return median(times);
}

const coldStart: Benchmark = {
  name: NAME,
  async run(): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    mkdirSync(bundleDir, { recursive: true });
    const sources = readdirSync(functionsDir)
      .filter((file) => file.endsWith('.ts'))
      .sort();
    for (const source of sources) {
      const fn = source.replace(/\.ts$/, '');
      const outfile = join(bundleDir, `${fn}.mjs`);
      await build({
        entryPoints: [join(functionsDir, source)],
        outfile,
        bundle: true,
        platform: 'node',
        target: 'node22',
        format: 'esm',
        external: ['@aws-sdk/*'],
        minify: false,
        banner: { js: REQUIRE_BANNER },
        logLevel: 'silent',
      });
      rows.push({
        benchmark: NAME,
        metric: `${fn}: bundle size`,
        value: statSync(outfile).size / 1024,
        unit: 'KB',
        note: 'esbuild as serverless.yml: bundle, node22, esm, @aws-sdk/* external, not minified',
      });
      const fromSource = medianImport(pathToFileURL(join(functionsDir, source)).href, ['--import', 'tsx'], TSX_RUNS);
      const fromBundle = medianImport(pathToFileURL(outfile).href, [], RUNS);
      for (const [what, result, runs] of [
        ['import via tsx (source)', fromSource, TSX_RUNS],
        ['import of the bundle', fromBundle, RUNS],
      ] as const) {
        rows.push({
          benchmark: NAME,
          metric: `${fn}: ${what}`,
          value: typeof result === 'number' ? result : Number.NaN,
          unit: 'ms',
          note:
            typeof result === 'number'
              ? `${runs === 1 ? 'one fresh node process' : `median of ${runs} fresh node processes`} (${process.version}), import() only`
              : `FAILED: ${result}`,
        });
      }
    }
    // The bundles leave the AWS SDK to the Lambda runtime; loading it is part of every import above.
    const sdkBaseline = join(bundleDir, 'aws-sdk-clients.mjs');
    writeFileSync(sdkBaseline, `${SDK_CLIENTS.map((name) => `import '${name}';`).join('\n')}\n`);
    const sdkTime = medianImport(pathToFileURL(sdkBaseline).href, [], RUNS);
    rows.push({
      benchmark: NAME,
      metric: 'AWS SDK clients alone (external to the bundles)',
      value: typeof sdkTime === 'number' ? sdkTime : Number.NaN,
      unit: 'ms',
      note:
        typeof sdkTime === 'number'
          ? `median of ${RUNS} fresh node processes: ${SDK_CLIENTS.join(', ')}`
          : `FAILED: ${sdkTime}`,
    });
    return rows;
  },
};

export default coldStart;
