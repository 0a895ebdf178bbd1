/**
 * End to end: a real PostgreSQL 15 archives through the local archiver (wal-g-local) into s3rver, the catalog is fed
 * from s3rver's events into dynalite, and walcat restores onto "new hosts" (other data directories on this machine)
 * through the local shell transport, step by step, driven only by command status-change events.
 */

import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import type { Job } from '../../lib/domain/jobs/job.ts';
import { RestoreTargetUnreachableError } from '../../lib/domain/restore/restore-plan.ts';
import { movedAsidePath, RESTORE_STEPS, restoreLogPath } from '../../lib/domain/restore/restore-scripts.ts';
import { parseRestoreTarget, type RestoreTarget } from '../../lib/domain/restore/restore-target.ts';
import { planClusterRestore } from '../../lib/use-cases/plan-restore.ts';
import type { RestoreDeps } from '../../lib/use-cases/restore-dependencies.ts';
import { runRestoreDrill } from '../../lib/use-cases/run-restore-drill.ts';
import { resumeRestore, startRestore } from '../../lib/use-cases/start-restore.ts';
import {
  chownToPostgres,
  DEFAULT_CLUSTER_YAML,
  type HostTransport,
  startTestEnvironment,
  type TestEnvironment,
} from '../support/environment.ts';
import { type PgHandle, runAsPostgres } from '../support/postgres.ts';
import { driveRestoreToEnd, hostsYaml, restoreDepsOn } from '../support/restore-driver.ts';

const PG_BIN = '/usr/lib/postgresql/15/bin';

let env: TestEnvironment;
let root: string;
let primary: PgHandle;
let cluster: ClusterConfig;
let host: HostTransport;
const HOSTS = ['host-a', 'host-b', 'host-c', 'host-d', 'host-e', 'host-never'];
let deps: RestoreDeps;
let targetTime: Date;
let afterLastCommit: Date;
let hostB: ScratchHost;
const restoredDataDirs: string[] = [];
const timings: Record<string, Record<string, number | string>> = {};

/** A "new host": its own directory with a data directory path, a socket dir, a port and a WAL-G env dir. */
interface ScratchHost {
  readonly dir: string;
  readonly pgData: string;
  readonly socketDir: string;
  readonly port: number;
  readonly envDir: string;
}

let nextPort = 0;
/** Ports only name socket files (listen_addresses is empty), so any number that differs per host will do. */
function scratchHost(name: string): ScratchHost {
  const dir = join(root, name);
  const socketDir = join(dir, 'sock');
  const envDir = join(dir, 'env');
  mkdirSync(socketDir, { recursive: true });
  const host = { dir, pgData: join(dir, 'data'), socketDir, port: nextPort++, envDir };
  // The host's WAL-G env: where the archive is, and PGHOST/PGPORT of the server restored there.
  env.writeEnvDir(envDir, host);
  chmodSync(dir, 0o755);
  chownToPostgres(dir);
  return host;
}

function restoreOnto(host: ScratchHost, target: RestoreTarget, jobId: string) {
  return startRestore(deps, {
    cluster,
    target,
    host: { kind: 'tag', tagKey: 'walcat:scratch', tagValue: host.dir.split('/').at(-1) ?? '' },
    inPlace: false,
    jobId,
    hostOverrides: { pgData: host.pgData, walgEnvDir: host.envDir },
    extraSettings: { port: String(host.port), unix_socket_directories: host.socketDir, listen_addresses: '' },
    checkSql: 'select count(*) > 0 from t',
    recoveryTimeoutSeconds: 120,
  });
}

/**
 * Feeds the transport's status-change events (command and invocation level, each delivered twice) to the
 * orchestrator until the job ends, as EventBridge would invoke the orchestrator function.
 */
function driveToEnd(job: Job, orchestrator: RestoreDeps = deps): Promise<Job> {
  return driveRestoreToEnd(job, { deps, orchestrator, host, timeoutMs: 120_000, deliveries: 2 });
}

function recordTimings(label: string, job: Job): void {
  const row: Record<string, number | string> = {};
  for (const step of job.steps) row[step.name] = step.durationMs ?? '-';
  row.total = job.finishedAt ? job.finishedAt.getTime() - job.createdAt.getTime() : '-';
  timings[label] = row;
}

