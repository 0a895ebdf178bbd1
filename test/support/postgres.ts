/**
 * Real PostgreSQL 15 instances for tests, one temporary directory each, reachable only over a private unix socket.
 * As root every server-side command runs as `postgres` through `runuser -u postgres --` (initdb and the postmaster
 * refuse to run as root); as any other user commands run directly.
 *
 * @example
 * const pg = await startPostgres({ walSegmentSizeMiB: 1, archiveCommand: 'cp %p /archive/%f' });
 * await pg.query('create table t (id int)');
 * await pg.close();
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { postgresConfString } from '../../lib/domain/restore/restore-scripts.ts';
import { asPostgresUser, giveToPostgresUser, runningAsRoot } from '../../lib/local-stack/postgres-os-user.ts';
import {
  initdbDataDir,
  PG15_BIN_DIR,
  pgCtl,
  runAsPostgresUser,
  startPostmaster,
  stopPostmaster,
} from '../../lib/local-stack/postgres-server.ts';
import { freePort } from './free-port.ts';

/** The directory of the PostgreSQL 15 server binaries; throws a message naming the Debian package when absent. */
export function pgBinDir(): string {
  if (!existsSync(join(PG15_BIN_DIR, 'initdb')) || !existsSync(join(PG15_BIN_DIR, 'pg_ctl'))) {
    throw new Error(
      `PostgreSQL 15 binaries not found in ${PG15_BIN_DIR} (initdb, pg_ctl): install the Debian package ` +
        'postgresql-15 (apt-get install postgresql-15) to run the tests that need a real PostgreSQL',
    );
  }
  return PG15_BIN_DIR;
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Extra environment variables, added to the current environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Resolve with the result instead of throwing on a non-zero exit. */
  readonly allowFailure?: boolean;
  /** Kill the command after this many milliseconds (default 60 000). */
  readonly timeoutMs?: number;
}

/**
 * Runs `cmd args` as the postgres OS user (via runuser when the test runs as root), collecting its output.
 * Throws with the command, exit code and stderr tail on failure unless `allowFailure` is set.
 */
