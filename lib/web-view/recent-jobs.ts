/**
 * The job table of a cluster's page: host jobs (backups, probes) and restore jobs (restores, drills), newest first,
 * read from their two stores.
 */
import type { JobStore } from '../ports/job-store.ts';
import type { RestoreJobStore } from '../ports/restore-job-store.ts';
import type { ClusterViewDependencies } from './build-cluster-view.ts';
import { hostJobView } from './host-job-view.ts';
import { restoreJobView } from './restore-job-view.ts';

/** Jobs shown per cluster (backups, probes, restores, drills), newest first. */
export const JOBS_SHOWN = 20;

/** What the web view reads: the catalog, alerts and plans, and the two job stores. */
export type WebViewStores = Omit<ClusterViewDependencies, 'jobs'> & {
  readonly hostJobs: Pick<JobStore, 'list'>;
  readonly restoreJobs: Pick<RestoreJobStore, 'list'>;
};

export function webViewDependencies(stores: WebViewStores): ClusterViewDependencies {
  const { hostJobs, restoreJobs, ...rest } = stores;
  return {
    ...rest,
    jobs: async (cluster) => {
      const [host, restores] = await Promise.all([
        hostJobs.list(cluster.id, { limit: JOBS_SHOWN }),
        restoreJobs.list(cluster.id, { limit: JOBS_SHOWN }),
      ]);
      return [...host.map(hostJobView), ...restores.map(restoreJobView)]
        .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
        .slice(0, JOBS_SHOWN);
    },
  };
}
