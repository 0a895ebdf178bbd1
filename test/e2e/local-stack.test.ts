/**
 * The newcomer's path, non-interactively: `walcat local --fresh` in one process, the ordinary CLI pointed at it by
 * one setting in another, then SIGINT. Asserts the stack comes up, takes a backup through the local shell transport,
 * answers status, window, retention plan and restore plan, and leaves no process behind.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStackInfo } from '../../lib/config/config-local-stack.ts';
import { runWalcat, WALCAT_BIN } from '../support/walcat-process.ts';

const READY = 'walcat local: ready';
const BACKUP_DONE = /\[backup\] demo: backup-push succeeded in [\d.]+ s on i-local-demo: (base_[0-9A-F]{24}) complete/;

const dir = mkdtempSync(join(tmpdir(), 'walcat-local-e2e-'));
// The postgres user must reach the stack folder (mkdtemp makes it 0700).
chmodSync(dir, 0o755);
const stackDir = join(dir, 'stack');
const env = {
  ...process.env,
  WALCAT_LOCAL_DIR: stackDir,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
} as NodeJS.ProcessEnv;
delete env.WALCAT_LOCAL;

let stack: ChildProcess;
let output = '';
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
let info: LocalStackInfo;
let firstBackup = '';
let startedAt = 0;

function waitForOutput(pattern: RegExp | string, timeoutMs: number): Promise<RegExpMatchArray | string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = typeof pattern === 'string' ? (output.includes(pattern) ? pattern : null) : output.match(pattern);
      if (match) {
        clearInterval(timer);
        clearTimeout(deadline);
        resolve(match);
      }
    };
    const timer = setInterval(check, 100);
    const deadline = setTimeout(() => {
      clearInterval(timer);
      reject(new Error(`no ${String(pattern)} within ${timeoutMs} ms; stack output:\n${output.slice(-4000)}`));
    }, timeoutMs);
    check();
  });
}

/** `walcat --local <args> --json` in a second process, as a person would run it in a second terminal. */
async function cli(args: readonly string[]): Promise<{ code: number; json: unknown; stderr: string }> {
  const run = await runWalcat(['--local', ...args, '--json'], { env, cwd: dir, timeoutMs: 30_000 });
  let json: unknown;
  try {
    json = JSON.parse(run.stdout);
  } catch {
    json = undefined;
  }
  return { code: run.code, json, stderr: run.stderr };
}

/** Every process descended from `pid` (from /proc), so the test can check none survives the stop. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Alive and not a zombie waiting for PID 1 to reap it (toolchain.md §5: reaping is late on these machines). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

beforeAll(async () => {
  startedAt = Date.now();
  stack = spawn(process.execPath, [WALCAT_BIN, 'local', '--fresh'], {
    env,
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  stack.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  stack.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  exited = new Promise((resolve) => stack.on('exit', (code, signal) => resolve({ code, signal })));
  await waitForOutput(READY, 40_000);
  info = JSON.parse(readFileSync(join(stackDir, 'stack.json'), 'utf8')) as LocalStackInfo;
  const done = (await waitForOutput(BACKUP_DONE, 40_000)) as RegExpMatchArray;
  firstBackup = done[1] as string;
}, 90_000);

afterAll(async () => {
  if (stack && stack.exitCode === null && stack.signalCode === null) {
    stack.kill('SIGINT');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
  }
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('walcat local, driven by a second terminal', () => {
  it('comes up, writes stack.json with its endpoints, and takes a first backup through the local shell transport', () => {
    expect(info.pid).toBe(stack.pid);
    expect(info.s3Endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.dynamodbEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.webUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(existsSync(info.configPath)).toBe(true);
    expect(firstBackup).toMatch(/^base_/);
    // Printed so the report can quote the time from start to the first complete backup.
    process.stdout.write(
      `local stack: first backup ${firstBackup} complete ${((Date.now() - startedAt) / 1000).toFixed(1)} s after spawn\n`,
    );
  });

  it('answers status, window, retention plan and restore plan --to latest from the running stack', async () => {
    const [status, window, retention, restore] = await Promise.all([
      cli(['status']),
      cli(['window']),
      cli(['retention', 'plan']),
      cli(['restore', 'plan', '--to', 'latest']),
    ]);
    expect(status.code, status.stderr).toBe(0);
    const [demo] = status.json as { cluster: string; lastBackup: { name: string }; gaps: { status: string } }[];
    expect(demo?.cluster).toBe('demo');
    expect(demo?.lastBackup.name).toBe(firstBackup);
    expect(demo?.gaps.status).toBe('OK');

    expect(window.code, window.stderr).toBe(0);
    const ranges = (window.json as { ranges: { baseBackup: string; from: string; to: string }[] }).ranges;
    expect(ranges.map((range) => range.baseBackup)).toEqual([firstBackup]);
    expect(Date.parse(ranges[0]?.to ?? '')).toBeGreaterThanOrEqual(Date.parse(ranges[0]?.from ?? ''));

    expect(retention.code, retention.stderr).toBe(0);
    const plan = retention.json as { planId: string; keep: { name: string; reasons: string[] }[] };
    expect(plan.keep.find((kept) => kept.name === firstBackup)?.reasons).toContain('newest');

    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.json).toMatchObject({ cluster: 'demo', baseBackup: firstBackup, timeline: 1 });
  }, 60_000);

  it('serves the web view with the cluster and its backup', async () => {
    const response = await fetch(`${info.webUrl}api/clusters/demo`);
    expect(response.status).toBe(200);
    const view = (await response.json()) as { cluster: string; backups: { name: string }[] };
    expect(view.cluster).toBe('demo');
    expect(view.backups.map((backup) => backup.name)).toContain(firstBackup);
  });

  it('stops on SIGINT with exit 0, removes stack.json and leaves no process behind', async () => {
    const pgPid = Number(readFileSync(join(info.postgres?.dataDir ?? '', 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(running(pgPid)).toBe(true);
    const children = descendants(stack.pid as number);
    stack.kill('SIGINT');
    const { code, signal } = await exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(output).toContain('walcat local: stopped');
    expect(existsSync(join(stackDir, 'stack.json'))).toBe(false);
    expect(running(pgPid)).toBe(false);
    const pgCtl = ['/usr/lib/postgresql/15/bin/pg_ctl', '-D', info.postgres?.dataDir ?? '', 'status'];
    // pg_ctl refuses to run as root.
    const asPostgres = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', ...pgCtl] : pgCtl;
    const status = spawnSync(asPostgres[0] as string, asPostgres.slice(1), { encoding: 'utf8' });
    expect(status.stdout).toContain('no server running');
    expect(children.filter(running)).toEqual([]);
  }, 45_000);
});