export async function runAsPostgres(
  cmd: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<CommandResult> {
  const { code, signal, stdout, stderr } = await runAsPostgresUser(cmd, args, {
    env: opts.env === undefined ? undefined : { ...process.env, ...opts.env },
    cwd: opts.cwd,
    timeoutMs: opts.timeoutMs ?? 60_000,
  });
  if (code !== 0 && !opts.allowFailure) {
    throw new Error(
      `${cmd} ${args.join(' ')} exited with ${code}${signal ? ` (${signal})` : ''}: ` +
        `${stderr.slice(-2000) || stdout.slice(-2000)}`,
    );
  }
  return { code, stdout, stderr };
}

export type RecoveryTarget =
  | { readonly time: string }
  | { readonly lsn: string }
  | { readonly xid: string }
  | { readonly name: string }
  | 'immediate';

/** Start the instance from a restored data directory instead of initdb, in archive recovery. */
export interface RestoreFrom {
  /**
   * Fills the empty data directory (it exists, mode 0700, owned by postgres), e.g. with
   * `wal-g-local backup-fetch`. Ownership is fixed afterwards, so it may run as root.
   */
  populate(dataDir: string): Promise<void>;
  /** restore_command, unquoted (e.g. `localArchiverCommand('wal-fetch', env)`); quoted for the conf file here. */
  readonly restoreCommand: string;
  /** Recovery target; absent means recover to the end of the archive. */
  readonly recoveryTarget?: RecoveryTarget;
  /** Default 'promote'; with 'promote' start() waits until the server has left recovery. */
  readonly recoveryTargetAction?: 'promote' | 'pause' | 'shutdown';
}

export interface StartPostgresOptions {
  /** Parent directory for the instance's own temporary directory (default the OS temp dir); must be world-searchable. */
  readonly root?: string;
  /** WAL segment size given to initdb; default 1 (MiB), which keeps archive tests fast. */
  readonly walSegmentSizeMiB?: 1 | 16;
  /** archive_command, unquoted (e.g. `localArchiverCommand('wal-push', env)`); sets archive_mode=on. */
  readonly archiveCommand?: string;
  /** archive_timeout in seconds (forces a segment switch after activity); default unset (0). */
  readonly archiveTimeoutSeconds?: number;
  /** Instead of initdb: recover from a base backup plus archived WAL. */
  readonly restoreFrom?: RestoreFrom;
  /** More settings; values are written as quoted conf strings. */
  readonly extraConf?: Readonly<Record<string, string>>;
}

export interface PgHandle {
  /** The instance's temporary directory, holding data/, sock/ and postgres.log. */
  readonly root: string;
  readonly dataDir: string;
  readonly port: number;
  readonly socketDir: string;
  readonly binDir: string;
  /** `postgresql://postgres@/postgres?host=<socketDir>&port=<port>` */
  readonly connectionString: string;
  /** PGHOST/PGPORT/PGUSER/PGDATABASE for libpq tools (pg_basebackup, psql, wal-g-local backup-push). */
  readonly env: Readonly<Record<string, string>>;
  /** Runs SQL through `pg` over the unix socket and returns the rows. */
  query<Row extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<Row[]>;
  /** Runs SQL through psql (-X -tA, ON_ERROR_STOP) and returns its trimmed stdout. */
  psql(sql: string): Promise<string>;
  /** pg_ctl stop; default mode 'fast'. */
  stop(mode?: 'smart' | 'fast' | 'immediate'): Promise<void>;
  /** pg_ctl start -w (after a stop). */
  start(): Promise<void>;
  /** pg_ctl promote -w. */
  promote(): Promise<void>;
  /** The server log, for diagnosing a failed recovery. */
  log(): string;
  /** Stops immediately (never leaves a postmaster behind) and removes the directory. */
  close(): Promise<void>;
}

const liveDataDirs = new Set<string>();
let exitHookInstalled = false;

/** A crashed or interrupted test run must not leave postmasters behind. */
function installExitHook(binDir: string): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const dataDir of liveDataDirs) {
      const [file, argv] = asPostgresUser(join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      spawnSync(file, argv, { stdio: 'ignore' });
    }
  });
}

function confLines(settings: Readonly<Record<string, string>>): string {
  return `\n${Object.entries(settings)
    .map(([key, value]) => `${key} = ${postgresConfString(value)}`)
    .join('\n')}\n`;
}

function recoveryTargetSettings(target: RecoveryTarget | undefined): Record<string, string> {
  if (target === undefined) return {};
  if (target === 'immediate') return { recovery_target: 'immediate' };
  if ('time' in target) return { recovery_target_time: target.time };
  if ('lsn' in target) return { recovery_target_lsn: target.lsn };
  if ('xid' in target) return { recovery_target_xid: target.xid };
  return { recovery_target_name: target.name };
}

