import type { BackupLayout } from '../cluster.ts';
import { analyzeBackupName, type BackupNameParts } from '../layout/backup-name.ts';
import { METADATA_FILE_NAME, SENTINEL_SUFFIX } from '../layout/wal-g-layout.ts';
import { wholeSegmentOrReason } from '../layout/wal-name-scan.ts';
import type { Lsn } from '../wal/lsn.ts';
import type { WalSegmentSize } from '../wal/segment-size.ts';
import { segmentStartLsn } from '../wal/wal-segment.ts';
import { type BackupDocumentKind, backupMetadataError } from './backup-document.ts';
import type { BaseBackup } from './base-backup.ts';
import { parseWaleSentinel, WALE_SENTINEL } from './wale-sentinel.ts';
import { parseWalgMetadata, type WalgMetadataDto } from './walg-metadata.ts';
import { parseWalgSentinel, WALG_SENTINEL } from './walg-sentinel.ts';

/** Go's zero `time.Time`, which old WAL-G versions may write for a time they did not know. */
const GO_ZERO_TIME_YEAR = 1;
/** Inconsistent times: walcat cannot place the backup in time, so it is unreadable, never a restore base. */
const WALG_METADATA_TIMES: BackupDocumentKind = {
  what: 'WAL-G metadata.json',
  fix: 'walcat cannot tell when this backup is consistent and never restores from it; check the clock of the host that pushed it and compare with `wal-g backup-list --detail`',
};
const WALG_SENTINEL_TIMES: BackupDocumentKind = { ...WALG_METADATA_TIMES, what: 'WAL-G sentinel' };
/** Field name used for problems with the backup name itself. */
const NAME_FIELD = '(backup name)';

/** Input of {@link readBaseBackup}: the two small documents of one backup, as read from the bucket. */
export interface ReadBaseBackupInput {
  /** The backup name, e.g. `base_0000000100000000000000A3` (from the sentinel key). */
  readonly name: string;
  readonly layout: BackupLayout;
  readonly walSegmentSize: WalSegmentSize;
  /** Key of the sentinel, for messages. */
  readonly sentinelKey: string;
  readonly sentinelText: string;
  /** Key of metadata.json, for messages. */
  readonly metadataKey?: string;
  /** metadata.json when it exists (WAL-G >= 0.2.10); authoritative for permanence, user data and times. */
  readonly metadataText?: string;
}

/** What the sentinel says, before metadata.json is merged in. */
interface SentinelFacts {
  readonly kind: 'full' | 'delta';
  readonly deltaFrom?: string;
  readonly deltaFullName?: string;
  readonly deltaCount?: number;
  readonly startLsn?: bigint;
  readonly finishLsn?: bigint;
  readonly startTime?: Date;
  readonly finishTime?: Date;
  readonly pgVersion?: number;
  readonly systemIdentifier?: bigint;
  readonly uncompressedSize?: number;
  readonly compressedSize?: number;
  readonly hostname?: string;
  readonly dataDir?: string;
  readonly userData?: unknown;
  readonly permanent?: boolean;
  /** The sentinel's `Version` (2 for V2 sentinels, which always carry FinishLSN); absent for older WAL-G. */
  readonly version?: number;
}

/** A time, or undefined for Go's zero time. The text was validated as a date by the schema. */
function timeOf(text: string | null | undefined): Date | undefined {
  if (text === null || text === undefined) return undefined;
  const time = new Date(text);
  return time.getUTCFullYear() === GO_ZERO_TIME_YEAR ? undefined : time;
}

function present<T>(value: T | null | undefined): T | undefined {
  return value === null ? undefined : value;
}

