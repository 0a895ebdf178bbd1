/**
 * `npm start`, then Ctrl-C, as in a terminal: the signal goes to the whole foreground process group (npm, the
 * shell npm runs the script with, and walcat). The stack stops cleanly with exit 0, and so must `npm start`: a
 * shell between npm and walcat re-raised the SIGINT and npm reported 130.
 *
 * In between, what a newcomer sees without typing anything: a backup, then a restore drill that succeeds and shows
 * in `walcat --local status`; and what a second terminal can do: restore into a scratch copy (to latest, to a time),
 * follow it to `succeeded`, be refused a second restore while one runs, and run a drill on demand. Ctrl-C then stops
 * every restored copy's postmaster too (they are not the stack's children: `pg_ctl` detaches them).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const WALCAT = join(ROOT, 'bin', 'walcat.mjs');
const dir = mkdtempSync(join(tmpdir(), 'walcat-npm-start-'));
// The postgres user must reach the stack folder (mkdtemp makes it 0700).
chmodSync(dir, 0o755);
const stackDir = join(dir, 'stack');
const env = { ...process.env, WALCAT_LOCAL_DIR: stackDir } as NodeJS.ProcessEnv;
delete env.WALCAT_LOCAL;

let npm: ChildProcess | undefined;
let output = '';
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
let spawnedAt = 0;
/** Data directories of the copies restored while the stack ran. */
const copies: string[] = [];

afterAll(() => {
  if (npm?.pid !== undefined && npm.exitCode === null && npm.signalCode === null) {
    process.kill(-npm.pid, 'SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
});

function waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = output.match(pattern);
      if (match) {
        clearInterval(timer);
        clearTimeout(deadline);
        resolve(match);
      }
    };
    const timer = setInterval(check, 200);
    const deadline = setTimeout(() => {
      clearInterval(timer);
      reject(new Error(`no ${String(pattern)} within ${timeoutMs} ms; stack output:\n${output.slice(-4000)}`));
    }, timeoutMs);
    check();
  });
}

/** `walcat --local <args> --json` from a second terminal. */
function cli(args: readonly string[], timeoutMs = 60_000): Promise<{ code: number; json: unknown; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [WALCAT, '--local', ...args, '--json'],
      { env, cwd: dir, timeout: timeoutMs },
      (error, stdout, stderr) => {
        const code = error ? Number((error as { code?: number }).code ?? 1) : 0;
        let json: unknown;
        try {
          json = JSON.parse(stdout);
        } catch {
          json = undefined;
        }
        resolve({ code, json, stderr });
      },
    );
  });
}

interface StatusDocument {
  readonly jobId: string;
  readonly status: string;
  readonly host: string;
  readonly dataDirectory: string;
  readonly steps: readonly { name: string; status: string; seconds?: number }[];
  readonly outcome?: { timeline?: number; port?: number };
}

