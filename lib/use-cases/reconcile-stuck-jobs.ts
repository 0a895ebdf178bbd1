/**
 * The one watchdog for jobs whose status events never came (EventBridge delivery is best effort, and a command can
 * end before its job was stored): host-command jobs silent for too long are resolved by polling the transport, and
 * restore and drill jobs go through the restore watchdog (poll a quiet step, time out an overdue one, send a step
 * whose dispatch was lost).
 */
import type { ClusterConfig } from '../domain/cluster.ts';
import { type CommandStatus, isTerminalStatus } from '../domain/jobs/command-status.ts';
import type { Job } from '../domain/jobs/job.ts';
import { reconcileRestoreJobs, type WatchdogOutcome } from './advance-restore.ts';
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
  /** A command that reached no instance for this long is resolved as having no target (default 30 min). */
  readonly noTargetAfterMs?: number;
}

export interface ReconcileReport {
  readonly polled: number;
  readonly finished: readonly Job[];
  readonly outcomes: readonly TrackOutcome[];
}

function aggregateStatus(statuses: readonly CommandStatus[]): CommandStatus {
  if (statuses.includes('TimedOut')) return 'TimedOut';
  return statuses.every((status) => status === 'Success') ? 'Success' : 'Failed';
}

export async function reconcileStuckJobs(
  deps: TrackCommandDependencies,
  input: ReconcileInput,
): Promise<ReconcileReport> {
  const silenceMs = input.silenceMs ?? DEFAULT_SILENCE_MS;
  const noTargetAfterMs = input.noTargetAfterMs ?? 30 * 60_000;
  const outcomes: TrackOutcome[] = [];
  let polled = 0;
  for (const cluster of input.clusters) {
    const active = await deps.jobs.listActive(cluster.id);
    for (const job of active) {
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
  return { polled, finished, outcomes };
}

export interface JobsReconciled extends ReconcileReport {
  /** What the restore watchdog did; absent when the door drives no restores. */
  readonly restores?: WatchdogOutcome;
}

/** Both watchdogs, host-command jobs first, on one schedule. */
export async function reconcileJobs(
  deps: TrackCommandDependencies,
  input: ReconcileInput & { readonly restoreQuietMs?: number },
): Promise<JobsReconciled> {
  const report = await reconcileStuckJobs(deps, input);
  if (deps.restore === undefined) return report;
  const restores = await reconcileRestoreJobs(
    { ...deps.restore, now: () => input.now },
    input.clusters.map((cluster) => cluster.id),
    input.restoreQuietMs ?? DEFAULT_RESTORE_QUIET_MS,
  );
  return { ...report, restores };
}
