/**
 * The S3 adapters with the S3 client imported on their first call (lib/wiring/s3-adapters.ts, a chunk of the
 * bundle of its own): for catalog-ingest, whose WAL segments' events, most of its invocations, read no object; a
 * batch with a sentinel or a history file loads the client then. Every method of the ports is asynchronous, so
 * each waits for the import and hands the call on unchanged.
 */
import type { AwsEndpoints } from '../config/aws-endpoints.ts';
import type { BucketInspector } from '../ports/bucket-inspector.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { ObjectVersionStore } from '../ports/object-version-store.ts';
import type { ServiceClock } from '../ports/service-clock.ts';
import { onDemand } from './on-demand.ts';
import type { S3Adapters, S3AdaptersFactory } from './s3-adapters.ts';

export const createS3AdaptersOnDemand: S3AdaptersFactory = (endpoints: AwsEndpoints): S3Adapters => {
  let loaded: S3Adapters | undefined;
  const adapters = onDemand(async () => {
    const { createS3Adapters } = await import('./s3-adapters.ts');
    loaded = createS3Adapters(endpoints);
    return loaded;
  });
  const store = async () => (await adapters()).objectStore();
  const inspect = async () => (await adapters()).inspector();
  const objectStore: ObjectStore & ObjectVersionStore & ServiceClock = {
    listPage: async (bucket, request) => (await store()).listPage(bucket, request),
    async *list(bucket, prefix, options) {
      yield* (await store()).list(bucket, prefix, options);
    },
    getObjectText: async (bucket, key, maxBytes) => (await store()).getObjectText(bucket, key, maxBytes),
    getObjectBytes: async (bucket, key, maxBytes) => (await store()).getObjectBytes(bucket, key, maxBytes),
    headObject: async (bucket, key) => (await store()).headObject(bucket, key),
    deleteObjects: async (bucket, keys) => (await store()).deleteObjects(bucket, keys),
    putObject: async (bucket, key, body) => (await store()).putObject(bucket, key, body),
    deleteAllVersions: async (bucket, keys) => (await store()).deleteAllVersions(bucket, keys),
    serviceTime: async (bucket) => (await store()).serviceTime(bucket),
  };
  const inspector: BucketInspector = {
    lifecycleRules: async (bucket) => (await inspect()).lifecycleRules(bucket),
    versioning: async (bucket) => (await inspect()).versioning(bucket),
    objectLock: async (bucket) => (await inspect()).objectLock(bucket),
    encryption: async (bucket) => (await inspect()).encryption(bucket),
    notifications: async (bucket) => (await inspect()).notifications(bucket),
    objectRetention: async (bucket, key) => (await inspect()).objectRetention(bucket, key),
  };
  return {
    objectStore: () => objectStore,
    inspector: () => inspector,
    close: () => loaded?.close(),
  };
};
