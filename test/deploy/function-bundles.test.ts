import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * Every function bundled exactly as `npm run package` bundles it (serverless.yml's esbuild settings) must load in a
 * fresh Node process and export its handler: a bundle that throws at import (a dependency resolving files through
 * `__dirname`, say) fails every invocation in Lambda while every source-level test passes. The doors build their
 * adapters at module scope, so the import reads the config as a cold start does, and a bad config fails right there.
 */
const root = join(import.meta.dirname, '..', '..');
const settings = parse(readFileSync(join(root, 'serverless.yml'), 'utf8')).custom.esbuild as {
  target: string;
  format: 'esm';
  exclude: string[];
  banner: { js: string };
};
// Inside the project, so the externalised AWS SDK resolves from node_modules as the Lambda runtime provides it.
mkdirSync(join(root, 'test-output'), { recursive: true });
const out = mkdtempSync(join(root, 'test-output', 'bundles-'));
const functions = readdirSync(join(root, 'functions')).filter((name) => name.endsWith('.ts'));
/** What the stack sets for every function (serverless.yml's provider.environment), with the example config. */
const deployedEnv = {
  ...process.env,
  WALCAT_CONFIG: 'walcat.config.example.yml',
  AWS_REGION: 'eu-west-1',
  WALCAT_ALERTS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/walcat-alerts',
};
const bundled = new Map<string, string>();

async function bundle(file: string): Promise<string> {
  const known = bundled.get(file);
  if (known) return known;
  const outfile = join(out, `${basename(file, '.ts')}.mjs`);
  await build({
    entryPoints: [join(root, 'functions', file)],
    bundle: true,
    platform: 'node',
    target: settings.target,
    format: settings.format,
    external: settings.exclude,
    banner: settings.banner,
    outfile,
    logLevel: 'silent',
  });
  bundled.set(file, outfile);
  return outfile;
}

function importBundle(outfile: string, env: NodeJS.ProcessEnv) {
  return spawnSync(
    process.execPath,
    ['--input-type=module', '-e', `const m = await import(${JSON.stringify(outfile)}); console.log(typeof m.handler);`],
    { cwd: root, encoding: 'utf8', env },
  );
}

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('deployable function bundles', () => {
  it('finds the functions to check', () => {
    expect(functions.length).toBeGreaterThanOrEqual(11);
  });

  it.each(functions)('%s loads as a bundle and exports a handler', async (file) => {
    const probe = importBundle(await bundle(file), deployedEnv);
    expect(probe.stderr).not.toMatch(/Error/);
    expect(probe.stdout.trim()).toBe('function');
  });

  it.each(functions.filter((file) => file !== 'alert-dispatch.ts'))(
    '%s fails at cold start, naming the file, when its config is missing',
    async (file) => {
      const probe = importBundle(await bundle(file), { ...deployedEnv, WALCAT_CONFIG: 'no-such-walcat.config.yml' });
      expect(probe.status).not.toBe(0);
      expect(probe.stderr).toMatch(/no-such-walcat\.config\.yml: config file not found/);
      expect(probe.stdout.trim()).toBe('');
    },
  );
});
