import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { filterFilesForZipPackage } from 'serverless-esbuild/dist/pack.js';
import { trimExtension } from 'serverless-esbuild/dist/utils.js';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import { packagedConfigJson } from '../../lib/config/packaged-config.ts';
import { parseDocument } from '../../lib/config/packaged-config-document.ts';
import { ConfigError } from '../../lib/domain/errors.ts';
import { chunksBesideEntry, sourceMapsOutsideZip } from '../../scripts/lambda-bundle-plugins.mjs';

/**
 * What goes into each function's zip, bundled with serverless.yml's esbuild settings as serverless-esbuild passes
 * them: no YAML parser (the config is packaged as JSON), no zod locale files, no source map inside the zip, and what
 * a bundle reaches only through import() split into chunks of its own.
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

interface BundleOutputs {
  /** The modules whose code ends up in the entry file and the chunks it imports statically: what an import parses. */
  readonly atImport: string[];
  /** The modules whose code ends up anywhere in the output: the entry and its chunks. */
  readonly all: string[];
  /** The output files, relative to the build folder. */
  readonly files: string[];
}
const bundleOutputs = new Map<string, Promise<BundleOutputs>>();

/** The inputs that left code in `output` (the metafile also lists modules whose code was all tree-shaken away). */
const usedInputs = (output: { inputs: Record<string, { bytesInOutput: number }> }) =>
  Object.entries(output.inputs)
    .filter(([, used]) => used.bytesInOutput > 0)
    .map(([input]) => input);

/** A function's bundle, built once per file, in memory, into <out>/unused/functions as serverless-esbuild does. */
function outputsOf(file: string): Promise<BundleOutputs> {
  const known = bundleOutputs.get(file);
  if (known) return known;
  const outdir = join(out, 'unused', 'functions');
  const outputs = build({
    ...esbuildOptions,
    entryPoints: [join(root, 'functions', file)],
    external,
    outdir,
    outExtension: { '.js': '.mjs' },
    // serverless.yml's plugins but the source maps' move, which has nothing to move when nothing is written.
    plugins: [chunksBesideEntry()],
    write: false,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: root,
  }).then((result) => {
    const entries = Object.entries(result.metafile.outputs).filter(([path]) => !path.endsWith('.map'));
    const byPath = new Map(entries);
    // The function's own file (a chunk loaded by import() is an entry point too, of its own module).
    const loaded = new Set(
      entries.filter(([, output]) => output.entryPoint === `functions/${file}`).map(([path]) => path),
    );
    for (const path of loaded) {
      for (const imported of byPath.get(path)?.imports ?? []) {
        if (imported.kind === 'import-statement' && byPath.has(imported.path)) loaded.add(imported.path);
      }
    }
    return {
      atImport: [...loaded].flatMap((path) => usedInputs(byPath.get(path) as (typeof entries)[number][1])),
      all: entries.flatMap(([, output]) => usedInputs(output)),
      files: entries.map(([path]) => relative(outdir, join(root, path))),
    };
  });
  bundleOutputs.set(file, outputs);
  return outputs;
}

/** The modules whose code ends up in a function's output, chunks included. */
const inputsOf = async (file: string): Promise<string[]> => (await outputsOf(file)).all;

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

/**
 * The scheduled functions whose door hands the handler a loader of its run's dependencies
 * (lib/handlers/run-dependencies.ts): their tick, the most frequent invocation, only enqueues on SQS.
 */
