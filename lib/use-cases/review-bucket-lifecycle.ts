import type { VersioningState } from '../domain/bucket/bucket-configuration.ts';
import { type LifecycleConflictFinding, reviewLifecycle } from '../domain/bucket/lifecycle-review.ts';
import type { ClusterConfig } from '../domain/cluster.ts';
import type { BucketInspector } from '../ports/bucket-inspector.ts';
import type { CatalogStore } from '../ports/catalog-store.ts';

export interface LifecycleReviewDeps {
  readonly inspector: BucketInspector;
  readonly catalog: CatalogStore;
}

/**
 * The `lifecycle-conflict` findings of one cluster: its bucket's lifecycle rules (read now) against what retention
 * keeps according to the catalog. Errors reading the bucket propagate; callers that only add the findings to
 * another answer (`gaps`, `status`) report them and go on.
 *
 * @example (await lifecycleConflicts({ inspector, catalog }, cluster, now)).map((f) => f.message)
 */
export async function lifecycleConflicts(
  deps: LifecycleReviewDeps,
  cluster: ClusterConfig,
  now: Date,
): Promise<LifecycleConflictFinding[]> {
  const { bucket, prefix } = cluster.storage;
  const rules = await deps.inspector.lifecycleRules(bucket);
  if (rules.length === 0) return [];
  const [versioning, backups] = await Promise.all([
    deps.inspector.versioning(bucket).catch((): VersioningState => 'unversioned'),
    deps.catalog.listBackups(cluster.id),
  ]);
  return [
    ...reviewLifecycle({
      cluster: cluster.id,
      root: prefix,
      rules,
      versioning,
      backups,
      policy: cluster.retention,
      walSegmentSize: cluster.walSegmentSize,
      now,
    }).findings,
  ];
}
