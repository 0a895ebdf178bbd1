/**
 * The adapters over the backup buckets: the object store (reads, listings, version deletes, the service clock), the
 * bucket inspector and the thaw, all on one S3 client built on first use. The only wiring module that imports the S3
 * client: a door whose use cases read or thaw bucket objects (ingest, sync, retention, the CLI, the local stack)
 * hands `createS3Adapters` to the storage adapters or the adapter set; every other Lambda bundle (the job tracker,
 * the scheduler, restores, the watchdog, the web view) is then built without the S3 client at all. Only the doors
 * that thaw (the CLI's `restore start --thaw` and `drill`, the local stack) pass `createS3AdaptersWithThaw`, so the
 * deployed bundles that read buckets do not carry the thaw either.
 */
import { createS3Client } from '../adapters/aws/s3-client.ts';
import { S3BucketInspector } from '../adapters/s3/s3-bucket-inspector.ts';
import { S3ObjectStore } from '../adapters/s3/s3-object-store.ts';
import { S3ObjectThaw } from '../adapters/s3/s3-object-thaw.ts';
import type { AwsEndpoints } from '../config/aws-endpoints.ts';
import type { BucketInspector } from '../ports/bucket-inspector.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { ObjectThaw } from '../ports/object-thaw.ts';
import type { ObjectVersionStore } from '../ports/object-version-store.ts';
import type { ServiceClock } from '../ports/service-clock.ts';
import { lazy } from './lazy.ts';

export interface S3Adapters {
  /** The S3 store; its service clock is what retention checks its own clock against. */
  objectStore(): ObjectStore & ObjectVersionStore & ServiceClock;
  /** Reads bucket configurations (lifecycle, versioning, notifications, lock). */
  inspector(): BucketInspector;
  /** Thaws frozen objects before a restore or drill reads them; absent from `createS3Adapters`. */
  thaw?(): ObjectThaw;
  /** Closes the S3 client if one was built. */
  close(): void;
}

/** How a door hands the S3 adapters to the wiring: this module's factory, passed by reference. */
export type S3AdaptersFactory = (endpoints: AwsEndpoints) => S3Adapters;

function s3Adapters(endpoints: AwsEndpoints, withThaw: boolean): S3Adapters {
  let client: ReturnType<typeof createS3Client> | undefined;
  const s3 = () => {
    client ??= createS3Client(endpoints);
    return client;
  };
  return {
    objectStore: lazy(() => new S3ObjectStore(s3())),
    inspector: lazy(() => new S3BucketInspector(s3())),
    ...(withThaw ? { thaw: lazy(() => new S3ObjectThaw(s3())) } : {}),
    close: () => client?.destroy(),
  };
}

/** Reads, listings, deletes and bucket settings: what ingest, sync and retention need. */
export const createS3Adapters: S3AdaptersFactory = (endpoints) => s3Adapters(endpoints, false);

/** The same with the thaw, for the doors whose restores and drills may wait for frozen objects. */
export const createS3AdaptersWithThaw: S3AdaptersFactory = (endpoints) => s3Adapters(endpoints, true);
