import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { formatLsn } from '../lib/domain/wal/lsn.ts';
import { clusterByName } from '../lib/handlers/scheduled-input.ts';
import { type ProbeArchiverDependencies, probeArchiver } from '../lib/use-cases/probe-archiver.ts';
import { clustersForRun } from '../lib/use-cases/scheduled-clusters.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';

/** How often each cluster with hosts is probed; the one-minute tick spreads the clusters over the period. */
export const ARCHIVER_PROBE_SCHEDULE = 'rate(5 minutes)';

/** `{ "cluster": "<id>" }`, or the one-minute tick (a scheduled event with its `time`). */
export interface ArchiverProbeInput {
  readonly cluster?: string;
  readonly time?: string;
}

/** Probes a cluster's primary and logs how its archiving compares with the catalog (findings and lag). */
export function createArchiverProbeHandler(deps: ProbeArchiverDependencies, logger: Logger) {
  const probeOne = middy(async (event: { cluster: string }) => {
    const cluster = clusterByName(deps.clusters, event.cluster);
    const outcome = await probeArchiver(deps, { cluster, now: new Date(), waitMs: 45_000 });
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
  });
  return (event: ArchiverProbeInput, context: Context) => {
    if (event.cluster !== undefined) return probeOne({ cluster: event.cluster }, context);
    const run = clustersForRun(
      event,
      deps.clusters,
      (c) => (c.hosts ? ARCHIVER_PROBE_SCHEDULE : undefined),
      new Date(),
    );
    for (const bad of run.invalid) logger.error('probe schedule does not parse', bad);
    return Promise.allSettled(run.clusters.map((cluster) => probeOne({ cluster: cluster.id }, context))).then(
      (results) => {
        const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        for (const f of failed) logger.error('archiver probe failed', { error: f.reason as Error });
        if (failed.length > 0 && failed.length === results.length) throw failed[0]?.reason;
        return { probed: results.length, failed: failed.length };
      },
    );
  };
}

function buildDefault() {
  const adapters = deployedAdapterSet();
  return createArchiverProbeHandler(
    {
      ...adapters.hostCommands(),
      catalog: adapters.catalog(),
      clusters: adapters.config.clusters,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    },
    new Logger({ serviceName: 'walcat-archiver-probe' }),
  );
}

let built: ReturnType<typeof buildDefault> | undefined;
/** Built on the first invocation (once per container), so importing the module for tests reads no config. */
export const handler = (event: ArchiverProbeInput, context: Context) => {
  built ??= buildDefault();
  return built(event, context);
};
