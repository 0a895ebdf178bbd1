import { readBaseBackup } from '../backup/read-base-backup.ts';
import type { ClusterConfig } from '../cluster.ts';
import { InvalidInputError } from '../errors.ts';
import type { BackupInterpreter } from './catalog-change.ts';

/**
 * The interpreter the catalog derives backup records with: each cluster's layout and WAL segment size applied to
 * the stored sentinel and metadata.json texts. A malformed document becomes the record's `problem`, never an
 * exception, so one bad backup cannot block a batch.
 *
 * @example createBackupInterpreter(config.clusters)('orders-main', 'base_000000010000000000000002', sentinel, metadata)
 */
export function createBackupInterpreter(clusters: readonly ClusterConfig[]): BackupInterpreter {
  const byId = new Map(clusters.map((cluster) => [cluster.id as string, cluster]));
  return (clusterId, name, sentinel, metadata) => {
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
}
