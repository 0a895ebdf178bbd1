/**
 * The `backups --json` and `wal --json` shapes of the CLI contract (the README's JSON contract), computed from catalog
 * records. LSNs are `X/Y` strings, timelines integers, system identifiers decimal strings, times ISO-8601 UTC.
 */
import type { ClusterId } from '../cluster.ts';
import { analyzeBackupName } from '../layout/backup-name.ts';
import { formatLsn } from '../wal/lsn.ts';
import type { WalSegmentSize } from '../wal/segment-size.ts';
import type { TimelineId } from '../wal/timeline.ts';
import { walFileName } from '../wal/wal-segment.ts';
import type { BackupRecord, WalObjectRecord } from './catalog-records.ts';

export interface BackupJson {
  readonly cluster: ClusterId;
  readonly name: string;
  readonly kind: 'full' | 'delta' | null;
  readonly deltaFrom: string | null;
  readonly timeline: number | null;
  readonly startLsn: string | null;
  readonly finishLsn: string | null;
  readonly startSegment: string | null;
  readonly startTime: string | null;
  readonly finishTime: string | null;
  readonly pgVersion: number | null;
  readonly systemIdentifier: string | null;
  readonly uncompressedSize: number | null;
  readonly compressedSize: number | null;
  readonly permanent: boolean;
  readonly status: BackupRecord['status'];
  /** Why the backup is not `complete` (an `unreadable` backup always has one); null otherwise. */
  readonly problem: string | null;
}

/**
 * One backup in the contract's JSON shape. A backup without a readable sentinel still shows what its name says
 * (timeline, start segment, delta or full); the rest is null. A backup whose WAL range is unknown (an old WAL-G
 * sentinel without `FinishLSN`) has a null `finishLsn`.
 *
 * @example backupJson(record, walSegmentSize(16 * 1024 * 1024)).startLsn // '0/A3000028'
 */
export function backupJson(record: BackupRecord, size: WalSegmentSize): BackupJson {
  const backup = record.backup;
  const parts = analyzeBackupName(record.name, size);
  const named = typeof parts === 'string' ? undefined : parts;
  const startSegment = backup?.startSegment ?? named?.startSegment;
  return {
    cluster: record.cluster,
    name: record.name,
    kind: backup?.kind ?? (named ? (named.isDelta ? 'delta' : 'full') : null),
    deltaFrom: backup?.deltaFrom ?? null,
    timeline: backup?.timeline ?? named?.timeline ?? null,
    startLsn: backup ? formatLsn(backup.startLsn) : null,
    finishLsn: backup && !backup.walRangeUnknown ? formatLsn(backup.finishLsn) : null,
    startSegment: startSegment ? walFileName(startSegment, size) : null,
    startTime: backup?.startTime?.toISOString() ?? null,
    finishTime: backup?.finishTime?.toISOString() ?? null,
    pgVersion: backup?.pgVersion ?? null,
    systemIdentifier: backup?.systemIdentifier?.toString() ?? null,
    uncompressedSize: backup?.uncompressedSize ?? null,
    compressedSize: backup?.compressedSize ?? null,
    permanent: backup?.permanent ?? false,
    status: record.status,
    problem: record.problem ?? null,
  };
}

export interface WalTimelineJson {
  readonly cluster: ClusterId;
  readonly timeline: number;
  readonly firstSegment: string;
  readonly lastSegment: string;
  /** Distinct segments present (a segment pushed twice with different compressions counts once). */
  readonly segments: number;
  /** Bytes stored for those segments (every copy). */
  readonly bytes: number;
}

/**
 * Summarises one timeline's live WAL segment objects; undefined when it has none (only `.history`, `.partial`...).
 *
 * @example walTimelineJson('orders-main', 1, records, size) // { timeline: 1, firstSegment: '0000000100000000000000A3', ... }
 */
export function walTimelineJson(
  cluster: ClusterId,
  timeline: TimelineId,
  records: Iterable<WalObjectRecord>,
  size: WalSegmentSize,
): WalTimelineJson | undefined {
  let first: number | undefined;
  let last: number | undefined;
  const distinct = new Set<number>();
  let bytes = 0;
  for (const record of records) {
    if (record.deleted || record.kind !== 'segment' || record.segNo === undefined) continue;
    distinct.add(record.segNo);
    bytes += record.size;
    first = first === undefined ? record.segNo : Math.min(first, record.segNo);
    last = last === undefined ? record.segNo : Math.max(last, record.segNo);
  }
  if (first === undefined || last === undefined) return undefined;
  const name = (segNo: number) => walFileName({ timeline, segNo: segNo as never }, size);
  return {
    cluster,
    timeline,
    firstSegment: name(first),
    lastSegment: name(last),
    segments: distinct.size,
    bytes,
  };
}
