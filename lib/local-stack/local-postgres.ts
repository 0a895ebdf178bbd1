/**
 * The local stack's own PostgreSQL 15 primary: initdb on first run under `<dir>/pg/data`, started on the stack's
 * port and its own unix socket directory, archiving every segment through wal-g-local into the local bucket.
 * It only ever starts and stops the data directory it created; a system cluster is never touched.
 *
 * WAL segments are 1 MiB (initdb --wal-segsize=1): with archive_timeout 10 s and a small workload PostgreSQL
 * switches segments every 10 s, and each switch uploads a whole segment; 1 MiB keeps that cheap, so the stack
 * shows a moving WAL head and a restorable window within seconds instead of archiving 16 MiB of zeros.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { postgresConfString } from '../domain/restore/restore-scripts.ts';
import { localArchiverCommand } from '../local-archiver/archiver-command.ts';
import { grantPostgresSearchPath } from '../local-archiver/postgres-access.ts';
import { LocalStackSetupError } from './local-stack-errors.ts';
import { giveToPostgresUser, runningAsRoot } from './postgres-os-user.ts';
import {
  commandOutput,
  initdbDataDir,
  PG15_BIN_DIR,
  postgresTool,
  postmasterPid,
  postmasterRunning,
  startPostmaster,
  stopPostmaster,
} from './postgres-server.ts';

export { PG15_BIN_DIR, postmasterPid };

/** The server binaries the stack and the host scripts run. */
const REQUIRED_BINARIES = ['initdb', 'pg_ctl', 'postgres', 'psql', 'pg_basebackup'];
export const LOCAL_WAL_SEGMENT_MIB = 1;
export const LOCAL_ARCHIVE_TIMEOUT_SECONDS = 10;
/** The file the stack rewrites at every start (port, socket, archive_command with the current S3 endpoint). */
const STACK_CONF = 'walcat-local.conf';

export interface LocalPostgresPaths {
  readonly root: string;
  readonly dataDir: string;
  readonly socketDir: string;
  readonly logFile: string;
}

export function localPostgresPaths(dir: string): LocalPostgresPaths {
  const root = join(dir, 'pg');
  return { root, dataDir: join(root, 'data'), socketDir: join(root, 'sock'), logFile: join(root, 'postgres.log') };
}

/** The OS user PostgreSQL runs as: `postgres` when the stack runs as root (the postmaster refuses root), else us. */
export function localOsUser(): string {
  if (runningAsRoot) return 'postgres';
  const result = spawnSync('id', ['-un'], { encoding: 'utf8' });
  return result.stdout.trim();
}

/**
 * Checks what the local PostgreSQL needs before anything starts: the PostgreSQL 15 binaries, the postgres user
 * (as root), and that this user can reach the stack folder and the wal-g-local script.
 *
 * @throws LocalStackSetupError naming the missing piece and the fix.
 */
export function checkPostgresPrerequisites(dir: string, walgLocalBin: string): void {
  const missing = REQUIRED_BINARIES.filter((name) => !existsSync(postgresTool(name)));
  if (missing.length > 0) {
    throw new LocalStackSetupError(
      `PostgreSQL 15 server binaries not found in ${PG15_BIN_DIR} (missing ${missing.join(', ')}): install the Debian package postgresql-15 (sudo apt-get install postgresql-15); the local stack runs its own PostgreSQL and needs no running system cluster`,
    );
  }
  if (!runningAsRoot) return;
  if (spawnSync('id', ['-u', 'postgres']).status !== 0) {
    throw new LocalStackSetupError(
      'the OS user postgres does not exist: install the Debian package postgresql-15, which creates it (the stack runs PostgreSQL as postgres because it refuses to run as root)',
    );
  }
  if (spawnSync('runuser', ['--version']).status !== 0) {
    throw new LocalStackSetupError('runuser (util-linux) is missing: install util-linux to run PostgreSQL as postgres');
  }
  const canReach = (path: string, test: '-x' | '-r') =>
    spawnSync('runuser', ['-u', 'postgres', '--', 'test', test, path]).status === 0;
  if (!canReach(dir, '-x') || !canReach(walgLocalBin, '-r')) {
    // A checkout or stack folder under a private folder (mktemp -d, /root): let postgres pass through, and say so.
    for (const opened of [...grantPostgresSearchPath(dir), ...grantPostgresSearchPath(walgLocalBin)]) {
      console.error(`walcat local: let the postgres user pass through ${opened} (chmod o+x)`);
    }
  }
  if (!canReach(dir, '-x')) {
    throw new LocalStackSetupError(
      `the postgres user cannot reach ${dir} (a parent folder is not world-searchable, e.g. /root is 0700): set WALCAT_LOCAL_DIR to a folder postgres can reach, e.g. WALCAT_LOCAL_DIR=/var/tmp/walcat-local`,
    );
  }
  if (!canReach(walgLocalBin, '-r')) {
    throw new LocalStackSetupError(
      `the postgres user cannot read ${walgLocalBin}, which PostgreSQL runs as archive_command: clone walcat into a folder every user can read (chmod o+rx on its parents)`,
    );
  }
}

