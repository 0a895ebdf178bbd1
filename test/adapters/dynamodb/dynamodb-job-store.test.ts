import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbJobStore } from '../../../lib/adapters/dynamodb/dynamodb-job-store.ts';
import { parseWalcatConfig } from '../../../lib/config/config.ts';
import type { ClusterId } from '../../../lib/domain/cluster.ts';
import { applyCommandStatus, newJob } from '../../../lib/domain/jobs/job.ts';
import { applyCommandUpdate, markStepDispatched, resumeRestoreJob } from '../../../lib/domain/restore/restore-job.ts';
import { createAdapterSet } from '../../../lib/wiring/adapter-set.ts';
import { createSsmAdapters } from '../../../lib/wiring/ssm-adapters.ts';
import { type CatalogTableFixture, createKeysOnlyTable, startCatalogTable } from '../../support/catalog-table.ts';
import { DYNALITE_CREDENTIALS, dynaliteClients } from '../../support/dynalite.ts';
import { sampleRestoreJob } from '../../support/sample-restore-job.ts';

const CLUSTER = 'orders-main' as ClusterId;
const T0 = new Date('2026-11-21T01:00:00Z');
const later = (ms: number) => new Date(T0.getTime() + ms);
let catalog: CatalogTableFixture;
let store: DynamoDbJobStore;

beforeAll(async () => {
  catalog = await startCatalogTable();
  store = new DynamoDbJobStore({ client: catalog.client, tableName: catalog.tableName });
});
afterAll(() => catalog?.close());

describe('cluster lock (conditional put with expiry)', () => {
  it('lets exactly one of many concurrent requests take the lock, and names the holder to the others', async () => {
    const holders = Array.from({ length: 12 }, (_, i) => `job-${i}`);
    const attempts = await Promise.all(
      holders.map((holder) => store.acquireLock(CLUSTER, 'backup', holder, T0, later(3_600_000))),
    );
    const winners = holders.filter((_, i) => attempts[i]?.acquired);
    expect(winners).toHaveLength(1);
    for (const attempt of attempts) {
      if (!attempt.acquired)
        expect(attempt).toEqual({ acquired: false, holder: winners[0], expiresAt: later(3_600_000), acquiredAt: T0 });
    }
    await store.releaseLock(CLUSTER, 'backup', winners[0] as string);
  });

  it('is free again after release, renewable by its holder, and taken over only once expired', async () => {
    expect(await store.acquireLock(CLUSTER, 'backup', 'a', T0, later(1000))).toEqual({ acquired: true });
    expect(await store.acquireLock(CLUSTER, 'backup', 'a', later(10), later(2000))).toEqual({ acquired: true });
    expect((await store.acquireLock(CLUSTER, 'backup', 'b', later(1999), later(5000))).acquired).toBe(false);
    expect(await store.acquireLock(CLUSTER, 'backup', 'b', later(2001), later(5000))).toEqual({ acquired: true });
    // The expired holder's release must not free the lock someone else took over.
    await store.releaseLock(CLUSTER, 'backup', 'a');
    expect((await store.acquireLock(CLUSTER, 'backup', 'c', later(2002), later(5000))).acquired).toBe(false);
    await store.releaseLock(CLUSTER, 'backup', 'b');
    expect(await store.acquireLock(CLUSTER, 'backup', 'c', later(2003), later(5000))).toEqual({ acquired: true });
    await store.releaseLock(CLUSTER, 'backup', 'c');
  });
});

describe('jobs', () => {
  it('finds a job by command id, lists newest first, and converges under concurrent updates', async () => {
    const first = newJob({ id: 'j-1', cluster: CLUSTER, type: 'backup-push', commandId: 'cmd-a', now: T0 });
    const second = newJob({
      id: 'j-2',
      cluster: CLUSTER,
      type: 'archiver-probe',
      commandId: 'cmd-b',
      now: later(60_000),
    });
    await store.create(first);
    await store.create(second);
    expect((await store.findByCommandId('cmd-b'))?.id).toBe('j-2');
    expect(await store.findByCommandId('cmd-unknown')).toBeUndefined();
    expect((await store.list(CLUSTER)).map((job) => job.id)).toEqual(['j-2', 'j-1']);

    const updates = [
      { commandId: 'cmd-a', instanceId: 'i-1', status: 'InProgress' as const, at: later(1000) },
      { commandId: 'cmd-a', instanceId: 'i-2', status: 'InProgress' as const, at: later(1000) },
      { commandId: 'cmd-a', status: 'InProgress' as const, at: later(1000) },
    ];
    await Promise.all(updates.map((update) => store.update(first, (job) => applyCommandStatus(job, update))));
    const stored = await store.get(first);
    expect(stored?.state).toBe('running');
    expect(Object.keys(stored?.invocations ?? {}).sort()).toEqual(['i-1', 'i-2']);
    expect(stored?.version).toBe(3);
    expect((await store.list(CLUSTER, { states: ['running'] })).map((job) => job.id)).toEqual(['j-1']);
  });
});

const DAY_S = 86_400;
const epochS = (date: Date) => Math.ceil(date.getTime() / 1000);

