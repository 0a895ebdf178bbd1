import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { WalcatConfig } from '../lib/domain/cluster.ts';
import { historyTextOrUndefined } from '../lib/domain/wal/history-file-content.ts';
import { type SyncDependencies, syncCatalog } from '../lib/use-cases/sync-catalog.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';

/** The scheduled full sync: reconciles every configured cluster; one failing cluster does not stop the others. */
export function createCatalogSyncHandler(
  deps: SyncDependencies,
  config: WalcatConfig,
  logger: Logger,
  metrics: Metrics,
) {
  return middy(async (event: ScheduledEvent) => {
    const time = new Date(event.time);
    const now = Number.isNaN(time.getTime()) ? new Date() : time;
    const failures: { cluster: string; error: unknown }[] = [];
    let synced = 0;
    for (const cluster of config.clusters) {
      try {
        const outcome = await syncCatalog(deps, cluster, { now });
        logger.info('cluster synced', { ...outcome });
        metrics.addMetric('SyncAdded', MetricUnit.Count, outcome.added);
        metrics.addMetric('SyncMarkedGone', MetricUnit.Count, outcome.removed);
        synced++;
      } catch (error) {
        logger.error('cluster sync failed', { cluster: cluster.id, error: error as Error });
        failures.push({ cluster: cluster.id, error });
      }
    }
    // Every cluster failing means the run itself is broken (catalog or bucket unreachable): let the platform retry.
    if (failures.length > 0 && synced === 0) throw failures[0]?.error;
    return { clusters: synced, failed: failures.length };
  }).use(logMetrics(metrics));
}

function buildDefault() {
  const adapters = deployedAdapterSet();
  return createCatalogSyncHandler(
    { catalog: adapters.catalog(), objects: adapters.objectStore(), decompress: historyTextOrUndefined },
    adapters.config,
    new Logger({ serviceName: 'walcat-catalog-sync' }),
    new Metrics({ namespace: 'walcat', serviceName: 'walcat-catalog-sync' }),
  );
}

let built: ReturnType<typeof buildDefault> | undefined;
/** Built on the first invocation (once per container), so importing the module for tests reads no config. */
export const handler = (event: ScheduledEvent, context: Context) => {
  built ??= buildDefault();
  return built(event, context);
};
