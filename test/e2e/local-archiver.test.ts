import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { parse } from 'lossless-json';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLsn } from '../../lib/domain/wal/lsn.ts';
import { localArchiverCommand, WAL_G_LOCAL_BIN } from '../../lib/local-archiver/archiver-command.ts';
import { main } from '../../lib/local-archiver/main.ts';
import { startTestEnvironment, type TestEnvironment } from '../support/environment.ts';
import { type PgHandle, runAsPostgres, startPostgres } from '../support/postgres.ts';

const BUCKET = 'wal-bucket';
const ROOT = 'clusters/e2e/';

let env: TestEnvironment;
let s3: TestEnvironment['s3'];
let primary: PgHandle;
let archiverEnv: Readonly<Record<string, string>>;
let scratch: string;

async function listKeys(prefix: string): Promise<string[]> {
  const page = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: ROOT + prefix }));
  return (page.Contents ?? []).map((object) => (object.Key ?? '').slice(ROOT.length)).sort();
}

async function readJson(key: string): Promise<Record<string, unknown>> {
  const object = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: ROOT + key }));
  // Big integers (the system identifier) stay exact as bigint; small ones become numbers.
  return parse(await (object.Body?.transformToString() ?? ''), undefined, (text) =>
    Number.isSafeInteger(Number(text)) ? Number(text) : BigInt(text),
  ) as Record<string, unknown>;
}

function quietMain(argv: string[], extraEnv: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = main(argv, {
    env: { ...archiverEnv, ...extraEnv },
    stdout: { write: (text) => out.push(text) },
    stderr: { write: (text) => err.push(text) },
  });
  return code.then((exit) => ({ exit, stdout: out.join(''), stderr: err.join('') }));
}

/** Waits until PostgreSQL reports `walFile` archived (pg_stat_archiver), i.e. wal-push succeeded for it. */
function waitArchived(pg: PgHandle, walFile: string): Promise<void> {
  return env.waitArchived(pg, walFile, { timeoutMs: 20_000 });
}

beforeAll(async () => {
  env = await startTestEnvironment({ name: 'archiver-e2e', bucket: BUCKET, prefix: ROOT, postgres: true });
  ({ s3, primary, archiverEnv } = env);
  scratch = join(env.root, 'scratch');
  mkdirSync(scratch);
});

afterAll(async () => {
  await env?.close();
});

