import type { Logger } from '@aws-lambda-powertools/logger';
import type { ClusterConfig, WalcatConfig } from '../domain/cluster.ts';
import type { ClusterRunQueue } from '../ports/cluster-run-queue.ts';
import { closeRemovedClusterAlerts } from '../use-cases/close-removed-cluster-alerts.ts';
import { type WatchWalDependencies, watchClusterWal, watchWal } from '../use-cases/watch-wal.ts';
import { enqueueClusterRuns, isClusterRunBatch, runClusterBatch } from './cluster-fan-out.ts';
import { lambdaHandler } from './lambda-chain.ts';
import { scheduledTime } from './scheduled-input.ts';

/**
 * The EventBridge schedule (every minute) enqueues one watch per cluster on `runs` (lib/handlers/cluster-fan-out.ts)
 * and the queue's batches watch one cluster each; without a queue the tick watches every cluster itself. The tick
 * then closes the alerts of clusters no longer configured, which no per-cluster run visits.
 */
export function createWalWatchHandler(
  deps: WatchWalDependencies,
  config: WalcatConfig,
  logger: Logger,
  runs?: ClusterRunQueue,
) {
  const watch = async (clusters: readonly ClusterConfig[], now: Date) => {
    const { outcomes, failures } = await watchWal(deps, clusters, { now });
    for (const outcome of outcomes) logger.info('wal watched', { ...outcome });
    for (const failure of failures)
      logger.error('wal watch failed', { cluster: failure.cluster, error: failure.error as Error });
    // Every cluster failing means the run itself is broken (catalog unreachable): let the platform retry.
    if (failures.length > 0 && outcomes.length === 0) throw failures[0]?.error;
    return { clusters: outcomes.length, failed: failures.length };
  };
  return lambdaHandler(logger, async (event: unknown) => {
    if (isClusterRunBatch(event)) {
      // The batch runner logs a run's failure and reports it for redelivery: the watch must not log it too.
      return runClusterBatch(event, config.clusters, logger, 'wal watch failed', async (cluster, at) => {
        const outcome = await watchClusterWal(deps, cluster, { now: at });
        logger.info('wal watched', { ...outcome });
        return outcome;
      });
    }
    const now = scheduledTime(event);
    const result =
      runs !== undefined ? await enqueueClusterRuns(runs, config.clusters, now) : await watch(config.clusters, now);
    for (const outcome of await closeRemovedClusterAlerts(deps, config.clusters, now))
      logger.info('alerts of a removed cluster closed', { ...outcome });
    return result;
  });
}
