import type { RestoreJob } from './restore-job.ts';
import { formatRestoreTarget } from './restore-target.ts';

/** The last restore drill of a cluster, as `walcat status` shows it (and `status --json` adds as `lastDrill`). */
export interface DrillSummary {
  readonly jobId: string;
  readonly status: RestoreJob['status'];
  readonly target: string;
  readonly baseBackup: string;
  readonly startedAt: string;
  readonly finishedAt?: string;
  /** Measured restore time (RTO) of a drill that succeeded, in seconds. */
  readonly restoreSeconds?: number;
  /** The failed step and why, for a failed drill. */
  readonly failure?: { readonly step: string; readonly message: string };
  readonly ageSeconds: number;
}

/**
 * Summarizes a drill job for the status screen.
 *
 * @example drillSummary(job, now) // { jobId: 'd-...', status: 'succeeded', restoreSeconds: 412.6, ageSeconds: 86400, ... }
 */
export function drillSummary(job: RestoreJob, now: Date): DrillSummary {
  return {
    jobId: job.jobId,
    status: job.status,
    target: formatRestoreTarget(job.request.target),
    baseBackup: job.request.baseBackup,
    startedAt: job.createdAt.toISOString(),
    ...(job.finishedAt ? { finishedAt: job.finishedAt.toISOString() } : {}),
    ...(job.outcome ? { restoreSeconds: job.outcome.restoreMs / 1000 } : {}),
    ...(job.failure ? { failure: { step: job.failure.step, message: job.failure.message } } : {}),
    ageSeconds: Math.max(0, Math.round((now.getTime() - job.createdAt.getTime()) / 1000)),
  };
}
