/**
 * End to end through the local shell transport: the backup scheduler dispatches the real backup-push host script
 * to a tag group of two "instances" on this machine, a PostgreSQL 15 primary and a streaming standby. The script
 * runs as postgres via runuser, loads the WAL-G env dir (no daemontools here: the built-in loader), and runs the
 * local archiver as `walgBinary`. The primary pushes into s3rver, the standby skips, the status events drive the
 * real job-tracker handler, and the catalog (fed the bucket's events) shows the backup complete.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbJobStore } from '../../lib/adapters/dynamodb/dynamodb-job-store.ts';
import { LocalShellTransport } from '../../lib/adapters/local/local-shell-transport.ts';
import type { WalcatConfig } from '../../lib/domain/cluster.ts';
import { historyTextOrUndefined } from '../../lib/domain/wal/history-file-content.ts';
import { createBackupSchedulerHandler } from '../../lib/handlers/backup-scheduler-handler.ts';
import { createCatalogIngestHandler } from '../../lib/handlers/catalog-ingest-handler.ts';
import { createJobTrackerHandler } from '../../lib/handlers/job-tracker-handler.ts';
import { WAL_G_LOCAL_BIN } from '../../lib/local-archiver/archiver-command.ts';
import type { CatalogStore } from '../../lib/ports/catalog-store.ts';
import { probeArchiver } from '../../lib/use-cases/probe-archiver.ts';
import { startTestEnvironment, type TestEnvironment } from '../support/environment.ts';
import { type PgHandle, pgBinDir, runAsPostgres, startPostgres } from '../support/postgres.ts';

const BUCKET = 'walcat-e2e';
const ROOT = 'orders-main/';
const TAG = { tagKey: 'walcat:cluster', tagValue: 'orders-main' };
const silent = new Logger({ serviceName: 'e2e', logLevel: 'SILENT' });
const context = {} as Context;

let env: TestEnvironment;
let s3: TestEnvironment['s3'];
let primary: PgHandle;
let standby: PgHandle;
let transport: LocalShellTransport;
let config: WalcatConfig;
let catalog: CatalogStore;
let jobs: DynamoDbJobStore;
let jobCounter = 0;
const trackerResults: unknown[] = [];

beforeAll(async () => {
  env = await startTestEnvironment({
    name: 'e2e-backup-push',
    bucket: BUCKET,
    prefix: ROOT,
    postgres: true,
    clusterYaml: ({ root, primary }) => [
      '    walSegmentSize: 1MiB',
      '    retention: { keepLast: 2, pitrWindow: 7d }',
      '    alerts: {}',
      '    hosts:',
      `      target: { tagKey: "${TAG.tagKey}", tagValue: ${TAG.tagValue} }`,
      `      pgData: ${primary?.dataDir}`,
      '      osUser: postgres',
      `      walgEnvDir: ${join(root, 'wal-g.d', 'env')}`,
      `      service: pg_ctl:${pgBinDir()}`,
      `      walgBinary: ${WAL_G_LOCAL_BIN}`,
    ],
  });
  ({ s3, primary, config, catalog } = env);
  // The WAL-G env dir as on a real host: one file per variable. PGHOST/PGPORT are not in it: each local
  // "instance" brings its own (two PostgreSQL servers share this machine).
  const envDir = join(env.root, 'wal-g.d', 'env');
  mkdirSync(envDir, { recursive: true, mode: 0o755 });
  chmodSync(join(env.root, 'wal-g.d'), 0o755);
  for (const [name, value] of Object.entries(env.archiverEnv))
    writeFileSync(join(envDir, name), `${value}\n`, { mode: 0o644 });

  await primary.query(
    "create table t (id serial primary key, note text); insert into t (note) values ('before backup')",
  );
  standby = await startPostgres({
    restoreFrom: {
      async populate(dataDir) {
        await runAsPostgres(
          join(pgBinDir(), 'pg_basebackup'),
          ['-D', dataDir, '-X', 'stream', '-c', 'fast', '--no-sync'],
          {
            env: primary.env,
          },
        );
        writeFileSync(join(dataDir, 'standby.signal'), '');
      },
      restoreCommand: 'false',
      recoveryTargetAction: 'pause',
    },
  });

  jobs = new DynamoDbJobStore({ client: env.ddb.client, tableName: config.catalogTable });
  transport = new LocalShellTransport({
    workDir: join(env.root, 'transport'),
    baseEnv: { PATH: process.env.PATH, LANG: 'C.UTF-8' },
    instances: [
      { instanceId: 'i-primary', tags: { [TAG.tagKey]: TAG.tagValue }, env: primary.env },
      { instanceId: 'i-standby', tags: { [TAG.tagKey]: TAG.tagValue }, env: standby.env },
      { instanceId: 'i-other-cluster', tags: { [TAG.tagKey]: 'billing' } },
    ],
  });
  const tracker = createJobTrackerHandler({ jobs, transport, clusters: config.clusters }, silent);
  transport.subscribe(async (event) => {
    trackerResults.push(await tracker(event, context));
  });
}, 120_000);

afterAll(async () => {
  await transport?.close();
  await standby?.close();
  await env?.close();
});

async function ingestBucketEvents(): Promise<void> {
  const ingest = createCatalogIngestHandler(
    { catalog, objects: env.objects, decompress: historyTextOrUndefined, clusters: config.clusters },
    silent,
    new Metrics({ namespace: 'walcat-e2e', serviceName: 'e2e' }),
  );
  const events = s3.events();
  const batch = {
    Records: events.map((event, index) => ({
      messageId: `m-${index}`,
      eventSource: 'aws:sqs',
      body: JSON.stringify(event),
    })),
  };
  expect(await ingest(batch, context)).toEqual({ batchItemFailures: [] });
}

describe('scheduled backup-push through the local shell transport', () => {
  it('pushes on the primary, skips the standby, lands in the bucket, completes in the catalog, and the job succeeds', async () => {
    expect((await standby.query<{ r: boolean }>('select pg_is_in_recovery() as r'))[0]?.r).toBe(true);
    const scheduler = createBackupSchedulerHandler(
      { transport, jobs, newJobId: () => `e2e-job-${++jobCounter}` },
      config,
      silent,
    );
    const dispatched = (await scheduler({ cluster: 'orders-main' }, context)) as {
      dispatched: boolean;
      commandId: string;
      job: string;
    };
    expect(dispatched).toMatchObject({ dispatched: true, job: 'e2e-job-1' });

    // While it runs, a second scheduled run is refused with the running job named.
    expect(await scheduler({ cluster: 'orders-main' }, context)).toMatchObject({
      dispatched: false,
      runningJob: 'e2e-job-1',
    });

    await transport.waitFor(dispatched.commandId);
    const invocations = await transport.listInvocations(dispatched.commandId);
    expect(invocations.map((i) => [i.instanceId, i.status, i.exitCode]).sort()).toEqual([
      ['i-primary', 'Success', 0],
      ['i-standby', 'Success', 0],
    ]);
    const [job] = await jobs.list(config.clusters[0]?.id as WalcatConfig['clusters'][number]['id']);
    expect(job).toMatchObject({
      id: 'e2e-job-1',
      state: 'success',
      host: 'i-primary',
      outcome: 'backup-push succeeded on i-primary',
    });
    expect(job?.invocations['i-standby']?.result).toEqual({
      status: 'skipped',
      script: 'backup-push',
      step: 'skip-standby',
      reason: 'standby',
    });
    expect(trackerResults.length).toBeGreaterThan(4);

    const sentinels = s3
      .events()
      .map((event) => event.Records[0]?.s3.object.key ?? '')
      .filter((key) => key.endsWith('_backup_stop_sentinel.json'));
    expect(sentinels).toHaveLength(1);
    const name = (sentinels[0] ?? '').slice(`${ROOT}basebackups_005/`.length, -'_backup_stop_sentinel.json'.length);

    await ingestBucketEvents();
    const backups = await catalog.listBackups(config.clusters[0]?.id as WalcatConfig['clusters'][number]['id']);
    expect(backups.map((backup) => [backup.name, backup.status])).toEqual([[name, 'complete']]);

    // The lock went with the job: the next backup is accepted.
    // (The refused run used up job id e2e-job-2.)
    expect(await scheduler({ cluster: 'orders-main' }, context)).toMatchObject({ dispatched: true, job: 'e2e-job-3' });
    await transport.waitFor((await jobs.list(config.clusters[0]?.id as never, { limit: 1 }))[0]?.commandId as string);
  }, 120_000);

  it('the archiver probe reads pg_stat_archiver on the primary and finds the catalog caught up', async () => {
    await primary.query('select pg_switch_wal()');
    await ingestBucketEvents();
    const cluster = config.clusters[0] as WalcatConfig['clusters'][number];
    const outcome = await probeArchiver(
      {
        transport,
        jobs,
        catalog,
        clusters: config.clusters,
        newJobId: () => `e2e-job-${++jobCounter}`,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      },
      { cluster, now: new Date(), waitMs: 30_000, pollIntervalMs: 200 },
    );
    expect(outcome.kind).toBe('assessed');
    if (outcome.kind !== 'assessed') return;
    const { assessment } = outcome;
    expect(outcome.job.host).toBe('i-primary');
    expect(assessment.probe.inRecovery).toBe(false);
    expect(assessment.probe.serverVersionNum).toBeGreaterThanOrEqual(150000);
    expect(assessment.probe.failedCount).toBe(0);
    expect(assessment.probe.lastArchivedWal).toMatch(/^[0-9A-F]{24}/u);
    expect(assessment.findings.filter((finding) => finding.severity === 'failure')).toEqual([]);
    expect(assessment.archiveLagSegments).toBeGreaterThanOrEqual(0);
  }, 60_000);
});
