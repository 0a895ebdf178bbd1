import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { commandStatusUpdateFromEvent } from '../lib/domain/jobs/command-status.ts';
import { reconcileStuckJobs } from '../lib/use-cases/reconcile-stuck-jobs.ts';
import { type TrackCommandDependencies, trackCommandStatus } from '../lib/use-cases/track-command-status.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';

type TrackerEvent = { readonly 'detail-type'?: string; readonly time?: string };

/**
 * EventBridge "EC2 Command Status-change Notification" / "EC2 Command Invocation Status-change Notification"
 * events update the host-command job of their command; a "Scheduled Event" runs the watchdog that polls jobs left
 * without events. Commands of other features (restores) are not ours and are ignored.
 */
export function createJobTrackerHandler(deps: TrackCommandDependencies, logger: Logger) {
  return middy(async (event: TrackerEvent) => {
    if (event['detail-type'] === 'Scheduled Event') {
      const now = new Date(event.time ?? Number.NaN);
      const report = await reconcileStuckJobs(deps, {
        clusters: deps.clusters,
        now: Number.isNaN(now.getTime()) ? new Date() : now,
      });
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

function buildDefault() {
  const adapters = deployedAdapterSet();
  const host = adapters.hostCommands();
  return createJobTrackerHandler(
    { jobs: host.jobs, transport: host.transport, notifier: adapters.notifier(), clusters: adapters.config.clusters },
    new Logger({ serviceName: 'walcat-job-tracker' }),
  );
}

let built: ReturnType<typeof buildDefault> | undefined;
/** Built on the first invocation (once per container), so importing the module for tests reads no config. */
export const handler = (event: TrackerEvent, context: Context) => {
  built ??= buildDefault();
  return built(event, context);
};
