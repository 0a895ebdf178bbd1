/**
 * What a fanned-out scheduled function needs at cold start: the environment and the validated config (read here
 * once per container, so a misconfigured function still fails at import) and its cluster-run queue, on the SQS
 * client. Its tick, the most frequent invocation, only enqueues one run per due cluster (lib/handlers/cluster-fan-out.ts);
 * the adapter set a cluster's run needs, with the DynamoDB client and whatever other clients the door passes, is
 * imported by `adapterSet()` on the first run (lib/handlers/run-dependencies.ts), so the tick's bundle parses none of it.
 */
import { loadWalcatConfig, type RuntimeEnvironment, readRuntimeEnvironment } from '../config/config.ts';
import type { WalcatConfig } from '../domain/cluster.ts';
import type { ClusterRunQueue } from '../ports/cluster-run-queue.ts';
import type { AdapterSet } from './adapter-set.ts';
import type { DeployedParts } from './deployed-adapter-set.ts';
import type { SqsAdapters, SqsAdaptersFactory } from './sqs-adapters.ts';

/** What a deployed function reads once per container: the environment and the validated config. */
export interface DeployedSettings {
  readonly runtime: RuntimeEnvironment;
  readonly config: WalcatConfig;
}

/** Reads the environment and the config file (a ConfigError names the file or variable, the field and the fix). */
export function readDeployedSettings(): DeployedSettings {
  const runtime = readRuntimeEnvironment();
  return { runtime, config: loadWalcatConfig() };
}

export interface DeployedDispatch {
  readonly config: WalcatConfig;
  /** The function's cluster-run queue (`WALCAT_CLUSTER_RUNS_QUEUE_URL`); undefined: a tick runs its clusters. */
  readonly clusterRuns: ClusterRunQueue | undefined;
  /**
   * The adapter set of a cluster's run, on the settings read at cold start and the tick's SQS adapters, with the
   * parts the door gives. A door that leaves out a factory the run needs fails at that run with the ConfigError
   * naming the factory.
   */
  adapterSet(parts?: Omit<DeployedParts, 'sqs'>): Promise<AdapterSet>;
}

export function deployedDispatch(sqs: SqsAdaptersFactory): DeployedDispatch {
  const settings = readDeployedSettings();
  let sqsAdapters: SqsAdapters | undefined;
  // One SQS client for the tick's queue and the run's (the alerts queue, the part queue).
  const sharedSqs: SqsAdaptersFactory = (endpoints) => {
    sqsAdapters ??= sqs(endpoints);
    return sqsAdapters;
  };
  const queueUrl = settings.runtime.clusterRunsQueueUrl;
  return {
    config: settings.config,
    clusterRuns: queueUrl === undefined ? undefined : sharedSqs(settings.runtime.endpoints).clusterRuns(queueUrl),
    adapterSet: async (parts = {}) => {
      const { deployedAdapterSet } = await import('./deployed-adapter-set.ts');
      return deployedAdapterSet({ ...parts, sqs: sharedSqs }, settings);
    },
  };
}
