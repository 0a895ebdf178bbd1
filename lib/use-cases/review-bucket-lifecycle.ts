import type { ObjectLockConfiguration, VersioningState } from '../domain/bucket/bucket-configuration.ts';
import {
  type BucketDigest,
  bucketDigest,
  type DigestLifecycleAnswer,
  type LifecycleReadProblem,
  lifecycleFromDigest,
} from '../domain/bucket/bucket-digest.ts';
import type { BackupRecord } from '../domain/catalog/catalog-records.ts';
import type { ClusterConfig } from '../domain/cluster.ts';
import { BucketConfigurationUnsupportedError, type BucketInspector } from '../ports/bucket-inspector.ts';

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Reads what the catalog keeps of a cluster's bucket: its lifecycle rules, versioning and Object Lock configuration,
 * in parallel (three GETs). Never throws: a configuration that cannot be read is recorded as such, so a missing
 * permission or a throttled request costs the digest that one fact, never the sync that reads it.
 *
 * @example await catalog.updateClusterState(cluster.id, { bucket: await readBucketDigest(inspector, cluster, now) })
 */
export async function readBucketDigest(
  inspector: BucketInspector,
  cluster: ClusterConfig,
  readAt: Date,
): Promise<BucketDigest> {
  const { bucket, prefix } = cluster.storage;
  const [lifecycle, versioning, objectLock] = await Promise.all([
    inspector.lifecycleRules(bucket).catch(
      (error: unknown): LifecycleReadProblem => ({
        kind: error instanceof BucketConfigurationUnsupportedError ? 'unsupported' : 'unreadable',
        message: messageOf(error),
      }),
    ),
    inspector.versioning(bucket).catch((): VersioningState | undefined => undefined),
    inspector.objectLock(bucket).catch((): ObjectLockConfiguration | undefined => undefined),
  ]);
  return bucketDigest(prefix, {
    readAt,
    lifecycle,
    ...(versioning === undefined ? {} : { versioning }),
    ...(objectLock === undefined ? {} : { objectLock }),
  });
}

/**
 * The `lifecycle-conflict` findings of one cluster at `now`, from the digest the last catalog sync stored and the
 * catalog's backups: no S3 request.
 *
 * @example lifecycleAnswer(cluster, { bucket: evaluation.bucket, backups: evaluation.backups }, now)
 */
export function lifecycleAnswer(
  cluster: ClusterConfig,
  catalogued: { readonly bucket?: BucketDigest; readonly backups: readonly BackupRecord[] },
  now: Date,
): DigestLifecycleAnswer {
  return lifecycleFromDigest(catalogued.bucket, {
    cluster: cluster.id,
    root: cluster.storage.prefix,
    backups: catalogued.backups,
    ...(cluster.retention === undefined ? {} : { policy: cluster.retention }),
    walSegmentSize: cluster.walSegmentSize,
    now,
  });
}
