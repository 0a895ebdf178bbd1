import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { createDynamoDbDocumentClient, createSsmClient } from '../lib/adapters/aws/aws-clients.ts';
import { DynamoDbAlertStore } from '../lib/adapters/dynamodb/dynamodb-alert-store.ts';
import { DynamoDbCatalogStore } from '../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { EmfContinuityMetrics } from '../lib/adapters/metrics/emf-continuity-metrics.ts';
import { SlackWebhookNotifier } from '../lib/adapters/slack/slack-webhook-notifier.ts';
import { SsmParameterSecret } from '../lib/adapters/ssm/ssm-parameter-secret.ts';
import { loadWalcatConfig, readRuntimeEnvironment } from '../lib/config/config.ts';
import { createBackupInterpreter } from '../lib/domain/catalog/backup-interpreter.ts';
import type { WalcatConfig } from '../lib/domain/cluster.ts';
import { type WatchWalDependencies, watchWal } from '../lib/use-cases/watch-wal.ts';

/** The EventBridge schedule (every minute) runs the watchdog over every configured cluster. */
export function createWalWatchHandler(deps: WatchWalDependencies, config: WalcatConfig, logger: Logger) {
  return middy(async (event: ScheduledEvent) => {
    const now = new Date(event.time);
    const { outcomes, failures } = await watchWal(deps, config.clusters, {
      now: Number.isNaN(now.getTime()) ? new Date() : now,
    });
    for (const outcome of outcomes) logger.info('wal watched', { ...outcome });
    for (const failure of failures)
      logger.error('wal watch failed', { cluster: failure.cluster, error: failure.error as Error });
    // Every cluster failing means the run itself is broken (catalog unreachable): let the platform retry.
    if (failures.length > 0 && outcomes.length === 0) throw failures[0]?.error;
    return { clusters: outcomes.length, failed: failures.length };
  });
}

function buildDefault() {
  const config = loadWalcatConfig();
  const runtime = readRuntimeEnvironment();
  const endpoints = { ...runtime.endpoints, region: runtime.region };
  const client = createDynamoDbDocumentClient(endpoints);
  const deps: WatchWalDependencies = {
    catalog: new DynamoDbCatalogStore({
      client,
      tableName: config.catalogTable,
      interpret: createBackupInterpreter(config.clusters),
    }),
    alerts: new DynamoDbAlertStore({ client, tableName: config.catalogTable }),
    notifier: new SlackWebhookNotifier({ secrets: new SsmParameterSecret({ client: createSsmClient(endpoints) }) }),
    metrics: new EmfContinuityMetrics({ namespace: 'walcat' }),
  };
  return createWalWatchHandler(deps, config, new Logger({ serviceName: 'walcat-wal-watch' }));
}

let built: ReturnType<typeof buildDefault> | undefined;
/** Built on the first invocation (once per container), so importing the module for tests reads no config. */
export const handler = (event: ScheduledEvent, context: Context) => {
  built ??= buildDefault();
  return built(event, context);
};
