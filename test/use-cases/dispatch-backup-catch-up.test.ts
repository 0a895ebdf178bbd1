/**
 * A backup-push whose command ended before its job was stored: its status events found no job and were dropped, so
 * the dispatcher looks once at the command's invocations after storing the job and applies the ends already there.
 * Real DynamoDB semantics (dynalite) under the job store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import type { CommandInvocation, CommandTransport } from '../../lib/ports/command-transport.ts';
import { BACKUP_LOCK, dispatchBackup } from '../../lib/use-cases/dispatch-backup.ts';
import { type CatalogTableFixture, freshJobStore, startCatalogTable } from '../support/catalog-table.ts';
import { RecordingNotifier } from '../use-cases/restore/restore-fixtures.ts';

const config = parseWalcatConfig(
  [
    'clusters:',
    '  - id: orders-main',
    '    storage: s3://acme/orders-main',
    '    alerts: { slackWebhookParameter: /walcat/slack/orders }',
    '    hosts:',
    '      target: { tagKey: "walcat:cluster", tagValue: orders-main }',
    '      pgData: /var/lib/postgresql/15/main',
    '      service: systemd:postgresql@15-main',
  ].join('\n'),
  'catch-up test config',
);
const cluster = config.clusters[0] as (typeof config.clusters)[number];
const T0 = new Date('2026-11-21T01:00:00Z');
const later = new Date(T0.getTime() + 2_000);

let catalog: CatalogTableFixture;
beforeAll(async () => {
  catalog = await startCatalogTable('walcat-catch-up');
});
afterAll(async () => {
  await catalog?.close();
});
const freshStore = () => freshJobStore(catalog);

/** A transport whose command has these invocations by the time SendCommand answers. */
function endedBySend(invocations: readonly Omit<CommandInvocation, 'commandId'>[]): CommandTransport {
  const listed = invocations.map((invocation) => ({ ...invocation, commandId: 'cmd-1' }));
  return {
    send: async () => ({ commandId: 'cmd-1' }),
    getInvocation: async (_commandId, instanceId) => listed.find((i) => i.instanceId === instanceId),
    listInvocations: async (commandId) => (commandId === 'cmd-1' ? listed : []),
  };
}

describe('a backup-push whose command ended before its job was stored', () => {
  it('ends failed at dispatch, frees the lock and alerts, with no event and no watchdog', async () => {
    const jobs = await freshStore();
    const notifier = new RecordingNotifier();
    const transport = endedBySend([
      {
        instanceId: 'i-0primary',
        status: 'Failed',
        exitCode: 1,
        stdoutTail: '',
        stderrTail: 'wal-g: connection refused\n',
        startedAt: T0,
        finishedAt: later,
      },
    ]);
    const outcome = await dispatchBackup(
      { jobs, transport, notifier, newJobId: () => 'job-1' },
      { cluster, now: T0, requestedBy: 'schedule' },
    );
    expect(outcome.kind).toBe('dispatched');
    const stored = await jobs.get({ cluster: cluster.id, id: 'job-1', createdAt: T0 });
    expect(stored).toMatchObject({ state: 'failed', host: 'i-0primary' });
    expect(outcome.kind === 'dispatched' ? outcome.job.state : undefined).toBe('failed');
    const next = await jobs.acquireLock(cluster.id, BACKUP_LOCK, 'job-2', later, new Date(later.getTime() + 60_000));
    expect(next.acquired).toBe(true);
    expect(notifier.messages).toHaveLength(1);
    expect(notifier.messages[0]?.message.text).toContain('backup-push failed');
  });

  it('records a standby that skipped at once, but leaves the end of the whole command to its own event', async () => {
    const jobs = await freshStore();
    const transport = endedBySend([
      {
        instanceId: 'i-0standby',
        status: 'Success',
        exitCode: 0,
        stdoutTail: `WALCAT_RESULT ${JSON.stringify({ status: 'skipped', script: 'backup-push', reason: 'standby' })}\n`,
        stderrTail: '',
        startedAt: T0,
        finishedAt: later,
      },
    ]);
    await dispatchBackup({ jobs, transport, newJobId: () => 'job-1' }, { cluster, now: T0 });
    const stored = await jobs.get({ cluster: cluster.id, id: 'job-1', createdAt: T0 });
    expect(stored?.state).toBe('running');
    expect(stored?.invocations['i-0standby']?.result).toMatchObject({ status: 'skipped' });
  });
});