export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PgHandle> {
  const binDir = pgBinDir();
  installExitHook(binDir);
  const root = mkdtempSync(join(opts.root ?? tmpdir(), 'walcat-pg-'));
  // mkdtemp makes 0700; postgres must be able to reach data/ and sock/ below it.
  chmodSync(root, 0o755);
  const dataDir = join(root, 'data');
  const socketDir = join(root, 'sock');
  const logFile = join(root, 'postgres.log');
  mkdirSync(socketDir);
  giveToPostgresUser(socketDir, 0o755);
  giveToPostgresUser(root, 0o755);
  // With listen_addresses='' the port only names the socket file, so a clash cannot happen anyway.
  const port = await freePort();
  const tool = (name: string) => join(binDir, name);

  const settings: Record<string, string> = {
    port: String(port),
    listen_addresses: '',
    unix_socket_directories: socketDir,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'on',
    wal_level: 'replica',
    archive_mode: opts.archiveCommand ? 'on' : 'off',
    ...(opts.archiveCommand ? { archive_command: opts.archiveCommand } : {}),
    ...(opts.archiveTimeoutSeconds ? { archive_timeout: `${opts.archiveTimeoutSeconds}s` } : {}),
    ...opts.extraConf,
  };

  let postmasterMayRun = false;
  const env = { PGHOST: socketDir, PGPORT: String(port), PGUSER: 'postgres', PGDATABASE: 'postgres' };
  let client: pg.Client | undefined;
  const disconnect = async () => {
    const current = client;
    client = undefined;
    await current?.end().catch(() => undefined);
  };
  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const start = async () => {
    postmasterMayRun = true;
    liveDataDirs.add(dataDir);
    const result = await startPostmaster(dataDir, logFile);
    if (result.code !== 0) {
      throw new Error(
        `pg_ctl start failed for ${dataDir} (exit ${result.code}); server log:\n${readLog().slice(-3000)}`,
      );
    }
  };
  const stop = async (mode: 'smart' | 'fast' | 'immediate' = 'fast') => {
    await disconnect();
    if (postmasterMayRun) await stopPostmaster(dataDir, mode);
    postmasterMayRun = false;
    liveDataDirs.delete(dataDir);
  };

  const handle: PgHandle = {
    root,
    dataDir,
    port,
    socketDir,
    binDir,
    connectionString: `postgresql://postgres@/postgres?host=${encodeURIComponent(socketDir)}&port=${port}`,
    env,
    async query<Row extends Record<string, unknown>>(sql: string, params: readonly unknown[] = []) {
      if (!client) {
        const fresh = new pg.Client({ host: socketDir, port, user: 'postgres', database: 'postgres' });
        await fresh.connect();
        client = fresh;
      }
      const result = await client.query<Row>(sql, [...params]);
      return result.rows;
    },
    async psql(sql: string) {
      const result = await runAsPostgres(tool('psql'), ['-X', '-tA', '-v', 'ON_ERROR_STOP=1', '-c', sql], { env });
      return result.stdout.trim();
    },
    stop,
    start,
    async promote() {
      await disconnect();
      const promoted = await pgCtl(dataDir, ['-w', '-t', '60', 'promote']);
      if (promoted.code !== 0) throw new Error(`pg_ctl promote failed for ${dataDir}: ${promoted.stderr.slice(-2000)}`);
    },
    log: readLog,
    async close() {
      await stop('immediate');
      rmSync(root, { recursive: true, force: true });
    },
  };

  try {
    if (opts.restoreFrom) {
      const restore = opts.restoreFrom;
      mkdirSync(dataDir);
      giveToPostgresUser(dataDir, 0o700);
      await restore.populate(dataDir);
      if (runningAsRoot) spawnSync('chown', ['-R', 'postgres:postgres', dataDir], { stdio: 'ignore' });
      chmodSync(dataDir, 0o700);
      appendFileSync(join(dataDir, 'recovery.signal'), '');
      giveToPostgresUser(join(dataDir, 'recovery.signal'), 0o600);
      const action = restore.recoveryTargetAction ?? 'promote';
      appendFileSync(
        join(dataDir, 'postgresql.auto.conf'),
        confLines({
          ...settings,
          restore_command: restore.restoreCommand,
          ...recoveryTargetSettings(restore.recoveryTarget),
          recovery_target_action: action,
        }),
      );
      await start();
      if (action === 'promote') await waitForPromotion(handle);
    } else {
      const created = await initdbDataDir(dataDir, opts.walSegmentSizeMiB ?? 1);
      if (created.code !== 0)
        throw new Error(`initdb failed for ${dataDir} (exit ${created.code}): ${created.stderr.slice(-2000)}`);
      appendFileSync(join(dataDir, 'postgresql.conf'), confLines(settings));
      await start();
    }
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
  return handle;
}

/** Recovery with recovery_target_action=promote ends on its own; wait until the server accepts writes. */
async function waitForPromotion(handle: PgHandle): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const rows = await handle.query<{ in_recovery: boolean }>('select pg_is_in_recovery() as in_recovery');
    if (rows[0]?.in_recovery === false) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${handle.dataDir} still in recovery after 60 s; server log:\n${handle.log().slice(-3000)}`);
}
