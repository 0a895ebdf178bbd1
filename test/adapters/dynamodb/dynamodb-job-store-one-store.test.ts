/**
 * One store for every job: host commands and restores share the table, one command index and one listing, and the
 * items the two earlier stores wrote (their own command index sort keys, `HOST_JOB` and `COMMAND`) are still found,
 * listed and updated, written here to dynalite exactly as those stores wrote them.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbJobStore } from '../../../lib/adapters/dynamodb/dynamodb-job-store.ts';
import type { ClusterId, HostSettings } from '../../../lib/domain/cluster.ts';
import { applyCommandStatus, type Job, jobToJson, newJob } from '../../../lib/domain/jobs/job.ts';
import { applyCommandUpdate, createRestoreJob, markStepDispatched } from '../../../lib/domain/restore/restore-job.ts';
import { RESTORE_STEPS } from '../../../lib/domain/restore/restore-scripts.ts';
import { parseRestoreTarget } from '../../../lib/domain/restore/restore-target.ts';
import { type CatalogTableFixture, startCatalogTable } from '../../support/catalog-table.ts';

const CLUSTER = 'orders-main' as ClusterId;
const T0 = new Date('2026-11-21T01:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const hostSettings: HostSettings = {
  target: { tagKey: 'walcat:cluster', tagValue: 'orders-main' },
  pgData: '/var/lib/postgresql/15/main',
  osUser: 'postgres',
  service: { kind: 'systemd', unit: 'postgresql@15-main' },
  walgBinary: 'wal-g',
};

function restoreJob(id: string, now: Date): Job {
  return createRestoreJob({
    id,
    cluster: CLUSTER,
    type: 'drill',
    now,
    request: {
      target: parseRestoreTarget({ to: '2026-11-20T14:30:00Z' }),
      baseBackup: 'base_000000010000000000000004',
      timeline: 1,
      action: 'promote',
      host: { kind: 'instance', instanceId: 'i-scratch' },
      inPlace: false,
      hostSettings,
      recoveryTimeoutSeconds: 600,
    },
  });
}

/**
 * The body the earlier restore store wrote for `drill-old` once its preflight was sent, spelled out as it stored it:
 * `jobId`, `kind`, `status`, the request at the top with the target as kind and text, `updatedAt`, `instanceId`,
 * steps with `status` and `dispatchedAt`.
 */
function oldRestoreBody(created: Date): Record<string, unknown> {
  const sent = created.toISOString();
  return {
    jobId: 'drill-old',
    cluster: CLUSTER,
    kind: 'drill',
    status: 'running',
    request: {
      target: { kind: 'time', value: '2026-11-20T14:30:00.000Z' },
      baseBackup: 'base_000000010000000000000004',
      timeline: 1,
      action: 'promote',
      host: { kind: 'instance', instanceId: 'i-scratch' },
      inPlace: false,
      hostSettings,
      recoveryTimeoutSeconds: 600,
    },
    createdAt: sent,
    updatedAt: sent,
    instanceId: 'i-scratch',
    steps: RESTORE_STEPS.map((name) =>
      name === 'preflight'
        ? {
            name,
            status: 'dispatched',
            attempts: 1,
            commandId: 'cmd-old-restore',
            previousCommandIds: [],
            dispatchedAt: sent,
            lastEventAt: sent,
            commandStatus: 'Pending',
          }
        : { name, status: 'pending', attempts: 0, previousCommandIds: [] },
    ),
    version: 1,
  };
}

let catalog: CatalogTableFixture;
let store: DynamoDbJobStore;

beforeAll(async () => {
  catalog = await startCatalogTable();
  store = new DynamoDbJobStore({ client: catalog.client, tableName: catalog.tableName });
});
afterAll(() => catalog?.close());

const put = (item: Record<string, unknown>) =>
  catalog.client.send(new PutCommand({ TableName: catalog.tableName, Item: item }));