async function restoredRows(host: ScratchHost): Promise<string[]> {
  const client = new pg.Client({ host: host.socketDir, port: host.port, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    const result = await client.query<{ note: string }>('select note from t order by id');
    return result.rows.map((row) => row.note);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  env = await startTestEnvironment({
    name: 'restore-e2e',
    postgres: true,
    // wal-g on the "hosts": the local archiver, behind a wrapper that can be told to fail backup-fetch midway.
    walgPrelude: (root) => [
      `if [[ \${1:-} == backup-fetch && -e ${join(root, 'fail-fetch')} ]]; then`,
      '  echo partial > "$2/PG_VERSION"',
      '  echo "wal-g: injected failure: connection reset while fetching the backup" >&2',
      '  exit 1',
      'fi',
    ],
    clusterYaml: (paths) => [
      ...DEFAULT_CLUSTER_YAML,
      ...hostsYaml(paths, join(paths.root, 'host-b', 'env')),
      '    drill:',
      '      schedule: cron(0 3 ? * SUN *)',
      '      target: { tagKey: walcat:scratch, tagValue: host-b }',
      `      pgData: ${join(paths.root, 'host-b', 'data')}`,
      '      checkSql: select count(*) > 0 from pg_class',
    ],
  });
  ({ root, primary, cluster } = env);
  nextPort = primary.port + 1;
  const instances = HOSTS.map((name) => ({ instanceId: `local-${name}`, tags: { 'walcat:scratch': name } }));
  host = env.hostTransport(instances);
  deps = restoreDepsOn(env, host);

  await primary.query('create table t (id int primary key, note text, at timestamptz default clock_timestamp())');
  await env.backupPush();
  await primary.query("insert into t (id, note) values (1, 'before-1')");
  await primary.query("insert into t (id, note) values (2, 'before-2')");
  await new Promise((resolve) => setTimeout(resolve, 300));
  const [{ now }] = (await primary.query<{ now: Date }>('select clock_timestamp() as now')) as [{ now: Date }];
  targetTime = now;
  await new Promise((resolve) => setTimeout(resolve, 300));
  await primary.query("insert into t (id, note) values (3, 'after')");
  await new Promise((resolve) => setTimeout(resolve, 200));
  const [{ later }] = (await primary.query<{ later: Date }>('select clock_timestamp() as later')) as [{ later: Date }];
  afterLastCommit = later;
  await new Promise((resolve) => setTimeout(resolve, 300));
  await env.switchAndWaitArchived();
  await env.ingestAll();
}, 120_000);

afterAll(async () => {
  if (Object.keys(timings).length > 0) {
    console.log('restore wall time by step (ms), end-to-end test');
    console.table(timings);
  }
  for (const dataDir of restoredDataDirs) {
    if (existsSync(join(dataDir, 'postmaster.pid'))) {
      await runAsPostgres(join(PG_BIN, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop'], {
        allowFailure: true,
      });
    }
  }
  await env?.close();
}, 60_000);

describe('point-in-time restore on a real PostgreSQL 15', () => {
  it('plans from the catalog: the backup, its timeline and the WAL to read', async () => {
    const plan = await planClusterRestore(deps, cluster, { kind: 'time', time: targetTime }, new Date());
    expect(plan.baseBackup.name).toMatch(/^base_000000010000000000000/);
    expect(plan.timeline).toBe(1);
    expect(plan.wal.count).toBeGreaterThan(0);
  });

  it('restores to a time between two commits and finds exactly the rows before it', async () => {
    const host = scratchHost('host-a');
    const { job, plan } = await restoreOnto(host, { kind: 'time', time: targetTime }, 'r-e2e-time');
    restoredDataDirs.push(host.pgData);
    expect(job.steps[0]?.state).toBe('queued');
    const done = await driveToEnd(job);
    recordTimings('to a time', done);
    expect(done.restore?.failure?.message).toBeUndefined();
    expect(done.state).toBe('success');
    expect(done.steps.map((step) => step.state)).toEqual(RESTORE_STEPS.map(() => 'success'));
    expect(done.restore?.outcome).toMatchObject({
      inRecovery: false,
      timeline: 2,
      archiveMode: 'off',
      check: { passed: true },
    });
    expect(Date.parse(done.restore?.outcome?.lastReplayTimestamp ?? '')).toBeLessThanOrEqual(targetTime.getTime());
    expect(await restoredRows(host)).toEqual(['before-1', 'before-2']);
    expect(plan.baseBackup.name).toBe(done.restore?.request.baseBackup);
  }, 180_000);

  it('restores to latest and finds every committed row', async () => {
    const host = scratchHost('host-b');
    hostB = host;
    const { job } = await restoreOnto(host, parseRestoreTarget({ to: 'latest' }), 'r-e2e-latest');
    restoredDataDirs.push(host.pgData);
    const done = await driveToEnd(job);
    recordTimings('to latest', done);
    expect(done.restore?.failure?.message).toBeUndefined();
    expect(done.state).toBe('success');
    expect(await restoredRows(host)).toEqual(['before-1', 'before-2', 'after']);
  }, 180_000);

  it('refuses at plan time a target past the last archived WAL', async () => {
    const past = new Date(Date.now() + 3600_000);
    const error = await planClusterRestore(deps, cluster, { kind: 'time', time: past }, new Date()).catch((e) => e);
    expect(error).toBeInstanceOf(RestoreTargetUnreachableError);
    expect((error as RestoreTargetUnreachableError).reason).toBe('past-last-wal');
    expect((error as Error).message).toContain('recovery ended before configured recovery target was reached');
    await expect(
      restoreOnto(scratchHost('host-never'), { kind: 'time', time: past }, 'r-e2e-refused'),
    ).rejects.toBeInstanceOf(RestoreTargetUnreachableError);
    expect(await deps.jobs.getById(cluster.id, 'r-e2e-refused')).toBeUndefined();
  });

  it('a backup-fetch failing midway keeps the moved-aside data directory intact and the job resumes to the end', async () => {
    const host = scratchHost('host-c');
    mkdirSync(host.pgData, { mode: 0o700 });
    writeFileSync(join(host.pgData, 'precious.txt'), 'the old data directory\n');
    chownToPostgres(host.dir);
    const flag = join(root, 'fail-fetch');
    writeFileSync(flag, '');
    const { job } = await restoreOnto(host, { kind: 'time', time: targetTime }, 'r-e2e-resume');
    restoredDataDirs.push(host.pgData);
    const failed = await driveToEnd(job);
    recordTimings('failed fetch', failed);
    expect(failed.state).toBe('failed');
    expect(failed.restore?.failure?.step).toBe('fetch-backup');
    expect(failed.restore?.failure?.stderrTail).toContain('injected failure');
    const aside = movedAsidePath(host.pgData, job.id);
    expect(readFileSync(join(aside, 'precious.txt'), 'utf8')).toBe('the old data directory\n');
    expect(existsSync(host.pgData)).toBe(false);

    rmSync(flag);
    const resumed = await resumeRestore(deps, cluster, job.id);
    expect(resumed.steps.find((step) => step.name === 'fetch-backup')?.attempts).toBe(2);
    const done = await driveToEnd(resumed);
    recordTimings('resumed', done);
    expect(done.restore?.failure?.message).toBeUndefined();
    expect(done.state).toBe('success');
    expect(await restoredRows(host)).toEqual(['before-1', 'before-2']);
    expect(readFileSync(join(aside, 'precious.txt'), 'utf8')).toBe('the old data directory\n');
  }, 240_000);

  it('restores into a scratch directory next to the running primary: every check ran against the copy, not the primary', async () => {
    // A real database host: its env dir's PGHOST/PGPORT name the primary, and the backup carries the primary's port
    // and socket directory. The copy must get its own, and wait-recovery/verify must talk to it.
    const host = scratchHost('host-e');
    env.writeEnvDir(host.envDir, primary);
    const { job } = await startRestore(deps, {
      cluster,
      target: { kind: 'time', time: targetTime },
      host: { kind: 'tag', tagKey: 'walcat:scratch', tagValue: 'host-e' },
      inPlace: false,
      jobId: 'r-e2e-next-to-primary',
      hostOverrides: { pgData: host.pgData, walgEnvDir: host.envDir },
      checkSql: 'select count(*) = 2 from t',
      recoveryTimeoutSeconds: 120,
    });
    restoredDataDirs.push(host.pgData);
    const done = await driveToEnd(job);
    recordTimings('next to the primary', done);
    expect(done.restore?.failure?.message).toBeUndefined();
    expect(done.state).toBe('success');
    expect(done.restore?.outcome?.dataDirectory).toBe(host.pgData);
    expect(done.restore?.outcome?.port).not.toBe(primary.port);
    expect(done.restore?.outcome?.timeline).toBe(2);
    expect(done.restore?.outcome?.checks?.find((check) => check.name === 'server')?.status).toBe('passed');
    // The primary kept running on its own timeline; the copy answers on its own port and socket folder.
    const [primaryState] = await primary.query<{ timeline: number; recovery: boolean }>(
      'select timeline_id as timeline, pg_is_in_recovery() as recovery from pg_control_checkpoint()',
    );
    expect(primaryState).toEqual({ timeline: 1, recovery: false });
    const copy = new pg.Client({
      host: `${host.pgData}.walcat-run`,
      port: done.restore?.outcome?.port,
      user: 'postgres',
      database: 'postgres',
    });
    await copy.connect();
    try {
      const rows = await copy.query<{ note: string }>('select note from t order by id');
      expect(rows.rows.map((row) => row.note)).toEqual(['before-1', 'before-2']);
    } finally {
      await copy.end();
    }
    expect(readFileSync(restoreLogPath(host.pgData, job.id), 'utf8')).toContain('database system is ready');
  }, 180_000);

  it('a scheduled drill on a systemd cluster runs pg_ctl on its own copy, replaces the earlier one and checks it', async () => {
    // The cluster is controlled by a systemd unit (the example config) and its env dir names the primary; the drill
    // must neither start that unit nor talk to the primary. No port or socket is configured for the drill.
    const drill = cluster.drill;
    const hosts = cluster.hosts;
    if (!drill || !hosts) throw new Error('the e2e config has hosts and a drill');
    const primaryEnv = join(root, 'primary-env');
    env.writeEnvDir(primaryEnv, primary);
    const systemdCluster: ClusterConfig = {
      ...cluster,
      hosts: { ...hosts, service: { kind: 'systemd', unit: 'postgresql@15-main' }, walgEnvDir: primaryEnv },
    };
    const drillDeps = { ...deps, clusters: [systemdCluster], random: () => 0.5, newJobId: () => 'd-e2e-drill' };
    const outcome = await runRestoreDrill(drillDeps, systemdCluster);
    expect(outcome.kind).toBe('started');
    const started = await deps.jobs.getById(cluster.id, 'd-e2e-drill');
    if (!started) throw new Error('drill job not stored');
    const done = await driveToEnd(started, drillDeps);
    recordTimings('drill', done);
    expect(done.restore?.failure?.message).toBeUndefined();
    expect(done.state).toBe('success');
    expect(done.restore?.request.hostSettings.service).toEqual({ kind: 'pg_ctl', binDir: PG_BIN });
    expect(done.restore?.outcome?.restoreMs).toBeGreaterThan(0);
    expect(done.restore?.outcome?.dataDirectory).toBe(hostB.pgData);
    expect(done.restore?.outcome?.port).not.toBe(primary.port);
    expect(done.restore?.outcome?.port).not.toBe(hostB.port);
    expect(done.restore?.outcome?.checks?.map((check) => [check.name, check.status])).toEqual([
      ['server', 'passed'],
      ['recovery', 'passed'],
      ['timeline', 'passed'],
      ['target', 'passed'],
      ['archive-mode', 'passed'],
      ['amcheck', 'passed'],
      ['check-sql', 'passed'],
    ]);
    // The copy the latest-restore left running was stopped and kept aside, never deleted.
    const aside = movedAsidePath(hostB.pgData, 'd-e2e-drill');
    expect(existsSync(join(aside, '.walcat-restore-r-e2e-latest'))).toBe(true);
    expect(existsSync(join(hostB.pgData, '.walcat-restore-d-e2e-drill'))).toBe(true);
  }, 180_000);

  it('a time after the last archived commit passes planning but PostgreSQL refuses it: the job fails clearly, the old data kept', async () => {
    // The bucket shows upload times, not commit times: this target lies before the last segment's upload, so the
    // plan accepts it, but the archive holds no commit after it and PostgreSQL stops instead of promoting.
    const host = scratchHost('host-d');
    mkdirSync(host.pgData, { mode: 0o700 });
    writeFileSync(join(host.pgData, 'precious.txt'), 'kept\n');
    chownToPostgres(host.dir);
    const { job } = await restoreOnto(host, { kind: 'time', time: afterLastCommit }, 'r-e2e-idle');
    restoredDataDirs.push(host.pgData);
    const failed = await driveToEnd(job);
    recordTimings('after last commit', failed);
    expect(failed.state).toBe('failed');
    expect(failed.restore?.failure?.step).toBe('wait-recovery');
    expect(failed.restore?.failure?.message).toContain('recovery ended before configured recovery target was reached');
    expect(failed.restore?.failure?.message).toContain('--to latest');
    expect(readFileSync(join(movedAsidePath(host.pgData, job.id), 'precious.txt'), 'utf8')).toBe('kept\n');
  }, 180_000);
});
