/**
 * The adapters of a deployed function: the config file and the environment are read once per container (lib/config)
 * and the real AWS adapters built from them. Each `functions/<name>.ts` calls this at module scope, so a
 * misconfigured function fails at cold start with the config error, before its first event. In the stack, Slack
 * messages go to the alerts queue (`WALCAT_ALERTS_QUEUE_URL`), so only alert-dispatch reads webhook secrets, and a
 * fanned-out scheduled function enqueues its per-cluster runs on its own queue (`WALCAT_CLUSTER_RUNS_QUEUE_URL`),
 * and catalog-sync the key-range parts of a cluster too large for one invocation (`WALCAT_SYNC_PARTS_QUEUE_URL`).
 */
import { loadWalcatConfig, readRuntimeEnvironment } from '../config/config.ts';
import { type AdapterSet, type AdapterSetOptions, createAdapterSet } from './adapter-set.ts';

/**
 * `parts`: what only some functions need (metrics, the history decompressor, the S3, SSM and SQS adapters'
 * factories), so only their bundles carry it. A door that leaves out a factory its use case needs fails here, at
 * cold start, with a ConfigError naming the factory.
 */
export function deployedAdapterSet(
  parts: Pick<AdapterSetOptions, 'metrics' | 'decompress' | 'archiverSignal' | 's3' | 'ssm' | 'sqs'> = {},
): AdapterSet {
  const runtime = readRuntimeEnvironment();
  return createAdapterSet({
    ...parts,
    config: loadWalcatConfig(),
    endpoints: runtime.endpoints,
    ...(runtime.alertsQueueUrl ? { alertsQueueUrl: runtime.alertsQueueUrl } : {}),
    ...(runtime.clusterRunsQueueUrl ? { clusterRunsQueueUrl: runtime.clusterRunsQueueUrl } : {}),
    ...(runtime.syncPartsQueueUrl ? { syncPartsQueueUrl: runtime.syncPartsQueueUrl } : {}),
    ...(runtime.hostCommandsLogGroup ? { commandLogGroup: runtime.hostCommandsLogGroup } : {}),
  });
}
