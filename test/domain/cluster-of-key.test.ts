import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClusterConfig, ClusterId } from '../../lib/domain/cluster.ts';
import { createClusterIndex, resolveClusterOfKey } from '../../lib/domain/cluster-of-key.ts';
import { DEFAULT_WAL_SEGMENT_SIZE } from '../../lib/domain/wal/segment-size.ts';

function cluster(id: string, bucket: string, prefix: string): ClusterConfig {
  return {
    id: id as ClusterId,
    storage: { bucket, prefix },
    layout: 'wal-g',
    walSegmentSize: DEFAULT_WAL_SEGMENT_SIZE,
    retention: {
      keepLast: 2,
      keepDaily: 7,
      keepWeekly: 4,
      keepMonthly: 12,
      keepYearly: 3,
      pitrWindowMs: 7 * 86_400_000,
      timezone: 'UTC',
      incompleteGraceMs: 86_400_000,
      applyGraceMs: 3_600_000,
    },
    alerts: { archiveLagMaxMs: 600_000, backupMaxAgeMs: 93_600_000, uploadGraceMs: 300_000 },
  };
}

const clusters = [
  cluster('orders', 'acme', 'orders/'),
  cluster('orders-2', 'acme', 'orders-2/'),
  cluster('pg-root', 'acme', 'pg/'),
  cluster('pg-billing', 'acme', 'pg/billing/'),
  cluster('whole-bucket', 'other', ''),
  cluster('no-slash', 'third', 'legacy'),
];

describe('resolveClusterOfKey', () => {
  it.each([
    ['acme', 'orders/wal_005/000000010000000000000001.lz4', 'orders', 'wal_005/000000010000000000000001.lz4'],
    ['acme', 'orders-2/wal_005/000000010000000000000001.lz4', 'orders-2', 'wal_005/000000010000000000000001.lz4'],
    ['acme', 'pg/billing/basebackups_005/x', 'pg-billing', 'basebackups_005/x'],
    ['acme', 'pg/wal_005/x', 'pg-root', 'wal_005/x'],
    ['acme', 'pg/billing-old/wal_005/x', 'pg-root', 'billing-old/wal_005/x'],
    ['acme', 'orders/', 'orders', ''],
    ['other', 'wal_005/x', 'whole-bucket', 'wal_005/x'],
    ['third', 'legacy/wal_005/x', 'no-slash', 'wal_005/x'],
  ])('%s/%s -> %s (%s)', (bucket, key, id, relativeKey) => {
    const resolved = resolveClusterOfKey(clusters, bucket, key);
    expect(resolved?.cluster.id).toBe(id);
    expect(resolved?.relativeKey).toBe(relativeKey);
  });

  it.each([
    ['acme', 'orders-3/wal_005/x'],
    ['acme', 'orders'],
    ['acme', 'pgx/wal_005/x'],
    ['third', 'legacy-2/wal_005/x'],
    ['unknown-bucket', 'orders/wal_005/x'],
  ])('%s/%s belongs to no cluster', (bucket, key) => {
    expect(resolveClusterOfKey(clusters, bucket, key)).toBeUndefined();
  });

  it('an index built once resolves like the convenience function', () => {
    const index = createClusterIndex(clusters);
    expect(index.resolve('acme', 'pg/billing/wal_005/x')?.cluster.id).toBe('pg-billing');
    expect(index.resolve('acme', 'orders-2/x')?.cluster.id).toBe('orders-2');
  });

  it('property: the match is the longest configured folder prefix that holds the key', () => {
    const segment = fc.constantFrom('a', 'b', 'ab', 'a-b', 'a b');
    const prefixArbitrary = fc.array(segment, { maxLength: 3 }).map((parts) => parts.map((p) => `${p}/`).join(''));
    fc.assert(
      fc.property(
        fc.uniqueArray(prefixArbitrary, { minLength: 1, maxLength: 6 }),
        fc.array(segment, { maxLength: 4 }),
        fc.constantFrom('wal_005/x', 'basebackups_005/y'),
        (prefixes, keyFolders, leaf) => {
          const configured = prefixes.map((prefix, i) => cluster(`c${i}`, 'bucket', prefix));
          const key = keyFolders.map((p) => `${p}/`).join('') + leaf;
          const holding = prefixes.filter((prefix) => key.startsWith(prefix));
          const expected = holding.sort((a, b) => b.length - a.length)[0];
          const resolved = resolveClusterOfKey(configured, 'bucket', key);
          if (expected === undefined) {
            expect(resolved).toBeUndefined();
          } else {
            expect(resolved?.cluster.storage.prefix).toBe(expected);
            expect(`${expected}${resolved?.relativeKey}`).toBe(key);
          }
        },
      ),
    );
  });
});
