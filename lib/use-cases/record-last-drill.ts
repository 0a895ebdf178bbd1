import { type Job, jobToJson } from '../domain/jobs/job.ts';
import { type DrillSummary, drillSummary } from '../domain/restore/drill-summary.ts';
import { jobFromStoredJson } from '../domain/restore/stored-restore-job.ts';
import type { CatalogStore, ClusterState } from '../ports/catalog-store.ts';
import type { RestoreJobAccess } from './restore-dependencies.ts';

/**
 * The restore use cases' job store, plus: every drill job it creates or saves is also written to the cluster's
 * state item, so `walcat status` shows the last drill from the item it reads anyway (no query of the jobs). The job
 * is stored first; a failed state write fails the save like any store error and the caller retries it.
 *
 * @example const jobs = recordingLastDrill(new DynamoDbJobStore(options), catalog);
 */
export function recordingLastDrill(jobs: RestoreJobAccess, catalog: CatalogStore): RestoreJobAccess {
  const record = async (job: Job): Promise<void> => {
    if (job.type !== 'drill') return;
    await catalog.updateClusterState(job.cluster, { lastDrill: jobToJson(job) });
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
    getById: (cluster, id) => jobs.getById(cluster, id),
    findByCommandId: (commandId) => jobs.findByCommandId(commandId),
    list: (cluster, options) => jobs.list(cluster, options),
  };
}

/**
 * The last drill recorded in a cluster's state, for the status screen; undefined when none was recorded. A drill
 * recorded in the older restore shape is read as well.
 */
export function lastDrillOfState(state: Pick<ClusterState, 'lastDrill'>, now: Date): DrillSummary | undefined {
  if (state.lastDrill === undefined) return undefined;
  try {
    return drillSummary(jobFromStoredJson(state.lastDrill), now);
  } catch {
    // A record this version cannot read (a newer job format) hides the line until the next drill, never the status.
    return undefined;
  }
}