describe('job history: finished jobs expire, active ones are indexed', () => {
  const raw = async (pk: string, sk: string) =>
    (await catalog.client.send(new GetCommand({ TableName: catalog.tableName, Key: { pk, sk } }))).Item;
  const jobItem = (cluster: string, created: Date, id: string) =>
    raw(`CLUSTER#${cluster}`, `JOB#${created.toISOString()}#${id}`);

  it('a host job is in the active index until the write that ends it, which sets its ttl', async () => {
    const cluster = 'ttl-host' as ClusterId;
    const job = newJob({ id: 'h-1', cluster, type: 'backup-push', commandId: 'cmd-ttl-h', now: T0 });
    await store.create(job);
    expect(await jobItem(cluster, T0, 'h-1')).toMatchObject({ activeOf: `CLUSTER#${cluster}` });
    expect((await jobItem(cluster, T0, 'h-1'))?.ttl).toBeUndefined();
    expect((await store.listActive(cluster)).map((active) => active.id)).toEqual(['h-1']);
    // The command index expires after the job could: created + 90 days + 7 days.
    expect((await raw('COMMAND#cmd-ttl-h', 'JOB'))?.ttl).toBe(epochS(T0) + 97 * DAY_S);

    const ended = later(3_600_000);
    // The instance's report, then the command's own (as the tracker applies them).
    for (const instanceId of ['i-1', undefined]) {
      await store.update(job, (current) =>
        applyCommandStatus(current, {
          commandId: 'cmd-ttl-h',
          status: 'Failed',
          at: ended,
          ...(instanceId ? { instanceId } : {}),
        }),
      );
    }
    const item = await jobItem(cluster, T0, 'h-1');
    expect(item?.state).toBe('failed');
    expect(item?.activeOf).toBeUndefined();
    expect(item?.ttl).toBe(epochS(ended) + 90 * DAY_S);
    expect(await store.listActive(cluster)).toEqual([]);
  });

  it('a restore expires once it ended and is active again when resumed', async () => {
    const cluster = 'ttl-restore' as ClusterId;
    const created = sampleRestoreJob({ id: 'r-1', cluster, type: 'restore', now: T0, instanceId: 'i-1' });
    await store.create(created);
    expect((await raw(`CLUSTER#${cluster}`, 'JOBID#r-1'))?.ttl).toBe(epochS(T0) + 97 * DAY_S);
    const sent = markStepDispatched(created, 'preflight', 'cmd-ttl-r', later(1000));
    await store.save(sent, created.version);
    // The watchdog's one read of active jobs sees the restore, with its step in progress.
    expect(await store.listActive(cluster)).toEqual([sent]);

    const ended = later(60_000);
    const { job: failed } = applyCommandUpdate(sent, { commandId: 'cmd-ttl-r', status: 'Failed', at: ended });
    expect(failed.state).toBe('failed');
    await store.save(failed, sent.version);
    const item = await jobItem(cluster, T0, 'r-1');
    expect(item?.activeOf).toBeUndefined();
    expect(item?.ttl).toBe(epochS(failed.finishedAt ?? ended) + 90 * DAY_S);
    expect(await store.listActive(cluster)).toEqual([]);

    const resumed = resumeRestoreJob(failed, later(120_000));
    await store.save(resumed, failed.version);
    const again = await jobItem(cluster, T0, 'r-1');
    expect(again).toMatchObject({ activeOf: `CLUSTER#${cluster}`, state: 'running' });
    expect(again?.ttl).toBeUndefined();
    expect((await store.listActive(cluster)).map((job) => job.id)).toEqual(['r-1']);
  });

  it('keeps finished jobs for the configured jobHistory, through the wiring every door uses', async () => {
    const config = parseWalcatConfig(
      [
        `catalogTable: ${catalog.tableName}`,
        'jobHistory: 30d',
        'clusters:',
        '  - id: orders-main',
        '    storage: s3://pg-backups/orders-main',
      ].join('\n'),
      'job history config',
    );
    const endpoint = catalog.ddb.endpoint;
    const adapters = createAdapterSet({
      config,
      endpoints: { region: 'us-east-1', dynamodb: endpoint, credentials: DYNALITE_CREDENTIALS },
      // The host-command adapters carry the SSM transport beside the job store (no request is made here).
      ssm: createSsmAdapters,
    });
    const job = newJob({ id: 'h-30d', cluster: CLUSTER, type: 'archiver-probe', commandId: 'cmd-30d', now: T0 });
    const ended = later(5_000);
    await adapters.hostCommands().jobs.create({ ...job, state: 'failed', finishedAt: ended, outcome: 'probe failed' });
    expect((await jobItem(CLUSTER, T0, 'h-30d'))?.ttl).toBe(epochS(ended) + 30 * DAY_S);
    adapters.close();
  });

  it('on a table without the active index (an older table or an emulator that cannot add one), reads the history', async () => {
    const tableName = 'jobs-without-index';
    await createKeysOnlyTable(catalog.ddb.raw, tableName);
    const { client } = dynaliteClients(catalog.ddb.endpoint);
    const older = new DynamoDbJobStore({ client, tableName });
    const running = newJob({ id: 'o-1', cluster: CLUSTER, type: 'backup-push', commandId: 'cmd-o-1', now: T0 });
    await older.create(running);
    await older.create({
      ...newJob({ id: 'o-2', cluster: CLUSTER, type: 'backup-push', commandId: 'cmd-o-2', now: later(1) }),
      state: 'success',
    });
    expect((await older.listActive(CLUSTER)).map((job) => job.id)).toEqual(['o-1']);
    client.destroy();
  });
});
