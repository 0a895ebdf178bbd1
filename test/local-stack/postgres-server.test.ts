import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { giveToPostgresUser } from '../../lib/local-stack/postgres-os-user.ts';
import {
  initdbDataDir,
  postmasterPid,
  postmasterRunning,
  runAsPostgresUser,
  startPostmaster,
  stopPostmaster,
} from '../../lib/local-stack/postgres-server.ts';
import { freePort } from '../support/free-port.ts';

describe('the one PostgreSQL server starter (stack and tests)', () => {
  let root: string;
  let dataDir: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'walcat-pg-server-'));
    chmodSync(root, 0o755);
    giveToPostgresUser(root, 0o755);
    dataDir = join(root, 'data');
    const created = await initdbDataDir(dataDir, 1);
    expect(created.code, created.stderr).toBe(0);
    const socketDir = join(root, 'sock');
    mkdirSync(socketDir);
    giveToPostgresUser(socketDir, 0o755);
    const port = await freePort();
    const conf = `port = ${port}\nlisten_addresses = ''\nunix_socket_directories = '${socketDir}'\nfsync = off\n`;
    const appended = await runAsPostgresUser('sh', [
      '-c',
      `printf '%s' "$1" >> "$2"`,
      'sh',
      conf,
      join(dataDir, 'postgresql.conf'),
    ]);
    expect(appended.code, appended.stderr).toBe(0);
  }, 120_000);

  afterAll(async () => {
    if (dataDir && postmasterPid(dataDir) !== undefined) await stopPostmaster(dataDir, 'immediate');
    rmSync(root, { recursive: true, force: true });
  });

  it('initdb made a 1 MiB-segment cluster owned by the PostgreSQL user, with no server yet', async () => {
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
    expect(postmasterPid(dataDir)).toBeUndefined();
    expect(await postmasterRunning(dataDir)).toBe(false);
    const control = await runAsPostgresUser('/usr/lib/postgresql/15/bin/pg_controldata', [dataDir]);
    expect(control.stdout).toMatch(/Bytes per WAL segment:\s+1048576/);
  });

  it('stopping a directory with no server reports the failure without throwing or touching anything', async () => {
    const stopped = await stopPostmaster(dataDir);
    expect(stopped.code).not.toBe(0);
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
  });

  it('starts a postmaster that holds none of our pipes (the start returns), then stops it and leaves no pid file', async () => {
    // A postmaster inheriting the start command's stdout would keep the pipe open, and the start would never resolve.
    const started = await startPostmaster(dataDir, join(root, 'postgres.log'));
    expect(started.code, started.stderr).toBe(0);
    expect(postmasterPid(dataDir)).toBeGreaterThan(0);
    expect(await postmasterRunning(dataDir)).toBe(true);

    const stopped = await stopPostmaster(dataDir);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(postmasterPid(dataDir)).toBeUndefined();
    expect(await postmasterRunning(dataDir)).toBe(false);
  }, 120_000);
});
