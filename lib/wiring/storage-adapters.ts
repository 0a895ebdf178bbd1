/**
 * The adapters over the catalog table and the backup buckets, each built on first use: the one place that constructs
 * the DynamoDB stores. The CLI's catalog commands use it as it stands; the adapter set (lib/wiring/adapter-set.ts)
 * builds its stores through it and adds the host, queue and Slack adapters. Importing this module loads the DynamoDB
 * client only: the bucket adapters come from the S3 factory a door passes (`createS3Adapters` in
 * lib/wiring/s3-adapters.ts), so a bundle whose door passes none carries no S3 client, and asking it for a bucket
 * adapter is a configuration error that names the door.
 */
import { createDynamoDbDocumentClient } from '../adapters/aws/dynamodb-client.ts';
import { DynamoDbAlertStore } from '../adapters/dynamodb/dynamodb-alert-store.ts';
import { DynamoDbCatalogStore } from '../adapters/dynamodb/dynamodb-catalog-store.ts';
import { DynamoDbJobStore } from '../adapters/dynamodb/dynamodb-job-store.ts';
import { DynamoDbPlanStore } from '../adapters/dynamodb/dynamodb-plan-store.ts';
import type { AwsEndpoints } from '../config/aws-endpoints.ts';
import { createBackupInterpreter } from '../domain/catalog/backup-interpreter.ts';
import type { WalcatConfig } from '../domain/cluster.ts';
import { ConfigError } from '../domain/errors.ts';
import type { AlertStore } from '../ports/alert-store.ts';
import type { BucketInspector } from '../ports/bucket-inspector.ts';
import type { CatalogStore } from '../ports/catalog-store.ts';
import type { JobLifetimeBackfill, JobStore } from '../ports/job-store.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { ObjectThaw } from '../ports/object-thaw.ts';
import type { ObjectVersionStore } from '../ports/object-version-store.ts';
import type { PlanStore } from '../ports/plan-store.ts';
import type { ServiceClock } from '../ports/service-clock.ts';
import type { SyncPartLedger } from '../ports/sync-part-ledger.ts';
import { lazy } from './lazy.ts';
import type { S3Adapters, S3AdaptersFactory } from './s3-adapters.ts';

export interface StorageAdaptersOptions {
  readonly config: WalcatConfig;
  readonly endpoints: AwsEndpoints;
  /**
   * The bucket adapters' factory (`createS3Adapters`), given only by the doors whose use cases read or thaw bucket
   * objects, so the other bundles do not carry the S3 client.
   */
  readonly s3?: S3AdaptersFactory;
}

export interface StorageAdapters {
  /** The catalog, which is also the ledger of a split sync's parts (the same table). */
  catalog(): CatalogStore & SyncPartLedger;
  /** The S3 store; its service clock is what retention checks its own clock against. */
  objectStore(): ObjectStore & ObjectVersionStore & ServiceClock;
  /** Reads bucket configurations (lifecycle, versioning, notifications, lock). */
  inspector(): BucketInspector;
  /** Thaws frozen objects; undefined where the door's S3 factory has no thaw (restores there refuse to thaw). */
  thaw(): ObjectThaw | undefined;
  alerts(): AlertStore;
  plans(): PlanStore;
  /** Every job (host commands, restores, drills); `walcat init` backfills the ones an older walcat stored. */
  jobs(): JobStore & JobLifetimeBackfill;
  /** Closes the SDK clients built so far. */
  close(): void;
}

export function createStorageAdapters(options: StorageAdaptersOptions): StorageAdapters {
  const { config, endpoints } = options;
  let documentClient: ReturnType<typeof createDynamoDbDocumentClient> | undefined;
  const dynamodb = () => {
    documentClient ??= createDynamoDbDocumentClient(endpoints);
    return documentClient;
  };
  const s3Factory = options.s3;
  let s3Adapters: S3Adapters | undefined;
  const s3 = (): S3Adapters | undefined => {
    s3Adapters ??= s3Factory?.(endpoints);
    return s3Adapters;
  };
  const bucketAdapters = (): S3Adapters => {
    const adapters = s3();
    if (adapters === undefined) {
      throw new ConfigError(
        'the adapters were built without the S3 adapters (s3), which reading bucket objects needs; pass createS3Adapters where the door builds them',
      );
    }
    return adapters;
  };
  const tableName = config.catalogTable;
  const jobStore = lazy(
    () =>
      new DynamoDbJobStore({
        client: dynamodb(),
        tableName,
        ...(config.jobHistoryMs === undefined ? {} : { jobHistoryMs: config.jobHistoryMs }),
      }),
  );
  return {
    catalog: lazy(
      () =>
        new DynamoDbCatalogStore({
          client: dynamodb(),
          tableName,
          interpret: createBackupInterpreter(config.clusters),
        }),
    ),
    objectStore: () => bucketAdapters().objectStore(),
    inspector: () => bucketAdapters().inspector(),
    thaw: () => s3()?.thaw?.(),
    alerts: lazy(() => new DynamoDbAlertStore({ client: dynamodb(), tableName })),
    plans: lazy(() => new DynamoDbPlanStore({ client: dynamodb(), tableName })),
    jobs: jobStore,
    close: () => {
      documentClient?.destroy();
      s3Adapters?.close();
    },
  };
}
