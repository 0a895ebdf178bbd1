import type { ClusterId } from '../domain/cluster.ts';
import { type DrillSummary, drillSummary } from '../domain/restore/drill-summary.ts';
import type { JobStore } from '../ports/job-store.ts';

/** The newest restore drill of a cluster (running, failed or succeeded), for `walcat status`; undefined if none. */
export async function lastRestoreDrill(
  jobs: Pick<JobStore, 'list'>,
  cluster: ClusterId,
  now: Date,
): Promise<DrillSummary | undefined> {
  const [last] = await jobs.list(cluster, { types: ['drill'], limit: 1 });
  return last ? drillSummary(last, now) : undefined;
}