describe('wal-g-local (development and test stand-in for wal-g)', () => {
  it('wal-push is idempotent for identical content and refuses a different file under an archived name', async () => {
    const segment = join(scratch, '0000000100000000000000F0');
    writeFileSync(segment, Buffer.alloc(4096, 7));
    expect((await quietMain(['wal-push', segment])).exit).toBe(0);
    expect(await listKeys('wal_005/0000000100000000000000F0')).toEqual(['wal_005/0000000100000000000000F0.br']);
    const again = await quietMain(['wal-push', segment]);
    expect(again.exit).toBe(0);
    expect(again.stderr).toContain('already archived');
    writeFileSync(segment, Buffer.alloc(4096, 8));
    const conflict = await quietMain(['wal-push', segment]);
    expect(conflict.exit).toBe(1);
    expect(conflict.stderr).toContain('refusing to overwrite');

    const history = join(scratch, '00000002.history');
    writeFileSync(history, '1\t0/3000000\tno recovery target specified\n');
    expect((await quietMain(['wal-push', history])).exit).toBe(0);
    writeFileSync(history, '1\t0/4000000\tno recovery target specified\n');
    expect((await quietMain(['wal-push', history])).exit).toBe(1);

    const fetched = join(scratch, 'fetched');
    expect((await quietMain(['wal-fetch', '00000002.history', fetched])).exit).toBe(0);
    expect((await quietMain(['wal-fetch', '000000010000000000000FFF', fetched])).exit).toBe(1);
    expect((await quietMain(['wal-fetch', '../../etc/passwd', fetched])).exit).toBe(2);
    expect((await quietMain(['wal-push'])).exit).toBe(2);
  });

  it('archives a real PostgreSQL 15, pushes a base backup in the WAL-G layout and restores it to a point in time', async () => {
    await primary.query(
      "create table t (id serial primary key, note text); insert into t (note) values ('before-backup')",
    );

    const pushed = await runAsPostgres(process.execPath, [WAL_G_LOCAL_BIN, 'backup-push', primary.dataDir], {
      env: { ...archiverEnv, ...primary.env },
    });
    const name = pushed.stdout.trim();
    expect(name).toMatch(/^base_[0-9A-F]{24}$/);

    expect(await listKeys('basebackups_005/')).toEqual([
      `basebackups_005/${name}/metadata.json`,
      `basebackups_005/${name}/tar_partitions/backup_label.tar.br`,
      `basebackups_005/${name}/tar_partitions/part_001.tar.br`,
      `basebackups_005/${name}/tar_partitions/pg_control.tar.br`,
      `basebackups_005/${name}_backup_stop_sentinel.json`,
    ]);
    // The sentinel is the completion marker: it must be uploaded last, after metadata.json and every tar.
    const backupUploads = s3
      .events()
      .map((event) => event.Records[0]?.s3.object.key ?? '')
      .filter((key) => key.startsWith(`${ROOT}basebackups_005/${name}`))
      .map((key) => key.slice(`${ROOT}basebackups_005/`.length));
    expect(backupUploads).toEqual([
      `${name}/tar_partitions/part_001.tar.br`,
      `${name}/tar_partitions/pg_control.tar.br`,
      `${name}/tar_partitions/backup_label.tar.br`,
      `${name}/metadata.json`,
      `${name}_backup_stop_sentinel.json`,
    ]);
    const [control] = await primary.query<{ system_identifier: string; version: string }>(
      "select system_identifier::text, current_setting('server_version_num') as version from pg_control_system()",
    );
    const sentinel = await readJson(`basebackups_005/${name}_backup_stop_sentinel.json`);
    const startLsn = sentinel.LSN as number;
    expect(Object.keys(sentinel)).toEqual([
      'LSN',
      'PgVersion',
      'FinishLSN',
      'SystemIdentifier',
      'UncompressedSize',
      'CompressedSize',
      'DataCatalogSize',
      'FilesMetadataDisabled',
      'ChkpNum',
      'Version',
      'StartTime',
      'FinishTime',
      'DateFmt',
      'Hostname',
      'DataDir',
      'IsPermanent',
    ]);
    expect(sentinel).toMatchObject({
      PgVersion: Number(control?.version),
      SystemIdentifier: BigInt(control?.system_identifier ?? '0'),
      Version: 2,
      IsPermanent: false,
      DataDir: primary.dataDir,
      DateFmt: '%Y-%m-%dT%H:%M:%S.%fZ',
    });
    expect(BigInt(control?.system_identifier ?? '0')).toBeGreaterThan(2n ** 53n);
    expect(sentinel.FinishLSN as number).toBeGreaterThan(startLsn);
    expect(sentinel.StartTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(Date.parse(sentinel.FinishTime as string)).toBeGreaterThanOrEqual(Date.parse(sentinel.StartTime as string));
    expect(sentinel.CompressedSize as number).toBeGreaterThan(0);
    expect(sentinel.UncompressedSize as number).toBeGreaterThan(sentinel.CompressedSize as number);
    // Name = WAL file of the start LSN on timeline 1, 1 MiB segments.
    const startSegment = Math.floor(startLsn / 1048576);
    const expectedName = `base_00000001${Math.floor(startSegment / 4096)
      .toString(16)
      .toUpperCase()
      .padStart(8, '0')}${(startSegment % 4096).toString(16).toUpperCase().padStart(8, '0')}`;
    expect(name).toBe(expectedName);

    const metadata = await readJson(`basebackups_005/${name}/metadata.json`);
    expect(metadata).toEqual({
      start_time: sentinel.StartTime,
      finish_time: sentinel.FinishTime,
      date_fmt: '%Y-%m-%dT%H:%M:%S.%fZ',
      hostname: sentinel.Hostname,
      data_dir: primary.dataDir,
      pg_version: sentinel.PgVersion,
      start_lsn: sentinel.LSN,
      finish_lsn: sentinel.FinishLSN,
      is_permanent: false,
      system_identifier: sentinel.SystemIdentifier,
      uncompressed_size: sentinel.UncompressedSize,
      compressed_size: sentinel.CompressedSize,
    });
    const listed = await quietMain(['backup-list', '--json']);
    expect(listed.exit).toBe(0);
    expect(listed.stdout).toContain(`"backup_name":"${name}"`);
    expect(listed.stdout).toContain(`"system_identifier":${control?.system_identifier}`);

    await primary.query("insert into t (note) values ('after-backup')");
    const [{ target } = { target: '' }] = await primary.query<{ target: string }>('select now()::text as target');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await primary.query("insert into t (note) values ('after-target')");
    const [{ wal } = { wal: '' }] = await primary.query<{ wal: string }>(
      'select pg_walfile_name(pg_current_wal_lsn()) as wal',
    );
    await primary.query('select pg_switch_wal()');
    await waitArchived(primary, wal);
    const walKeys = await listKeys('wal_005/');
    expect(walKeys).toContain(`wal_005/${wal}.br`);
    expect(walKeys.some((key) => /^wal_005\/[0-9A-F]{24}\.[0-9A-F]{8}\.backup\.br$/.test(key))).toBe(true);

    const restored = await startPostgres({
      restoreFrom: {
        populate: async (dataDir) => {
          const fetched = await runAsPostgres(process.execPath, [WAL_G_LOCAL_BIN, 'backup-fetch', dataDir, 'LATEST'], {
            env: archiverEnv,
          });
          expect(fetched.stdout.trim()).toBe(name);
        },
        restoreCommand: localArchiverCommand('wal-fetch', archiverEnv),
        recoveryTarget: { time: target },
      },
    });
    try {
      const rows = await restored.query<{ note: string }>('select note from t order by id');
      expect(rows.map((row) => row.note)).toEqual(['before-backup', 'after-backup']);
      expect(restored.log()).toMatch(/restored log file "[0-9A-F]{24}" from archive/);
      expect(restored.log()).toContain('recovery stopping before commit');
      const [{ lsn } = { lsn: '0/0' }] = await restored.query<{ lsn: string }>(
        'select pg_current_wal_lsn()::text as lsn',
      );
      expect(parseLsn(lsn)).toBeGreaterThan(BigInt(startLsn));
    } finally {
      await restored.close();
    }

    const permanent = await quietMain(['backup-push', primary.dataDir, '--permanent'], primary.env);
    expect(permanent.exit, permanent.stderr).toBe(0);
    const permanentName = permanent.stdout.trim();
    expect(permanentName > name).toBe(true);
    expect((await readJson(`basebackups_005/${permanentName}_backup_stop_sentinel.json`)).IsPermanent).toBe(true);
    expect((await readJson(`basebackups_005/${permanentName}/metadata.json`)).is_permanent).toBe(true);
    const both = JSON.parse((await quietMain(['backup-list', '--json'])).stdout) as { backup_name: string }[];
    expect(both.map((backup) => backup.backup_name)).toEqual([name, permanentName]);
    // Each wal-g-local run is a fresh Node process (about 0.4 s idle, several seconds on a loaded 2-core machine).
  }, 120_000);
});
