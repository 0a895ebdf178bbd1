import type { Logger } from '@aws-lambda-powertools/logger';
import type { ScheduledEvent } from 'aws-lambda';
import type { WalcatConfig } from '../domain/cluster.ts';
import { type WatchWalDependencies, watchWal } from '../use-cases/watch-wal.ts';
import { lambdaHandler } from './lambda-chain.ts';
import { scheduledTime } from './scheduled-input.ts';

/** The EventBridge schedule (every minute) runs the watchdog over every configured cluster. */
export function createWalWatchHandler(deps: WatchWalDependencies, config: WalcatConfig, logger: Logger) {
  return lambdaHandler(logger, async (event: ScheduledEvent) => {
    const { outcomes, failures } = await watchWal(deps, config.clusters, { now: scheduledTime(event) });
    for (const outcome of outcomes) logger.info('wal watched', { ...outcome });
    for (const failure of failures)
      logger.error('wal watch failed', { cluster: failure.cluster, error: failure.error as Error });
    // Every cluster failing means the run itself is broken (catalog unreachable): let the platform retry.
    if (failures.length > 0 && outcomes.length === 0) throw failures[0]?.error;
    return { clusters: outcomes.length, failed: failures.length };
  });
}
