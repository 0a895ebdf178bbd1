/**
 * The backup lock names its job, and a lock left behind is released by the next scheduled run: a crash between
 * taking the lock and storing the job (no job exists), or a job that ended while its lock stayed (the tracker
 * crashed before releasing it). A lock whose job still runs, or one taken a moment ago by a dispatch in flight,
 * keeps refusing. Real DynamoDB semantics (dynalite) under the job store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import { newJob } from '../../lib/domain/jobs/job.ts';
import type { CommandTransport, SendCommandRequest } from '../../lib/ports/command-transport.ts';
import { BACKUP_LOCK, dispatchBackup } from '../../lib/use-cases/dispatch-backup.ts';
import { type CatalogTableFixture, freshJobStore, startCatalogTable } from '../support/catalog-table.ts';

const config = parseWalcatConfig(
  [
    'clusters:',
    '  - id: orders-main',
    '    storage: s3://acme/orders-main',
    '    retention: { keepLast: 2, pitrWindow: 7d }',
    '    hosts:',
    '      target: { tagKey: "walcat:cluster", tagValue: orders-main }',
    '      pgData: /var/lib/postgresql/15/main',
    '      service: systemd:postgresql@15-main',
  ].join('\n'),
  'lock test config',
);
const cluster = config.clusters[0] as (typeof config.clusters)[number];
const T0 = new Date('2026-11-21T01:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const HOUR = 3_600_000;

let catalog: CatalogTableFixture;
beforeAll(async () => {
  catalog = await startCatalogTable('walcat-lock');
});
afterAll(async () => {
  await catalog?.close();
});
const freshStore = () => freshJobStore(catalog);

function hosts(): CommandTransport & { sent: SendCommandRequest[] } {
  const sent: SendCommandRequest[] = [];
  return {
    sent,
    send: async (request) => {
      sent.push(request);
      return { commandId: `cmd-${sent.length}` };
    },
    getInvocation: async () => undefined,
    listInvocations: async () => [],
  };
}

describe('a backup lock left behind', () => {
  it('is released by the next run, with a message, when its job was never stored (crash after locking)', async () => {
    const jobs = await freshStore();
    await jobs.acquireLock(cluster.id, BACKUP_LOCK, 'job-crashed', T0, new Date(T0.getTime() + 6.25 * HOUR));
    const transport = hosts();
    const outcome = await dispatchBackup({ transport, jobs, newJobId: () => 'job-next' }, { cluster, now: at(60) });
    expect(outcome.kind).toBe('dispatched');
    if (outcome.kind !== 'dispatched') return;
    expect(outcome.job.id).toBe('job-next');
    expect(outcome.releasedLock).toMatch(/job-crashed/);
    expect(outcome.releasedLock).toMatch(/does not exist/);
    expect(transport.sent).toHaveLength(1);
    // The new lock is the new job's: a third run is refused, naming it.
    const third = await dispatchBackup({ transport, jobs, newJobId: () => 'job-third' }, { cluster, now: at(61) });
    expect(third).toMatchObject({ kind: 'refused', runningJobId: 'job-next' });
  });

  it('is released when its job has ended', async () => {
    const jobs = await freshStore();
    await jobs.acquireLock(cluster.id, BACKUP_LOCK, 'job-done', T0, new Date(T0.getTime() + 6.25 * HOUR));
    const done = newJob({
      id: 'job-done',
      cluster: cluster.id,
      type: 'backup-push',
      commandId: 'c-0',
      now: T0,
      lock: BACKUP_LOCK,
    });
    await jobs.create({ ...done, state: 'success', finishedAt: at(30), lastUpdateAt: at(30) });
    const outcome = await dispatchBackup(
      { transport: hosts(), jobs, newJobId: () => 'job-next' },
      { cluster, now: at(45) },
    );
    expect(outcome.kind).toBe('dispatched');
    if (outcome.kind === 'dispatched') expect(outcome.releasedLock).toMatch(/job-done.*success/);
  });

  it('keeps refusing while its job runs, naming the job', async () => {
    const jobs = await freshStore();
    await jobs.acquireLock(cluster.id, BACKUP_LOCK, 'job-running', T0, new Date(T0.getTime() + 6.25 * HOUR));
    const running = newJob({
      id: 'job-running',
      cluster: cluster.id,
      type: 'backup-push',
      commandId: 'c-0',
      now: T0,
      lock: BACKUP_LOCK,
    });
    await jobs.create({ ...running, state: 'running' });
    const transport = hosts();
    const outcome = await dispatchBackup({ transport, jobs, newJobId: () => 'job-next' }, { cluster, now: at(120) });
    expect(outcome).toMatchObject({ kind: 'refused', runningJobId: 'job-running' });
    if (outcome.kind === 'refused') expect(outcome.reason).toContain('job-running');
    expect(transport.sent).toEqual([]);
  });

  it('keeps refusing when the lock was taken a moment ago and its job is not stored yet (a dispatch in flight)', async () => {
    const jobs = await freshStore();
    await jobs.acquireLock(cluster.id, BACKUP_LOCK, 'job-in-flight', T0, new Date(T0.getTime() + 6.25 * HOUR));
    const outcome = await dispatchBackup(
      { transport: hosts(), jobs, newJobId: () => 'job-next' },
      { cluster, now: new Date(T0.getTime() + 20_000) },
    );
    expect(outcome).toMatchObject({ kind: 'refused', runningJobId: 'job-in-flight' });
  });
});
