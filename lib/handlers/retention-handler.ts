import type { Logger } from '@aws-lambda-powertools/logger';
import type { WalcatConfig } from '../domain/cluster.ts';
import type { ClusterRunQueue } from '../ports/cluster-run-queue.ts';
import { runScheduledRetention, type ScheduledRetentionDependencies } from '../use-cases/scheduled-retention.ts';
import { enqueueClusterRuns, isClusterRunBatch, runClusterBatch } from './cluster-fan-out.ts';
import { eachCluster } from './each-cluster.ts';
import { lambdaHandler } from './lambda-chain.ts';
import { onDemand, type RunDependencies } from './run-dependencies.ts';
import { scheduledTime } from './scheduled-input.ts';

/** Deleting stops this long before the timeout: the plan stays `applying` and the next run resumes it. */
export const RETENTION_STOP_BEFORE_TIMEOUT_MS = 60_000;

/**
 * The daily EventBridge schedule: per cluster, apply the open plan once its grace passed, then plan anew. With
 * `runs` the schedule enqueues one run per cluster and each cluster gets its own invocation (and its own 15 minutes).
 */
export function createRetentionHandler(
  deps: RunDependencies<ScheduledRetentionDependencies>,
  config: WalcatConfig,
  logger: Logger,
  runs?: ClusterRunQueue,
) {
  const runDeps = onDemand(deps);
  return lambdaHandler(
    logger,
    async (event: unknown, _context, { signal }) => {
      const shouldStop = () => signal.aborted;
      const retain = async (cluster: WalcatConfig['clusters'][number], now: Date) => {
        const outcome = await runScheduledRetention({ ...(await runDeps()), shouldStop }, cluster, now);
        logger.info('retention run', { ...outcome, applied: outcome.applied?.status });
      };
      if (isClusterRunBatch(event)) {
        return runClusterBatch(event, config.clusters, logger, 'retention run failed', retain);
      }
      const now = scheduledTime(event);
      if (runs !== undefined) return enqueueClusterRuns(runs, config.clusters, now);
      return eachCluster(config.clusters, logger, 'retention run failed', (cluster) => retain(cluster, now));
    },
    { timeoutEarlyInMillis: RETENTION_STOP_BEFORE_TIMEOUT_MS },
  );
}
