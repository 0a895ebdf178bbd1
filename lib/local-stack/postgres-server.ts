/**
 * The one way this machine's PostgreSQL 15 servers are created, started and stopped: the local stack's primary, the
 * scratch copies it stops, and every test instance go through these functions, so initdb flags, the pg_ctl waits and
 * the fast-then-immediate stop are written once. Each function addresses only the data directory it is given.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { asPostgresUser } from './postgres-os-user.ts';

export const PG15_BIN_DIR = '/usr/lib/postgresql/15/bin';

export interface PostgresCommandResult {
  readonly code: number;
  /** The signal that ended the command (a timeout kills with SIGTERM), if any. */
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface PostgresCommandOptions {
  /** The command's whole environment; default this process's (the caller adds PGHOST and the like to it). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default `/`: the postgres user may not be able to enter this process's working directory (e.g. under /root). */
  readonly cwd?: string;
  /** Kill the command after this many milliseconds (default 120 000). */
  readonly timeoutMs?: number;
}

/**
 * Runs `program args` as the PostgreSQL OS user and collects its output in memory (the tools run here print little).
 * Never rejects for an exit code: the caller decides what a failure means.
 */
export function runAsPostgresUser(
  program: string,
  args: readonly string[],
  options: PostgresCommandOptions = {},
): Promise<PostgresCommandResult> {
  const [file, argv] = asPostgresUser(program, args);
  return new Promise((resolve, reject) => {
    // Pipes, not inherited files: the postmaster pg_ctl starts gets the log file, and must not hold our output open.
    const child = spawn(file, argv, {
      cwd: options.cwd ?? '/',
      ...(options.env === undefined ? {} : { env: { ...options.env } }),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 120_000,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        code: code ?? (signal ? 128 : 1),
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      }),
    );
  });
}

/** stdout and stderr of a result, for messages. */
export function commandOutput(result: PostgresCommandResult): string {
  return `${result.stdout}${result.stderr}`;
}

/** The server binary `name` (initdb, pg_ctl, psql, ...). */
export function postgresTool(name: string): string {
  return join(PG15_BIN_DIR, name);
}

/**
 * initdb for a development or test instance: trust authentication for the `postgres` role, no fsync, UTF-8 with the
 * C.UTF-8 locale (present on every Debian machine), and the given WAL segment size (1 MiB keeps archiving cheap).
 */
export function initdbDataDir(dataDir: string, walSegmentSizeMiB: 1 | 16): Promise<PostgresCommandResult> {
  return runAsPostgresUser(postgresTool('initdb'), [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '-A',
    'trust',
    '--no-sync',
    `--wal-segsize=${walSegmentSizeMiB}`,
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
  ]);
}

/** `pg_ctl -D dataDir args` as the PostgreSQL OS user. */
export function pgCtl(dataDir: string, args: readonly string[], timeoutMs?: number): Promise<PostgresCommandResult> {
  return runAsPostgresUser(postgresTool('pg_ctl'), ['-D', dataDir, ...args], { timeoutMs });
}

/** Starts the postmaster of `dataDir`, logging to `logFile`, and waits (at most 60 s) until it accepts connections. */
export function startPostmaster(dataDir: string, logFile: string): Promise<PostgresCommandResult> {
  return pgCtl(dataDir, ['-l', logFile, '-w', '-t', '60', 'start']);
}

/** True when `pg_ctl status` finds a postmaster running on `dataDir`. */
export async function postmasterRunning(dataDir: string): Promise<boolean> {
  return (await pgCtl(dataDir, ['status'])).code === 0;
}

/**
 * Stops the postmaster of `dataDir` and waits for it: in `mode` (default fast), then immediate when that did not end
 * it while a postmaster.pid is still there. Stopping a directory with no server is not an error.
 */
export async function stopPostmaster(
  dataDir: string,
  mode: 'smart' | 'fast' | 'immediate' = 'fast',
): Promise<PostgresCommandResult> {
  const first = await pgCtl(dataDir, ['-m', mode, '-w', '-t', '60', 'stop']);
  if (first.code === 0 || mode === 'immediate' || postmasterPid(dataDir) === undefined) return first;
  return pgCtl(dataDir, ['-m', 'immediate', '-w', '-t', '30', 'stop']);
}

/** The postmaster pid of a data directory, when postmaster.pid exists. */
export function postmasterPid(dataDir: string): number | undefined {
  const file = join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const first = readFileSync(file, 'utf8').split('\n')[0];
  const pid = Number(first);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}
