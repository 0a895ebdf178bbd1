import { readBaseBackup } from '../backup/read-base-backup.ts';
import type { ClusterConfig, ClusterId } from '../cluster.ts';
import { InvalidInputError } from '../errors.ts';
import type { BackupInterpreter } from './catalog-change.ts';

/**
 * The version of what `readBaseBackup` makes of the same two texts. A store that keeps interpretations beside the
 * texts trusts one only while its basis (this version, the layout, the segment size) is unchanged, so raise it with
 * every change to how a sentinel or metadata.json is read: every stored backup is then interpreted afresh on read
 * (and stored again at its next write), as before interpretations were kept.
 */
export const BACKUP_INTERPRETER_VERSION = 1;

/**
 * What, besides its two texts, what a backup is read into depends on: the interpreter's version, the cluster's layout
 * and its WAL segment size. Whatever keeps interpretations (the catalog's items, retention's backup digest) trusts
 * them only under the same basis.
 *
 * @example backupInterpretationBasis(cluster) === '1:wal-g:16777216'
 */
export function backupInterpretationBasis(cluster: Pick<ClusterConfig, 'layout' | 'walSegmentSize'>): string {
  return `${BACKUP_INTERPRETER_VERSION}:${cluster.layout}:${cluster.walSegmentSize}`;
}

/**
 * The interpreter the catalog derives backup records with: each cluster's layout and WAL segment size applied to
 * the stored sentinel and metadata.json texts. A malformed document becomes the record's `problem`, never an
 * exception, so one bad backup cannot block a batch.
 *
 * @example createBackupInterpreter(config.clusters)('orders-main', 'base_000000010000000000000002', sentinel, metadata)
 */
export function createBackupInterpreter(clusters: readonly ClusterConfig[]): BackupInterpreter {
  const byId = new Map(clusters.map((cluster) => [cluster.id as string, cluster]));
  const interpret: BackupInterpreter = (clusterId, name, sentinel, metadata) => {
    const cluster = byId.get(clusterId);
    if (cluster === undefined) {
      return { problem: `cluster ${clusterId} is not in the configuration; add it or remove its catalog items` };
    }
    try {
      const backup = readBaseBackup({
        name,
        layout: cluster.layout,
        walSegmentSize: cluster.walSegmentSize,
        sentinelKey: sentinel.key,
        sentinelText: sentinel.text ?? '',
        ...(metadata?.text === undefined ? {} : { metadataKey: metadata.key, metadataText: metadata.text }),
      });
      return { backup };
    } catch (error) {
      if (error instanceof InvalidInputError) return { problem: error.message };
      throw error;
    }
  };
  const bases = new Map(clusters.map((cluster) => [cluster.id as string, backupInterpretationBasis(cluster)]));
  return Object.assign(interpret, { basisOf: (clusterId: ClusterId) => bases.get(clusterId) });
}
