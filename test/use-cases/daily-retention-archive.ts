/**
 * The archive the retention-apply use-case tests plan over: one backup a day from 2026-11-01 01:00 UTC, each four
 * segments after the last, finished an hour into its day and with its sentinel, and the WAL from segment 16 to one
 * past the last backup (16 bytes a segment, one every 6 hours), under `root` in the bucket.
 */
import { parseWalcatConfig } from '../../lib/config/config.ts';
import type { BackupRecord, WalObjectRecord } from '../../lib/domain/catalog/catalog-records.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import { timelineId } from '../../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../../lib/domain/wal/wal-segment.ts';
import { backupRecord, CLUSTER, DAY, HOUR, SIZE } from '../domain/retention/retention-fixtures.ts';

const START = Date.UTC(2026, 10, 1, 1, 0);

export function dailyRetentionArchive(backups: number, root = '') {
  const head = 16 + backups * 4 + 1;
  const walKey = (segNo: number) =>
    `${root}wal_005/${walFileName({ timeline: timelineId(1), segNo: segmentNumber(segNo) }, SIZE)}.lz4`;
  const sentinelKey = (name: string) => `${root}basebackups_005/${name}_backup_stop_sentinel.json`;
  const partKey = (name: string) => `${root}basebackups_005/${name}/tar_partitions/part_001.tar.lz4`;
  /** The backup of day `index` (0 first). */
  const backup = (index: number): BackupRecord => {
    const record = backupRecord({ startSegNo: 16 + index * 4, finishedAt: new Date(START + index * DAY + HOUR) });
    return { ...record, sentinel: { key: sentinelKey(record.name), present: true, observedAt: record.firstSeenAt } };
  };
  const wal = (): WalObjectRecord[] =>
    Array.from({ length: head - 15 }, (_, index) => ({
      cluster: CLUSTER,
      key: walKey(16 + index),
      kind: 'segment' as const,
      timeline: timelineId(1),
      segNo: segmentNumber(16 + index),
      size: 16,
      uploadedAt: new Date(START + index * 6 * HOUR),
      deleted: false,
    }));
  return { start: START, head, planAt: new Date(START + backups * DAY), walKey, sentinelKey, partKey, backup, wal };
}

/** The tests' cluster at `storage` (an s3:// URL): keepLast 2, pitrWindow 1d, applyGrace 1h, then `extraRetention`. */
export function dailyRetentionCluster(table: string, storage: string, extraRetention = ''): ClusterConfig {
  return parseWalcatConfig(
    [
      `catalogTable: ${table}`,
      'clusters:',
      `  - id: ${CLUSTER}`,
      `    storage: ${storage}`,
      `    retention: { keepLast: 2, pitrWindow: 1d, applyGrace: 1h${extraRetention} }`,
    ].join('\n'),
    `${table} test config`,
  ).clusters[0] as ClusterConfig;
}
