import type { Logger } from '@aws-lambda-powertools/logger';
import type { ClusterConfig } from '../domain/cluster.ts';
import { formatLsn } from '../domain/wal/lsn.ts';
import type { ClusterRunQueue } from '../ports/cluster-run-queue.ts';
import { type ProbeArchiverDependencies, probeArchiver } from '../use-cases/probe-archiver.ts';
import { clustersForRun } from '../use-cases/scheduled-clusters.ts';
import { enqueueClusterRuns, isClusterRunBatch, runClusterBatch } from './cluster-fan-out.ts';
import { lambdaHandler } from './lambda-chain.ts';
import { type ClusterRunDependencies, clustersThenOnDemand } from './run-dependencies.ts';
import { scheduledTime } from './scheduled-input.ts';

/** How often each cluster with hosts is probed; the one-minute tick spreads the clusters over the period. */
export const ARCHIVER_PROBE_SCHEDULE = 'rate(5 minutes)';

/** `{ "cluster": "<id>" }`, or the one-minute tick (a scheduled event with its `time`). */
export interface ArchiverProbeInput {
  readonly cluster?: string;
  readonly time?: string;
}

/**
 * Probes a cluster's primary and logs how its archiving compares with the catalog (findings and lag). With `runs` the
 * tick enqueues the clusters due and each probe (which waits up to 45 s for its host) has its own invocation.
 */
export function createArchiverProbeHandler(
  deps: ClusterRunDependencies<ProbeArchiverDependencies>,
  logger: Logger,
  runs?: ClusterRunQueue,
) {
  const { clusters, runDeps } = clustersThenOnDemand(deps);
  const probeOne = async (cluster: ClusterConfig) => {
    const outcome = await probeArchiver(await runDeps(), { cluster, now: new Date(), waitMs: 45_000 });
    if (outcome.kind !== 'assessed') {
      logger.warn('archiver probe without answer', {
        cluster: cluster.id,
        job: outcome.job.id,
        state: outcome.job.state,
      });
      return { cluster: cluster.id, job: outcome.job.id, assessed: false };
    }
    const { assessment } = outcome;
    const summary = {
      cluster: cluster.id,
      job: outcome.job.id,
      currentLsn: assessment.probe.currentLsn === undefined ? undefined : formatLsn(assessment.probe.currentLsn),
      archiveLagBytes: assessment.archiveLagBytes?.toString(),
      archiveLagSegments: assessment.archiveLagSegments,
      newFailures: assessment.newFailures,
      findings: assessment.findings.map((finding) => finding.kind),
    };
    logger.info('archiver probed', summary);
    return { ...summary, assessed: true };
  };
  return lambdaHandler(logger, async (event: ArchiverProbeInput) => {
    if (isClusterRunBatch(event)) {
      return runClusterBatch(event, clusters, logger, 'archiver probe failed', (cluster) => probeOne(cluster));
    }
    const run = clustersForRun(event, clusters, (c) => (c.hosts ? ARCHIVER_PROBE_SCHEDULE : undefined), new Date());
    if (event.cluster !== undefined) return probeOne(run.clusters[0] as ClusterConfig);
    for (const bad of run.invalid) logger.error('probe schedule does not parse', bad);
    if (runs !== undefined) return enqueueClusterRuns(runs, run.clusters, scheduledTime(event));
    const results = await Promise.allSettled(run.clusters.map((cluster) => probeOne(cluster)));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    for (const f of failed) logger.error('archiver probe failed', { error: f.reason as Error });
    if (failed.length > 0 && failed.length === results.length) throw failed[0]?.reason;
    return { probed: results.length, failed: failed.length };
  });
}
