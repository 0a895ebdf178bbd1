import type { RestoreJob } from '../domain/restore/restore-job.ts';
import { formatDuration } from '../domain/restore/restore-report.ts';
import { formatRestoreTarget } from '../domain/restore/restore-target.ts';
import type { JobView } from './cluster-view.ts';

/**
 * A restore or drill job as a row of the web view's job table: what it restored to, from which backup, and how it
 * ended (the measured restore time, or the step that failed).
 *
 * @example restoreJobView(job).detail // 'to 2026-11-20T10:17:42.000Z from base_…0002: ready in 3 min 10 s'
 */
export function restoreJobView(job: RestoreJob): JobView {
  const target = `to ${formatRestoreTarget(job.request.target)} from ${job.request.baseBackup}`;
  const ending =
    job.status === 'succeeded' && job.outcome
      ? `: ready in ${formatDuration(job.outcome.restoreMs)}${job.outcome.thawMs === undefined ? '' : ` (thaw ${formatDuration(job.outcome.thawMs)})`}${job.outcome.check ? `, check ${job.outcome.check.passed ? 'passed' : 'FAILED'}` : ''}`
      : job.status === 'failed' && job.failure
        ? `: failed at ${job.failure.step}: ${job.failure.message}`
        : '';
  return {
    id: job.jobId,
    kind: job.kind,
    status: job.status,
    startedAt: job.createdAt.toISOString(),
    ...(job.finishedAt === undefined ? {} : { finishedAt: job.finishedAt.toISOString() }),
    detail: `${target}${ending}`,
  };
}
