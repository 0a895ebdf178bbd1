import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { deployedAdapterSet } from '../lib/adapters/deployed-adapter-set.ts';
import { clusterByName } from '../lib/adapters/host-command-adapters.ts';
import { formatLsn } from '../lib/domain/wal/lsn.ts';
import { type ProbeArchiverDependencies, probeArchiver } from '../lib/use-cases/probe-archiver.ts';

/** Input of the per-cluster probe schedule: `{ "cluster": "<id>" }`. */
export interface ArchiverProbeInput {
  readonly cluster: string;
}

/** Probes a cluster's primary and logs how its archiving compares with the catalog (findings and lag). */
export function createArchiverProbeHandler(deps: ProbeArchiverDependencies, logger: Logger) {
  return middy(async (event: ArchiverProbeInput) => {
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
