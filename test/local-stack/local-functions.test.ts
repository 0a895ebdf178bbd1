/**
 * The local stack runs the deployed handlers: its table has one row per function of serverless.yml, and each row is
 * reached the way serverless.yml's events reach the deployed function (schedules on timers, S3 events and the
 * alerts queue as SQS batches, SSM status changes as EventBridge events, the HTTP API as the web view server).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import { serverlessModel } from '../../lib/deploy/serverless-model.ts';
import { localConfigYaml } from '../../lib/local-stack/local-cluster-files.ts';
import { type LocalTrigger, localFunctions } from '../../lib/local-stack/local-functions.ts';
import { localAdapterSet } from '../../lib/wiring/local-adapter-set.ts';

const root = join(import.meta.dirname, '..', '..');
// serverless.yml's CloudFormation tags (!Ref, !GetAtt) parse as their text; only names and event kinds matter here.
const serverless = parse(readFileSync(join(root, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as {
  functions: Record<string, { handler: string; events: unknown }>;
};

const config = parseWalcatConfig(
  localConfigYaml(
    {
      dir: '/var/tmp/walcat-local',
      pgDataDir: '/var/tmp/walcat-local/pg/data',
      osUser: 'postgres',
      walgLocalBin: '/usr/local/bin/wal-g-local.mjs',
      backupEveryMinutes: 5,
      walgEnv: { WALG_S3_PREFIX: 's3://walcat-local/demo' },
    },
    '/var/tmp/walcat-local/walg-env',
  ),
  'local',
);
const model = serverlessModel(config, { service: 'walcat', stage: 'dev' }) as { events: Record<string, unknown> };
const adapters = localAdapterSet({
  config,
  stack: { s3Endpoint: 'http://127.0.0.1:1', dynamodbEndpoint: 'http://127.0.0.1:2' },
  slackUrl: () => 'http://127.0.0.1:3',
});
const rows = localFunctions(adapters, { backupEveryMinutes: 5 });

/** The local trigger kinds serverless.yml's events of one function call for. */
function expectedKinds(events: unknown): Set<LocalTrigger['kind']> {
  // `${file(./.serverless-model.json):events.<fn>}`: the events the deploy model writes for the config.
  if (typeof events === 'string') {
    const fn = /:events\.(\w+)\}$/.exec(events)?.[1] ?? '';
    return expectedKinds((model.events as Record<string, unknown[]>)[fn] ?? []);
  }
  const kinds = new Set<LocalTrigger['kind']>();
  for (const event of events as Record<string, unknown>[]) {
    if ('schedule' in event) kinds.add('schedule');
    else if ('httpApi' in event) kinds.add('http');
    else if ('sqs' in event) {
      const arn = JSON.stringify((event.sqs as { arn: unknown }).arn);
      kinds.add(
        arn.includes('Alerts')
          ? 'alerts-queue'
          : arn.includes('RunsQueue')
            ? 'cluster-runs'
            : arn.includes('SyncPartsQueue')
              ? 'sync-parts'
              : 'object-events',
      );
    } else if ('eventBridge' in event) {
      const source = (event.eventBridge as { pattern: { source: string[] } }).pattern.source;
      kinds.add(source.includes('aws.ssm') ? 'command-status' : 'object-events');
    } else throw new Error(`serverless.yml has an event the local stack does not know: ${JSON.stringify(event)}`);
  }
  return kinds;
}

describe('the local stack function table', () => {
  it('has exactly one row per function of serverless.yml', () => {
    expect(Object.keys(rows).sort()).toEqual(Object.keys(serverless.functions).sort());
  });

  it.each(Object.entries(serverless.functions))('%s is reached locally as serverless.yml reaches it', (name, fn) => {
    const row = rows[name as keyof typeof rows];
    expect(row?.handler).toBeTypeOf('function');
    expect(new Set(row?.triggers.map((trigger) => trigger.kind))).toEqual(expectedKinds(fn.events));
  });

  it('runs every scheduled function, the probe, the one job watchdog and the demo drill', () => {
    const scheduled = Object.values(rows)
      .flatMap((row) => row.triggers)
      .filter((trigger) => trigger.kind === 'schedule')
      .map((trigger) => trigger.name);
    expect(scheduled).toEqual(
      expect.arrayContaining([
        'catalog-sync',
        'wal-watch',
        'retention',
        'backup demo',
        'job-watchdog',
        'archiver-probe demo',
        'restore-drill demo',
      ]),
    );
  });

  it('hands scheduled rows the sample event of events/ at the run time, or the per-cluster rule input', () => {
    const now = new Date('2026-12-02T06:00:00Z');
    const trigger = (name: string) =>
      Object.values(rows)
        .flatMap((row) => row.triggers)
        .find((candidate) => candidate.kind === 'schedule' && candidate.name === name);
    const walWatch = trigger('wal-watch');
    const backup = trigger('backup demo');
    expect(walWatch?.kind === 'schedule' && walWatch.event(now)).toMatchObject({
      'detail-type': 'Scheduled Event',
      time: now.toISOString(),
    });
    expect(backup?.kind === 'schedule' && backup.event(now)).toEqual({ cluster: 'demo' });
  });
});
