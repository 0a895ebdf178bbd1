import { InvalidWalNameError } from '../errors.ts';
import { type Lsn, lsnFromInteger } from './lsn.ts';
import { segmentsPerLogId, type WalSegmentSize } from './segment-size.ts';
import { formatTimelineHex, parseTimelineHex, type TimelineId } from './timeline.ts';

declare const segNoBrand: unique symbol;
/**
 * PostgreSQL's `XLogSegNo`: the position of a segment in the WAL stream, `lsn / wal_segment_size`. At most 2^44
 * (1 MiB segments), so a JS number holds it exactly.
 */
export type SegmentNumber = number & { readonly [segNoBrand]: true };

/** One WAL segment file: a timeline and a segment number. */
export interface WalSegment {
  readonly timeline: TimelineId;
  readonly segNo: SegmentNumber;
}

const MAX_SEGNO_FOR_1MIB = 2 ** 44 - 1;
const WAL_FILE_NAME = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})$/;

export function segmentNumber(value: number): SegmentNumber {
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_SEGNO_FOR_1MIB) {
    throw new InvalidWalNameError(`segment number ${value} is out of range 0..2^44-1`);
  }
  return value as SegmentNumber;
}

/** True for a 24-upper-hex WAL file name (it may still be invalid for a given segment size). */
export function isWalFileName(name: string): boolean {
  return WAL_FILE_NAME.test(name);
}

/**
 * Parses a 24-hex WAL file name (`TTTTTTTTLLLLLLLLSSSSSSSS`) for a given segment size.
 *
 * @example parseWalFileName('0000000100000000000000FF', 16 MiB) // { timeline: 1, segNo: 255 }
 * @throws InvalidWalNameError when the name is not 24 upper-case hex digits or its low part is not a segment of
 *   this size (e.g. `...00000100` at 16 MiB).
 */
export function parseWalFileName(name: string, size: WalSegmentSize): WalSegment {
  const match = WAL_FILE_NAME.exec(name);
  if (!match) {
    throw new InvalidWalNameError(`WAL file name ${JSON.stringify(name)} is not 24 upper-case hex digits`);
  }
  const timeline = parseTimelineHex(match[1] as string);
  const log = Number.parseInt(match[2] as string, 16);
  const seg = Number.parseInt(match[3] as string, 16);
  const perLog = segmentsPerLogId(size);
  if (seg >= perLog) {
    throw new InvalidWalNameError(
      `WAL file name ${name}: segment part ${(match[3] as string).replace(/^0+(?=.)/, '')} is not below ${perLog.toString(16).toUpperCase()} for ${size / 1048576} MiB segments; check walSegmentSize`,
    );
  }
  return { timeline, segNo: segmentNumber(log * perLog + seg) };
}

/**
 * The 24-hex file name of a segment, as `XLogFileName` writes it.
 *
 * @example walFileName({ timeline: 1, segNo: 256 }, 16 MiB) === '000000010000000100000000'
 */
export function walFileName(segment: WalSegment, size: WalSegmentSize): string {
  const perLog = segmentsPerLogId(size);
  const log = Math.floor(segment.segNo / perLog);
  const seg = segment.segNo % perLog;
  if (log > 0xffffffff) {
    // Only 1 MiB segments use all 2^44 segment numbers; a larger size would need a 9-digit log id.
    throw new InvalidWalNameError(
      `segment number ${segment.segNo} is past the end of the 64-bit WAL space for ${size / 1048576} MiB segments; check walSegmentSize`,
    );
  }
  return (
    formatTimelineHex(segment.timeline) +
    log.toString(16).toUpperCase().padStart(8, '0') +
    seg.toString(16).toUpperCase().padStart(8, '0')
  );
}

/** The segment number holding the byte at `lsn` (`XLByteToSeg`). */
export function segNoOfLsn(lsn: Lsn, size: WalSegmentSize): SegmentNumber {
  return segmentNumber(Number(lsn / BigInt(size)));
}

/**
 * The segment number holding the byte before `lsn` (`XLByteToPrevSeg`): the last segment needed to reach an end
 * position such as a backup's finish LSN. For LSN 0 it is segment 0.
 */
export function segNoOfByteBefore(lsn: Lsn, size: WalSegmentSize): SegmentNumber {
  return lsn === 0n ? segmentNumber(0) : segmentNumber(Number((lsn - 1n) / BigInt(size)));
}

/** The segment on `timeline` that holds `lsn`. */
export function segmentOfLsn(lsn: Lsn, timeline: TimelineId, size: WalSegmentSize): WalSegment {
  return { timeline, segNo: segNoOfLsn(lsn, size) };
}

/** The LSN of the first byte of a segment. */
export function segmentStartLsn(segNo: SegmentNumber, size: WalSegmentSize): Lsn {
  return lsnFromInteger(BigInt(segNo) * BigInt(size));
}

/** The next segment on the same timeline (crosses log-id boundaries: `...000000FF` then `...0000000B00000000`). */
export function nextSegment(segment: WalSegment): WalSegment {
  return { timeline: segment.timeline, segNo: segmentNumber(segment.segNo + 1) };
}

/** The previous segment on the same timeline. */
export function previousSegment(segment: WalSegment): WalSegment {
  if (segment.segNo === 0) {
    throw new InvalidWalNameError('segment 0 has no predecessor');
  }
  return { timeline: segment.timeline, segNo: segmentNumber(segment.segNo - 1) };
}

/** Orders by segment number, then timeline (the order of WAL file names within one timeline). */
export function compareSegments(a: WalSegment, b: WalSegment): number {
  return a.segNo - b.segNo || a.timeline - b.timeline;
}
