/**
 * The composition root of the deployed restore functions (orchestrator and drill): the shared adapter set for the
 * catalog and Slack, plus the restore job store, SSM Run Command and the SSM instance directory.
 */
import { loadWalcatConfig, readRuntimeEnvironment } from '../config/config.ts';
import type { WalcatConfig } from '../domain/cluster.ts';
import type { RestoreDeps } from '../use-cases/restore-dependencies.ts';
import { createAdapterSet } from './adapter-set.ts';
import { createDynamoDbDocumentClient, createSsmClient } from './aws/aws-clients.ts';
import { DynamoDbRestoreJobStore } from './dynamodb/dynamodb-restore-job-store.ts';
import { SsmCommandTransport } from './ssm/ssm-command-transport.ts';
import { SsmInstanceDirectory } from './ssm/ssm-instance-directory.ts';

export function createRestoreAdapters(): { readonly config: WalcatConfig; readonly deps: RestoreDeps } {
  const runtime = readRuntimeEnvironment();
  const config = loadWalcatConfig();
  const endpoints = { ...runtime.endpoints, region: runtime.region };
  const adapters = createAdapterSet({
    config,
    endpoints,
    ...(runtime.alertsQueueUrl ? { alertsQueueUrl: runtime.alertsQueueUrl } : {}),
  });
  const ssm = createSsmClient(endpoints);
  return {
    config,
    deps: {
      catalog: adapters.catalog(),
      jobs: new DynamoDbRestoreJobStore({
        client: createDynamoDbDocumentClient(endpoints),
        tableName: config.catalogTable,
      }),
      transport: new SsmCommandTransport({ client: ssm }),
      instances: new SsmInstanceDirectory({ client: ssm }),
      notifier: adapters.notifier(),
      clusters: config.clusters,
      now: () => new Date(),
    },
  };
}
