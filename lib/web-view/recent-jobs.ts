/** The job table of a cluster's page: every job (backups, probes, restores, drills), newest first, from one store. */
import type { JobStore } from '../ports/job-store.ts';
import type { ClusterViewDependencies } from './build-cluster-view.ts';
import { jobView } from './job-view.ts';

/** Jobs shown per cluster (backups, probes, restores, drills), newest first. */
export const JOBS_SHOWN = 20;

/** What the web view reads: the catalog, alerts and plans, and the job store. */
export type WebViewStores = Omit<ClusterViewDependencies, 'jobs'> & {
  readonly jobs: Pick<JobStore, 'list'>;
};

export function webViewDependencies(stores: WebViewStores): ClusterViewDependencies {
  const { jobs, ...rest } = stores;
  return {
    ...rest,
    jobs: async (cluster) =>
      (await jobs.list(cluster.id, { limit: JOBS_SHOWN }))
        .map(jobView)
        .sort((a, b) => b.startedAt.localeCompare(a.startedAt)),
  };
}