function walgSentinelFacts(key: string, text: string): SentinelFacts {
  const dto = parseWalgSentinel(key, text);
  const deltaFrom = present(dto.DeltaFrom) || undefined;
  if (deltaFrom !== undefined) {
    // WAL-G itself refuses a delta sentinel without these (pg/backup.go); a chain cannot be verified without them.
    if (present(dto.DeltaLSN) === undefined && present(dto.DeltaFromLSN) === undefined) {
      throw backupMetadataError(WALG_SENTINEL, key, 'DeltaLSN', 'is missing although DeltaFrom names a parent');
    }
    if (!present(dto.DeltaFullName)) {
      throw backupMetadataError(WALG_SENTINEL, key, 'DeltaFullName', 'is missing although DeltaFrom names a parent');
    }
    if (present(dto.DeltaCount) === undefined) {
      throw backupMetadataError(WALG_SENTINEL, key, 'DeltaCount', 'is missing although DeltaFrom names a parent');
    }
  }
  return {
    kind: deltaFrom === undefined ? 'full' : 'delta',
    deltaFrom,
    deltaFullName: deltaFrom === undefined ? undefined : (present(dto.DeltaFullName) ?? undefined),
    deltaCount: deltaFrom === undefined ? undefined : present(dto.DeltaCount),
    startLsn: present(dto.LSN),
    finishLsn: present(dto.FinishLSN),
    startTime: timeOf(dto.StartTime),
    finishTime: timeOf(dto.FinishTime),
    pgVersion: present(dto.PgVersion),
    systemIdentifier: present(dto.SystemIdentifier),
    uncompressedSize: present(dto.UncompressedSize),
    compressedSize: present(dto.CompressedSize),
    hostname: present(dto.Hostname),
    dataDir: present(dto.DataDir),
    userData: present(dto.UserData),
    permanent: present(dto.IsPermanent),
    version: present(dto.Version),
  };
}

function waleSentinelFacts(
  key: string,
  text: string,
  parts: BackupNameParts,
  size: WalSegmentSize,
  waleOffset: number,
): SentinelFacts {
  const dto = parseWaleSentinel(key, text);
  const stop = wholeSegmentOrReason(dto.wal_segment_backup_stop, size);
  if (typeof stop === 'string') throw backupMetadataError(WALE_SENTINEL, key, 'wal_segment_backup_stop', stop);
  const stopOffset = Number(dto.wal_segment_offset_backup_stop);
  if (stopOffset >= size) {
    throw backupMetadataError(
      WALE_SENTINEL,
      key,
      'wal_segment_offset_backup_stop',
      `${dto.wal_segment_offset_backup_stop} is beyond a segment of walSegmentSize ${size} bytes; check the cluster's walSegmentSize`,
    );
  }
  return {
    kind: 'full',
    startLsn: segmentStartLsn(parts.startSegment.segNo, size) + BigInt(waleOffset),
    finishLsn: segmentStartLsn(stop.segNo, size) + BigInt(stopOffset),
    uncompressedSize: present(dto.expanded_size_bytes),
  };
}

function requireLsn(
  kind: BackupDocumentKind,
  key: string,
  field: string,
  fromSentinel: bigint | undefined,
  fromMetadata: bigint | null | undefined,
): Lsn {
  const lsn = fromSentinel ?? present(fromMetadata);
  if (lsn === undefined) {
    throw backupMetadataError(kind, key, field, 'is missing (or null) and no metadata.json provides it');
  }
  return lsn as Lsn;
}

/**
 * Maps a backup's sentinel (WAL-G V1/V2/legacy, or WAL-E) and, when present, its metadata.json into one
 * {@link BaseBackup}. The name gives the timeline and start segment (the sentinel does not store them). metadata.json
 * is authoritative for permanence, user data and start/finish times (`wal-g backup-mark` rewrites only it); the
 * sentinel's `IsPermanent` counts only when metadata.json is absent. Other fields come from the sentinel, falling
 * back to metadata.json. A name with WAL-E's `_<8 digits>` offset is read as a WAL-E sentinel, in either layout.
 *
 * @example readBaseBackup({ name: 'base_0000000100000000000000A3', layout: 'wal-g', walSegmentSize: size,
 *   sentinelKey, sentinelText, metadataKey, metadataText })
 *   // { name, kind: 'full', timeline: 1, startLsn: 0xA3000028n, finishLsn: 0xA4001F08n, permanent: true, ... }
 * @throws InvalidBackupMetadataError naming the key, the field and the fix: a document above
 *   MAX_BACKUP_METADATA_BYTES, malformed JSON, a field of the wrong type, a missing LSN, sizes below zero.
 */
