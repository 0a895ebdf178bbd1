import { InvalidInputError } from '../errors.ts';
import { type Lsn, parseLsn } from '../wal/lsn.ts';

/**
 * What a primary says about its WAL archiving, read by the archiver probe from `pg_stat_archiver`,
 * `pg_current_wal_lsn()` and `pg_is_in_recovery()`. The continuity watchdog compares it with the catalog.
 */
export interface ArchiverProbeResult {
  /** `pg_current_wal_lsn()` on a primary, `pg_last_wal_replay_lsn()` on a standby; undefined when unknown. */
  readonly currentLsn: Lsn | undefined;
  /** File name of the last WAL file archive_command reported archived (segment, `.history`, `.partial`...). */
  readonly lastArchivedWal: string | undefined;
  readonly lastArchivedAt: Date | undefined;
  /** Failed archive_command attempts since the statistics were last reset. */
  readonly failedCount: number;
  readonly lastFailedWal: string | undefined;
  readonly lastFailedAt: Date | undefined;
  readonly inRecovery: boolean;
  /** `server_version_num`, e.g. 150004. */
  readonly serverVersionNum: number;
  /** When the statistics were last reset: a failedCount lower than last time means a reset, not a recovery. */
  readonly statsResetAt: Date | undefined;
}

/** The JSON object the probe script prints as its result data (built by PostgreSQL's json_build_object). */
interface ProbeJson {
  readonly current_lsn?: unknown;
  readonly last_archived_wal?: unknown;
  readonly last_archived_time?: unknown;
  readonly failed_count?: unknown;
  readonly last_failed_wal?: unknown;
  readonly last_failed_time?: unknown;
  readonly in_recovery?: unknown;
  readonly server_version_num?: unknown;
  readonly stats_reset?: unknown;
}

function optionalString(field: string, value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'string') throw new InvalidInputError(`archiver probe: ${field} is not a string`);
  return value;
}

function optionalTime(field: string, value: unknown): Date | undefined {
  const text = optionalString(field, value);
  if (text === undefined) return undefined;
  const time = new Date(text);
  if (Number.isNaN(time.getTime())) throw new InvalidInputError(`archiver probe: ${field} ${text} is not a time`);
  return time;
}

function integer(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidInputError(`archiver probe: ${field} ${JSON.stringify(value)} is not a non-negative integer`);
  }
  return value;
}

/**
 * Maps the probe script's result data to an {@link ArchiverProbeResult}; throws InvalidInputError naming the field.
 *
 * @example
 * parseArchiverProbeData({ current_lsn: '0/3000060', last_archived_wal: '000000010000000000000002',
 *   last_archived_time: '2026-11-20T14:00:00.123+00:00', failed_count: 0, last_failed_wal: null,
 *   last_failed_time: null, in_recovery: false, server_version_num: 150004, stats_reset: null })
 */
export function parseArchiverProbeData(data: unknown): ArchiverProbeResult {
  if (typeof data !== 'object' || data === null) {
    throw new InvalidInputError('archiver probe: result data is not an object (was the probe script changed?)');
  }
  const json = data as ProbeJson;
  const lsnText = optionalString('current_lsn', json.current_lsn);
  if (typeof json.in_recovery !== 'boolean')
    throw new InvalidInputError('archiver probe: in_recovery is not a boolean');
  return {
    currentLsn: lsnText === undefined ? undefined : parseLsn(lsnText),
    lastArchivedWal: optionalString('last_archived_wal', json.last_archived_wal),
    lastArchivedAt: optionalTime('last_archived_time', json.last_archived_time),
    failedCount: integer('failed_count', json.failed_count),
    lastFailedWal: optionalString('last_failed_wal', json.last_failed_wal),
    lastFailedAt: optionalTime('last_failed_time', json.last_failed_time),
    inRecovery: json.in_recovery,
    serverVersionNum: integer('server_version_num', json.server_version_num),
    statsResetAt: optionalTime('stats_reset', json.stats_reset),
  };
}
