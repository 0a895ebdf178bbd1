import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { ScheduledEvent } from 'aws-lambda';
import type { WalcatConfig } from '../domain/cluster.ts';
import { type SyncDependencies, syncCatalog } from '../use-cases/sync-catalog.ts';
import { eachCluster } from './each-cluster.ts';
import { lambdaHandler } from './lambda-chain.ts';
import { scheduledTime } from './scheduled-input.ts';

/** The scheduled full sync: reconciles every configured cluster; one failing cluster does not stop the others. */
export function createCatalogSyncHandler(
  deps: SyncDependencies,
  config: WalcatConfig,
  logger: Logger,
  metrics: Metrics,
) {
  return lambdaHandler(
    logger,
    async (event: ScheduledEvent) => {
      const now = scheduledTime(event);
      return eachCluster(config.clusters, logger, 'cluster sync failed', async (cluster) => {
        const outcome = await syncCatalog(deps, cluster, { now });
        logger.info('cluster synced', { ...outcome });
        metrics.addMetric('SyncAdded', MetricUnit.Count, outcome.added);
        metrics.addMetric('SyncMarkedGone', MetricUnit.Count, outcome.removed);
      });
    },
    { use: [logMetrics(metrics)] },
  );
}