/** Polls `restore status JOB --json` until the job is no longer running. */
async function followToEnd(jobId: string, timeoutMs: number): Promise<StatusDocument> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await cli(['restore', 'status', jobId, '--cluster', 'demo']);
    const document = status.json as StatusDocument | undefined;
    // A CLI run that timed out on the loaded machine printed nothing: look again.
    if (document !== undefined && document.status !== 'running') return document;
    if (Date.now() > deadline) throw new Error(`restore ${jobId} still running after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function postmasterPid(dataDir: string): number | undefined {
  const file = join(dataDir, 'postmaster.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined;
}

/** Alive and not a zombie. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** A succeeded job: every step succeeded with a measured time, on the scratch host, into its own directory. */
function expectSucceededCopy(document: StatusDocument): void {
  expect(document.status, JSON.stringify(document)).toBe('succeeded');
  expect(document.host).toBe('i-local-scratch');
  expect(document.dataDirectory.startsWith(`${stackDir}/`)).toBe(true);
  expect(document.dataDirectory).not.toBe(join(stackDir, 'pg', 'data'));
  for (const step of document.steps) {
    expect(step.status).toBe('succeeded');
    expect(step.seconds).toBeGreaterThanOrEqual(0);
  }
  process.stdout.write(
    `${document.jobId}: ${document.steps.map((step) => `${step.name} ${step.seconds?.toFixed(2)} s`).join(', ')}\n`,
  );
}

describe('npm start', () => {
  it('comes up and, with no other command, takes a backup and runs a drill that succeeds', async () => {
    spawnedAt = Date.now();
    // Its own process group, so the SIGINT reaches npm, its shell and walcat together, as Ctrl-C does.
    const child = spawn('npm', ['start', '--', '--fresh'], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    npm = child;
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    await waitForOutput(/walcat local: ready/, 60_000);
    const drill = await waitForOutput(/\[drill\] demo: job (d-\S+) (succeeded|failed) after ([\d.]+) s/, 300_000);
    expect(drill[2], output.slice(-4000)).toBe('succeeded');
    process.stdout.write(
      `npm start: drill ${drill[1]} succeeded in ${drill[3]} s, ${((Date.now() - spawnedAt) / 1000).toFixed(1)} s after spawn\n`,
    );
    expect(Date.now() - spawnedAt).toBeLessThan(5 * 60_000);
    const status = await cli(['status']);
    expect(status.code, status.stderr).toBe(0);
    const [demo] = status.json as { lastDrill: { status: string; restoreSeconds: number; checks: unknown[] } }[];
    expect(demo?.lastDrill).toMatchObject({ status: 'succeeded' });
    expect(demo?.lastDrill.restoreSeconds).toBeGreaterThan(0);
    expect(demo?.lastDrill.checks).toContainEqual({ name: 'amcheck', status: 'passed' });
    copies.push(join(stackDir, 'drill', 'demo'));
  }, 330_000);

  it('restores to latest into a scratch copy, refuses a second restore meanwhile, then restores to a time', async () => {
    const started = await cli(['restore', 'start', '--cluster', 'demo', '--to', 'latest']);
    expect(started.code, started.stderr).toBe(0);
    const { jobId } = started.json as StatusDocument;
    const second = await cli(['restore', 'start', '--cluster', 'demo', '--to', 'latest']);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`restore ${jobId} is still running`);
    const latest = await followToEnd(jobId, 180_000);
    expectSucceededCopy(latest);
    expect(latest.dataDirectory).toBe(join(stackDir, 'restores', jobId));
    copies.push(latest.dataDirectory);

    const window = await cli(['window']);
    const [range] = (window.json as { ranges: { from: string; to: string }[] }).ranges;
    // A time well inside the window, with commits after it (the demo workload writes every second).
    const time = new Date((Date.parse(range?.from ?? '') + Date.parse(range?.to ?? '')) / 2).toISOString();
    const toTime = await cli(['restore', 'start', '--cluster', 'demo', '--to', time]);
    expect(toTime.code, toTime.stderr).toBe(0);
    const timed = await followToEnd((toTime.json as StatusDocument).jobId, 180_000);
    expectSucceededCopy(timed);
    copies.push(timed.dataDirectory);
  }, 400_000);

  it('runs a drill on demand with walcat drill and prints its final status document', async () => {
    const drill = await cli(['drill', '--cluster', 'demo'], 240_000);
    expect(drill.code, drill.stderr).toBe(0);
    const document = drill.json as StatusDocument & { kind: string };
    expect(document.kind).toBe('drill');
    expectSucceededCopy(document);
  }, 250_000);

  it('exits 0 when Ctrl-C stops the stack, and stops every restored copy it started', async () => {
    const pids = copies.map((copy) => postmasterPid(copy));
    // The drill's copy and the two restored ones, each with its own postmaster.
    expect(pids).toHaveLength(3);
    expect(pids.every((pid) => pid !== undefined && running(pid))).toBe(true);
    process.kill(-(npm?.pid as number), 'SIGINT');
    const { code, signal } = await exited;
    expect(output).toContain('walcat local: stopped');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(pids.filter((pid) => pid !== undefined && running(pid))).toEqual([]);
  }, 120_000);
});
