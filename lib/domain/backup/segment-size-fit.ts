import type { Lsn } from '../wal/lsn.ts';
import {
  formatWalSegmentSize,
  MAX_WAL_SEGMENT_SIZE,
  MIN_WAL_SEGMENT_SIZE,
  segmentsPerLogId,
  type WalSegmentSize,
  walSegmentSize,
} from '../wal/segment-size.ts';
import type { BaseBackup } from './base-backup.ts';

/** A configured `walSegmentSize` that the backups in the bucket contradict. */
export interface SegmentSizeMismatch {
  readonly configured: WalSegmentSize;
  /** The size most checked backups' names and start LSNs agree on; undefined when none does. */
  readonly fits?: WalSegmentSize;
  /** How many backups were checked (most of them contradict the configured size). */
  readonly backups: number;
}

// WAL-G names a backup after the segment of its start LSN: base_<timeline><log id><segment>.
const WALG_NAME = /^base_[0-9A-F]{8}([0-9A-F]{8})([0-9A-F]{8})$/;

/** All sizes initdb accepts, smallest first. */
function allSizes(): WalSegmentSize[] {
  const sizes: WalSegmentSize[] = [];
  for (let size = MIN_WAL_SEGMENT_SIZE; size <= MAX_WAL_SEGMENT_SIZE; size *= 2) sizes.push(walSegmentSize(size));
  return sizes;
}

/**
 * True when a WAL-G backup name is the segment holding its start LSN at this size (or the one before it, as on a
 * standby, where WAL-G may name the backup after `segNo(start_lsn - 1)`).
 */
function nameFits(logHex: string, segHex: string, startLsn: Lsn, size: WalSegmentSize): boolean {
  const perLog = segmentsPerLogId(size);
  const seg = Number.parseInt(segHex, 16);
  if (seg >= perLog) return false;
  const named = BigInt(Number.parseInt(logHex, 16)) * BigInt(perLog) + BigInt(seg);
  const holding = startLsn / BigInt(size);
  const before = startLsn === 0n ? holding : (startLsn - 1n) / BigInt(size);
  return named === holding || named === before;
}

/**
 * Checks the configured segment size against the backups: each WAL-G backup's name states the segment of its start
 * LSN, so with the wrong `walSegmentSize` every name contradicts its sentinel's LSN (and gaps, windows and restore
 * plans compute segments that do not exist). Reports a mismatch only when most checked backups contradict the
 * configured size (one damaged sentinel is not a mismatch), with the size most of them fit. WAL-E backups (their
 * LSN is derived from the name) and backups whose WAL range is unknown are not checked.
 *
 * @example segmentSizeMismatch(backupsOf1MiBCluster, walSegmentSize(16 * 1024 * 1024))
 * // { configured: 16777216, fits: 1048576, backups: 3 }
 */
export function segmentSizeMismatch(
  backups: readonly BaseBackup[],
  configured: WalSegmentSize,
): SegmentSizeMismatch | undefined {
  const checked: Array<{ log: string; seg: string; lsn: Lsn }> = [];
  for (const backup of backups) {
    if (backup.walRangeUnknown) continue;
    const match = WALG_NAME.exec(backup.name);
    if (match === null) continue;
    checked.push({ log: match[1] as string, seg: match[2] as string, lsn: backup.startLsn });
  }
  const fitting = (size: WalSegmentSize): number =>
    checked.filter((backup) => nameFits(backup.log, backup.seg, backup.lsn, size)).length;
  // Most backups must contradict the configured size: one damaged sentinel (or a name that fits by chance) is not it.
  if (checked.length === 0 || fitting(configured) * 2 >= checked.length) return undefined;
  let best: { size: WalSegmentSize; count: number } | undefined;
  for (const size of allSizes()) {
    const count = fitting(size);
    if (count * 2 > checked.length && (best === undefined || count > best.count)) best = { size, count };
  }
  return { configured, backups: checked.length, ...(best === undefined ? {} : { fits: best.size }) };
}

/**
 * What a person reads about a mismatch, with the fix.
 *
 * @example describeSegmentSizeMismatch(mismatch) // 'walSegmentSize is 16MiB, but the start LSNs of all 3 ...'
 */
export function describeSegmentSizeMismatch(mismatch: SegmentSizeMismatch): string {
  const configured = formatWalSegmentSize(mismatch.configured);
  const fix =
    mismatch.fits === undefined
      ? 'no segment size fits most of them; check the cluster config and the sentinels'
      : `they fit ${formatWalSegmentSize(mismatch.fits)} segments: set walSegmentSize: ${formatWalSegmentSize(mismatch.fits)} (SHOW wal_segment_size on the server tells)`;
  return `walSegmentSize is ${configured}, but the start LSNs of the backups (${mismatch.backups} checked) contradict their segment names at that size; ${fix}`;
}
