/**
 * A pgBackRest repository on s3rver, written by pgBackRest itself: a real PostgreSQL 15 archives through
 * `pgbackrest archive-push`, then `stanza-create` and a real full `backup`. Beyond the segments PostgreSQL archived,
 * synthetic WAL files are added in exactly the shape pgBackRest wrote the real ones
 * (`<repo>/archive/<stanza>/<pg-version>-<id>/<timeline+log>/<segment>-<sha1 of the segment>.gz`), each a gzip of a
 * whole segment of zeros, so `pgbackrest verify` finds their checksums and sizes right.
 *
 * pgBackRest is Debian's package `pgbackrest`; `ensurePgbackrest` installs it when the command is missing and the
 * bench runs as root (`apt-get install -y pgbackrest`), and otherwise says what to install.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type PgHandle, runAsPostgres, startPostgres } from '../../test/support/postgres.ts';
import type { BucketObject } from './synthetic-wal-g-bucket.ts';

export const PGBACKREST_BUCKET = 'bench-pgbackrest';
export const STANZA = 'bench';
const REPO_PATH = '/repo';
/** 1 MiB segments keep `verify` (which decompresses and hashes every segment) within the bench's time. */
const SEGMENT_BYTES = 1024 * 1024;
const SEGMENTS_PER_LOG = 0x1_0000_0000 / SEGMENT_BYTES;

const runningAsRoot = process.getuid?.() === 0;

const pgbackrestPresent = (): boolean => spawnSync('pgbackrest', ['version'], { stdio: 'ignore' }).status === 0;

/** The `pgbackrest version` line; installs Debian's package first when the command is missing and we are root. */
export function ensurePgbackrest(): string {
  if (!pgbackrestPresent()) {
    if (!runningAsRoot) {
      throw new Error(
        'pgbackrest not found on PATH: install the Debian package pgbackrest (apt-get install -y pgbackrest) to run the peer benchmark',
      );
    }
    let install = spawnSync('apt-get', ['install', '-y', 'pgbackrest'], { stdio: 'ignore' });
    if (install.status !== 0) {
      spawnSync('apt-get', ['update'], { stdio: 'ignore' });
      install = spawnSync('apt-get', ['install', '-y', 'pgbackrest'], { stdio: 'ignore' });
    }
    if (install.status !== 0 || !pgbackrestPresent()) {
      throw new Error(
        `apt-get install -y pgbackrest failed (exit ${install.status}): install the Debian package pgbackrest by hand to run the peer benchmark`,
      );
    }
  }
  return spawnSync('pgbackrest', ['version'], { encoding: 'utf8' }).stdout.trim();
}

export interface PgbackrestRepository {
  readonly configPath: string;
  /** Segments PostgreSQL itself archived through archive-push (before the synthetic ones). */
  readonly realSegments: number;
  /** Runs `pgbackrest --config --stanza <command>` as postgres; stdout. */
  run(command: string, extra?: readonly string[]): Promise<string>;
  /**
   * The same, stopped after `timeoutMs`: `finished` false when it was (its stdout so far), so a bench can report
   * "not finished within" as the figure instead of failing.
   */
  runCapped(
    command: string,
    extra: readonly string[],
    timeoutMs: number,
  ): Promise<{ readonly stdout: string; readonly finished: boolean }>;
  /** Adds synthetic segments (in s3rver's store) until the archive holds `total`. */
  syntheticObjects(total: number): BucketObject[];
  close(): Promise<void>;
}

export interface RepositoryOptions {
  /** Where config, lock and spool files go; world-searchable, owned by postgres when we are root. */
  readonly workDir: string;
  /** s3rver's filesystem store (to find what pgBackRest wrote). */
  readonly s3Directory: string;
  readonly s3Port: number;
}

function chownToPostgres(path: string): void {
  if (runningAsRoot) spawnSync('chown', ['-R', 'postgres:postgres', path], { stdio: 'ignore' });
}

function configText(options: RepositoryOptions, pg: PgHandle): string {
  return [
    '[global]',
    'repo1-type=s3',
    `repo1-path=${REPO_PATH}`,
    `repo1-s3-bucket=${PGBACKREST_BUCKET}`,
    'repo1-s3-endpoint=127.0.0.1',
    `repo1-s3-port=${options.s3Port}`,
    'repo1-s3-region=us-east-1',
    'repo1-s3-key=S3RVER',
    'repo1-s3-key-secret=S3RVER',
    'repo1-s3-uri-style=path',
    'repo1-storage-verify-tls=n',
    'repo1-retention-full=2',
    'compress-type=gz',
    'start-fast=y',
    'log-level-console=warn',
    'log-level-file=off',
    `lock-path=${join(options.workDir, 'lock')}`,
    `spool-path=${join(options.workDir, 'spool')}`,
    '',
    `[${STANZA}]`,
    `pg1-path=${pg.dataDir}`,
    `pg1-socket-path=${pg.socketDir}`,
    `pg1-port=${pg.port}`,
    '',
  ].join('\n');
}

