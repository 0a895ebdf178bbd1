import type { Logger } from '@aws-lambda-powertools/logger';
import { type DrillDeps, runRestoreDrill } from '../use-cases/run-restore-drill.ts';
import { clustersForRun } from '../use-cases/scheduled-clusters.ts';
import { eachCluster } from './each-cluster.ts';
import { lambdaHandler } from './lambda-chain.ts';

/**
 * One cluster (`{ "cluster": "orders-main" }`), the one-minute tick (a scheduled event with its `time`: the clusters
 * whose `drill.schedule` is due), or, with neither, every cluster with a drill.
 */
export interface DrillEvent {
  readonly cluster?: unknown;
  readonly time?: unknown;
}

/**
 * A cluster's scheduled restore drill (its `drill.schedule`): restores the newest backup to a random point of its
 * range on the scratch host. Each cluster is tried on its own; the run fails (and is retried) only if all failed.
 */
export function createRestoreDrillHandler(deps: DrillDeps, logger: Logger) {
  return lambdaHandler(logger, async (event: DrillEvent) => {
    const wanted = typeof event?.cluster === 'string' ? event.cluster : undefined;
    const clusters =
      typeof event?.time === 'string' && wanted === undefined
        ? clustersForRun(event, deps.clusters, (cluster) => cluster.drill?.schedule, new Date()).clusters
        : deps.clusters.filter((cluster) => cluster.drill && (wanted === undefined || cluster.id === wanted));
    if (clusters.length === 0) logger.warn('no cluster to drill', { cluster: wanted });
    return eachCluster(clusters, logger, 'restore drill failed to start', async (cluster) => {
      const outcome = await runRestoreDrill(deps, cluster);
      logger.info('restore drill', {
        cluster: cluster.id,
        outcome: outcome.kind,
        ...('job' in outcome ? { jobId: outcome.job.jobId } : {}),
      });
    });
  });
}
