import { InvalidBackupNameError } from '../backup/backup-errors.ts';
import type { WalSegmentSize } from '../wal/segment-size.ts';
import type { TimelineId } from '../wal/timeline.ts';
import type { WalSegment } from '../wal/wal-segment.ts';
import { WALE_OFFSET_DIGITS } from './wal-e-layout.ts';
import { BACKUP_NAME_PREFIX, DELTA_NAME_SEPARATOR } from './wal-g-layout.ts';
import { decimalRunLength, readDecimal, segmentOrReason, upperHexRunLength } from './wal-name-scan.ts';

/** What a backup name says: WAL-G's sentinel does not store the timeline or start segment, the name does. */
export interface BackupNameParts {
  /** The first 24-hex run: the segment holding the backup start. */
  readonly startSegment: WalSegment;
  /** Hex characters 5..12 of the name (`ParseTimelineFromBackupName`). */
  readonly timeline: TimelineId;
  /** True for WAL-G delta names `base_<own>_D_<parent>`. */
  readonly isDelta: boolean;
  /**
   * Start segment of the immediate parent of a delta. Absent for full backups, and for deltas whose parent name had
   * no 24-hex run (WAL-G then writes 24 `Z`s).
   */
  readonly deltaParentStart?: WalSegment;
  /** WAL-E names only: byte offset of the backup start inside the start segment (8 decimal digits). */
  readonly waleOffset?: number;
}

const HEX_RUN = 24;
const START_HEX = BACKUP_NAME_PREFIX.length;
const AFTER_START = START_HEX + HEX_RUN;
const PARENT_HEX = AFTER_START + DELTA_NAME_SEPARATOR.length;
const AFTER_PARENT = PARENT_HEX + HEX_RUN;
const CODE_Z = 90;
const CODE_UNDERSCORE = 95;
const FORM = 'base_<24 hex>[_D_<24 hex>][_<8 digits>]';

function isRunOfZ(text: string, start: number, length: number): boolean {
  for (let i = start; i < start + length; i++) if (text.charCodeAt(i) !== CODE_Z) return false;
  return true;
}

/**
 * Parses a backup name, or returns why it is not one (no exception: key classification calls this on hot paths).
 * Accepts what WAL-G's own name regex accepts, `base_<24hex>(_D_<24hex>)?(_<8>)?`, with the 8-character WAL-E
 * offset restricted to decimal digits as WAL-E writes it.
 *
 * @example analyzeBackupName('base_000000010000000000000002', 16 MiB) // { timeline: 1, startSegment: {1, 2}, ... }
 * @example analyzeBackupName('base_0000000100000000000001FF', 16 MiB) // a reason naming walSegmentSize
 */
export function analyzeBackupName(name: string, size: WalSegmentSize): BackupNameParts | string {
  if (!name.startsWith(BACKUP_NAME_PREFIX)) {
    return `backup name ${name} does not start with ${BACKUP_NAME_PREFIX} (expected ${FORM})`;
  }
  if (name.length < AFTER_START || upperHexRunLength(name, START_HEX) < HEX_RUN) {
    return `backup name ${name} lacks the 24 upper-case hex digits of its start segment after ${BACKUP_NAME_PREFIX} (expected ${FORM})`;
  }
  const start = segmentOrReason(name, START_HEX, size);
  if (typeof start === 'string') return `backup name ${name}: ${start}`;
  let position = AFTER_START;
  let isDelta = false;
  let deltaParentStart: WalSegment | undefined;
  if (name.startsWith(DELTA_NAME_SEPARATOR, position)) {
    isDelta = true;
    if (name.length >= AFTER_PARENT && upperHexRunLength(name, PARENT_HEX) >= HEX_RUN) {
      const parent = segmentOrReason(name, PARENT_HEX, size);
      if (typeof parent === 'string') return `backup name ${name}: delta parent ${parent}`;
      deltaParentStart = parent;
    } else if (!(name.length >= AFTER_PARENT && isRunOfZ(name, PARENT_HEX, HEX_RUN))) {
      return `backup name ${name}: ${DELTA_NAME_SEPARATOR} must be followed by the parent's 24 upper-case hex digits (expected ${FORM})`;
    }
    position = AFTER_PARENT;
  }
  let waleOffset: number | undefined;
  if (position < name.length) {
    const offsetStart = position + 1;
    if (name.charCodeAt(position) !== CODE_UNDERSCORE || name.length - offsetStart !== WALE_OFFSET_DIGITS) {
      return `backup name ${name} has unexpected text after position ${position} (expected ${FORM})`;
    }
    if (decimalRunLength(name, offsetStart) !== WALE_OFFSET_DIGITS) {
      const isHex = upperHexRunLength(name, offsetStart) === WALE_OFFSET_DIGITS;
      return isHex
        ? `backup name ${name}: the WAL-E start offset ${name.slice(offsetStart)} must be 8 decimal digits (WAL-E writes it in decimal)`
        : `backup name ${name} has unexpected text after position ${position} (expected ${FORM})`;
    }
    waleOffset = readDecimal(name, offsetStart, name.length);
    if (waleOffset >= size) {
      return `backup name ${name}: WAL-E start offset ${waleOffset} is not inside a segment of walSegmentSize ${size} bytes; check the cluster's walSegmentSize`;
    }
  }
  return {
    startSegment: start,
    timeline: start.timeline,
    isDelta,
    ...(deltaParentStart ? { deltaParentStart } : {}),
    ...(waleOffset === undefined ? {} : { waleOffset }),
  };
}

/**
 * Parses a WAL-G or WAL-E backup name into its start segment, timeline, delta parent start and WAL-E offset.
 *
 * @example parseBackupName('base_000000020000000A000000F1_D_000000020000000A00000010', 16 MiB)
 *   // { timeline: 2, startSegment: { timeline: 2, segNo: 2801 }, isDelta: true, deltaParentStart: {...} }
 * @throws InvalidBackupNameError naming the name and what is wrong with it.
 */
export function parseBackupName(
  name: string,
  size: WalSegmentSize,
): {
  startSegment: WalSegment;
  timeline: TimelineId;
  isDelta: boolean;
  deltaParentStart?: WalSegment;
  waleOffset?: number;
} {
  const parts = analyzeBackupName(name, size);
  if (typeof parts === 'string') throw new InvalidBackupNameError(parts);
  return parts;
}
