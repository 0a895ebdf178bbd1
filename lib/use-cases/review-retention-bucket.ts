/**
 * Reads what the bucket will do with a retention plan's deletions (versioning, lifecycle rules, and the Object Lock
 * of each backup the plan deletes) and hands it to the pure review. An endpoint that does not implement these
 * configurations (s3rver, the local stack) has nothing to say; a configuration walcat may not read is reported,
 * never a reason to withhold the plan.
 */
import type { ObjectRetention } from '../domain/bucket/bucket-configuration.ts';
import {
  type PlannedDeletions,
  type RetentionBucketEffects,
  retentionBucketEffects,
} from '../domain/bucket/retention-bucket-effects.ts';
import type { BackupRecord } from '../domain/catalog/catalog-records.ts';
import type { ClusterConfig } from '../domain/cluster.ts';
import { TransientError, WalcatError } from '../domain/errors.ts';
import { BucketConfigurationUnsupportedError, type BucketInspector } from '../ports/bucket-inspector.ts';
import type { CatalogStore } from '../ports/catalog-store.ts';

/** What the review reads of the bucket. */
export type RetentionBucketReader = Pick<
  BucketInspector,
  'versioning' | 'lifecycleRules' | 'objectLock' | 'objectRetention'
>;

export type RetentionBucketReview =
  | { readonly kind: 'effects'; readonly effects: RetentionBucketEffects }
  | { readonly kind: 'unsupported' }
  | { readonly kind: 'unreadable'; readonly reason: string };

export async function reviewRetentionBucket(
  deps: { readonly inspector: RetentionBucketReader; readonly catalog: Pick<CatalogStore, 'listBackups'> },
  cluster: ClusterConfig,
  plan: PlannedDeletions,
  now: Date,
): Promise<RetentionBucketReview> {
  const bucket = cluster.storage.bucket;
  try {
    const [versioning, rules, lock, backups] = await Promise.all([
      deps.inspector.versioning(bucket),
      deps.inspector.lifecycleRules(bucket),
      deps.inspector.objectLock(bucket),
      deps.catalog.listBackups(cluster.id),
    ]);
    const locks = new Map<string, ObjectRetention>();
    if (lock.enabled) {
      const byName = new Map<string, BackupRecord>(backups.map((record) => [record.name, record]));
      // The sentinel is written last, so its lock ends last: it stands for the backup.
      await Promise.all(
        plan.delete.backups.map(async (deleted) => {
          const key = byName.get(deleted.name)?.sentinel?.key;
          if (key !== undefined) locks.set(deleted.name, await deps.inspector.objectRetention(bucket, key));
        }),
      );
    }
    return {
      kind: 'effects',
      effects: retentionBucketEffects({
        plan,
        backups,
        root: cluster.storage.prefix,
        versioning,
        rules,
        locks,
        ...(cluster.retention?.versionedDeletes ? { versionedDeletes: cluster.retention.versionedDeletes } : {}),
        now,
      }),
    };
  } catch (error) {
    if (error instanceof BucketConfigurationUnsupportedError) return { kind: 'unsupported' };
    if (error instanceof WalcatError && !(error instanceof TransientError)) {
      return { kind: 'unreadable', reason: error.message };
    }
    throw error;
  }
}
