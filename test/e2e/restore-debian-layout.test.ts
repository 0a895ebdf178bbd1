/**
 * A backup of a Debian-layout server (postgresql.conf, pg_hba.conf and pg_ident.conf in /etc/postgresql/15/main, not
 * in the data directory) restored into another directory: the copy has none of the three, and `pg_ctl -D` would not
 * start it. configure-recovery gives it minimal ones and says so; the copy then starts on its own port and socket,
 * recovers, promotes and answers. A real PostgreSQL 15, laid out as Debian lays it out, is the server backed up.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostSettings } from '../../lib/domain/cluster.ts';
import {
  buildRestoreStepScript,
  type RestoreScriptInput,
  restoredMarkerName,
  restoreLogPath,
  restoreRunDirectory,
} from '../../lib/domain/restore/restore-scripts.ts';
import { giveToPostgresUser } from '../../lib/local-stack/postgres-os-user.ts';
import { pgBinDir, runAsPostgres } from '../support/postgres.ts';

const bin = pgBinDir();
const root = mkdtempSync(join(tmpdir(), 'walcat-debian-layout-'));
chmodSync(root, 0o755);
const etc = join(root, 'etc', 'postgresql', '15', 'main');
const primaryData = join(root, 'lib', 'postgresql', '15', 'main');
const copyData = join(root, 'copy', 'main');
const socketDir = join(root, 'run');
// The primary listens on no TCP address (listen_addresses ''): its port only names the socket file in its own folder.
const port = 5432;
const CONFIG_FILES = ['postgresql.conf', 'pg_hba.conf', 'pg_ident.conf'];

const pgCtl = (args: readonly string[]) =>
  runAsPostgres(join(bin, 'pg_ctl'), args, { allowFailure: true, timeoutMs: 120_000 });

beforeAll(async () => {
  for (const dir of [join(root, 'etc'), join(root, 'lib'), join(root, 'copy'), socketDir]) {
    mkdirSync(dir, { recursive: true });
    giveToPostgresUser(dir, 0o755);
  }
  await runAsPostgres(join(bin, 'initdb'), ['-D', primaryData, '-U', 'postgres', '-A', 'trust', '--no-sync']);
  // Debian's layout: the configuration in /etc/postgresql/15/main, the data directory named in it.
  await runAsPostgres('mkdir', ['-p', etc]);
  for (const name of CONFIG_FILES) {
    await runAsPostgres('mv', [join(primaryData, name), join(etc, name)]);
  }
  await runAsPostgres('sh', [
    '-c',
    `printf "%s\\n" "data_directory = '${primaryData}'" "port = ${port}" "listen_addresses = ''" "unix_socket_directories = '${socketDir}'" >> ${join(etc, 'postgresql.conf')}`,
  ]);
  const started = await pgCtl(['-D', etc, '-l', join(socketDir, 'primary.log'), '-w', '-t', '60', 'start']);
  expect(started.code, started.stderr + started.stdout).toBe(0);
  await runAsPostgres(join(bin, 'psql'), [
    '-h',
    socketDir,
    '-p',
    String(port),
    '-U',
    'postgres',
    '-c',
    'create table t as select 1 as one',
  ]);
  // What a backup of this server holds: the data directory, without the files in /etc.
  await runAsPostgres(join(bin, 'pg_basebackup'), [
    '-h',
    socketDir,
    '-p',
    String(port),
    '-U',
    'postgres',
    '-D',
    copyData,
    '-X',
    'stream',
    '--no-sync',
  ]);
}, 120_000);

afterAll(async () => {
  for (const data of [copyData, etc]) {
    if (existsSync(join(data === etc ? primaryData : data, 'postmaster.pid'))) {
      await pgCtl(['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop']);
    }
  }
  rmSync(root, { recursive: true, force: true });
}, 60_000);

describe('a Debian-layout backup restored into another directory', () => {
  it('gets minimal configuration files, says so, and starts, recovers and answers on its own port', async () => {
    for (const name of CONFIG_FILES) expect(existsSync(join(copyData, name))).toBe(false);
    const host: HostSettings = {
      target: { tagKey: 'walcat:scratch', tagValue: 'debian' },
      pgData: copyData,
      osUser: 'postgres',
      service: { kind: 'pg_ctl', binDir: bin },
      // No archive here: every wal-fetch answers "not found", so recovery replays the WAL the backup holds.
      walgBinary: '/bin/false',
    };
    const input: RestoreScriptInput = {
      jobId: 'r-debian',
      host,
      baseBackup: 'base_000000010000000000000002',
      target: { kind: 'latest' },
      timeline: 'latest',
      action: 'promote',
      inPlace: false,
      recoveryTimeoutSeconds: 60,
    };
    // What fetch-backup and preflight leave: this job's marker in the copy and the copy's run folder.
    writeFileSync(join(copyData, restoredMarkerName('r-debian')), '');
    mkdirSync(restoreRunDirectory(copyData));
    giveToPostgresUser(restoreRunDirectory(copyData), 0o750);
    const configure = spawnSync('bash', ['-c', buildRestoreStepScript('configure-recovery', input)], {
      encoding: 'utf8',
      cwd: '/',
    });
    expect(configure.status, configure.stderr).toBe(0);
    for (const name of CONFIG_FILES) {
      expect(configure.stderr).toContain(`the backup has no ${name}`);
      expect(readFileSync(join(copyData, name), 'utf8')).toContain('Written by walcat');
    }
    const copyPort = Number(/"port":(\d+)/u.exec(configure.stdout)?.[1]);
    expect(copyPort).toBeGreaterThanOrEqual(5433);

    const start = spawnSync('bash', ['-c', buildRestoreStepScript('start-postgres', input)], {
      encoding: 'utf8',
      cwd: '/',
    });
    expect(start.status, `${start.stdout}\n${start.stderr}`).toBe(0);
    // No wal-g here: recovery replays the WAL the backup holds, then promotes.
    let answer = '';
    for (let attempt = 0; attempt < 60 && answer !== 'f|1'; attempt += 1) {
      const query = await runAsPostgres(
        join(bin, 'psql'),
        [
          '-XAt',
          '-h',
          restoreRunDirectory(copyData),
          '-p',
          String(copyPort),
          '-U',
          'postgres',
          '-c',
          'select pg_is_in_recovery(), one from t',
        ],
        { allowFailure: true },
      );
      answer = query.stdout.trim();
      if (answer !== 'f|1') await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    expect(answer, readFileSync(restoreLogPath(copyData, 'r-debian'), 'utf8').slice(-2000)).toBe('f|1');

    // A rerun writes nothing more: the files are there now.
    const again = spawnSync('bash', ['-c', buildRestoreStepScript('configure-recovery', input)], {
      encoding: 'utf8',
      cwd: '/',
    });
    expect(again.status).toBe(0);
    expect(again.stderr).not.toContain('the backup has no');
  }, 180_000);
});
