import { type Job, restorePayload } from '../jobs/job.ts';
import type { RestoreCheck } from './restore-job.ts';
import { type RestoreStatusWord, restoreStatusWord } from './restore-status-words.ts';
import { formatRestoreTarget } from './restore-target.ts';

/**
 * The last restore drill of a cluster, as `walcat status` shows it (`status --json` `lastDrill`: `{ status, target,
 * restoreSeconds, checks: [ { name, status } ], finishedAt }` plus the fields below).
 */
export interface DrillSummary {
  readonly jobId: string;
  readonly status: RestoreStatusWord;
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
export function drillSummary(job: Job, now: Date): DrillSummary {
  const { request, outcome, failure, thaw } = restorePayload(job);
  const checks = outcome?.checks ?? failure?.checks ?? [];
  return {
    jobId: job.id,
    status: restoreStatusWord(job.state),
    target: formatRestoreTarget(request.target),
    baseBackup: request.baseBackup,
    startedAt: job.createdAt.toISOString(),
    finishedAt: job.finishedAt ? job.finishedAt.toISOString() : null,
    restoreSeconds: outcome ? outcome.restoreMs / 1000 : null,
    ...(thaw === undefined ? {} : { thawSeconds: thaw.seconds }),
    checks: checks.map((check) => ({ name: check.name, status: check.status })),
    ...(failure ? { failure: { step: failure.step, message: failure.message } } : {}),
    ageSeconds: Math.max(0, Math.round((now.getTime() - job.createdAt.getTime()) / 1000)),
  };
}
