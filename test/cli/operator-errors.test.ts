import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EXIT_UNREACHABLE, EXIT_USAGE } from '../../lib/cli/cli-command.ts';
import { main } from '../../lib/cli/main.ts';
import { describeUnreachable } from '../../lib/cli/unreachable-service.ts';
import { freePort } from '../support/free-port.ts';
import { capturedIo } from './captured-io.ts';

/** The CLI as an operator meets it at 3am: the real runtime, a real config file, dead endpoints. */

const directory = mkdtempSync(join(tmpdir(), 'walcat-operator-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const configFile = join(directory, 'walcat.config.yml');
writeFileSync(
  configFile,
  `clusters:
  - id: orders-main
    storage: s3://acme/orders-main
    retention: { keepDaily: 7, pitrWindow: 7d }
  - id: billing
    storage: s3://acme/billing
    retention: { keepDaily: 7, pitrWindow: 7d }
`,
);

function capture(env: Record<string, string> = {}): ReturnType<typeof capturedIo> {
  return capturedIo({
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'x',
    AWS_MAX_ATTEMPTS: '1',
    ...env,
  });
}

/** A loopback port nothing listens on (it was just bound and closed). */
const closedPort = freePort;

/** The error Node gives for a refused connection, as the AWS SDK passes it on. */
async function refusedError(port: number): Promise<unknown> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', resolve);
  });
}

describe('usage errors name what to do, all with the walcat: prefix', () => {
  it.each([
    [['retention'], 'walcat retention needs one of: plan, apply', 'walcat retention apply PLAN_ID'],
    [['restore'], 'walcat restore needs one of: plan, start, status', 'walcat restore start --cluster ID'],
    [['restore', 'bogus'], 'unknown restore command "bogus"', 'walcat restore plan'],
  ])('%j prints that command group usage, exit 2', async (argv, what, usageLine) => {
    const io = capture();
    expect(await main(argv, io)).toBe(EXIT_USAGE);
    const text = io.err.join('\n');
    expect(text).toMatch(/^walcat: /);
    expect(text).toContain(what);
    expect(text).toContain(usageLine);
    expect(text).not.toContain('unknown command');
  });

  it('shows a command group usage on stdout with exit 0 when --help is asked', async () => {
    const io = capture();
    expect(await main(['retention', '--help'], io)).toBe(0);
    expect(io.out.join('\n')).toContain('walcat retention plan');
  });

  it('names a misspelt option and the one meant, not Node parseArgs text', async () => {
    const io = capture();
    expect(await main(['backups', '--config', configFile, '--jsn'], io)).toBe(EXIT_USAGE);
    const text = io.err.join('\n');
    expect(text).toMatch(/^walcat: unknown option --jsn for walcat backups; did you mean --json\?/);
    expect(text).not.toContain('positional');
    expect(text).not.toContain("'--'");
  });

  it('names an option that is missing its value', async () => {
    const io = capture();
    expect(await main(['restore', 'plan', '--config', configFile, '--to'], io)).toBe(EXIT_USAGE);
    expect(io.err.join('\n')).toMatch(/^walcat: option --to of walcat restore plan needs a value/);
  });

  it('prints the version with exit 0', async () => {
    const io = capture();
    expect(await main(['--version'], io)).toBe(0);
    expect(io.out).toEqual([expect.stringMatching(/^walcat \d+\.\d+\.\d+$/)]);
    expect(io.err).toEqual([]);
  });

  it('refuses --host-tag with --in-place (the usage says they exclude each other)', async () => {
    const io = capture();
    const argv = ['restore', 'start', '--config', configFile, '--cluster', 'orders-main', '--to', 'latest'];
    expect(await main([...argv, '--host-tag', 'walcat:scratch=orders-main', '--in-place'], io)).toBe(EXIT_USAGE);
    expect(io.err.join('\n')).toContain('walcat: restore start: --host-tag and --in-place exclude each other');
  });

  it.each([
    [['sync', '--concurrency', '0'], '--concurrency 0'],
    [['jobs', '--limit', '0'], '--limit 0'],
    [['backup'], 'backup needs exactly one cluster'],
  ])('%j fails with the walcat: prefix', async (argv, what) => {
    const io = capture();
    expect(await main([...argv, '--config', configFile], io)).toBe(EXIT_USAGE);
    expect(io.err).toEqual([expect.stringMatching(/^walcat: /)]);
    expect(io.err.join('\n')).toContain(what);
  });
});

describe('an unreachable service is exit 3 and named', () => {
  // The SDK's credential chain reads the process environment; the emulator-style endpoints need no real keys.
  beforeAll(() => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
  });
  afterAll(() => vi.unstubAllEnvs());

  it('names DynamoDB and its endpoint when the catalog endpoint refuses connections', async () => {
    const port = await closedPort();
    const io = capture({ AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${port}` });
    expect(await main(['status', '--config', configFile], io)).toBe(EXIT_UNREACHABLE);
    const text = io.err.join('\n');
    expect(text).toContain(`walcat: cannot reach DynamoDB at http://127.0.0.1:${port} (ECONNREFUSED)`);
    expect(text).toContain('AWS_ENDPOINT_URL_DYNAMODB');
    expect(text).not.toContain('unexpected error');
  });

  it('prints the message as the JSON error document with --json', async () => {
    const port = await closedPort();
    const io = capture({ AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` });
    expect(await main(['backups', '--config', configFile, '--json'], io)).toBe(EXIT_UNREACHABLE);
    expect(JSON.parse(io.out[0] ?? '')).toEqual({ error: expect.stringContaining('cannot reach DynamoDB') });
  });

  it('names the local stack, its pid and its file when the stack has stopped', async () => {
    const port = await closedPort();
    const stackDir = join(directory, 'stale-stack');
    mkdirSync(stackDir, { recursive: true });
    // A pid that surely ran and has ended: a child that already exited.
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(
      join(stackDir, 'stack.json'),
      JSON.stringify({
        configPath: configFile,
        s3Endpoint: `http://127.0.0.1:${port}`,
        dynamodbEndpoint: `http://127.0.0.1:${port}`,
        pid: gone,
      }),
    );
    const io = capture({ WALCAT_LOCAL_DIR: stackDir });
    expect(await main(['--local', 'gaps'], io)).toBe(EXIT_UNREACHABLE);
    const text = io.err.join('\n');
    expect(text).toContain("walcat: cannot reach the local stack's");
    expect(text).toContain(`pid ${gone} in ${join(stackDir, 'stack.json')} is gone`);
    expect(text).toContain('npm start');
  });

  it('names S3 and SSM by their endpoints, and AWS services by their host names', async () => {
    const port = await closedPort();
    const refused = await refusedError(port);
    const url = `http://127.0.0.1:${port}`;
    expect(describeUnreachable(refused, { s3: url })).toContain(`cannot reach S3 at ${url}`);
    expect(describeUnreachable(refused, { ssm: `http://localhost:${port}` })).toContain('cannot reach SSM');
    const wrapped = new Error('request failed', { cause: refused });
    expect(describeUnreachable(wrapped, { dynamodb: url })).toContain('cannot reach DynamoDB');
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND'), {
      code: 'ENOTFOUND',
      hostname: 'ssm.eu-west-1.amazonaws.com',
    });
    expect(describeUnreachable(dns, {})).toContain('cannot reach SSM at ssm.eu-west-1.amazonaws.com (ENOTFOUND)');
    expect(describeUnreachable(new Error('AccessDenied'), { s3: url })).toBeUndefined();
  });
});
