/**
 * The local stack runs the deployed handlers: one row per function of serverless.yml (the table is keyed by the
 * deploy model's function names, so a function without a local row does not compile, and a test compares the rows
 * with serverless.yml), each the same `lib/handlers` factory the Lambda door calls, wired from the local adapter
 * set, with how it is reached here:
 *
 * | serverless.yml event | locally |
 * |---|---|
 * | `schedule` (fixed, or the one-minute tick of per-cluster schedules) | a timer with the `events/` sample payload at that moment, or one timer per cluster with its `{ "cluster" }` input |
 * | `sqs` object-events queue, `eventBridge` aws.s3 | s3rver notifications as SQS batches (lib/local-stack/local-queue.ts) |
 * | `eventBridge` aws.ssm status changes | the local shell transport's EventBridge-shaped status events |
 * | `sqs` alerts queue | the local alerts queue the functions' notifier writes to |
 * | `sqs` a function's cluster-run queue | each run its tick enqueues, delivered at once to the function as a batch of one (lib/local-stack/local-cluster-runs.ts) |
 * | `sqs` catalog-sync's part queue | each key-range part a cluster's sync sends, delivered at once to the part function as a batch of one |
 * | `httpApi` | the web view server, each request as an HTTP API event |
 */
import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { FanOutFunction, FunctionName } from '../deploy/serverless-model.ts';
import type { ClusterConfig } from '../domain/cluster.ts';
import { createAlertDispatchHandler } from '../handlers/alert-dispatch-handler.ts';
import { createArchiverProbeHandler } from '../handlers/archiver-probe-handler.ts';
import { createBackupSchedulerHandler } from '../handlers/backup-scheduler-handler.ts';
import { createCatalogIngestHandler } from '../handlers/catalog-ingest-handler.ts';
import { createCatalogSyncHandler } from '../handlers/catalog-sync-handler.ts';
import { createCatalogSyncPartHandler } from '../handlers/catalog-sync-part-handler.ts';
import { createJobTrackerHandler } from '../handlers/job-tracker-handler.ts';
import { createRestoreDrillHandler } from '../handlers/restore-drill-handler.ts';
import { createRestoreOrchestratorHandler } from '../handlers/restore-orchestrator-handler.ts';
import { createRetentionHandler } from '../handlers/retention-handler.ts';
import { createWalWatchHandler } from '../handlers/wal-watch-handler.ts';
import { createWebViewHandler, webViewApp } from '../handlers/web-view-handler.ts';
import type { AdapterSet } from '../wiring/adapter-set.ts';
import { localClusterRuns, localSyncParts } from './local-cluster-runs.ts';

/** How a function is reached on the local stack. */
export type LocalTrigger =
  | {
      readonly kind: 'schedule';
      readonly name: string;
      readonly everyMs: number;
      readonly runAtStart: boolean;
      readonly event: (now: Date) => unknown;
    }
  | { readonly kind: 'object-events' }
  | { readonly kind: 'command-status' }
  | { readonly kind: 'alerts-queue' }
  | { readonly kind: 'cluster-runs' }
  | { readonly kind: 'sync-parts' }
  | { readonly kind: 'http' };

export interface LocalFunction {
  readonly handler: (event: never, context: Context) => Promise<unknown>;
  readonly triggers: readonly LocalTrigger[];
}

export interface LocalFunctionOptions {
  /** Minutes between scheduled backups (one runs right after start). */
  readonly backupEveryMinutes: number;
  /** Timer periods (default {@link LOCAL_SCHEDULE_MS}). */
  readonly scheduleMs?: Partial<Record<keyof typeof LOCAL_SCHEDULE_MS, number>>;
  /** The web view reloads itself this often. */
  readonly refreshSeconds?: number;
}

/** The local periods of the schedules: minutes where AWS runs hours, so `npm start` shows them happen. */
export const LOCAL_SCHEDULE_MS = {
  walWatch: 15_000,
  catalogSync: 5 * 60_000,
  retention: 10 * 60_000,
  jobWatchdog: 60_000,
  archiverProbe: 5 * 60_000,
  restoreDrill: 10 * 60_000,
} as const;

const sample = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../events/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

/** The sample scheduled event of `events/`, at `now` (EventBridge sets `time` to the scheduled moment). */
const scheduledAt = (file: string) => {
  const event = sample(file);
  return (now: Date) => ({ ...event, time: now.toISOString() });
};

/**
 * Deployed, backups, probes and drills run on a one-minute tick that picks the clusters whose own schedule is due;
 * locally each cluster that has such a schedule gets its own timer with the explicit `{ "cluster": "<id>" }` input
 * (the handlers' manual-run form), so the first backup runs right after start.
 */
const perCluster = (clusters: readonly ClusterConfig[]): readonly Record<string, unknown>[] =>
  clusters.map((cluster) => ({ cluster: cluster.id }));

/** The handlers add their metrics as deployed; locally they are dropped instead of printed as EMF documents. */
class LocalMetrics extends Metrics {
  override publishStoredMetrics(): this {
    this.clearMetrics();
    return this;
  }
}

/** Handler logs on the terminal: warnings and errors only (the stack prints its own progress lines). */
function localLogger(name: string): Logger {
  return new Logger({ serviceName: `walcat-${name}`, logLevel: 'WARN' });
}

