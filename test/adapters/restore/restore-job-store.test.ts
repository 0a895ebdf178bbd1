import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCatalogStore } from '../../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { DynamoDbJobStore } from '../../../lib/adapters/dynamodb/dynamodb-job-store.ts';
import { InMemoryJobStore } from '../../../lib/adapters/local/in-memory-job-store.ts';
import { createBackupInterpreter } from '../../../lib/domain/catalog/backup-interpreter.ts';
import type { ClusterId, HostSettings } from '../../../lib/domain/cluster.ts';
import type { Job } from '../../../lib/domain/jobs/job.ts';
import {
  applyCommandUpdate,
  createRestoreJob,
  markStepDispatched,
  type RestoreJobType,
} from '../../../lib/domain/restore/restore-job.ts';
import { parseRestoreTarget } from '../../../lib/domain/restore/restore-target.ts';
import { JobConflictError, type JobStore, RestoreLockedError } from '../../../lib/ports/job-store.ts';
import { type DynaliteHandle, startDynalite } from '../../support/dynalite.ts';

const cluster = 'orders-main' as ClusterId;
const hostSettings: HostSettings = {
  target: { tagKey: 'walcat:cluster', tagValue: 'orders-main' },
  pgData: '/var/lib/postgresql/15/main',
  osUser: 'postgres',
  service: { kind: 'systemd', unit: 'postgresql@15-main' },
  walgBinary: 'wal-g',
};

function job(id: string, createdAt: string, type: RestoreJobType = 'restore', forCluster = cluster): Job {
  return createRestoreJob({
    id,
    cluster: forCluster,
    type,
    now: new Date(createdAt),
    request: {
      target: parseRestoreTarget({ to: '2026-11-20T14:30:00Z' }),
      baseBackup: 'base_000000010000000000000004',
      timeline: 1,
      action: 'promote',
      host: { kind: 'tag', tagKey: 'walcat:scratch', tagValue: 'orders-main' },
      inPlace: false,
      hostSettings,
      recoveryTimeoutSeconds: 600,
    },
  });
}

let ddb: DynaliteHandle;
const stores: Array<[string, () => Promise<JobStore>]> = [
  ['in memory', async () => new InMemoryJobStore()],
  [
    'DynamoDB (dynalite)',
    async () => {
      const table = `restore-jobs-${Math.random().toString(36).slice(2, 8)}`;
      await new DynamoDbCatalogStore({
        client: ddb.client,
        tableName: table,
        interpret: createBackupInterpreter([]),
      }).ensureTable();
      return new DynamoDbJobStore({ client: ddb.client, tableName: table });
    },
  ],
];

beforeAll(async () => {
  ddb = await startDynalite();
});
afterAll(async () => {
  await ddb?.close();
});

describe.each(stores)('restore job store: %s', (_name, makeStore) => {
  it('the restore lock: one holder per cluster, named when refused, taken over only from the stale holder named', async () => {
    const store = await makeStore();
    await store.acquireRestoreLock(cluster, 'r-1');
    await store.acquireRestoreLock(cluster, 'r-1');
    await store.acquireRestoreLock('other-cluster' as ClusterId, 'r-9');
    const refused = await store.acquireRestoreLock(cluster, 'r-2').catch((error) => error);
    expect(refused).toBeInstanceOf(RestoreLockedError);
    expect((refused as RestoreLockedError).holder).toBe('r-1');
    await expect(store.acquireRestoreLock(cluster, 'r-2', 'r-0')).rejects.toBeInstanceOf(RestoreLockedError);
    await store.releaseRestoreLock(cluster, 'r-2');
    expect(await store.restoreLockHolder(cluster)).toBe('r-1');
    await store.acquireRestoreLock(cluster, 'r-2', 'r-1');
    expect(await store.restoreLockHolder(cluster)).toBe('r-2');
    await store.releaseRestoreLock(cluster, 'r-2');
    expect(await store.restoreLockHolder(cluster)).toBeUndefined();
    expect(await store.restoreLockHolder('other-cluster' as ClusterId)).toBe('r-9');
  });
  it('stores, finds by id and by command id, and round-trips the job exactly', async () => {
    const store = await makeStore();
    const created = job('r-1', '2026-11-20T14:31:00Z');
    await store.create(created);
    const dispatched = markStepDispatched(created, 'preflight', 'cmd-1', new Date('2026-11-20T14:31:01Z'));
    await store.save(dispatched, created.version);
    expect(await store.getById(cluster, 'r-1')).toEqual(dispatched);
    expect(await store.findByCommandId('cmd-1')).toEqual(dispatched);
    expect(await store.findByCommandId('cmd-unknown')).toBeUndefined();
    expect(await store.getById(cluster, 'r-unknown')).toBeUndefined();
  });

  it('refuses a second create and a save against a stale version', async () => {
    const store = await makeStore();
    const created = job('r-2', '2026-11-20T14:31:00Z');
    await store.create(created);
    await expect(store.create(created)).rejects.toBeInstanceOf(JobConflictError);
    const first = markStepDispatched(created, 'preflight', 'cmd-a', new Date('2026-11-20T14:31:01Z'));
    await store.save(first, 0);
    const competing = markStepDispatched(created, 'preflight', 'cmd-b', new Date('2026-11-20T14:31:02Z'));
    await expect(store.save(competing, 0)).rejects.toBeInstanceOf(JobConflictError);
    expect((await store.getById(cluster, 'r-2'))?.steps[0]?.commandId).toBe('cmd-a');
  });

  it('lists newest first, by type, with a limit, and the active ones for the watchdog', async () => {
    const store = await makeStore();
    await store.create(job('r-old', '2026-11-18T01:00:00Z'));
    await store.create(job('d-drill', '2026-11-19T01:00:00Z', 'drill'));
    await store.create(job('r-new', '2026-11-20T01:00:00Z'));
    await store.create(job('r-other', '2026-11-20T02:00:00Z', 'restore', 'billing' as ClusterId));
    const failedJob = applyCommandUpdate(
      markStepDispatched(
        job('r-failed', '2026-11-17T01:00:00Z'),
        'preflight',
        'cmd-f',
        new Date('2026-11-17T01:00:01Z'),
      ),
      { commandId: 'cmd-f', status: 'Failed', at: new Date('2026-11-17T01:00:02Z') },
    ).job;
    await store.create(failedJob);
    expect((await store.list(cluster)).map((found) => found.id)).toEqual(['r-new', 'd-drill', 'r-old', 'r-failed']);
    expect((await store.list(cluster, { types: ['drill'] })).map((found) => found.id)).toEqual(['d-drill']);
    expect((await store.list(cluster, { limit: 1 })).map((found) => found.id)).toEqual(['r-new']);
    expect((await store.listActive(cluster)).map((found) => found.id).sort()).toEqual(['d-drill', 'r-new', 'r-old']);
  });
});
