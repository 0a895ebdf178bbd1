import { stringify } from 'lossless-json';
import type { Lsn } from '../domain/wal/lsn.ts';

/** WAL-G's `DateFmt`, descriptive only. */
export const WALG_DATE_FORMAT = '%Y-%m-%dT%H:%M:%S.%fZ';

/** Everything the sentinel and metadata.json say about one pushed backup. */
export interface PushedBackup {
  readonly startLsn: Lsn;
  readonly finishLsn: Lsn;
  readonly pgVersion: number;
  readonly systemIdentifier: bigint;
  readonly uncompressedSize: number;
  readonly compressedSize: number;
  readonly dataCatalogSize: number;
  /** RFC3339 UTC with microseconds, e.g. `2026-11-21T10:30:00.123456Z`. */
  readonly startTime: string;
  readonly finishTime: string;
  readonly hostname: string;
  readonly dataDir: string;
  readonly isPermanent: boolean;
}

/**
 * Formats a time as WAL-G stores it: RFC3339, UTC, six fractional digits. `micros` adds the sub-millisecond part.
 *
 * @example formatWalgTime(new Date('2026-11-21T10:30:00.123Z'), 456) === '2026-11-21T10:30:00.123456Z'
 */
export function formatWalgTime(time: Date, micros = 0): string {
  return time
    .toISOString()
    .replace(/\.(\d{3})Z$/, (_, millis: string) => `.${millis}${String(micros).padStart(3, '0')}Z`);
}

/**
 * The V2 sentinel (`BackupSentinelDtoV2`), field names and order as WAL-G writes them; LSNs and the system identifier
 * are JSON integers (the identifier exceeds 2^53, hence lossless-json). No `files_metadata.json` is written, which
 * `FilesMetadataDisabled` says.
 */
export function sentinelJson(backup: PushedBackup): string {
  return stringify({
    LSN: backup.startLsn,
    PgVersion: backup.pgVersion,
    FinishLSN: backup.finishLsn,
    SystemIdentifier: backup.systemIdentifier,
    UncompressedSize: backup.uncompressedSize,
    CompressedSize: backup.compressedSize,
    DataCatalogSize: backup.dataCatalogSize,
    FilesMetadataDisabled: true,
    ChkpNum: null,
    Version: 2,
    StartTime: backup.startTime,
    FinishTime: backup.finishTime,
    DateFmt: WALG_DATE_FORMAT,
    Hostname: backup.hostname,
    DataDir: backup.dataDir,
    IsPermanent: backup.isPermanent,
  }) as string;
}

/** `metadata.json` (`ExtendedMetadataDto`), field names and order as WAL-G writes them. */
export function metadataJson(backup: PushedBackup): string {
  return stringify({
    start_time: backup.startTime,
    finish_time: backup.finishTime,
    date_fmt: WALG_DATE_FORMAT,
    hostname: backup.hostname,
    data_dir: backup.dataDir,
    pg_version: backup.pgVersion,
    start_lsn: backup.startLsn,
    finish_lsn: backup.finishLsn,
    is_permanent: backup.isPermanent,
    system_identifier: backup.systemIdentifier,
    uncompressed_size: backup.uncompressedSize,
    compressed_size: backup.compressedSize,
  }) as string;
}
