import { type DrillSummary, drillSummary } from '../domain/restore/drill-summary.ts';
import { type RestoreJob, restoreJobFromJson, restoreJobToJson } from '../domain/restore/restore-job.ts';
import type { CatalogStore, ClusterState } from '../ports/catalog-store.ts';
import type { RestoreJobStore } from '../ports/restore-job-store.ts';

/**
 * The restore job store, plus: every drill job it creates or saves is also written to the cluster's state item, so
 * `walcat status` shows the last drill from the item it reads anyway (no query of the jobs). The job is stored first;
 * a failed state write fails the save like any store error and the caller retries it.
 *
 * @example const jobs = recordingLastDrill(new DynamoDbRestoreJobStore(options), catalog);
 */
export function recordingLastDrill(jobs: RestoreJobStore, catalog: CatalogStore): RestoreJobStore {
  const record = async (job: RestoreJob): Promise<void> => {
    if (job.kind !== 'drill') return;
    await catalog.updateClusterState(job.cluster, { lastDrill: restoreJobToJson(job) });
  };
  return {
    acquireRestoreLock: (cluster, jobId, staleHolder) => jobs.acquireRestoreLock(cluster, jobId, staleHolder),
    releaseRestoreLock: (cluster, jobId) => jobs.releaseRestoreLock(cluster, jobId),
    restoreLockHolder: (cluster) => jobs.restoreLockHolder(cluster),
    async create(job) {
      await jobs.create(job);
      await record(job);
    },
    async save(job, expectedVersion) {
      await jobs.save(job, expectedVersion);
      await record(job);
    },
    get: (cluster, jobId) => jobs.get(cluster, jobId),
    findByCommandId: (commandId) => jobs.findByCommandId(commandId),
    list: (cluster, options) => jobs.list(cluster, options),
    listRunning: (clusters) => jobs.listRunning(clusters),
  };
}

/** The last drill recorded in a cluster's state, for the status screen; undefined when none was recorded. */
export function lastDrillOfState(state: Pick<ClusterState, 'lastDrill'>, now: Date): DrillSummary | undefined {
  if (state.lastDrill === undefined) return undefined;
  try {
    return drillSummary(restoreJobFromJson(state.lastDrill as Parameters<typeof restoreJobFromJson>[0]), now);
  } catch {
    // A record this version cannot read (a newer job format) hides the line until the next drill, never the status.
    return undefined;
  }
}
