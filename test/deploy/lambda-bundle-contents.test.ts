import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import { packagedConfigJson } from '../../lib/config/packaged-config.ts';
import { parseDocument } from '../../lib/config/packaged-config-document.ts';
import { ConfigError } from '../../lib/domain/errors.ts';
import { sourceMapsOutsideZip } from '../../scripts/lambda-bundle-plugins.mjs';

/**
 * What goes into each function's zip, bundled with serverless.yml's esbuild settings as serverless-esbuild passes
 * them: no YAML parser (the config is packaged as JSON), no zod locale files, and no source map inside the zip.
 */
const root = join(import.meta.dirname, '..', '..');
const settings = parse(readFileSync(join(root, 'serverless.yml'), 'utf8')).custom.esbuild as Record<string, unknown>;
/** serverless-esbuild's own keys, removed before the rest goes to esbuild (its bundle.js). */
const PLUGIN_KEYS = ['exclude', 'outputFileExtension', 'plugins', 'packager', 'concurrency', 'zipConcurrency'];
const esbuildOptions = Object.fromEntries(
  Object.entries(settings).filter(([key]) => !PLUGIN_KEYS.includes(key)),
) as BuildOptions;
const external = (settings.exclude as string[] | undefined) ?? [];
const functions = readdirSync(join(root, 'functions')).filter((name) => name.endsWith('.ts'));
const example = readFileSync(join(root, 'walcat.config.example.yml'), 'utf8');
mkdirSync(join(root, 'test-output'), { recursive: true });
const out = mkdtempSync(join(root, 'test-output', 'lambda-bundles-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const bundleInputs = new Map<string, Promise<string[]>>();

/** The modules whose code ends up in a function's bundle (built once per file, in memory). */
function inputsOf(file: string): Promise<string[]> {
  const known = bundleInputs.get(file);
  if (known) return known;
  const inputs = build({
    ...esbuildOptions,
    entryPoints: [join(root, 'functions', file)],
    external,
    outfile: join(out, 'unused', `${basename(file, '.ts')}.mjs`),
    write: false,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: root,
  }).then((result) =>
    // What ends up in the output (the metafile's inputs also list modules whose code was all tree-shaken away).
    Object.values(result.metafile.outputs).flatMap((output) =>
      Object.entries(output.inputs)
        .filter(([, used]) => used.bytesInOutput > 0)
        .map(([input]) => input),
    ),
  );
  bundleInputs.set(file, inputs);
  return inputs;
}

/**
 * The functions whose use cases read, list or delete bucket objects or read bucket settings. The others (the job
 * tracker, the scheduler, the probe, restores, drills, the watchdog, the web view, alert dispatch) never touch a
 * bucket when deployed: restores run on the host, and the deployed drill refuses a thaw instead of waiting for one.
 */
const BUCKET_READERS = ['catalog-ingest.ts', 'catalog-sync-part.ts', 'catalog-sync.ts', 'retention.ts'];

/**
 * The functions that send host commands (Run Command), resolve hosts or read Slack webhook secrets: the only ones
 * whose bundles carry the SSM client. Loading a client a function never calls costs every cold start.
 */
const SSM_USERS = [
  'alert-dispatch.ts',
  'archiver-probe.ts',
  'backup-scheduler.ts',
  'job-tracker.ts',
  'restore-drill.ts',
  'restore-orchestrator.ts',
];
/**
 * The functions that enqueue: a notifier (every deployed Slack message goes through the alerts queue), a cluster-run
 * queue, or catalog-sync's part queue. Ingest, a sync part, the web view and alert dispatch enqueue nothing.
 */
const SQS_USERS = [
  'archiver-probe.ts',
  'backup-scheduler.ts',
  'catalog-sync.ts',
  'job-tracker.ts',
  'restore-drill.ts',
  'restore-orchestrator.ts',
  'retention.ts',
  'wal-watch.ts',
];

describe('function bundles as serverless.yml builds them', () => {
  it.each(functions)('%s carries no YAML parser and no zod locale but English', async (file) => {
    const inputs = await inputsOf(file);
    expect(inputs.filter((input) => input.includes('node_modules/yaml/'))).toEqual([]);
    expect(inputs.filter((input) => /node_modules\/zod\/.*locales\/(?!en\.js$)/.test(input))).toEqual([]);
  });

  it.each(functions.map((file) => [file, BUCKET_READERS.includes(file)] as const))(
    '%s carries the S3 client: %s (only the functions that read buckets do)',
    async (file, readsBuckets) => {
      const inputs = await inputsOf(file);
      const s3Client = inputs.filter((input) => input.includes('node_modules/@aws-sdk/client-s3/'));
      expect(s3Client.length > 0).toBe(readsBuckets);
    },
  );

  it.each(functions.map((file) => [file, SSM_USERS.includes(file), SQS_USERS.includes(file)] as const))(
    '%s carries the SSM client: %s, the SQS client: %s (only the functions that call them do)',
    async (file, usesSsm, usesSqs) => {
      const inputs = await inputsOf(file);
      const ssmClient = inputs.filter((input) => input.includes('node_modules/@aws-sdk/client-ssm/'));
      const sqsClient = inputs.filter((input) => input.includes('node_modules/@aws-sdk/client-sqs/'));
      expect({ ssm: ssmClient.length > 0, sqs: sqsClient.length > 0 }).toEqual({ ssm: usesSsm, sqs: usesSqs });
    },
  );

  it('a bundle reads the packaged JSON config at import, and says to package again when given YAML', async () => {
    const outfile = join(out, 'wal-watch', 'wal-watch.mjs');
    await build({
      ...esbuildOptions,
      entryPoints: [join(root, 'functions', 'wal-watch.ts')],
      external,
      outfile,
      logLevel: 'silent',
      absWorkingDir: root,
    });
    writeFileSync(join(out, 'packaged.yml'), packagedConfigJson(example, 'walcat.config.example.yml'));
    writeFileSync(join(out, 'written-by-hand.yml'), example);
    const load = (config: string, probe = 'console.log(typeof m.handler, typeof m.handler === "function")') =>
      spawnSync(
        process.execPath,
        ['--input-type=module', '-e', `const m = await import(${JSON.stringify(outfile)}); ${probe}`],
        {
          cwd: out,
          encoding: 'utf8',
          // What the stack gives every function (serverless.yml provider.environment): Slack messages go to the queue.
          env: {
            ...process.env,
            WALCAT_CONFIG: config,
            AWS_REGION: 'eu-west-1',
            WALCAT_ALERTS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/walcat-alerts',
          },
        },
      );
    const packaged = load('packaged.yml');
    expect(packaged.stderr).not.toMatch(/Error/);
    expect(packaged.stdout.trim()).toBe('function true');
    // Reading the config at import (the door builds its adapters then) or at the first event: either way a YAML
    // file must be refused with the fix, never half-read.
    const handWritten = load(
      'written-by-hand.yml',
      'try { await m.handler({}, { getRemainingTimeInMillis: () => 60000 }); } catch (e) { console.log(e.message); }',
    );
    expect(`${handWritten.stdout}${handWritten.stderr}`).toMatch(
      /written-by-hand\.yml.*not valid YAML \(the deployed functions read their config as JSON, written by npm run package/,
    );
  });

  it('moves source maps out of the directory that is zipped and leaves no sourceMappingURL in the bundle', async () => {
    const outdir = join(out, 'build', 'functions');
    const maps = join(out, 'sourcemaps');
    await build({
      ...esbuildOptions,
      entryPoints: [join(root, 'functions', 'alert-dispatch.ts')],
      external,
      outdir,
      outExtension: { '.js': '.mjs' },
      plugins: [sourceMapsOutsideZip(maps)],
      logLevel: 'silent',
      absWorkingDir: root,
    });
    expect(readdirSync(outdir)).toEqual(['alert-dispatch.mjs']);
    expect(existsSync(join(maps, 'functions', 'alert-dispatch.mjs.map'))).toBe(true);
    expect(readFileSync(join(outdir, 'alert-dispatch.mjs'), 'utf8')).not.toMatch(/sourceMappingURL/);
  });
});

describe('packagedConfigJson', () => {
  it('is JSON that gives the same validated config as the YAML, through the parser the functions use', () => {
    const json = packagedConfigJson(example, 'walcat.config.example.yml');
    const document = parseDocument(json);
    expect(document.errors).toEqual([]);
    expect(document.toJS()).toEqual(parse(example));
    expect(parseWalcatConfig(json, 'packaged')).toEqual(parseWalcatConfig(example, 'example'));
  });

  it('refuses an invalid config before packaging it', () => {
    expect(() => packagedConfigJson('clusters: 3\n', 'bad.yml')).toThrow(ConfigError);
  });

  it('reports text that is not JSON as a problem naming the fix', () => {
    const document = parseDocument('clusters: []\n');
    expect(document.errors[0]?.message).toMatch(/package again/);
    expect(document.toJS()).toBeUndefined();
  });
});
