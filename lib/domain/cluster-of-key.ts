import type { ClusterConfig } from './cluster.ts';

/** A key resolved to the cluster whose storage root holds it. */
export interface ClusterOfKey {
  readonly cluster: ClusterConfig;
  /** The key relative to the cluster's root, e.g. `wal_005/000000010000000000000001.lz4`. */
  readonly relativeKey: string;
}

/** Resolves object keys of one bucket listing or event batch to clusters. */
export interface ClusterIndex {
  resolve(bucket: string, key: string): ClusterOfKey | undefined;
}

interface Root {
  readonly prefix: string;
  readonly cluster: ClusterConfig;
}

/**
 * The folder a prefix names. Config prefixes end in `/` (or are `''` for the bucket root); one without the slash is
 * still read as a folder, so `orders` never matches the key `orders-2/...`.
 */
function folderPrefix(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/**
 * Builds an index of the clusters' storage roots: per bucket, the roots longest prefix first, so nested roots
 * (`pg/` and `pg/orders/`) resolve to the most specific cluster. Build it once per config (it is immutable) and call
 * `resolve` per key: a lookup is one map access plus a `startsWith` per root of that bucket. When two clusters share
 * the exact same root (the config schema rejects that), the first one in config order wins.
 *
 * @example createClusterIndex(config.clusters).resolve('acme-pg-backups', 'orders-main/wal_005/000000010000000000000001.lz4')
 *   // { cluster: <orders-main>, relativeKey: 'wal_005/000000010000000000000001.lz4' }
 */
export function createClusterIndex(clusters: readonly ClusterConfig[]): ClusterIndex {
  const rootsByBucket = new Map<string, Root[]>();
  for (const cluster of clusters) {
    const roots = rootsByBucket.get(cluster.storage.bucket) ?? [];
    roots.push({ prefix: folderPrefix(cluster.storage.prefix), cluster });
    rootsByBucket.set(cluster.storage.bucket, roots);
  }
  for (const roots of rootsByBucket.values()) {
    // Array.prototype.sort is stable, so equal prefixes keep config order.
    roots.sort((a, b) => b.prefix.length - a.prefix.length);
  }
  return {
    resolve(bucket: string, key: string): ClusterOfKey | undefined {
      const roots = rootsByBucket.get(bucket);
      if (roots === undefined) return undefined;
      for (const root of roots) {
        if (key.startsWith(root.prefix)) return { cluster: root.cluster, relativeKey: key.slice(root.prefix.length) };
      }
      return undefined;
    },
  };
}

const indexes = new WeakMap<readonly ClusterConfig[], ClusterIndex>();

/**
 * The cluster whose storage root (bucket + prefix) holds the key, by longest-prefix match, and the key relative to
 * that root; undefined when no cluster's root holds it. The key must already be URL-decoded (`decodeS3EventKey`).
 * The index for a given clusters array is built on first use and reused (config objects are frozen).
 *
 * @example resolveClusterOfKey(config.clusters, 'acme-pg-backups', 'orders/basebackups_005/x') // cluster with prefix orders/
 * @example resolveClusterOfKey(config.clusters, 'acme-pg-backups', 'orders-2/wal_005/x') // not the orders/ cluster
 */
export function resolveClusterOfKey(
  clusters: readonly ClusterConfig[],
  bucket: string,
  key: string,
): { cluster: ClusterConfig; relativeKey: string } | undefined {
  let index = indexes.get(clusters);
  if (index === undefined) {
    index = createClusterIndex(clusters);
    indexes.set(clusters, index);
  }
  return index.resolve(bucket, key);
}
