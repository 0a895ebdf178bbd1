/**
 * The cluster of the retention-planning benchmark: hourly WAL-G backups and their WAL, under the contract's example
 * policy in Europe/Berlin (so every backup goes through the zoned calendar). Shared by the process that fills the
 * catalog (retention-catalog-server.ts) and the benchmark that plans over it.
 */
import type { BackupChange } from '../../lib/domain/catalog/catalog-change.ts';
import type { ClusterConfig, ClusterId } from '../../lib/domain/cluster.ts';
import { DEFAULT_WAL_SEGMENT_SIZE } from '../../lib/domain/wal/segment-size.ts';
import { timelineId } from '../../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../../lib/domain/wal/wal-segment.ts';

const HOUR = 3_600_000;
export const RETENTION_BENCH_NOW = new Date('2026-11-21T03:00:00Z');
export const RETENTION_BENCH_TABLE = 'retention-bench';
/** WAL segments per hour: backup N starts at segment 0x100 + N x this. */
export const RETENTION_BENCH_SEGMENTS_PER_HOUR = 10;

export const RETENTION_BENCH_CLUSTER: ClusterConfig = {
  id: 'orders-main' as ClusterId,
  storage: { bucket: 'bench-pg-backups', prefix: 'orders-main/' },
  layout: 'wal-g',
  walSegmentSize: DEFAULT_WAL_SEGMENT_SIZE,
  retention: {
    keepLast: 2,
    keepDaily: 7,
    keepWeekly: 4,
    keepMonthly: 12,
    keepYearly: 3,
    pitrWindowMs: 7 * 24 * HOUR,
    timezone: 'Europe/Berlin',
    incompleteGraceMs: 24 * HOUR,
    applyGraceMs: 6 * HOUR,
  },
  alerts: { archiveLagMaxMs: 600_000, backupMaxAgeMs: 93_600_000, uploadGraceMs: 300_000 },
};

export interface RetentionBenchBackup {
  readonly name: string;
  readonly finishTime: Date;
  readonly sentinelKey: string;
  readonly sentinel: string;
  readonly metadataKey: string;
  readonly metadata: string;
}

/**
 * One full backup an hour for `hours` hours up to `RETENTION_BENCH_NOW`, as WAL-G writes its two JSON files; with
 * `from` and `to`, the backups of those hours only (hours from `hours` on are after `RETENTION_BENCH_NOW`).
 */
export function* retentionBenchBackups(hours: number, from = 0, to = hours): Generator<RetentionBenchBackup> {
  const tli = timelineId(1);
  const size = RETENTION_BENCH_CLUSTER.walSegmentSize;
  const folder = `${RETENTION_BENCH_CLUSTER.storage.prefix}basebackups_005/`;
  const firstFinish = RETENTION_BENCH_NOW.getTime() - hours * HOUR + 20 * 60_000;
  for (let hour = from; hour < to; hour++) {
    const startSegNo = 0x100 + hour * RETENTION_BENCH_SEGMENTS_PER_HOUR;
    const name = `base_${walFileName({ timeline: tli, segNo: segmentNumber(startSegNo) }, size)}`;
    const finishTime = new Date(firstFinish + hour * HOUR);
    const startTime = new Date(finishTime.getTime() - 15 * 60_000).toISOString();
    const finish = finishTime.toISOString();
    const startLsn = startSegNo * size + 40;
    const finishLsn = (startSegNo + 1) * size + 4096;
    yield {
      name,
      finishTime,
      sentinelKey: `${folder}${name}_backup_stop_sentinel.json`,
      sentinel: `{"LSN":${startLsn},"PgVersion":150010,"FinishLSN":${finishLsn},"SystemIdentifier":7321456789012345678,"UncompressedSize":8589934592,"CompressedSize":2147483648,"DataCatalogSize":8589934592,"ChkpNum":null,"Version":2,"StartTime":"${startTime}","FinishTime":"${finish}","DateFmt":"%Y-%m-%dT%H:%M:%S.%fZ","Hostname":"pg-orders-1.internal","DataDir":"/var/lib/postgresql/15/main","IsPermanent":false}`,
      metadataKey: `${folder}${name}/metadata.json`,
      metadata: `{"start_time":"${startTime}","finish_time":"${finish}","date_fmt":"%Y-%m-%dT%H:%M:%S.%fZ","hostname":"pg-orders-1.internal","data_dir":"/var/lib/postgresql/15/main","pg_version":150010,"start_lsn":${startLsn},"finish_lsn":${finishLsn},"is_permanent":false,"system_identifier":7321456789012345678,"uncompressed_size":8589934592,"compressed_size":2147483648,"user_data":null}`,
    };
  }
}

/** A sequencer as S3 writes one: 16 upper-case hex digits. */
export const benchSequencer = (n: number): string => n.toString(16).toUpperCase().padStart(16, '0');

/** The two events of the `n`th backup (metadata.json, then its sentinel), with sequencers 2n+1 and 2n+2. */
export function retentionBenchBackupChanges(backup: RetentionBenchBackup, n: number): BackupChange[] {
  return (
    [
      ['metadata', backup.metadataKey, backup.metadata, 2 * n + 1],
      ['sentinel', backup.sentinelKey, backup.sentinel, 2 * n + 2],
    ] as const
  ).map(([source, key, text, number]) => ({
    type: 'source-observed',
    origin: 'event',
    cluster: RETENTION_BENCH_CLUSTER.id,
    name: backup.name,
    source,
    observation: {
      key,
      sequencer: benchSequencer(number),
      present: true,
      etag: `etag-${number}`,
      text,
      observedAt: backup.finishTime,
    },
  }));
}
