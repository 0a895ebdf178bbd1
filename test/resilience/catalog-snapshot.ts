/**
 * What a catalog holds for one cluster, read with the store's own queries, and the same facts derived from a bucket
 * listing alone: the resilience tests compare the two ("no catalogued object is lost") and compare a catalog built
 * under faults with one built without ("every run converges").
 */
import type { ClusterId } from '../../lib/domain/cluster.ts';
import type { CatalogStore } from '../../lib/ports/catalog-store.ts';

export interface CatalogSnapshot {
  /** Live WAL-folder keys (segments, `.backup`, `.partial`, `.history`). */
  readonly liveWalKeys: readonly string[];
  /** Backups whose sentinel the catalog holds as present and parsed. */
  readonly completeBackups: readonly string[];
  /** Every record, as JSON, for exact comparison. */
  readonly records: string;
}

export async function snapshotCatalog(catalog: CatalogStore, cluster: ClusterId): Promise<CatalogSnapshot> {
  const wal = [];
  for (const timeline of await catalog.listTimelines(cluster)) {
    for await (const record of catalog.listWalObjects(cluster, timeline, {}, { includeDeleted: true }))
      wal.push(record);
  }
  const history = await catalog.listHistoryFiles(cluster);
  const backups = await catalog.listBackups(cluster);
  const all = [...wal, ...history].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    liveWalKeys: all.filter((record) => !record.deleted).map((record) => record.key),
    completeBackups: backups
      .filter((record) => record.status === 'complete')
      .map((record) => record.name)
      .sort(),
    records: JSON.stringify({ wal: all, backups }, (_key, value: unknown) =>
      typeof value === 'bigint' ? value.toString() : value,
    ),
  };
}

const SENTINEL = /basebackups_005\/([^/]+)_backup_stop_sentinel\.json$/;

/** The same facts from the bucket: WAL-folder keys, and backups that have a sentinel. */
export function expectedFromBucket(keys: Iterable<string>, prefix: string): Omit<CatalogSnapshot, 'records'> {
  const sorted = [...keys].sort();
  return {
    liveWalKeys: sorted.filter((key) => key.startsWith(`${prefix}wal_005/`)),
    completeBackups: sorted.flatMap((key) => {
      const match = SENTINEL.exec(key);
      return match?.[1] === undefined ? [] : [match[1]];
    }),
  };
}
