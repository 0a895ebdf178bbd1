import type { Logger } from '@aws-lambda-powertools/logger';
import { commandStatusUpdateFromEvent } from '../domain/jobs/command-status.ts';
import { restoreStatusWord } from '../domain/restore/restore-status-words.ts';
import type { ClusterRunQueue } from '../ports/cluster-run-queue.ts';
import { reconcileJobs } from '../use-cases/reconcile-stuck-jobs.ts';
import { type TrackCommandDependencies, trackCommandStatus } from '../use-cases/track-command-status.ts';
import { enqueueClusterRuns, isClusterRunBatch, runClusterBatch } from './cluster-fan-out.ts';
import { lambdaHandler } from './lambda-chain.ts';
import { scheduledTime } from './scheduled-input.ts';

type TrackerEvent = { readonly 'detail-type'?: string; readonly time?: string };

/**
 * The one consumer of Run Command status changes: EventBridge "EC2 Command Status-change Notification" / "EC2
 * Command Invocation Status-change Notification" events update the job that sent the command, a host-command job
 * or a restore (whose next step is sent); a "Scheduled Event" runs the watchdog that polls jobs of both kinds left
 * without events. Commands walcat did not send are answered `tracked: false`. With `runs` the watchdog's schedule
 * enqueues one run per cluster with hosts, and each cluster's silent jobs are polled in its own invocation.
 */
export function createJobTrackerHandler(deps: TrackCommandDependencies, logger: Logger, runs?: ClusterRunQueue) {
  const reconcile = async (clusters: TrackCommandDependencies['clusters'], now: Date) => {
    const report = await reconcileJobs(deps, { clusters, now });
    const restores = report.restores === undefined ? {} : { restores: report.restores };
    logger.info('stuck jobs reconciled', {
      polled: report.polled,
      finished: report.finished.map((job) => job.id),
      ...restores,
    });
    return { polled: report.polled, finished: report.finished.length, ...restores };
  };
  return lambdaHandler(logger, async (event: TrackerEvent) => {
    if (isClusterRunBatch(event)) {
      return runClusterBatch(event, deps.clusters, logger, 'stuck job reconciliation failed', (cluster, at) =>
        reconcile([cluster], at),
      );
    }
    if (event['detail-type'] === 'Scheduled Event') {
      const now = scheduledTime(event);
      if (runs !== undefined) {
        return enqueueClusterRuns(
          runs,
          // Only clusters with hosts (or drill hosts) run host commands, so only they can have silent jobs.
          deps.clusters.filter((cluster) => cluster.hosts !== undefined || cluster.drill !== undefined),
          now,
        );
      }
      return reconcile(deps.clusters, now);
    }
    const update = commandStatusUpdateFromEvent(event);
    const outcome = await trackCommandStatus(deps, update);
    if (outcome.kind === 'unknown-command') return { commandId: update.commandId, tracked: false };
    if (outcome.kind === 'restore') {
      const transition = outcome.transition?.kind ?? 'ignored';
      logger.info('restore job updated', {
        cluster: outcome.job.cluster,
        job: outcome.job.id,
        status: restoreStatusWord(outcome.job.state),
        transition,
        instance: update.instanceId,
      });
      return {
        commandId: update.commandId,
        tracked: true,
        job: outcome.job.id,
        state: restoreStatusWord(outcome.job.state),
        transition,
      };
    }
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
