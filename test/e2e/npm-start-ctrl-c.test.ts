/**
 * `npm start`, then Ctrl-C, as in a terminal: the signal goes to the whole foreground process group (npm, the
 * shell npm runs the script with, and walcat). The stack stops cleanly with exit 0, and so must `npm start`: a
 * shell between npm and walcat re-raised the SIGINT and npm reported 130.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'walcat-npm-start-'));
// The postgres user must reach the stack folder (mkdtemp makes it 0700).
chmodSync(dir, 0o755);

let npm: ChildProcess | undefined;

afterAll(() => {
  if (npm?.pid !== undefined && npm.exitCode === null && npm.signalCode === null) {
    process.kill(-npm.pid, 'SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('exits 0 when Ctrl-C stops the stack', async () => {
    const env = { ...process.env, WALCAT_LOCAL_DIR: join(dir, 'stack') } as NodeJS.ProcessEnv;
    delete env.WALCAT_LOCAL;
    // Its own process group, so the SIGINT reaches npm, its shell and walcat together, as Ctrl-C does.
    const child = spawn('npm', ['start', '--', '--fresh'], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    npm = child;
    let output = '';
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('walcat local: ready')) resolve();
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.on('exit', () => reject(new Error(`npm start ended before the stack was ready:\n${output.slice(-3000)}`)));
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    await ready;
    process.kill(-(child.pid as number), 'SIGINT');
    const { code, signal } = await exited;
    expect(output).toContain('walcat local: stopped');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  }, 120_000);
});
