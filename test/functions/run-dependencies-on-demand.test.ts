/**
 * A scheduled function's door hands its handler a loader of the run's dependencies (functions/retention.ts,
 * backup-scheduler.ts, catalog-sync.ts, archiver-probe.ts, restore-drill.ts): the tick, which only enqueues, must
 * never call it, so its cold start never imports the clients and adapters; every delivery of runs shares one load.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import { createArchiverProbeHandler } from '../../lib/handlers/archiver-probe-handler.ts';
import { createBackupSchedulerHandler } from '../../lib/handlers/backup-scheduler-handler.ts';
import { createCatalogSyncHandler } from '../../lib/handlers/catalog-sync-handler.ts';
import { createRestoreDrillHandler } from '../../lib/handlers/restore-drill-handler.ts';
import { createRetentionHandler } from '../../lib/handlers/retention-handler.ts';
import type { ClusterRun, ClusterRunQueue } from '../../lib/ports/cluster-run-queue.ts';

const config = parseWalcatConfig(
  [
    'clusters:',
    ...['pg-a', 'pg-b'].flatMap((id) => [
      `  - id: ${id}`,
      `    storage: s3://acme/${id}`,
      '    retention: { keepLast: 2, pitrWindow: 7d }',
      '    hosts:',
      `      target: { tagKey: "walcat:cluster", tagValue: ${id} }`,
      '      pgData: /var/lib/postgresql/15/main',
      '      service: systemd:postgresql@15-main',
      '    backupSchedule: cron(0 1 * * ? *)',
      '    drill:',
      '      schedule: cron(0 1 * * ? *)',
      `      target: { tagKey: "walcat:drill", tagValue: ${id} }`,
      '      pgData: /var/lib/postgresql/15/drill',
    ]),
  ].join('\n'),
  'on-demand test config',
);
const silent = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const context = { getRemainingTimeInMillis: () => 900_000 } as unknown as Context;
const TICK = '2026-12-04T01:00:00Z';
const tick = { version: '0', 'detail-type': 'Scheduled Event', source: 'aws.events', time: TICK, detail: {} };
const record = (messageId: string, cluster: string): SQSRecord =>
  ({
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: JSON.stringify({ cluster, time: TICK }),
    eventSource: 'aws:sqs',
    attributes: {},
  }) as SQSRecord;
const batch = { Records: [record('m-1', 'pg-a'), record('m-2', 'pg-b')] };

/** A loader that counts its calls; what it loads fails every run, which the batch reports per record. */
function countingLoader<T extends object>() {
  const loader = async (): Promise<T> => {
    loader.calls++;
    return new Proxy({} as T, {
      get: (_target, key) => {
        if (key === 'then') return undefined;
        throw new Error(`the run read ${String(key)}`);
      },
    });
  };
  loader.calls = 0;
  return loader;
}

function recordingQueue(): ClusterRunQueue & { runs: ClusterRun[] } {
  const runs: ClusterRun[] = [];
  return {
    runs,
    enqueue: async (batchOfRuns) => {
      runs.push(...batchOfRuns);
    },
  };
}

const doors = {
  retention: (deps: () => Promise<never>, runs: ClusterRunQueue) => createRetentionHandler(deps, config, silent, runs),
  'backup-scheduler': (deps: () => Promise<never>, runs: ClusterRunQueue) =>
    createBackupSchedulerHandler(deps, config, silent, runs),
  'catalog-sync': (deps: () => Promise<never>, runs: ClusterRunQueue) =>
    createCatalogSyncHandler(deps, config, silent, new Metrics({ namespace: 'test', serviceName: 'test' }), runs),
  'archiver-probe': (deps: () => Promise<never>, runs: ClusterRunQueue) =>
    createArchiverProbeHandler({ clusters: config.clusters, load: deps }, silent, runs),
  'restore-drill': (deps: () => Promise<never>, runs: ClusterRunQueue) =>
    createRestoreDrillHandler({ clusters: config.clusters, load: deps }, silent, runs),
};

describe.each(Object.entries(doors))('%s given a loader of its run dependencies', (_name, door) => {
  it('enqueues at the tick without loading them', async () => {
    const loader = countingLoader<never>();
    const runs = recordingQueue();
    const handler = door(loader, runs) as (event: unknown, context: Context) => Promise<unknown>;
    const { enqueued } = (await handler(tick, context)) as { enqueued: number };
    expect(enqueued).toBe(runs.runs.length);
    expect(
      runs.runs.every((run) => ['pg-a', 'pg-b'].includes(run.cluster) && run.time === new Date(TICK).toISOString()),
    ).toBe(true);
    expect(loader.calls).toBe(0);
  });

  it('loads them once for every run of the container', async () => {
    const loader = countingLoader<never>();
    const handler = door(loader, recordingQueue()) as (event: unknown, context: Context) => Promise<unknown>;
    const first = (await handler(batch, context)) as { batchItemFailures: unknown[] };
    const second = (await handler(batch, context)) as { batchItemFailures: unknown[] };
    // The runs did reach the loaded dependencies (each read one and failed on it).
    expect(first.batchItemFailures).toHaveLength(2);
    expect(second.batchItemFailures).toHaveLength(2);
    expect(loader.calls).toBe(1);
  });
});
