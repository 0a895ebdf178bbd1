import type { Lsn } from '../wal/lsn.ts';
import type { TimelineId } from '../wal/timeline.ts';
import type { WalSegment } from '../wal/wal-segment.ts';

/**
 * One base backup as walcat understands it, merged from the WAL-G sentinel (or WAL-E sentinel) and metadata.json.
 * metadata.json is authoritative for permanence and user data (`wal-g backup-mark` rewrites only it).
 */
export interface BaseBackup {
  readonly name: string;
  readonly kind: 'full' | 'delta';
  /** Immediate parent of a delta (`DeltaFrom`). */
  readonly deltaFrom?: string;
  /** Full backup at the root of a delta chain (`DeltaFullName`). */
  readonly deltaFullName?: string;
  readonly deltaCount?: number;
  /** From the backup name (WAL-G's sentinel does not store it). */
  readonly timeline: TimelineId;
  /** With `walRangeUnknown`, the start of the name's start segment when the sentinel has no `LSN`. */
  readonly startLsn: Lsn;
  /** With `walRangeUnknown`, equal to `startLsn`: a lower bound, not the real finish. */
  readonly finishLsn: Lsn;
  /**
   * True for a full backup whose sentinel (written by an old WAL-G: `{}`, or only `LSN` and `Files`) and absent
   * metadata.json do not say where its WAL ends. WAL-G restores such a backup; walcat lists it as complete but
   * cannot tell from which point a restore from it is consistent.
   */
  readonly walRangeUnknown?: true;
  /** The first 24-hex run of the name. */
  readonly startSegment: WalSegment;
  readonly startTime?: Date;
  readonly finishTime?: Date;
  /** server_version_num, e.g. 150004. */
  readonly pgVersion?: number;
  /** Above 2^53: never a JS number. */
  readonly systemIdentifier?: bigint;
  readonly uncompressedSize?: number;
  readonly compressedSize?: number;
  readonly hostname?: string;
  readonly dataDir?: string;
  readonly userData?: unknown;
  readonly permanent: boolean;
}
