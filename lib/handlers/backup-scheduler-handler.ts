import type { Logger } from '@aws-lambda-powertools/logger';
import type { ClusterConfig, WalcatConfig } from '../domain/cluster.ts';
import { dispatchBackup, type HostCommandDependencies } from '../use-cases/dispatch-backup.ts';
import { clustersForRun } from '../use-cases/scheduled-clusters.ts';
import { eachCluster } from './each-cluster.ts';
import { lambdaHandler } from './lambda-chain.ts';

/** A manual run, `{ "cluster": "<id>" }`, or the one-minute tick (an EventBridge scheduled event with its `time`). */
export interface BackupScheduleInput {
  readonly cluster?: string;
  readonly permanent?: boolean;
  readonly time?: string;
}

/**
 * One backup-push per cluster whose `backupSchedule` is due in the tick's minute (or the named cluster); a run while
 * the previous backup still holds the lock is refused, not queued.
 */
export function createBackupSchedulerHandler(deps: HostCommandDependencies, config: WalcatConfig, logger: Logger) {
  const dispatchOne = async (cluster: ClusterConfig, event: BackupScheduleInput) => {
    const outcome = await dispatchBackup(deps, {
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
    const run = clustersForRun(event, config.clusters, (cluster) => cluster.backupSchedule, new Date());
    for (const bad of run.invalid) logger.error('backup schedule does not parse', bad);
    const results: Awaited<ReturnType<typeof dispatchOne>>[] = [];
    await eachCluster(run.clusters, logger, 'backup dispatch failed', async (cluster) => {
      results.push(await dispatchOne(cluster, event));
    });
    return event.cluster !== undefined ? results[0] : { clusters: results };
  });
}