export function readBaseBackup(input: ReadBaseBackupInput): BaseBackup {
  const { name, layout, walSegmentSize: size, sentinelKey } = input;
  const sentinelKind = layout === 'wal-e' ? WALE_SENTINEL : WALG_SENTINEL;
  const parts = analyzeBackupName(name, size);
  if (typeof parts === 'string')
    throw backupMetadataError(sentinelKind, sentinelKey, NAME_FIELD, `is invalid: ${parts}`);
  const waleOffset = parts.waleOffset;
  if (layout === 'wal-e' && waleOffset === undefined) {
    throw backupMetadataError(
      WALE_SENTINEL,
      sentinelKey,
      NAME_FIELD,
      `${name} lacks WAL-E's _<8-digit start offset>; set layout: wal-g if WAL-G wrote this backup`,
    );
  }
  const sentinel =
    waleOffset === undefined
      ? walgSentinelFacts(sentinelKey, input.sentinelText)
      : waleSentinelFacts(sentinelKey, input.sentinelText, parts, size, waleOffset);
  const metadataKey =
    input.metadataKey ?? `${sentinelKey.slice(0, sentinelKey.length - SENTINEL_SUFFIX.length)}/${METADATA_FILE_NAME}`;
  const metadata: WalgMetadataDto | undefined =
    input.metadataText === undefined ? undefined : parseWalgMetadata(metadataKey, input.metadataText);

  const lsnKind = waleOffset === undefined ? WALG_SENTINEL : WALE_SENTINEL;
  const knownStart = sentinel.startLsn ?? present(metadata?.start_lsn);
  const knownFinish = sentinel.finishLsn ?? present(metadata?.finish_lsn);
  // WAL-G releases before metadata.json and V2 sentinels wrote sentinels with no FinishLSN (`{}`, or only `LSN` and
  // `Files`). WAL-G still lists and restores them as full backups, so walcat reads them as complete, with an unknown
  // WAL range. A V2 sentinel or a backup with metadata.json always has a finish LSN: without one it is damaged.
  const walRangeUnknown =
    waleOffset === undefined &&
    sentinel.kind === 'full' &&
    sentinel.version === undefined &&
    metadata === undefined &&
    knownFinish === undefined;
  const startLsn = walRangeUnknown
    ? ((knownStart ?? segmentStartLsn(parts.startSegment.segNo, size)) as Lsn)
    : requireLsn(lsnKind, sentinelKey, 'LSN', knownStart, undefined);
  const finishLsn = walRangeUnknown ? startLsn : requireLsn(lsnKind, sentinelKey, 'FinishLSN', knownFinish, undefined);
  if (finishLsn < startLsn) {
    throw backupMetadataError(
      waleOffset === undefined ? WALG_SENTINEL : WALE_SENTINEL,
      sentinelKey,
      waleOffset === undefined ? 'FinishLSN' : 'wal_segment_backup_stop',
      `(${finishLsn}) is before the backup start (${startLsn})`,
    );
  }

  const startTime = metadata ? (timeOf(metadata.start_time) ?? sentinel.startTime) : sentinel.startTime;
  const finishTime = metadata ? (timeOf(metadata.finish_time) ?? sentinel.finishTime) : sentinel.finishTime;
  if (startTime !== undefined && finishTime !== undefined && finishTime.getTime() < startTime.getTime()) {
    // Times order backups and place restore targets: a backup that finished before it started cannot be placed.
    const fromMetadata = metadata !== undefined && timeOf(metadata.finish_time) !== undefined;
    throw backupMetadataError(
      fromMetadata ? WALG_METADATA_TIMES : WALG_SENTINEL_TIMES,
      fromMetadata ? metadataKey : sentinelKey,
      fromMetadata ? 'finish_time' : 'FinishTime',
      `(${finishTime.toISOString()}) is before the start time (${startTime.toISOString()})`,
    );
  }

  const backup: BaseBackup = {
    name,
    kind: sentinel.kind,
    deltaFrom: sentinel.deltaFrom,
    deltaFullName: sentinel.deltaFullName,
    deltaCount: sentinel.deltaCount,
    timeline: parts.timeline,
    startLsn,
    finishLsn,
    startSegment: parts.startSegment,
    startTime,
    finishTime,
    pgVersion: sentinel.pgVersion ?? present(metadata?.pg_version),
    systemIdentifier: sentinel.systemIdentifier ?? present(metadata?.system_identifier),
    uncompressedSize: sentinel.uncompressedSize ?? present(metadata?.uncompressed_size),
    compressedSize: sentinel.compressedSize ?? present(metadata?.compressed_size),
    hostname: sentinel.hostname ?? present(metadata?.hostname),
    dataDir: sentinel.dataDir ?? present(metadata?.data_dir),
    userData: metadata ? present(metadata.user_data) : sentinel.userData,
    permanent: metadata ? metadata.is_permanent : (sentinel.permanent ?? false),
    walRangeUnknown: walRangeUnknown ? true : undefined,
  };
  return withoutUndefined(backup);
}

/** Drops absent optional fields so the model compares and serializes cleanly. */
function withoutUndefined(backup: BaseBackup): BaseBackup {
  return Object.fromEntries(Object.entries(backup).filter(([, value]) => value !== undefined)) as unknown as BaseBackup;
}

export { MAX_BACKUP_METADATA_BYTES } from './backup-document.ts';
