import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ClusterConfig, WalcatConfig } from '../lib/domain/cluster.ts';
import { dispatchBackup, type HostCommandDependencies } from '../lib/use-cases/dispatch-backup.ts';
import { clustersForRun } from '../lib/use-cases/scheduled-clusters.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';

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
  return middy(async (event: BackupScheduleInput) => {
    const run = clustersForRun(event, config.clusters, (cluster) => cluster.backupSchedule, new Date());
    for (const bad of run.invalid) logger.error('backup schedule does not parse', bad);
    const results = [];
    // One cluster's failure must not cost the others their backup; the run fails (and is retried) only if all failed.
    const errors: unknown[] = [];
    for (const cluster of run.clusters) {
      try {
        results.push(await dispatchOne(cluster, event));
      } catch (error) {
        errors.push(error);
        logger.error('backup dispatch failed', { cluster: cluster.id, error: error as Error });
      }
    }
    if (errors.length > 0 && errors.length === run.clusters.length) throw errors[0];
    return event.cluster !== undefined ? results[0] : { clusters: results };
  });
}

function buildDefault() {
  const adapters = deployedAdapterSet();
  return createBackupSchedulerHandler(
    adapters.hostCommands(),
    adapters.config,
    new Logger({ serviceName: 'walcat-backup-scheduler' }),
  );
}

let built: ReturnType<typeof buildDefault> | undefined;
/** Built on the first invocation (once per container), so importing the module for tests reads no config. */
export const handler = (event: BackupScheduleInput, context: Context) => {
  built ??= buildDefault();
  return built(event, context);
};
