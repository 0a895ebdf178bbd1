import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { deployedAdapterSet } from '../lib/adapters/deployed-adapter-set.ts';
import { clusterByName } from '../lib/adapters/host-command-adapters.ts';
import type { WalcatConfig } from '../lib/domain/cluster.ts';
import { dispatchBackup, type HostCommandDependencies } from '../lib/use-cases/dispatch-backup.ts';

/** Input of each cluster's `backupSchedule` rule: `{ "cluster": "<id>" }`. */
export interface BackupScheduleInput {
  readonly cluster: string;
  readonly permanent?: boolean;
}

/** One backup-push per scheduled run; a run while the previous backup still holds the lock is refused, not queued. */
export function createBackupSchedulerHandler(deps: HostCommandDependencies, config: WalcatConfig, logger: Logger) {
  return middy(async (event: BackupScheduleInput) => {
    const cluster = clusterByName(config.clusters, event.cluster);
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
    logger.info('backup dispatched', { cluster: cluster.id, job: outcome.job.id, commandId: outcome.job.commandId });
    return { cluster: cluster.id, dispatched: true, job: outcome.job.id, commandId: outcome.job.commandId };
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