export interface LocalPostgresOptions {
  readonly dir: string;
  readonly port: number;
  /** Environment of wal-g-local in archive_command: WALG_S3_PREFIX, AWS_ENDPOINT_URL_S3, credentials. */
  readonly archiverEnv: Readonly<Record<string, string>>;
}

export interface LocalPostgres {
  readonly paths: LocalPostgresPaths;
  readonly port: number;
  readonly binDir: string;
  /** True when this start ran initdb (first run or after --fresh). */
  readonly initialized: boolean;
  /** The postmaster's pid, from postmaster.pid. */
  readonly pid: number | undefined;
  /** pg_ctl stop -m fast; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Initializes (first run) and starts the stack's PostgreSQL. A postmaster left running on this data directory by a
 * stack that was killed is stopped first: it belongs to this folder, and its port and archive_command are stale.
 */
export async function startLocalPostgres(options: LocalPostgresOptions): Promise<LocalPostgres> {
  const paths = localPostgresPaths(options.dir);
  mkdirSync(paths.root, { recursive: true });
  giveToPostgresUser(paths.root, 0o755);
  mkdirSync(paths.socketDir, { recursive: true });
  giveToPostgresUser(paths.socketDir, 0o755);

  let initialized = false;
  if (!existsSync(join(paths.dataDir, 'PG_VERSION'))) {
    const result = await initdbDataDir(paths.dataDir, LOCAL_WAL_SEGMENT_MIB);
    if (result.code !== 0) {
      throw new LocalStackSetupError(
        `initdb failed for ${paths.dataDir} (exit ${result.code}): ${commandOutput(result).trim().slice(-1500)}; remove the folder or start with --fresh`,
      );
    }
    writeFileSync(
      join(paths.dataDir, 'postgresql.conf'),
      `${readFileSync(join(paths.dataDir, 'postgresql.conf'), 'utf8')}\n# walcat local stack: port, socket and archiving, rewritten at every start\ninclude_if_exists = '${STACK_CONF}'\n`,
    );
    initialized = true;
  }

  const stackConf = {
    port: String(options.port),
    listen_addresses: '127.0.0.1',
    unix_socket_directories: paths.socketDir,
    // A development database: durability is not the point, speed is.
    fsync: 'off',
    synchronous_commit: 'off',
    wal_level: 'replica',
    archive_mode: 'on',
    archive_command: localArchiverCommand('wal-push', options.archiverEnv),
    archive_timeout: `${LOCAL_ARCHIVE_TIMEOUT_SECONDS}s`,
    max_wal_senders: '4',
    log_line_prefix: '%m [%p] ',
  };
  const confPath = join(paths.dataDir, STACK_CONF);
  writeFileSync(
    confPath,
    `${Object.entries(stackConf)
      .map(([key, value]) => `${key} = ${postgresConfString(value)}`)
      .join('\n')}\n`,
  );
  giveToPostgresUser(confPath, 0o600);

  if (postmasterPid(paths.dataDir) !== undefined && (await postmasterRunning(paths.dataDir))) {
    await stopPostmaster(paths.dataDir);
  }
  const started = await startPostmaster(paths.dataDir, paths.logFile);
  if (started.code !== 0) {
    const log = existsSync(paths.logFile) ? readFileSync(paths.logFile, 'utf8').slice(-1500) : '';
    throw new LocalStackSetupError(
      `PostgreSQL did not start on port ${options.port} from ${paths.dataDir} (pg_ctl exit ${started.code}); see ${paths.logFile}:\n${log}`,
    );
  }
  accessSync(paths.dataDir, constants.F_OK);

  let running = true;
  return {
    paths,
    port: options.port,
    binDir: PG15_BIN_DIR,
    initialized,
    pid: postmasterPid(paths.dataDir),
    async stop() {
      if (!running) return;
      running = false;
      await stopPostmaster(paths.dataDir);
    },
  };
}

/**
 * Stops a postmaster a killed stack left running on this folder's data directory (immediate: the data is about to
 * be removed or restarted anyway). Only this folder's own data directory is ever addressed.
 */
export async function stopLeftoverPostgres(dir: string): Promise<void> {
  const { dataDir } = localPostgresPaths(dir);
  if (postmasterPid(dataDir) === undefined) return;
  await stopPostmaster(dataDir, 'immediate');
}
