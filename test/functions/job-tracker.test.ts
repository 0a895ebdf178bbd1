/**
 * The real job-tracker handler on the sample EventBridge events in events/, against dynalite, with a transport
 * double standing in for SSM's GetCommandInvocation (the events carry no output) and a notifier that records.
 */
import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { DynamoDbJobStore } from '../../lib/adapters/dynamodb/dynamodb-job-store.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import { createBackupInterpreter } from '../../lib/domain/catalog/backup-interpreter.ts';
import type { WalcatConfig } from '../../lib/domain/cluster.ts';
import type { SlackMessage } from '../../lib/domain/continuity/slack-message.ts';
import { createJobTrackerHandler } from '../../lib/handlers/job-tracker-handler.ts';
import type { CommandInvocation, CommandTransport, SendCommandRequest } from '../../lib/ports/command-transport.ts';
import type { NotificationTarget, Notifier } from '../../lib/ports/notifier.ts';
import { dispatchBackup } from '../../lib/use-cases/dispatch-backup.ts';
import { type DynaliteHandle, startDynalite } from '../support/dynalite.ts';

const COMMAND_ID = '7d3c9a2e-5b1f-4c8d-9e0a-1b2c3d4e5f60';
const PRIMARY = 'i-0primary000000001';
const STANDBY = 'i-0standby000000002';
const event = (name: string) => JSON.parse(readFileSync(new URL(`../../events/${name}.json`, import.meta.url), 'utf8'));

class TransportDouble implements CommandTransport {
  readonly sent: SendCommandRequest[] = [];
  invocations: CommandInvocation[] = [];
  async send(request: SendCommandRequest) {
    this.sent.push(request);
    return { commandId: COMMAND_ID };
  }
  async getInvocation(commandId: string, instanceId: string) {
    return this.invocations.find((i) => i.commandId === commandId && i.instanceId === instanceId);
  }
  async listInvocations(commandId: string) {
    return this.invocations.filter((i) => i.commandId === commandId);
  }
}

const invocation = (
  instanceId: string,
  status: CommandInvocation['status'],
  exitCode: number,
  stdout: string,
  stderr = '',
): CommandInvocation => ({
  commandId: COMMAND_ID,
  instanceId,
  status,
  exitCode,
  stdoutTail: stdout,
  stderrTail: stderr,
});
const SUCCESS = 'WALCAT_RESULT {"status":"success","script":"backup-push","data":null}\n';
const SKIPPED = 'WALCAT_RESULT {"status":"skipped","script":"backup-push","step":"skip-standby","reason":"standby"}\n';
const FAILED =
  'WALCAT_RESULT {"status":"failed","script":"backup-push","step":"backup-push","exitCode":12,"commandExitCode":1}\n';

let ddb: DynaliteHandle;
let config: WalcatConfig;
let tableCount = 0;
let jobs: DynamoDbJobStore;
let transport: TransportDouble;
let sentAlerts: { target: NotificationTarget; message: SlackMessage }[];
let handler: ReturnType<typeof createJobTrackerHandler>;
const context = {} as Context;

beforeAll(async () => {
  ddb = await startDynalite();
  config = parseWalcatConfig(
    [
      'catalogTable: unused',
      'clusters:',
      '  - id: orders-main',
      '    storage: s3://acme/orders-main',
      '    retention: { keepLast: 2, pitrWindow: 7d }',
      '    alerts: { slackWebhookParameter: /walcat/slack/orders }',
      '    hosts:',
      '      target: { tagKey: "walcat:cluster", tagValue: orders-main }',
      '      pgData: /var/lib/postgresql/15/main',
      '      osUser: postgres',
      '      walgEnvDir: /etc/wal-g.d/env',
      '      service: systemd:postgresql@15-main',
    ].join('\n'),
    'test config',
  );
});
afterAll(() => ddb?.close());

beforeEach(async () => {
  const table = `walcat-tracker-${++tableCount}`;
  await new DynamoDbCatalogStore({
    client: ddb.client,
    tableName: table,
    interpret: createBackupInterpreter([]),
  }).ensureTable();
  jobs = new DynamoDbJobStore({ client: ddb.client, tableName: table });
  transport = new TransportDouble();
  sentAlerts = [];
  const notifier: Notifier = { send: async (target, message) => void sentAlerts.push({ target, message }) };
  handler = createJobTrackerHandler(
    { jobs, transport, notifier, clusters: config.clusters },
    new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
  );
});

const cluster = () => config.clusters[0] as WalcatConfig['clusters'][number];
async function dispatch(now = new Date('2026-11-21T01:00:00Z')) {
  return dispatchBackup({ transport, jobs, newJobId: () => `job-${now.getTime()}` }, { cluster: cluster(), now });
}

