import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { ClusterConfig, WalcatConfig } from '../domain/cluster.ts';
import type { ClusterRunQueue } from '../ports/cluster-run-queue.ts';
import { type SyncDependencies, syncCatalog } from '../use-cases/sync-catalog.ts';
import { enqueueClusterRuns, isClusterRunBatch, runClusterBatch } from './cluster-fan-out.ts';
import { eachCluster } from './each-cluster.ts';
import { lambdaHandler } from './lambda-chain.ts';
import { scheduledTime } from './scheduled-input.ts';

/**
 * The scheduled full sync: reconciles every configured cluster; one failing cluster does not stop the others. With
 * `runs` the schedule enqueues one run per cluster and each cluster's sync gets its own invocation (its own 15
 * minutes and memory); without it (tests, a manual invoke) the tick syncs the clusters itself, one after the other.
 */
export function createCatalogSyncHandler(
  deps: SyncDependencies,
  config: WalcatConfig,
  logger: Logger,
  metrics: Metrics,
  runs?: ClusterRunQueue,
) {
  return lambdaHandler(
    logger,
    async (event: unknown) => {
      const sync = async (cluster: ClusterConfig, now: Date) => {
        const outcome = await syncCatalog(deps, cluster, { now });
        logger.info('cluster synced', { ...outcome });
        metrics.addMetric('SyncAdded', MetricUnit.Count, outcome.added);
        metrics.addMetric('SyncMarkedGone', MetricUnit.Count, outcome.removed);
      };
      if (isClusterRunBatch(event)) return runClusterBatch(event, config.clusters, logger, 'cluster sync failed', sync);
      const now = scheduledTime(event);
      if (runs !== undefined) return enqueueClusterRuns(runs, config.clusters, now);
      return eachCluster(config.clusters, logger, 'cluster sync failed', (cluster) => sync(cluster, now));
    },
    { use: [logMetrics(metrics)] },
  );
}
