/**
 * The adapters over the catalog table and the backup buckets, DynamoDB and S3 only, each built on first use: the
 * part of the adapter set (lib/wiring/adapter-set.ts) that the CLI's catalog commands need. Importing this module
 * loads no SSM or SQS client, so `walcat status` or `walcat gaps` start without them; the adapter set builds the
 * same stores from the same classes and options.
 */
import { createDynamoDbDocumentClient } from '../adapters/aws/dynamodb-client.ts';
import { createS3Client } from '../adapters/aws/s3-client.ts';
import { DynamoDbAlertStore } from '../adapters/dynamodb/dynamodb-alert-store.ts';
import { DynamoDbCatalogStore } from '../adapters/dynamodb/dynamodb-catalog-store.ts';
import { DynamoDbJobStore } from '../adapters/dynamodb/dynamodb-job-store.ts';
import { DynamoDbPlanStore } from '../adapters/dynamodb/dynamodb-plan-store.ts';
import { S3BucketInspector } from '../adapters/s3/s3-bucket-inspector.ts';
import { S3ObjectStore } from '../adapters/s3/s3-object-store.ts';
import type { AwsEndpoints } from '../config/aws-endpoints.ts';
import { createBackupInterpreter } from '../domain/catalog/backup-interpreter.ts';
import type { WalcatConfig } from '../domain/cluster.ts';
import type { AlertStore } from '../ports/alert-store.ts';
import type { BucketInspector } from '../ports/bucket-inspector.ts';
import type { CatalogStore } from '../ports/catalog-store.ts';
import type { JobLifetimeBackfill, JobStore } from '../ports/job-store.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { ObjectVersionStore } from '../ports/object-version-store.ts';
import type { PlanStore } from '../ports/plan-store.ts';
import type { RestoreJobStore } from '../ports/restore-job-store.ts';
import type { ServiceClock } from '../ports/service-clock.ts';

export interface StorageAdapters {
  catalog(): CatalogStore;
  /** The S3 store; its service clock is what retention checks its own clock against. */
  objectStore(): ObjectStore & ObjectVersionStore & ServiceClock;
  /** Reads bucket configurations (lifecycle, versioning, notifications, lock). */
  inspector(): BucketInspector;
  alerts(): AlertStore;
  plans(): PlanStore;
  /** Host jobs, read and listed; `walcat init` backfills the ones an older walcat stored. */
  jobs(): JobStore & JobLifetimeBackfill;
  /** Restore and drill jobs, read and listed. */
  restoreJobs(): RestoreJobStore;
  /** Closes the SDK clients built so far. */
  close(): void;
}

function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= build();
    return value;
  };
}

export function createStorageAdapters(options: {
  readonly config: WalcatConfig;
  readonly endpoints: AwsEndpoints;
}): StorageAdapters {
  const { config, endpoints } = options;
  const built: { destroy(): void }[] = [];
  const track = <T extends { destroy(): void }>(client: T): T => {
    built.push(client);
    return client;
  };
  const documentClient = lazy(() => track(createDynamoDbDocumentClient(endpoints)));
  const s3 = lazy(() => track(createS3Client(endpoints)));
  const tableName = config.catalogTable;
  const jobStore = lazy(
    () =>
      new DynamoDbJobStore({
        client: documentClient(),
        tableName,
        ...(config.jobHistoryMs === undefined ? {} : { jobHistoryMs: config.jobHistoryMs }),
      }),
  );
  return {
    catalog: lazy(
      () =>
        new DynamoDbCatalogStore({
          client: documentClient(),
          tableName,
          interpret: createBackupInterpreter(config.clusters),
        }),
    ),
    objectStore: lazy(() => new S3ObjectStore(s3())),
    inspector: lazy(() => new S3BucketInspector(s3())),
    alerts: lazy(() => new DynamoDbAlertStore({ client: documentClient(), tableName })),
    plans: lazy(() => new DynamoDbPlanStore({ client: documentClient(), tableName })),
    jobs: jobStore,
    restoreJobs: () => jobStore().restores,
    close: () => {
      for (const client of built) client.destroy();
    },
  };
}
