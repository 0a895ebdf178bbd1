import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { ClusterConfig, WalcatConfig } from '../domain/cluster.ts';
import type { ClusterRunQueue } from '../ports/cluster-run-queue.ts';
import { type ClusterSyncDependencies, runClusterSync, type SyncPlanOptions } from '../use-cases/sync-cluster-parts.ts';
import { enqueueClusterRuns, isClusterRunBatch, runClusterBatch } from './cluster-fan-out.ts';
import { eachCluster } from './each-cluster.ts';
import { lambdaHandler } from './lambda-chain.ts';
import { onDemand, type RunDependencies } from './run-dependencies.ts';
import { scheduledTime } from './scheduled-input.ts';

/**
 * The scheduled full sync: reconciles every configured cluster; one failing cluster does not stop the others. With
 * `runs` the schedule enqueues one run per cluster and each cluster's sync gets its own invocation (its own 15
 * minutes and memory); without it (tests, a manual invoke) the tick syncs the clusters itself, one after the other.
 * A cluster too large for one invocation is split into key-range parts sent to `deps.parts`
 * (lib/use-cases/sync-cluster-parts.ts), each run by the part function.
 */
export function createCatalogSyncHandler(
  deps: RunDependencies<ClusterSyncDependencies>,
  config: WalcatConfig,
  logger: Logger,
  metrics: Metrics,
  runs?: ClusterRunQueue,
  plan: Omit<SyncPlanOptions, 'now'> = {},
) {
  const runDeps = onDemand(deps);
  return lambdaHandler(
    logger,
    async (event: unknown) => {
      const sync = async (cluster: ClusterConfig, now: Date) => {
        const outcome = await runClusterSync(await runDeps(), cluster, { ...plan, now });
        switch (outcome.kind) {
          case 'synced':
            logger.info('cluster synced', { ...outcome });
            metrics.addMetric('SyncAdded', MetricUnit.Count, outcome.added);
            metrics.addMetric('SyncMarkedGone', MetricUnit.Count, outcome.removed);
            break;
          case 'split':
            logger.info('cluster sync split into parts', { ...outcome });
            metrics.addMetric('SyncParts', MetricUnit.Count, outcome.parts);
            break;
          case 'superseded':
            logger.warn('cluster sync superseded by a newer one', { ...outcome });
        }
      };
      if (isClusterRunBatch(event)) return runClusterBatch(event, config.clusters, logger, 'cluster sync failed', sync);
      const now = scheduledTime(event);
      if (runs !== undefined) return enqueueClusterRuns(runs, config.clusters, now);
      return eachCluster(config.clusters, logger, 'cluster sync failed', (cluster) => sync(cluster, now));
    },
    { use: [logMetrics(metrics)] },
  );
}
