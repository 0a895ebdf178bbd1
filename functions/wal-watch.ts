import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { EmfContinuityMetrics } from '../lib/adapters/metrics/emf-continuity-metrics.ts';
import type { WalcatConfig } from '../lib/domain/cluster.ts';
import { latestArchiverSignal } from '../lib/use-cases/archiver-signal.ts';
import { type WatchWalDependencies, watchWal } from '../lib/use-cases/watch-wal.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';

/** The EventBridge schedule (every minute) runs the watchdog over every configured cluster. */
export function createWalWatchHandler(deps: WatchWalDependencies, config: WalcatConfig, logger: Logger) {
  return middy(async (event: ScheduledEvent) => {
    const now = new Date(event.time);
    const { outcomes, failures } = await watchWal(deps, config.clusters, {
      now: Number.isNaN(now.getTime()) ? new Date() : now,
    });
    for (const outcome of outcomes) logger.info('wal watched', { ...outcome });
    for (const failure of failures)
      logger.error('wal watch failed', { cluster: failure.cluster, error: failure.error as Error });
    // Every cluster failing means the run itself is broken (catalog unreachable): let the platform retry.
    if (failures.length > 0 && outcomes.length === 0) throw failures[0]?.error;
    return { clusters: outcomes.length, failed: failures.length };
  });
}

function buildDefault() {
  const adapters = deployedAdapterSet();
  const deps: WatchWalDependencies = {
    catalog: adapters.catalog(),
    alerts: adapters.alerts(),
    notifier: adapters.notifier(),
    metrics: new EmfContinuityMetrics({ namespace: 'walcat' }),
    archiverSignal: (cluster, now) =>
      latestArchiverSignal({ jobs: adapters.hostCommands().jobs, catalog: adapters.catalog() }, cluster, now),
  };
  return createWalWatchHandler(deps, adapters.config, new Logger({ serviceName: 'walcat-wal-watch' }));
}

let built: ReturnType<typeof buildDefault> | undefined;
/** Built on the first invocation (once per container), so importing the module for tests reads no config. */
export const handler = (event: ScheduledEvent, context: Context) => {
  built ??= buildDefault();
  return built(event, context);
};
