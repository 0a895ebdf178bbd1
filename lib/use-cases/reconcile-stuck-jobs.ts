/**
 * The one watchdog for jobs whose status events never came (EventBridge delivery is best effort, and a command can
 * end before its job was stored). One read of a cluster's active jobs gives every kind: a host-command job silent
 * for too long is resolved by polling the transport, a running restore or drill is reviewed step by step (poll a
 * quiet step, time out an overdue one, send a step whose dispatch was lost).
 */
import type { ClusterConfig } from '../domain/cluster.ts';
import { type CommandStatus, isTerminalStatus } from '../domain/jobs/command-status.ts';
import type { Job } from '../domain/jobs/job.ts';
import { reviewRestoreJob, type WatchdogOutcome } from './advance-restore.ts';
import { applyUpdates, updateFromInvocation } from './apply-host-job-reports.ts';
import type { TrackCommandDependencies, TrackOutcome } from './track-command-status.ts';

/** A job without a status report for this long is polled. */
export const DEFAULT_SILENCE_MS = 15 * 60_000;
/** A restore step quiet this long is polled (restore steps are short, and the next one waits on it). */
export const DEFAULT_RESTORE_QUIET_MS = 5 * 60_000;

export interface ReconcileInput {
  readonly clusters: readonly ClusterConfig[];
  readonly now: Date;
  readonly silenceMs?: number;
  /** A restore step quiet this long is polled (default {@link DEFAULT_RESTORE_QUIET_MS}). */
  readonly restoreQuietMs?: number;
  /** A command that reached no instance for this long is resolved as having no target (default 30 min). */
  readonly noTargetAfterMs?: number;
}

export interface ReconcileReport {
  /** Host-command jobs polled. */
  readonly polled: number;
  readonly finished: readonly Job[];
  readonly outcomes: readonly TrackOutcome[];
  /** What the watchdog did with restores and drills; absent when the door drives no restores. */
  readonly restores?: WatchdogOutcome;
}

function aggregateStatus(statuses: readonly CommandStatus[]): CommandStatus {
  if (statuses.includes('TimedOut')) return 'TimedOut';
  return statuses.every((status) => status === 'Success') ? 'Success' : 'Failed';
}

/** Every active job of the clusters, host commands and restores alike, each cluster's read once. */
export async function reconcileJobs(deps: TrackCommandDependencies, input: ReconcileInput): Promise<ReconcileReport> {
  const silenceMs = input.silenceMs ?? DEFAULT_SILENCE_MS;
  const noTargetAfterMs = input.noTargetAfterMs ?? 30 * 60_000;
  const restoreQuietMs = input.restoreQuietMs ?? DEFAULT_RESTORE_QUIET_MS;
  const restoreDeps = deps.restore === undefined ? undefined : { ...deps.restore, now: () => input.now };
  const outcomes: TrackOutcome[] = [];
  const restores = { polled: 0, timedOut: 0, advanced: 0 };
  let polled = 0;
  for (const cluster of input.clusters) {
    for (const job of await deps.jobs.listActive(cluster.id)) {
      if (job.restore !== undefined) {
        if (restoreDeps !== undefined && job.state === 'running') {
          await reviewRestoreJob(restoreDeps, job, restoreQuietMs, restores);
        }
        continue;
      }
      if (job.commandId === undefined) continue;
      if (input.now.getTime() - job.lastUpdateAt.getTime() < silenceMs) continue;
      polled++;
      const invocations = await deps.transport.listInvocations(job.commandId);
      const updates = invocations.map((invocation) => updateFromInvocation(invocation, input.now));
      const allEnded = invocations.length > 0 && invocations.every((invocation) => isTerminalStatus(invocation.status));
      const reachedNoOne = invocations.length === 0 && input.now.getTime() - job.createdAt.getTime() > noTargetAfterMs;
      if (allEnded || reachedNoOne) {
        updates.push({
          commandId: job.commandId,
          status: aggregateStatus(invocations.map((i) => i.status)),
          at: input.now,
        });
      }
      if (updates.length > 0) outcomes.push(await applyUpdates(deps, job, updates));
    }
  }
  const finished = outcomes.flatMap((outcome) => (outcome.kind === 'applied' && outcome.finished ? [outcome.job] : []));
  return { polled, finished, outcomes, ...(restoreDeps === undefined ? {} : { restores }) };
}