export function localFunctions(
  adapters: AdapterSet,
  options: LocalFunctionOptions,
): Record<FunctionName, LocalFunction> {
  const { config } = adapters;
  const every = { ...LOCAL_SCHEDULE_MS, ...options.scheduleMs };
  const clusterSchedules = (
    name: string,
    inputs: readonly Record<string, unknown>[],
    everyMs: number,
    runAtStart: boolean,
  ): LocalTrigger[] =>
    inputs.map((input) => ({
      kind: 'schedule',
      name: `${name} ${String(input.cluster ?? '')}`.trim(),
      everyMs,
      runAtStart,
      event: () => input,
    }));
  const drillInputs = perCluster(config.clusters.filter((cluster) => cluster.drill));
  const metrics = (name: string) => new LocalMetrics({ namespace: 'walcat', serviceName: `walcat-${name}` });
  // Each fanned-out function's runs come back to its own row (bound once the rows exist).
  const rows = {} as Record<FunctionName, LocalFunction>;
  const runs = (name: FanOutFunction) =>
    localClusterRuns((batch) =>
      rows[name].handler(batch as never, { functionName: `walcat-local-${name}` } as Context),
    );
  const queued: LocalTrigger = { kind: 'cluster-runs' };
  const syncParts = localSyncParts((batch) =>
    rows.catalogSyncPart.handler(batch as never, { functionName: 'walcat-local-catalogSyncPart' } as Context),
  );
  return Object.assign(rows, {
    catalogIngest: {
      handler: createCatalogIngestHandler(adapters.ingest(), localLogger('catalog-ingest'), metrics('catalog-ingest')),
      triggers: [{ kind: 'object-events' }],
    },
    catalogSync: {
      handler: createCatalogSyncHandler(
        { ...adapters.sync(), parts: { queue: syncParts, ledger: adapters.syncPart().ledger } },
        config,
        localLogger('catalog-sync'),
        metrics('catalog-sync'),
        runs('catalogSync'),
      ),
      triggers: [
        {
          kind: 'schedule',
          name: 'catalog-sync',
          everyMs: every.catalogSync,
          runAtStart: true,
          event: scheduledAt('catalog-sync-schedule.json'),
        },
        queued,
      ],
    },
    catalogSyncPart: {
      handler: createCatalogSyncPartHandler(
        adapters.syncPart(),
        config,
        localLogger('catalog-sync-part'),
        metrics('catalog-sync-part'),
      ),
      triggers: [{ kind: 'sync-parts' }],
    },
    walWatch: {
      handler: createWalWatchHandler(adapters.watchWal(), config, localLogger('wal-watch'), runs('walWatch')),
      triggers: [
        {
          kind: 'schedule',
          name: 'wal-watch',
          everyMs: every.walWatch,
          runAtStart: false,
          event: scheduledAt('wal-watch-schedule.json'),
        },
        queued,
      ],
    },
    retention: {
      handler: createRetentionHandler(adapters.retention(), config, localLogger('retention'), runs('retention')),
      triggers: [
        {
          kind: 'schedule',
          name: 'retention',
          everyMs: every.retention,
          runAtStart: false,
          event: scheduledAt('retention-schedule.json'),
        },
        queued,
      ],
    },
    backupScheduler: {
      handler: createBackupSchedulerHandler(
        adapters.backup(),
        config,
        localLogger('backup-scheduler'),
        runs('backupScheduler'),
      ),
      triggers: [
        ...clusterSchedules(
          'backup',
          perCluster(config.clusters.filter((cluster) => cluster.backupSchedule)),
          options.backupEveryMinutes * 60_000,
          true,
        ),
        queued,
      ],
    },
    jobTracker: {
      handler: createJobTrackerHandler(adapters.tracker(), localLogger('job-tracker'), runs('jobTracker')),
      triggers: [
        { kind: 'command-status' },
        {
          kind: 'schedule',
          name: 'job-watchdog',
          everyMs: every.jobWatchdog,
          runAtStart: false,
          event: scheduledAt('job-tracker-schedule.json'),
        },
        queued,
      ],
    },
    archiverProbe: {
      handler: createArchiverProbeHandler(adapters.probe(), localLogger('archiver-probe'), runs('archiverProbe')),
      triggers: [
        ...clusterSchedules(
          'archiver-probe',
          perCluster(config.clusters.filter((cluster) => cluster.hosts)),
          every.archiverProbe,
          false,
        ),
        queued,
      ],
    },
    restoreOrchestrator: {
      // Invoked with start and resume requests only: the job tracker advances and watches every job.
      handler: createRestoreOrchestratorHandler(adapters.orchestrator(), localLogger('restore-orchestrator')),
      triggers: [],
    },
    restoreDrill: {
      handler: createRestoreDrillHandler(adapters.drill(), localLogger('restore-drill'), runs('restoreDrill')),
      // As deployed: a config without drills schedules none.
      triggers: [...clusterSchedules('restore-drill', drillInputs, every.restoreDrill, false), queued],
    },
    alertDispatch: {
      handler: createAlertDispatchHandler(adapters.slackDelivery(), localLogger('alert-dispatch')),
      triggers: [{ kind: 'alerts-queue' }],
    },
    webView: {
      handler: createWebViewHandler(
        webViewApp(config.clusters, adapters.webView(), localLogger('web-view'), {
          ...(options.refreshSeconds === undefined ? {} : { refreshSeconds: options.refreshSeconds }),
        }),
        localLogger('web-view'),
      ),
      triggers: [{ kind: 'http' }],
    },
  } satisfies Record<FunctionName, LocalFunction>);
}

/** The web view's sample HTTP API event, for turning a local request into what API Gateway sends. */
export const webViewEventTemplate = (): Record<string, unknown> => sample('web-view-get-cluster.json');
