import type { Job } from '../domain/jobs/job.ts';
import type { JobView } from './cluster-view.ts';

/**
 * A host-command job (backup-push, archiver probe) as a row of the web view's job table: its type, state, the host
 * that did the work and the one-line outcome the tracker recorded.
 *
 * @example hostJobView(job) // { id, kind: 'backup-push', status: 'success', detail: 'backup-push on i-0a1b…: …' }
 */
export function hostJobView(job: Job): JobView {
  const detail = [job.host ? `on ${job.host}` : '', job.outcome ?? ''].filter((part) => part !== '').join(': ');
  return {
    id: job.id,
    kind: job.type,
    status: job.state,
    startedAt: (job.startedAt ?? job.createdAt).toISOString(),
    ...(job.finishedAt === undefined ? {} : { finishedAt: job.finishedAt.toISOString() }),
    ...(detail === '' ? {} : { detail }),
  };
}