describe('job tracker on SSM status-change events', () => {
  it('success: the primary pushed, the standby skipped; the lock is released and nobody is alerted', async () => {
    const dispatched = await dispatch();
    expect(dispatched.kind).toBe('dispatched');
    expect(transport.sent[0]?.targets).toEqual({ tagKey: 'walcat:cluster', tagValue: 'orders-main' });

    expect(await handler(event('ssm-invocation-status-change-in-progress'), context)).toMatchObject({
      tracked: true,
      state: 'running',
    });
    transport.invocations = [invocation(PRIMARY, 'Success', 0, SUCCESS), invocation(STANDBY, 'Success', 0, SKIPPED)];
    // Out of order: the command-level event first; the tracker reads every invocation back before applying it.
    expect(await handler(event('ssm-command-status-change'), context)).toMatchObject({ state: 'success' });
    expect(await handler(event('ssm-invocation-status-change'), context)).toMatchObject({ state: 'success' });
    expect(await handler(event('ssm-invocation-status-change-in-progress'), context)).toMatchObject({
      state: 'success',
    });

    const [job] = await jobs.list(cluster().id);
    expect(job).toMatchObject({ state: 'success', host: PRIMARY, outcome: `backup-push succeeded on ${PRIMARY}` });
    expect(job?.invocations[STANDBY]?.result?.status).toBe('skipped');
    expect(sentAlerts).toEqual([]);
    expect((await dispatch(new Date('2026-11-21T02:00:00Z'))).kind).toBe('dispatched');
  });

  it('failure: alerts once in Slack with the host and the redacted stderr tail, releases the lock, never regresses', async () => {
    await dispatch();
    transport.invocations = [
      invocation(
        PRIMARY,
        'Failed',
        12,
        FAILED,
        'uploading part 3\nERROR: AccessDenied (WALG_S3_SSE_KMS_KEY=arn:kms:x)\n',
      ),
    ];
    expect(await handler(event('ssm-invocation-status-change-failed'), context)).toMatchObject({ state: 'failed' });
    await handler(event('ssm-invocation-status-change-failed'), context);
    await handler(event('ssm-command-status-change-failed'), context);
    await handler(event('ssm-invocation-status-change-in-progress'), context);

    expect(sentAlerts).toHaveLength(1);
    const [alert] = sentAlerts;
    expect(alert?.target).toEqual({ cluster: 'orders-main', slackWebhookParameter: '/walcat/slack/orders' });
    expect(alert?.message.text).toContain(`backup-push failed on ${PRIMARY} at step backup-push (exit 1)`);
    const body = JSON.stringify(alert?.message.blocks);
    expect(body).toContain(PRIMARY);
    expect(body).toContain('ERROR: AccessDenied');
    expect(body).toContain('WALG_S3_SSE_KMS_KEY=[REDACTED]');
    expect(body).not.toContain('arn:kms:x');
    const [job] = await jobs.list(cluster().id);
    expect(job?.state).toBe('failed');
    expect((await dispatch(new Date('2026-11-21T02:00:00Z'))).kind).toBe('dispatched');
  });

  it('timeout: the job is timed-out and alerts', async () => {
    await dispatch();
    transport.invocations = [invocation(PRIMARY, 'TimedOut', -1, '', 'still copying base backup\n')];
    expect(await handler(event('ssm-invocation-status-change-timed-out'), context)).toMatchObject({
      state: 'timed-out',
    });
    await handler(event('ssm-command-status-change-timed-out'), context);
    expect(sentAlerts).toHaveLength(1);
    expect(sentAlerts[0]?.message.text).toContain('timed out');
  });

  it('a second backup while one runs is refused, naming the running job; commands it does not know are ignored', async () => {
    const first = await dispatch();
    const second = await dispatch(new Date('2026-11-21T01:05:00Z'));
    expect(second).toMatchObject({ kind: 'refused', runningJobId: first.kind === 'dispatched' ? first.job.id : '' });
    expect(second.kind === 'refused' && second.reason).toMatch(/backup job job-\d+ is still running/u);
    expect(transport.sent).toHaveLength(1);

    const foreign = {
      ...event('ssm-invocation-status-change'),
      detail: { ...event('ssm-invocation-status-change').detail, 'command-id': 'restore-cmd' },
    };
    expect(await handler(foreign, context)).toEqual({ commandId: 'restore-cmd', tracked: false });
  });

  it('the scheduled watchdog resolves a job that never got its events by polling the invocations', async () => {
    await dispatch();
    transport.invocations = [invocation(PRIMARY, 'Success', 0, SUCCESS), invocation(STANDBY, 'Success', 0, SKIPPED)];
    const quiet = await handler({ ...event('job-tracker-schedule'), time: '2026-11-21T01:10:00Z' }, context);
    expect(quiet).toEqual({ polled: 0, finished: 0 });
    const late = await handler({ ...event('job-tracker-schedule'), time: '2026-11-21T01:30:00Z' }, context);
    expect(late).toEqual({ polled: 1, finished: 1 });
    const [job] = await jobs.list(cluster().id);
    expect(job).toMatchObject({ state: 'success', host: PRIMARY });
  });
});