describe('items written by the two earlier job stores', () => {
  it('are found by command, listed together newest first, and updated in place', async () => {
    // The host-command store's shape: job item plus a command index under sort key HOST_JOB.
    const host = newJob({
      id: 'old-backup',
      cluster: CLUSTER,
      type: 'backup-push',
      commandId: 'cmd-old-host',
      now: T0,
    });
    const hostSk = `JOB#${T0.toISOString()}#old-backup`;
    await put({
      pk: 'COMMAND#cmd-old-host',
      sk: 'HOST_JOB',
      jobPk: 'CLUSTER#orders-main',
      jobSk: hostSk,
      jobId: host.id,
    });
    await put({
      pk: 'CLUSTER#orders-main',
      sk: hostSk,
      jobFamily: 'host-command',
      jobType: host.type,
      jobId: host.id,
      state: host.state,
      version: host.version,
      lastUpdateAt: host.lastUpdateAt.toISOString(),
      body: JSON.stringify(jobToJson(host)),
    });
    // The restore store's shape: job id index, command index under sort key COMMAND, job item with jobKind/status.
    const created = restoreJob('drill-old', at(5));
    const drill = markStepDispatched(created, 'preflight', 'cmd-old-restore', at(5));
    const drillSk = `JOB#${at(5).toISOString()}#drill-old`;
    await put({ pk: 'CLUSTER#orders-main', sk: 'JOBID#drill-old', jobSk: drillSk });
    await put({
      pk: 'COMMAND#cmd-old-restore',
      sk: 'COMMAND',
      jobPk: 'CLUSTER#orders-main',
      jobSk: drillSk,
      jobId: 'drill-old',
    });
    await put({
      pk: 'CLUSTER#orders-main',
      sk: drillSk,
      jobFamily: 'restore',
      jobKind: 'drill',
      jobId: 'drill-old',
      status: 'running',
      version: drill.version,
      updatedAt: drill.lastUpdateAt.toISOString(),
      body: JSON.stringify(oldRestoreBody(at(5))),
    });

    expect(await store.findByCommandId('cmd-old-host')).toEqual(host);
    expect(await store.findByCommandId('cmd-old-restore')).toEqual(drill);
    expect(await store.findByCommandId('cmd-nobody')).toBeUndefined();
    // A restore is found by its id alone through the old id index item; a host command has none.
    expect((await store.findByCommandId('cmd-old-restore'))?.id).toBe('drill-old');
    expect((await store.getById(CLUSTER, 'drill-old'))?.version).toBe(drill.version);
    expect(await store.getById(CLUSTER, 'old-backup')).toBeUndefined();
    expect((await store.list(CLUSTER)).map((job) => [job.type, job.id])).toEqual([
      ['drill', 'drill-old'],
      ['backup-push', 'old-backup'],
    ]);
    expect((await store.list(CLUSTER, { types: ['backup-push'] })).map((job) => job.id)).toEqual(['old-backup']);
    expect((await store.list(CLUSTER, { types: ['drill'] })).map((job) => job.id)).toEqual(['drill-old']);

    // Updated through the one store: the old items take optimistic writes and keep being found.
    const running = await store.update(host, (job) =>
      applyCommandStatus(job, { commandId: 'cmd-old-host', instanceId: 'i-1', status: 'InProgress', at: at(1) }),
    );
    expect(running?.state).toBe('running');
    expect((await store.findByCommandId('cmd-old-host'))?.version).toBe(1);
    const { job: advanced } = applyCommandUpdate(drill, {
      commandId: 'cmd-old-restore',
      status: 'InProgress',
      at: at(6),
    });
    await store.save(advanced, drill.version);
    await expect(store.save(advanced, drill.version)).rejects.toThrow('changed since version');
    expect(await store.findByCommandId('cmd-old-restore')).toEqual(advanced);
  });
});

describe('new jobs of both kinds', () => {
  it('share one command index and one listing', async () => {
    const cluster = 'billing' as ClusterId;
    const host = newJob({ id: 'probe-1', cluster, type: 'archiver-probe', commandId: 'cmd-probe', now: at(10) });
    await store.create(host);
    await expect(store.create(host)).rejects.toThrow('job probe-1 of cluster billing already exists');
    const restore = { ...restoreJob('restore-1', at(11)), cluster };
    await store.create(restore);
    const sent = markStepDispatched(restore, 'preflight', 'cmd-preflight', at(11));
    await store.save(sent, restore.version);
    expect((await store.findByCommandId('cmd-probe'))?.type).toBe('archiver-probe');
    expect(await store.findByCommandId('cmd-preflight')).toEqual(sent);
    expect((await store.list(cluster)).map((job) => job.type)).toEqual(['drill', 'archiver-probe']);
    expect((await store.list(cluster, { limit: 1 })).map((job) => job.id)).toEqual(['restore-1']);
  });
});