const DISPATCHERS = ['archiver-probe.ts', 'backup-scheduler.ts', 'catalog-sync.ts', 'restore-drill.ts', 'retention.ts'];

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

  it.each(DISPATCHERS)(
    '%s parses the DynamoDB, S3 and SSM clients only when a cluster runs, not at import',
    async (file) => {
      const { atImport, all } = await outputsOf(file);
      const clients = (inputs: string[]) => [
        ...new Set(
          inputs.flatMap(
            (input) =>
              /node_modules\/(@aws-sdk\/(?:client-dynamodb|lib-dynamodb|client-s3|client-ssm))\//.exec(input)?.[1] ??
              [],
          ),
        ),
      ];
      expect(clients(atImport)).toEqual([]);
      expect(clients(all)).toContain('@aws-sdk/client-dynamodb');
    },
  );

  it('catalog-ingest parses the S3 client only when a batch reads an object, not at import', async () => {
    const { atImport, all } = await outputsOf('catalog-ingest.ts');
    const s3Client = (inputs: string[]) => inputs.filter((input) => input.includes('node_modules/@aws-sdk/client-s3/'));
    expect(s3Client(atImport)).toEqual([]);
    expect(s3Client(all).length).toBeGreaterThan(0);
    expect(atImport.some((input) => input.includes('node_modules/@aws-sdk/client-dynamodb/'))).toBe(true);
  });

  it('job-tracker parses the SSM client only when a status or a poll calls Run Command, not at import', async () => {
    const { atImport, all } = await outputsOf('job-tracker.ts');
    const ssmClient = (inputs: string[]) =>
      inputs.filter((input) => input.includes('node_modules/@aws-sdk/client-ssm/'));
    expect(ssmClient(atImport)).toEqual([]);
    expect(ssmClient(all).length).toBeGreaterThan(0);
    expect(atImport.some((input) => input.includes('node_modules/@aws-sdk/client-dynamodb/'))).toBe(true);
  });

  it('a bundle reads the packaged JSON config at import, and says to package again when given YAML', async () => {
    const outfile = join(out, 'wal-watch', 'wal-watch.mjs');
    await build({
      ...esbuildOptions,
      entryPoints: [join(root, 'functions', 'wal-watch.ts')],
      external,
      outdir: join(out, 'wal-watch'),
      outExtension: { '.js': '.mjs' },
      plugins: [chunksBesideEntry(), sourceMapsOutsideZip(join(out, 'wal-watch-maps'))],
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
      plugins: [chunksBesideEntry(), sourceMapsOutsideZip(maps)],
      logLevel: 'silent',
      absWorkingDir: root,
    });
    expect(readdirSync(outdir)).toEqual(['alert-dispatch.chunks', 'alert-dispatch.mjs']);
    const written = readdirSync(outdir, { recursive: true, encoding: 'utf8' }).filter((path) => path.endsWith('.mjs'));
    expect(written.length).toBeGreaterThan(1);
    expect(written.filter((path) => path.endsWith('.map'))).toEqual([]);
    for (const path of written) {
      expect(existsSync(join(maps, 'functions', `${path}.map`))).toBe(true);
      expect(readFileSync(join(outdir, path), 'utf8')).not.toMatch(/sourceMappingURL/);
    }
  });

  it.each(functions)(
    '%s parses no credential provider but the environment one at import: the others are chunks in its own folder',
    async (file) => {
      const { atImport, all, files } = await outputsOf(file);
      const fn = basename(file, '.ts');
      // Lambda gives a function its role's credentials in the environment; SSO, profiles, process, web identity,
      // container and instance metadata credentials and the STS, SSO and sign-in clients they build are never used.
      const unused = (inputs: string[]) =>
        inputs.filter((input) =>
          /node_modules\/@aws-sdk\/(nested-clients|credential-provider-(?!env|node)[a-z-]+)\//.test(input),
        );
      expect(unused(atImport)).toEqual([]);
      expect(unused(all).length).toBeGreaterThan(0);
      expect(files.filter((path) => path !== `${fn}.mjs` && !path.startsWith(`${fn}.chunks/`))).toEqual([]);
    },
  );
});

describe("serverless-esbuild's zips", () => {
  it("give each function its bundle and its own chunks, none of another function's", () => {
    // Every function is built into the same folder; pack.js zips, per function, that folder minus the other bundles
    // and what starts with their name and a dot. catalog-sync and catalog-sync-part share a prefix without the dot.
    const bundles = functions.map((file) => `functions/${basename(file, '.ts')}.mjs`);
    const chunkOf = (bundle: string) => `${trimExtension(bundle)}.chunks/chunk-2M6JPTHR.mjs`;
    const files = bundles
      .flatMap((bundle) => [bundle, chunkOf(bundle)])
      .map((localPath) => ({ localPath, rootPath: localPath }));
    for (const bundle of bundles) {
      const zipped = filterFilesForZipPackage({
        files,
        functionAlias: 'any',
        includedFiles: [],
        excludedFiles: bundles.filter((other) => !bundle.startsWith(other)).map(trimExtension),
        hasExternals: false,
        isGoogleProvider: false,
        depWhiteList: [],
      }).map((file) => file.localPath);
      expect(zipped).toEqual([bundle, chunkOf(bundle)]);
    }
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
