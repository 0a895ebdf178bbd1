import { describe, expect, it } from 'vitest';
import type { LifecycleRule } from '../../lib/domain/bucket/bucket-configuration.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import type { BucketInspector } from '../../lib/ports/bucket-inspector.ts';
import type { CatalogStore } from '../../lib/ports/catalog-store.ts';
import { lifecycleConflicts } from '../../lib/use-cases/review-bucket-lifecycle.ts';
import { dailyBackups, NOW, rule } from '../domain/bucket/bucket-fixtures.ts';
import { CLUSTER, DAY, policyOf, SIZE } from '../domain/retention/retention-fixtures.ts';

const cluster = {
  id: CLUSTER,
  storage: { bucket: 'acme-pg-backups', prefix: 'orders-main/' },
  walSegmentSize: SIZE,
  retention: policyOf({ keepDaily: 7, keepMonthly: 12, pitrWindowMs: DAY }),
} as ClusterConfig;

function inspectorWith(rules: LifecycleRule[], reads: string[]): BucketInspector {
  return {
    lifecycleRules: async (bucket) => {
      reads.push(`lifecycle ${bucket}`);
      return rules;
    },
    versioning: async () => {
      reads.push('versioning');
      return 'enabled';
    },
    objectLock: async () => ({ enabled: false }),
    encryption: async () => undefined,
    notifications: async () => ({ targets: [], eventBridge: false }),
    objectRetention: async () => ({ legalHold: false }),
  };
}

const catalog = (reads: string[]) =>
  ({
    listBackups: async () => {
      reads.push('backups');
      return dailyBackups('2026-09-01', '2026-12-01');
    },
  }) as unknown as CatalogStore;

describe('lifecycleConflicts', () => {
  it('reads nothing more when the bucket has no lifecycle rules', async () => {
    const reads: string[] = [];
    expect(
      await lifecycleConflicts({ inspector: inspectorWith([], reads), catalog: catalog(reads) }, cluster, NOW),
    ).toEqual([]);
    expect(reads).toEqual(['lifecycle acme-pg-backups']);
  });

  it("reviews the cluster's rules against the catalog's backups and its retention", async () => {
    const reads: string[] = [];
    const findings = await lifecycleConflicts(
      {
        inspector: inspectorWith(
          [rule({ id: 'wal-35d', filter: { prefix: 'orders-main/wal_005/', tags: [] }, expiration: { days: 35 } })],
          reads,
        ),
        catalog: catalog(reads),
      },
      cluster,
      NOW,
    );
    expect(findings.map((finding) => [finding.rule, finding.severity, finding.conflict])).toEqual([
      ['wal-35d', 'FAILURE', 'kept-backups-lose-wal'],
    ]);
    expect(findings[0]?.message).toContain('(the bucket is versioned');
  });
});
