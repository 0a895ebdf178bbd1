import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleIsFresh, inputsFile } from '../../scripts/build-cli.mjs';

/**
 * The CLI starts from its prebuilt bundle, not by transpiling TypeScript on every run, and never from a bundle older
 * than the sources it was built from.
 */
const root = join(import.meta.dirname, '..', '..');
mkdirSync(join(root, 'test-output'), { recursive: true });
const scratch = mkdtempSync(join(root, 'test-output', 'cli-bundle-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let runs = 0;

/** The module URLs `node bin/walcat.mjs ...args` resolves, and its exit status and output. */
function runRecordingModules(args: readonly string[], env: Record<string, string> = {}) {
  const log = join(scratch, `modules-${++runs}.log`);
  writeFileSync(log, '');
  const run = spawnSync(
    process.execPath,
    [
      '--import',
      join(root, 'test', 'support', 'record-resolved-modules.mjs'),
      join(root, 'bin', 'walcat.mjs'),
      ...args,
    ],
    { cwd: root, encoding: 'utf8', env: { ...process.env, ...env, WALCAT_TEST_MODULE_LOG: log }, timeout: 120_000 },
  );
  return { ...run, modules: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

describe('the walcat CLI entry', () => {
  it('answers from the bundle: no TypeScript source and no tsx loader is loaded', () => {
    const run = runRecordingModules(['help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/usage: walcat <command>/);
    expect(run.stderr).not.toMatch(/tsx/);
    expect(run.modules.some((url) => url.endsWith('/dist/cli/walcat.mjs'))).toBe(true);
    expect(run.modules.filter((url) => url.endsWith('.ts'))).toEqual([]);
    expect(run.modules.filter((url) => url.includes('/node_modules/tsx/'))).toEqual([]);
  });

  it('a configuration error still exits 2 through the bundle', () => {
    const run = runRecordingModules(['status', '--config', join(scratch, 'no-such.yml')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/no-such\.yml: config file not found/);
    expect(run.modules.filter((url) => url.endsWith('.ts'))).toEqual([]);
  });
});

/** A port nothing listens on: a request there is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('each command loads only the SDK clients it uses', () => {
  /** The AWS SDK clients whose code is in the bundle files a run loaded (each client's class keeps its name). */
  function clientsLoaded(modules: readonly string[]): string[] {
    const files = [...new Set(modules.filter((url) => url.includes('/dist/cli/') && url.endsWith('.mjs')))];
    const code = files.map((url) => readFileSync(fileURLToPath(url), 'utf8')).join('\n');
    return ['DynamoDBClient', 'S3Client', 'SSMClient', 'SQSClient'].filter((client) => code.includes(`"${client}"`));
  }

  it('status, gaps and window load the DynamoDB client and no other (no S3: they read the catalog only); backup loads SSM', async () => {
    const config = join(scratch, 'clients.yml');
    writeFileSync(
      config,
      'catalogTable: walcat-test\nclusters:\n  - id: orders-main\n    storage: s3://acme/orders-main\n    retention: { keepDaily: 7, pitrWindow: 7d }\n',
    );
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const env = {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ENDPOINT_URL_SSM: endpoint,
      AWS_MAX_ATTEMPTS: '1',
    };
    const status = runRecordingModules(['status', '--config', config], env);
    // It got as far as asking DynamoDB (unreachable here: exit 3, naming it).
    expect(status.stderr).toMatch(/cannot reach DynamoDB/);
    expect(status.status).toBe(3);
    const statusClients = clientsLoaded(status.modules);
    expect(statusClients).toEqual(['DynamoDBClient']);
    for (const command of [['gaps'], ['window', '--cluster', 'orders-main']]) {
      const run = runRecordingModules([...command, '--config', config], env);
      expect(run.stderr, command.join(' ')).toMatch(/cannot reach DynamoDB/);
      expect(clientsLoaded(run.modules), command.join(' ')).toEqual(['DynamoDBClient']);
    }
    // The same check sees a client a command does use.
    const backup = runRecordingModules(['backup', '--cluster', 'orders-main', '--config', config], env);
    expect(backup.status).not.toBe(0);
    expect(clientsLoaded(backup.modules)).toContain('SSMClient');
  });
});

describe('bundleIsFresh', () => {
  const project = join(scratch, 'project');
  const bundle = join(project, 'dist', 'walcat.mjs');
  const source = join(project, 'lib', 'a.ts');
  const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);

  function layout(options: { inputs?: unknown } = {}) {
    mkdirSync(join(project, 'dist'), { recursive: true });
    mkdirSync(join(project, 'lib'), { recursive: true });
    writeFileSync(source, 'export const a = 1;\n');
    writeFileSync(bundle, 'export const a = 1;\n');
    writeFileSync(inputsFile(bundle), JSON.stringify(options.inputs ?? ['lib/a.ts']));
    at(source, 1_000_000);
    at(bundle, 2_000_000);
  }

  it('is fresh when the bundle is newer than every input', () => {
    layout();
    expect(bundleIsFresh(bundle, project)).toBe(true);
  });

  it('is stale when an input was edited after the build', () => {
    layout();
    at(source, 3_000_000);
    expect(bundleIsFresh(bundle, project)).toBe(false);
  });

  it('is stale when package-lock.json changed after the build (new dependency versions)', () => {
    layout();
    writeFileSync(join(project, 'package-lock.json'), '{}');
    at(join(project, 'package-lock.json'), 3_000_000);
    expect(bundleIsFresh(bundle, project)).toBe(false);
    rmSync(join(project, 'package-lock.json'));
  });

  it('is stale when the build script changed after the build (a bundle cut the old way, e.g. chunks in a subfolder)', () => {
    layout();
    mkdirSync(join(project, 'scripts'), { recursive: true });
    const script = join(project, 'scripts', 'build-cli.mjs');
    writeFileSync(script, '// cuts the bundle a new way\n');
    at(script, 1_500_000);
    expect(bundleIsFresh(bundle, project)).toBe(true);
    at(script, 3_000_000);
    expect(bundleIsFresh(bundle, project)).toBe(false);
    rmSync(join(project, 'scripts'), { recursive: true });
  });

  it('is stale when an input is gone, the inputs list is missing or unreadable, or there is no bundle', () => {
    layout({ inputs: ['lib/a.ts', 'lib/removed.ts'] });
    expect(bundleIsFresh(bundle, project)).toBe(false);
    layout();
    writeFileSync(inputsFile(bundle), '{not json');
    expect(bundleIsFresh(bundle, project)).toBe(false);
    rmSync(inputsFile(bundle));
    expect(bundleIsFresh(bundle, project)).toBe(false);
    layout();
    rmSync(bundle);
    expect(bundleIsFresh(bundle, project)).toBe(false);
  });
});

describe('the bundle layout', () => {
  it('keeps every chunk at the entry depth, so files a module finds relative to itself exist (wal-g-local, events/)', () => {
    const built = spawnSync(process.execPath, [join(root, 'scripts', 'build-cli.mjs')], {
      cwd: root,
      timeout: 120_000,
    });
    expect(built.status, String(built.stderr)).toBe(0);
    const bundleDir = join(root, 'dist', 'cli');
    const relativeUrls: { file: string; target: string }[] = [];
    for (const name of readdirSync(bundleDir, { recursive: true, encoding: 'utf8' })) {
      if (!name.endsWith('.mjs')) continue;
      const text = readFileSync(join(bundleDir, name), 'utf8');
      for (const match of text.matchAll(/new URL\((["`])(\.\.\/[^"`$]*)/g)) {
        relativeUrls.push({ file: name, target: match[2] as string });
      }
    }
    // The three the checkout relies on: the archiver stand-in the local stack runs, the events/ payloads of its
    // functions, and package.json for --version.
    expect(relativeUrls.map((url) => url.target).sort()).toEqual(
      ['../../bin/wal-g-local.mjs', '../../events/', '../../package.json'].sort(),
    );
    for (const { file, target } of relativeUrls) {
      expect(
        existsSync(fileURLToPath(new URL(target, pathToFileURL(join(bundleDir, file))))),
        `${file}: ${target}`,
      ).toBe(true);
    }
  }, 180_000);
});
