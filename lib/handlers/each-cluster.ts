/**
 * The per-cluster loop of the scheduled handlers, written once: each cluster is run on its own, one cluster's
 * failure is logged and does not stop the others, and the run fails (so the platform retries it) only when every
 * cluster failed, which means the run itself is broken (catalog or bucket unreachable).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { ClusterConfig } from '../domain/cluster.ts';

export interface EachClusterOutcome {
  readonly clusters: number;
  readonly failed: number;
}

export async function eachCluster(
  clusters: readonly ClusterConfig[],
  logger: Logger,
  failureMessage: string,
  run: (cluster: ClusterConfig) => Promise<void>,
): Promise<EachClusterOutcome> {
  const failures: unknown[] = [];
  let done = 0;
  for (const cluster of clusters) {
    try {
      await run(cluster);
      done++;
    } catch (error) {
      failures.push(error);
      logger.error(failureMessage, { cluster: cluster.id, error: error as Error });
    }
  }
  if (failures.length > 0 && done === 0) throw failures[0];
  return { clusters: done, failed: failures.length };
}
