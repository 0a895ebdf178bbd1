/**
 * The adapters of a deployed function: the config file and the environment are read once per container (lib/config)
 * and the real AWS adapters built from them. Each `functions/<name>.ts` calls this at module scope, so a
 * misconfigured function fails at cold start with the config error, before its first event; a fanned-out scheduled
 * function reads its config at module scope through lib/wiring/deployed-dispatch.ts instead, and builds this on its
 * first cluster run. In the stack, Slack
 * messages go to the alerts queue (`WALCAT_ALERTS_QUEUE_URL`), so only alert-dispatch reads webhook secrets, and a
 * fanned-out scheduled function enqueues its per-cluster runs on its own queue (`WALCAT_CLUSTER_RUNS_QUEUE_URL`),
 * and catalog-sync the key-range parts of a cluster too large for one invocation (`WALCAT_SYNC_PARTS_QUEUE_URL`).
 */
import { type AdapterSet, type AdapterSetOptions, createAdapterSet } from './adapter-set.ts';
import { type DeployedSettings, readDeployedSettings } from './deployed-dispatch.ts';

/** What only some functions need, so only their bundles carry it. */
export type DeployedParts = Pick<AdapterSetOptions, 'metrics' | 'decompress' | 'archiverSignal' | 's3' | 'ssm' | 'sqs'>;

/**
 * `parts`: what only some functions need (metrics, the history decompressor, the S3, SSM and SQS adapters'
 * factories), so only their bundles carry it. A door that leaves out a factory its use case needs fails here, at
 * cold start, with a ConfigError naming the factory. `settings`: the environment and config already read by the
 * door (a scheduled function's, lib/wiring/deployed-dispatch.ts), so they are read once per container.
 */
export function deployedAdapterSet(
  parts: DeployedParts = {},
  settings: DeployedSettings = readDeployedSettings(),
): AdapterSet {
  const { runtime, config } = settings;
  return createAdapterSet({
    ...parts,
    config,
    endpoints: runtime.endpoints,
    ...(runtime.alertsQueueUrl ? { alertsQueueUrl: runtime.alertsQueueUrl } : {}),
    ...(runtime.clusterRunsQueueUrl ? { clusterRunsQueueUrl: runtime.clusterRunsQueueUrl } : {}),
    ...(runtime.syncPartsQueueUrl ? { syncPartsQueueUrl: runtime.syncPartsQueueUrl } : {}),
    ...(runtime.hostCommandsLogGroup ? { commandLogGroup: runtime.hostCommandsLogGroup } : {}),
  });
}
