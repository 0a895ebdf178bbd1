import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { newRestoreJobId } from '../lib/domain/restore/restore-job-id.ts';
import { type DrillDeps, runRestoreDrill } from '../lib/use-cases/run-restore-drill.ts';
import { clustersForRun } from '../lib/use-cases/scheduled-clusters.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';

/**
 * One cluster (`{ "cluster": "orders-main" }`), the one-minute tick (a scheduled event with its `time`: the clusters
 * whose `drill.schedule` is due), or, with neither, every cluster with a drill.
 */
interface DrillEvent {
  readonly cluster?: unknown;
  readonly time?: unknown;
}

/**
 * A cluster's scheduled restore drill (its `drill.schedule`): restores the newest backup to a random point of its
 * range on the scratch host. Each cluster is tried on its own; the run fails (and is retried) only if all failed.
 */
export function createRestoreDrillHandler(deps: DrillDeps, logger: Logger) {
  return middy(async (event: DrillEvent) => {
    const wanted = typeof event?.cluster === 'string' ? event.cluster : undefined;
    const clusters =
      typeof event?.time === 'string' && wanted === undefined
        ? clustersForRun(event, deps.clusters, (cluster) => cluster.drill?.schedule, new Date()).clusters
        : deps.clusters.filter((cluster) => cluster.drill && (wanted === undefined || cluster.id === wanted));
    if (clusters.length === 0) logger.warn('no cluster to drill', { cluster: wanted });
    const errors: unknown[] = [];
    for (const cluster of clusters) {
      try {
        const outcome = await runRestoreDrill(deps, cluster);
        logger.info('restore drill', {
          cluster: cluster.id,
          outcome: outcome.kind,
          ...('job' in outcome ? { jobId: outcome.job.jobId } : {}),
        });
      } catch (error) {
        errors.push(error);
        logger.error('restore drill failed to start', { cluster: cluster.id, error: error as Error });
      }
    }
    if (errors.length > 0 && errors.length === clusters.length) throw errors[0];
    return { clusters: clusters.length, failed: errors.length };
  });
}

function buildDefault() {
  const deps = deployedAdapterSet().restore();
  return createRestoreDrillHandler(
    { ...deps, random: Math.random, newJobId: () => newRestoreJobId('drill', new Date(), Math.random) },
    new Logger({ serviceName: 'walcat-restore-drill' }),
  );
}

let built: ReturnType<typeof buildDefault> | undefined;
/** Built on the first invocation (once per container), so importing the module for tests reads no config. */
export const handler = (event: DrillEvent, context: Context) => {
  built ??= buildDefault();
  return built(event, context);
};
