import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCatalogStore } from '../../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { DynamoDbJobStore } from '../../../lib/adapters/dynamodb/dynamodb-job-store.ts';
import { createBackupInterpreter } from '../../../lib/domain/catalog/backup-interpreter.ts';
import type { ClusterId } from '../../../lib/domain/cluster.ts';
import { applyCommandStatus, newJob } from '../../../lib/domain/jobs/job.ts';
import { type DynaliteHandle, startDynalite } from '../../support/dynalite.ts';

const TABLE = 'walcat-jobs-test';
const CLUSTER = 'orders-main' as ClusterId;
const T0 = new Date('2026-11-21T01:00:00Z');
const later = (ms: number) => new Date(T0.getTime() + ms);
let ddb: DynaliteHandle;
let store: DynamoDbJobStore;

beforeAll(async () => {
  ddb = await startDynalite();
  await new DynamoDbCatalogStore({
    client: ddb.client,
    tableName: TABLE,
    interpret: createBackupInterpreter([]),
  }).ensureTable();
  store = new DynamoDbJobStore({ client: ddb.client, tableName: TABLE });
});
afterAll(() => ddb?.close());

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
