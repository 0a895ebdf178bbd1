import type { Job } from '../domain/jobs/job.ts';
import { formatDuration } from '../domain/restore/restore-report.ts';
import { formatRestoreTarget } from '../domain/restore/restore-target.ts';
import type { JobView } from './cluster-view.ts';

/**
 * A job as a row of the web view's job table. A host command (backup-push, archiver probe) shows its state, the host
 * that did the work and the one-line outcome the tracker recorded; a restore or drill what it restored to, from
 * which backup, and how it ended (the measured restore time, or the step that failed), with the restore's own status
 * words (`succeeded`).
 *
 * @example jobView(backup) // { id, kind: 'backup-push', status: 'success', detail: 'on i-0a1b…: backup-push …' }
 * @example jobView(drill).detail // 'to 2026-11-20T10:17:42.000Z from base_…0002: ready in 3 min 10 s'
 */
export function jobView(job: Job): JobView {
  const restore = job.restore;
  const base = {
    id: job.id,
    kind: job.type,
    startedAt: (job.startedAt ?? job.createdAt).toISOString(),
    ...(job.finishedAt === undefined ? {} : { finishedAt: job.finishedAt.toISOString() }),
  };
  if (restore === undefined) {
    const detail = [job.host ? `on ${job.host}` : '', job.outcome ?? ''].filter((part) => part !== '').join(': ');
    return { ...base, status: job.state, ...(detail === '' ? {} : { detail }) };
  }
  const target = `to ${formatRestoreTarget(restore.request.target)} from ${restore.request.baseBackup}`;
  const { outcome, failure } = restore;
  const ending =
    job.state === 'success' && outcome
      ? `: ready in ${formatDuration(outcome.restoreMs)}${outcome.thawMs === undefined ? '' : ` (thaw ${formatDuration(outcome.thawMs)})`}${outcome.check ? `, check ${outcome.check.passed ? 'passed' : 'FAILED'}` : ''}`
      : job.state === 'failed' && failure
        ? `: failed at ${failure.step}: ${failure.message}`
        : '';
  return {
    ...base,
    status: job.state === 'success' ? 'succeeded' : job.state,
    detail: `${target}${ending}`,
  };
}
