import type { Logger } from '@aws-lambda-powertools/logger';
import type { ClusterRunQueue } from '../ports/cluster-run-queue.ts';
import { type DrillDeps, runRestoreDrill } from '../use-cases/run-restore-drill.ts';
import { clustersForRun } from '../use-cases/scheduled-clusters.ts';
import { enqueueClusterRuns, isClusterRunBatch, runClusterBatch } from './cluster-fan-out.ts';
import { eachCluster } from './each-cluster.ts';
import { lambdaHandler } from './lambda-chain.ts';
import { type ClusterRunDependencies, clustersThenOnDemand } from './run-dependencies.ts';
import { scheduledTime } from './scheduled-input.ts';

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
 * With `runs` the tick enqueues the clusters due, and each drill starts in its own invocation from the queue.
 */
export function createRestoreDrillHandler(
  deps: ClusterRunDependencies<DrillDeps>,
  logger: Logger,
  runs?: ClusterRunQueue,
) {
  const { clusters: configured, runDeps } = clustersThenOnDemand(deps);
  const drill = async (cluster: DrillDeps['clusters'][number]) => {
    const outcome = await runRestoreDrill(await runDeps(), cluster);
    logger.info('restore drill', {
      cluster: cluster.id,
      outcome: outcome.kind,
      ...('job' in outcome ? { jobId: outcome.job.id } : {}),
    });
  };
  return lambdaHandler(logger, async (event: DrillEvent) => {
    if (isClusterRunBatch(event)) {
      return runClusterBatch(event, configured, logger, 'restore drill failed to start', drill);
    }
    const wanted = typeof event?.cluster === 'string' ? event.cluster : undefined;
    const tick = typeof event?.time === 'string' && wanted === undefined;
    const clusters = tick
      ? clustersForRun(event, configured, (cluster) => cluster.drill?.schedule, new Date()).clusters
      : configured.filter((cluster) => cluster.drill && (wanted === undefined || cluster.id === wanted));
    if (tick && runs !== undefined) return enqueueClusterRuns(runs, clusters, scheduledTime(event));
    if (clusters.length === 0) logger.warn('no cluster to drill', { cluster: wanted });
    return eachCluster(clusters, logger, 'restore drill failed to start', drill);
  });
}
