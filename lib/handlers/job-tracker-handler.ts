import type { Logger } from '@aws-lambda-powertools/logger';
import { commandStatusUpdateFromEvent } from '../domain/jobs/command-status.ts';
import { reconcileStuckJobs } from '../use-cases/reconcile-stuck-jobs.ts';
import { type TrackCommandDependencies, trackCommandStatus } from '../use-cases/track-command-status.ts';
import { lambdaHandler } from './lambda-chain.ts';
import { scheduledTime } from './scheduled-input.ts';

type TrackerEvent = { readonly 'detail-type'?: string; readonly time?: string };

/**
 * EventBridge "EC2 Command Status-change Notification" / "EC2 Command Invocation Status-change Notification"
 * events update the host-command job of their command; a "Scheduled Event" runs the watchdog that polls jobs left
 * without events. Commands of other features (restores) are not ours and are ignored.
 */
export function createJobTrackerHandler(deps: TrackCommandDependencies, logger: Logger) {
  return lambdaHandler(logger, async (event: TrackerEvent) => {
    if (event['detail-type'] === 'Scheduled Event') {
      const report = await reconcileStuckJobs(deps, { clusters: deps.clusters, now: scheduledTime(event) });
      logger.info('stuck jobs reconciled', { polled: report.polled, finished: report.finished.map((job) => job.id) });
      return { polled: report.polled, finished: report.finished.length };
    }
    const update = commandStatusUpdateFromEvent(event);
    const outcome = await trackCommandStatus(deps, update);
    if (outcome.kind === 'unknown-command') return { commandId: update.commandId, tracked: false };
    const { job } = outcome;
    logger.info('job updated', {
      cluster: job.cluster,
      job: job.id,
      state: job.state,
      status: update.status,
      instance: update.instanceId,
    });
    if (outcome.notifyError !== undefined) {
      logger.error('job alert not delivered', {
        cluster: job.cluster,
        job: job.id,
        error: outcome.notifyError as Error,
      });
    }
    return { commandId: update.commandId, tracked: true, job: job.id, state: job.state };
  });
}
