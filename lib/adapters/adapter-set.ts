/**
 * The real adapters of one process, each built on first use and then shared: every entry point (each Lambda
 * function's default build, the CLI, the local stack) wires its use cases from this set instead of repeating the
 * client and adapter construction.
 */

import { SQSClient } from '@aws-sdk/client-sqs';
import { createBackupInterpreter } from '../domain/catalog/backup-interpreter.ts';
import type { WalcatConfig } from '../domain/cluster.ts';
import type { AlertStore } from '../ports/alert-store.ts';
import type { CatalogStore } from '../ports/catalog-store.ts';
import type { Notifier } from '../ports/notifier.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { PlanStore } from '../ports/plan-store.ts';
import type { SecretSource } from '../ports/secret-source.ts';
import type { ServiceClock } from '../ports/service-clock.ts';
import type { RestoreDeps } from '../use-cases/restore-dependencies.ts';
import { type AwsEndpoints, createDynamoDbDocumentClient, createS3Client, createSsmClient } from './aws/aws-clients.ts';
import { DynamoDbAlertStore } from './dynamodb/dynamodb-alert-store.ts';
import { DynamoDbCatalogStore } from './dynamodb/dynamodb-catalog-store.ts';
import { DynamoDbPlanStore } from './dynamodb/dynamodb-plan-store.ts';
import { DynamoDbRestoreJobStore } from './dynamodb/dynamodb-restore-job-store.ts';
import { createHostCommandAdapters, type HostCommandAdapters } from './host-command-adapters.ts';
import { S3ObjectStore } from './s3/s3-object-store.ts';
import { SlackWebhookNotifier } from './slack/slack-webhook-notifier.ts';
import { QueuedNotifier } from './sqs/queued-notifier.ts';
import { SsmCommandTransport } from './ssm/ssm-command-transport.ts';
import { SsmInstanceDirectory } from './ssm/ssm-instance-directory.ts';
import { SsmParameterSecret } from './ssm/ssm-parameter-secret.ts';

export interface AdapterSetOptions {
  readonly config: WalcatConfig;
  readonly endpoints: AwsEndpoints;
  /** Deployed stack: hand Slack messages to this queue (only alert-dispatch reads the webhook secret). */
  readonly alertsQueueUrl?: string;
  /** Where webhook URLs come from when messages are posted directly; default SSM Parameter Store. */
  readonly secrets?: SecretSource;
}

export interface AdapterSet {
  readonly config: WalcatConfig;
  catalog(): CatalogStore;
  /** The S3 store; its service clock is what retention checks its own clock against. */
  objectStore(): ObjectStore & ServiceClock;
  alerts(): AlertStore;
  plans(): PlanStore;
  notifier(): Notifier;
  /** SSM transport and job store for backup-push, probes and the job tracker. */
  hostCommands(): HostCommandAdapters;
  /** Catalog, restore job store, SSM transport and instance directory for restores and drills. */
  restore(): RestoreDeps;
  /** Closes the SDK clients' sockets (the CLI calls it so the process can exit at once). */
  close(): void;
}

function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= build();
    return value;
  };
}

export function createAdapterSet(options: AdapterSetOptions): AdapterSet {
  const { config, endpoints } = options;
  // Each client is built once, on first use, and remembered so close() can end its sockets.
  const built: { destroy(): void }[] = [];
  const track = <T extends { destroy(): void }>(client: T): T => {
    built.push(client);
    return client;
  };
  const documentClient = lazy(() => track(createDynamoDbDocumentClient(endpoints)));
  const s3 = lazy(() => track(createS3Client(endpoints)));
  const ssm = lazy(() => track(createSsmClient(endpoints)));
  const sqs = lazy(() => track(new SQSClient({ region: endpoints.region })));
  const catalog = lazy(
    () =>
      new DynamoDbCatalogStore({
        client: documentClient(),
        tableName: config.catalogTable,
        interpret: createBackupInterpreter(config.clusters),
      }),
  );
  const notifier = lazy(
    (): Notifier =>
      options.alertsQueueUrl
        ? new QueuedNotifier({ sqs: sqs(), queueUrl: options.alertsQueueUrl })
        : new SlackWebhookNotifier({
            secrets: options.secrets ?? new SsmParameterSecret({ client: ssm() }),
          }),
  );
  return {
    config,
    catalog,
    objectStore: lazy(() => new S3ObjectStore(s3())),
    alerts: lazy(() => new DynamoDbAlertStore({ client: documentClient(), tableName: config.catalogTable })),
    plans: lazy(() => new DynamoDbPlanStore({ client: documentClient(), tableName: config.catalogTable })),
    notifier,
    hostCommands: lazy(() => createHostCommandAdapters(config, { ssm: ssm(), dynamodb: documentClient() })),
    restore: lazy(
      (): RestoreDeps => ({
        catalog: catalog(),
        jobs: new DynamoDbRestoreJobStore({ client: documentClient(), tableName: config.catalogTable }),
        transport: new SsmCommandTransport({ client: ssm() }),
        instances: new SsmInstanceDirectory({ client: ssm() }),
        notifier: notifier(),
        clusters: config.clusters,
        now: () => new Date(),
      }),
    ),
    close: () => {
      for (const client of built) client.destroy();
    },
  };
}