/** Segment files pgBackRest wrote: `<timeline+log dir>` → names (without `._S3rver_object`). */
function archivedSegments(archiveRoot: string): { archiveId: string; names: string[] } {
  const archiveIds = readdirSync(archiveRoot).filter((name) => /^\d+-\d+$/.test(name));
  const archiveId = archiveIds[0];
  if (archiveId === undefined) throw new Error(`no <pg-version>-<id> folder under ${archiveRoot}`);
  const names: string[] = [];
  for (const dir of readdirSync(join(archiveRoot, archiveId))) {
    if (!/^[0-9A-F]{16}$/.test(dir)) continue;
    for (const file of readdirSync(join(archiveRoot, archiveId, dir))) {
      if (/^[0-9A-F]{24}-[0-9a-f]{40}\.gz\._S3rver_object$/.test(file))
        names.push(file.slice(0, -'._S3rver_object'.length));
    }
  }
  return { archiveId, names: names.sort() };
}

const segmentName = (timeline: number, segNo: number): string =>
  [timeline, Math.floor(segNo / SEGMENTS_PER_LOG), segNo % SEGMENTS_PER_LOG]
    .map((part) => part.toString(16).toUpperCase().padStart(8, '0'))
    .join('');

export async function buildPgbackrestRepository(options: RepositoryOptions): Promise<PgbackrestRepository> {
  mkdirSync(join(options.workDir, 'lock'), { recursive: true });
  mkdirSync(join(options.workDir, 'spool'), { recursive: true });
  chmodSync(options.workDir, 0o755);
  const configPath = join(options.workDir, 'pgbackrest.conf');
  const pg = await startPostgres({
    walSegmentSizeMiB: 1,
    archiveCommand: `pgbackrest --config=${configPath} --stanza=${STANZA} archive-push %p`,
  });
  try {
    writeFileSync(configPath, configText(options, pg));
    chownToPostgres(options.workDir);
    const run = async (command: string, extra: readonly string[] = []) =>
      (
        await runAsPostgres('pgbackrest', [`--config=${configPath}`, `--stanza=${STANZA}`, ...extra, command], {
          timeoutMs: 300_000,
        })
      ).stdout;
    const runCapped = async (command: string, extra: readonly string[], timeoutMs: number) => {
      const started = Date.now();
      const result = await runAsPostgres(
        'pgbackrest',
        [`--config=${configPath}`, `--stanza=${STANZA}`, ...extra, command],
        { timeoutMs, allowFailure: true },
      );
      const stoppedByTimeout = result.code !== 0 && Date.now() - started >= timeoutMs - 1000;
      if (result.code !== 0 && !stoppedByTimeout)
        throw new Error(`pgbackrest ${command} exited with ${result.code}: ${result.stderr.slice(-2000)}`);
      return { stdout: result.stdout, finished: result.code === 0 };
    };
    await run('stanza-create');
    await pg.psql('create table bench as select generate_series(1, 10000) as id');
    await run('backup', ['--type=full']);
    await pg.psql('select pg_switch_wal()');
    await pg.psql('insert into bench select generate_series(1, 10000)');
    await pg.psql('select pg_switch_wal()');
    await pg.psql('checkpoint');
    // archive-push is asynchronous to the backup: wait until the last switched segment is in the repository.
    const archiveRoot = join(options.s3Directory, PGBACKREST_BUCKET, REPO_PATH.slice(1), 'archive', STANZA);
    const deadline = Date.now() + 60_000;
    let found = archivedSegments(archiveRoot);
    while (Date.now() < deadline) {
      const stats = await pg.query<{ failed: string }>('select failed_count::text as failed from pg_stat_archiver');
      const pending = await pg.query<{ n: string }>(
        "select count(*)::text as n from pg_ls_dir('pg_wal/archive_status') as f where f like '%.ready'",
      );
      if (pending[0]?.n === '0') break;
      if (stats[0] && Number(stats[0].failed) > 50) throw new Error(`archive-push keeps failing:\n${pg.log()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await pg.stop('fast');
    found = archivedSegments(archiveRoot);
    const lastReal = found.names.at(-1);
    if (lastReal === undefined) throw new Error(`pgBackRest archived no segment under ${archiveRoot}`);
    const timeline = Number.parseInt(lastReal.slice(0, 8), 16);
    const lastSegNo =
      Number.parseInt(lastReal.slice(8, 16), 16) * SEGMENTS_PER_LOG + Number.parseInt(lastReal.slice(16, 24), 16);
    const zeros = Buffer.alloc(SEGMENT_BYTES);
    const sha1 = createHash('sha1').update(zeros).digest('hex');
    const body = gzipSync(zeros);
    const etag = createHash('md5').update(body).digest('hex');
    const keyPrefix = `${REPO_PATH.slice(1)}/archive/${STANZA}/${found.archiveId}/`;
    let added = 0;
    return {
      configPath,
      realSegments: found.names.length,
      run,
      runCapped,
      syntheticObjects(total: number): BucketObject[] {
        const objects: BucketObject[] = [];
        const uploadedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
        while (found.names.length + added < total) {
          added++;
          const name = segmentName(timeline, lastSegNo + added);
          objects.push({ key: `${keyPrefix}${name.slice(0, 16)}/${name}-${sha1}.gz`, body, etag, uploadedAt });
        }
        return objects;
      },
      async close() {
        await pg.close();
      },
    };
  } catch (error) {
    await pg.close().catch(() => undefined);
    throw error;
  }
}
