/**
 * End to end: an in-place point-in-time restore of a real PostgreSQL 15 (archiving through the local archiver into
 * s3rver, catalog in dynalite) with `--resume-archiving`: the restored primary promotes onto timeline 2 with
 * archive_mode off, then the last step turns archiving back on and archives the new timeline's history file and
 * segments, so `walcat gaps` is OK on the new timeline.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { parseIngestInvocation } from '../../lib/adapters/events/s3-notification-events.ts';
import { InMemoryRestoreJobStore } from '../../lib/adapters/local/in-memory-restore-job-store.ts';
import { LocalInstanceDirectory } from '../../lib/adapters/local/local-instance-directory.ts';
import { LocalShellTransport } from '../../lib/adapters/local/local-shell-transport.ts';
import { S3ObjectStore } from '../../lib/adapters/s3/s3-object-store.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import { createBackupInterpreter } from '../../lib/domain/catalog/backup-interpreter.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import { type CommandStatusUpdate, commandStatusUpdateFromEvent } from '../../lib/domain/jobs/command-status.ts';
import type { RestoreJob } from '../../lib/domain/restore/restore-job.ts';
import { historyTextOrUndefined } from '../../lib/domain/wal/history-file-content.ts';
import { localArchiverCommand, WAL_G_LOCAL_BIN } from '../../lib/local-archiver/archiver-command.ts';
import { advanceRestore } from '../../lib/use-cases/advance-restore.ts';
import { evaluateContinuity } from '../../lib/use-cases/evaluate-continuity.ts';
import { ingestObjectEvents } from '../../lib/use-cases/ingest-object-events.ts';
import type { RestoreDeps } from '../../lib/use-cases/restore-dependencies.ts';
import { startRestore } from '../../lib/use-cases/start-restore.ts';
import { type DynaliteHandle, startDynalite } from '../support/dynalite.ts';
import { type PgHandle, runAsPostgres, startPostgres } from '../support/postgres.ts';
import { type S3rverHandle, startS3rver } from '../support/s3rver.ts';

const BUCKET = 'pg-backups';
const PG_BIN = '/usr/lib/postgresql/15/bin';

let root: string;
let s3: S3rverHandle;
let ddb: DynaliteHandle;
let primary: PgHandle;
let cluster: ClusterConfig;
let catalog: DynamoDbCatalogStore;
let transport: LocalShellTransport;
let deps: RestoreDeps;
const events: CommandStatusUpdate[] = [];

async function ingestAllEvents(): Promise<void> {
  const records = s3.events().flatMap((event) => parseIngestInvocation(event));
  const outcome = await ingestObjectEvents(
    { catalog, clusters: [cluster], objects: new S3ObjectStore(s3.client), decompress: historyTextOrUndefined },
    records,
  );
  expect(outcome.failedRecordIds).toEqual([]);
}

/** Switches to a new segment and waits until the archiver has archived it. */
async function switchAndWaitArchived(): Promise<string> {
  const file = await primary.psql('select pg_walfile_name(pg_switch_wal())');
  const deadline = Date.now() + 30_000;
  for (;;) {
    const last = await primary.psql("select coalesce(last_archived_wal, '') from pg_stat_archiver");
    if (last.length === 24 && last >= file) return file;
    if (Date.now() > deadline) throw new Error(`segment ${file} was not archived (last ${last})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function driveToEnd(job: RestoreJob): Promise<RestoreJob> {
  let current = job;
  const deadline = Date.now() + 150_000;
  while (current.status === 'running') {
    if (Date.now() > deadline) throw new Error(`restore job ${job.jobId} still running after 150 s`);
    await transport.settled();
    const event = events.shift();
    if (!event) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    await advanceRestore(deps, event);
    current = (await deps.jobs.get(cluster.id, job.jobId)) ?? current;
  }
  return current;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'walcat-inplace-e2e-'));
  chmodSync(root, 0o755);
  [s3, ddb] = await Promise.all([startS3rver({ buckets: [BUCKET] }), startDynalite()]);
  const archiverEnv = {
    WALG_S3_PREFIX: `s3://${BUCKET}/orders-main`,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    WALG_PG_BIN: PG_BIN,
  };
  const walg = join(root, 'wal-g');
  writeFileSync(walg, `#!/bin/bash\nexec ${process.execPath} ${WAL_G_LOCAL_BIN} "$@"\n`, { mode: 0o755 });
  primary = await startPostgres({
    root,
    walSegmentSizeMiB: 1,
    archiveCommand: localArchiverCommand('wal-push', archiverEnv),
  });
  // The primary's env dir, as on a real database host.
  const envDir = join(root, 'env');
  mkdirSync(envDir);
  for (const [key, value] of Object.entries({ ...archiverEnv, ...primary.env })) {
    writeFileSync(join(envDir, key), `${value}\n`, { mode: 0o644 });
  }
  chmodSync(envDir, 0o755);
  cluster = parseWalcatConfig(
    [
      'catalogTable: walcat-inplace-e2e',
      'clusters:',
      '  - id: orders-main',
      `    storage: s3://${BUCKET}/orders-main`,
      '    walSegmentSize: 1MiB',
      '    retention: { keepLast: 2, pitrWindow: 7d }',
      '    alerts: { uploadGrace: 1m }',
      '    hosts:',
      '      target: { tagKey: walcat:cluster, tagValue: orders-main }',
      `      pgData: ${primary.dataDir}`,
      '      osUser: postgres',
      `      service: pg_ctl:${PG_BIN}`,
      `      walgBinary: ${walg}`,
      `      walgEnvDir: ${envDir}`,
    ].join('\n'),
    'in-place e2e',
  ).clusters[0] as ClusterConfig;
  catalog = new DynamoDbCatalogStore({
    client: ddb.client,
    tableName: 'walcat-inplace-e2e',
    interpret: createBackupInterpreter([cluster]),
  });
  await catalog.ensureTable();
  const instances = [{ instanceId: 'local-primary', tags: { 'walcat:cluster': 'orders-main' } }];
  transport = new LocalShellTransport({
    instances,
    workDir: join(root, 'transport'),
    baseEnv: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  transport.subscribe((event) => {
    events.push(commandStatusUpdateFromEvent(event));
  });
  deps = {
    catalog,
    jobs: new InMemoryRestoreJobStore(),
    transport,
    instances: new LocalInstanceDirectory(instances),
    clusters: [cluster],
    now: () => new Date(),
  };
  // Only psql (a process per query) talks to the primary: the restore stops it, and a held connection would break.
  await primary.psql('create table t (id int primary key, note text)');
  await runAsPostgres(process.execPath, [WAL_G_LOCAL_BIN, 'backup-push', primary.dataDir], {
    env: { ...archiverEnv, ...primary.env },
  });
  await primary.psql("insert into t values (1, 'before')");
  await switchAndWaitArchived();
  await ingestAllEvents();
}, 120_000);

afterAll(async () => {
  await transport?.close();
  await primary?.close();
  await Promise.all([s3?.close(), ddb?.close()]);
  if (root) rmSync(root, { recursive: true, force: true });
}, 60_000);

describe('in-place restore with --resume-archiving on a real PostgreSQL 15', () => {
  it('ends with a primary that archives its new timeline, and walcat gaps is OK on it', async () => {
    const { job } = await startRestore(deps, {
      cluster,
      target: { kind: 'latest' },
      inPlace: true,
      resumeArchiving: true,
      jobId: 'r-e2e-in-place',
      recoveryTimeoutSeconds: 120,
    });
    const done = await driveToEnd(job);
    const row: Record<string, number | string> = {};
    for (const step of done.steps) row[step.name] = step.durationMs ?? '-';
    row.total = done.finishedAt ? done.finishedAt.getTime() - done.createdAt.getTime() : '-';
    console.log('in-place restore with resume-archiving, wall time by step (ms)');
    console.table({ 'in place + resume archiving': row });
    expect(done.failure?.message).toBeUndefined();
    expect(done.status).toBe('succeeded');
    expect(done.outcome).toMatchObject({ timeline: 2, archiveMode: 'on', archiving: { timeline: 2 } });
    expect(await primary.psql('show archive_mode')).toBe('on');

    // The new timeline keeps archiving on its own: a write, a switch, archived.
    await primary.psql("insert into t values (2, 'after the restore')");
    const head = await switchAndWaitArchived();
    expect(head.startsWith('00000002')).toBe(true);
    await ingestAllEvents();
    const history = await catalog.listHistoryFiles(cluster.id);
    expect(history.map((record) => record.timeline)).toContain(2);
    const evaluation = await evaluateContinuity(catalog, cluster, { now: new Date(), persistCursor: false });
    expect(evaluation.gaps.findings).toEqual([]);
    expect(evaluation.gaps.gaps).toEqual([]);
    expect(evaluation.gaps.status).toBe('OK');
    expect(evaluation.gaps.newestTimeline).toBe(2);
  }, 200_000);
});
