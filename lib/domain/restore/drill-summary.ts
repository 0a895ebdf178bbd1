import type { RestoreCheck, RestoreJob } from './restore-job.ts';
import { formatRestoreTarget } from './restore-target.ts';

/**
 * The last restore drill of a cluster, as `walcat status` shows it (`status --json` `lastDrill`: `{ status, target,
 * restoreSeconds, checks: [ { name, status } ], finishedAt }` plus the fields below).
 */
export interface DrillSummary {
  readonly jobId: string;
  readonly status: RestoreJob['status'];
  readonly target: string;
  readonly baseBackup: string;
  readonly startedAt: string;
  /** null while the drill runs. */
  readonly finishedAt: string | null;
  /**
   * Measured restore time (RTO: the thaw of frozen objects when one was needed, then job start to verified) of a
   * drill that succeeded, in seconds; null otherwise.
   */
  readonly restoreSeconds: number | null;
  /** The part of `restoreSeconds` spent thawing frozen objects first; absent when the drill needed no thaw. */
  readonly thawSeconds?: number;
  /** Each check verify made on the restored copy and its outcome; empty before verify ran. */
  readonly checks: ReadonlyArray<Pick<RestoreCheck, 'name' | 'status'>>;
  /** The failed step and why, for a failed drill. */
  readonly failure?: { readonly step: string; readonly message: string };
  readonly ageSeconds: number;
}

/**
 * Summarizes a drill job for the status screen.
 *
 * @example drillSummary(job, now) // { jobId: 'd-...', status: 'succeeded', restoreSeconds: 412.6, checks: [{ name: 'amcheck', status: 'passed' }, ...], ... }
 */
export function drillSummary(job: RestoreJob, now: Date): DrillSummary {
  const checks = job.outcome?.checks ?? job.failure?.checks ?? [];
  return {
    jobId: job.jobId,
    status: job.status,
    target: formatRestoreTarget(job.request.target),
    baseBackup: job.request.baseBackup,
    startedAt: job.createdAt.toISOString(),
    finishedAt: job.finishedAt ? job.finishedAt.toISOString() : null,
    restoreSeconds: job.outcome ? job.outcome.restoreMs / 1000 : null,
    ...(job.thaw === undefined ? {} : { thawSeconds: job.thaw.seconds }),
    checks: checks.map((check) => ({ name: check.name, status: check.status })),
    ...(job.failure ? { failure: { step: job.failure.step, message: job.failure.message } } : {}),
    ageSeconds: Math.max(0, Math.round((now.getTime() - job.createdAt.getTime()) / 1000)),
  };
}
