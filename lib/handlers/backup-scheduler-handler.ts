import type { Logger } from '@aws-lambda-powertools/logger';
import type { ClusterConfig, WalcatConfig } from '../domain/cluster.ts';
import type { ClusterRunQueue } from '../ports/cluster-run-queue.ts';
import { dispatchBackup, type HostCommandDependencies } from '../use-cases/dispatch-backup.ts';
import { clustersForRun } from '../use-cases/scheduled-clusters.ts';
import { enqueueClusterRuns, isClusterRunBatch, runClusterBatch } from './cluster-fan-out.ts';
import { eachCluster } from './each-cluster.ts';
import { lambdaHandler } from './lambda-chain.ts';
import { onDemand, type RunDependencies } from './run-dependencies.ts';
import { scheduledTime } from './scheduled-input.ts';

/** A manual run, `{ "cluster": "<id>" }`, or the one-minute tick (an EventBridge scheduled event with its `time`). */
export interface BackupScheduleInput {
  readonly cluster?: string;
  readonly permanent?: boolean;
  readonly time?: string;
}

/**
 * One backup-push per cluster whose `backupSchedule` is due in the tick's minute (or the named cluster); a run while
 * the previous backup still holds the lock is refused, not queued. With `runs` the tick only enqueues the due
 * clusters, and each is dispatched in its own invocation from the queue.
 */
export function createBackupSchedulerHandler(
  deps: RunDependencies<HostCommandDependencies>,
  config: WalcatConfig,
  logger: Logger,
  runs?: ClusterRunQueue,
) {
  const runDeps = onDemand(deps);
  const dispatchOne = async (cluster: ClusterConfig, event: BackupScheduleInput) => {
    const outcome = await dispatchBackup(await runDeps(), {
      cluster,
      now: new Date(),
      permanent: event.permanent === true,
      requestedBy: 'schedule',
    });
    if (outcome.kind === 'refused') {
      logger.warn('backup refused', { cluster: cluster.id, runningJob: outcome.runningJobId, reason: outcome.reason });
      return { cluster: cluster.id, dispatched: false, runningJob: outcome.runningJobId };
    }
    if (outcome.releasedLock)
      logger.warn('stale backup lock released', { cluster: cluster.id, reason: outcome.releasedLock });
    logger.info('backup dispatched', { cluster: cluster.id, job: outcome.job.id, commandId: outcome.job.commandId });
    return { cluster: cluster.id, dispatched: true, job: outcome.job.id, commandId: outcome.job.commandId };
  };
  return lambdaHandler(logger, async (event: BackupScheduleInput) => {
    if (isClusterRunBatch(event)) {
      return runClusterBatch(event, config.clusters, logger, 'backup dispatch failed', (cluster) =>
        dispatchOne(cluster, {}),
      );
    }
    const run = clustersForRun(event, config.clusters, (cluster) => cluster.backupSchedule, new Date());
    for (const bad of run.invalid) logger.error('backup schedule does not parse', bad);
    if (runs !== undefined && event.cluster === undefined) {
      return enqueueClusterRuns(runs, run.clusters, scheduledTime(event));
    }
    const results: Awaited<ReturnType<typeof dispatchOne>>[] = [];
    await eachCluster(run.clusters, logger, 'backup dispatch failed', async (cluster) => {
      results.push(await dispatchOne(cluster, event));
    });
    return event.cluster !== undefined ? results[0] : { clusters: results };
  });
}
