import type { Logger } from '@aws-lambda-powertools/logger';
import type { ScheduledEvent } from 'aws-lambda';
import type { WalcatConfig } from '../domain/cluster.ts';
import { runScheduledRetention, type ScheduledRetentionDependencies } from '../use-cases/scheduled-retention.ts';
import { eachCluster } from './each-cluster.ts';
import { lambdaHandler } from './lambda-chain.ts';
import { scheduledTime } from './scheduled-input.ts';

/** Deleting stops this long before the timeout: the plan stays `applying` and the next run resumes it. */
export const RETENTION_STOP_BEFORE_TIMEOUT_MS = 60_000;

/** The daily EventBridge schedule: per cluster, apply the open plan once its grace passed, then plan anew. */
export function createRetentionHandler(deps: ScheduledRetentionDependencies, config: WalcatConfig, logger: Logger) {
  return lambdaHandler(
    logger,
    async (event: ScheduledEvent, _context, { signal }) => {
      const now = scheduledTime(event);
      const shouldStop = () => signal.aborted;
      return eachCluster(config.clusters, logger, 'retention run failed', async (cluster) => {
        const outcome = await runScheduledRetention({ ...deps, shouldStop }, cluster, now);
        logger.info('retention run', { ...outcome, applied: outcome.applied?.status });
      });
    },
    { timeoutEarlyInMillis: RETENTION_STOP_BEFORE_TIMEOUT_MS },
  );
}
