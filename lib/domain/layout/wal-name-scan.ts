import { formatWalSegmentSize, segmentsPerLogId, type WalSegmentSize } from '../wal/segment-size.ts';
import type { TimelineId } from '../wal/timeline.ts';
import type { SegmentNumber, WalSegment } from '../wal/wal-segment.ts';

/*
 * Character-level scanning of WAL file names inside object keys. Key classification runs for every object of a
 * bucket listing (millions of keys), so these work on char codes in place instead of slicing and matching regexes.
 */

const CODE_0 = 48;
const CODE_9 = 57;
const CODE_LOWER_A = 97;
const CODE_LOWER_F = 102;

/** Digit value per char code below 128: 0-15 for `0-9A-F`, -1 otherwise (PostgreSQL writes WAL names in upper case). */
const UPPER_HEX_VALUE = new Int8Array(128).fill(-1);
for (let digit = 0; digit < 16; digit++) UPPER_HEX_VALUE[digit.toString(16).toUpperCase().charCodeAt(0)] = digit;

/** Value of an upper-case hex digit, -1 for anything else (including NaN past the end of a string). */
export function upperHexDigitValue(code: number): number {
  return code < 128 ? (UPPER_HEX_VALUE[code] as number) : -1;
}

export function isLowerHexLetter(code: number): boolean {
  return code >= CODE_LOWER_A && code <= CODE_LOWER_F;
}

export function isDecimalDigit(code: number): boolean {
  return code >= CODE_0 && code <= CODE_9;
}

/** Length of the run of upper-case hex digits starting at `start`. */
export function upperHexRunLength(text: string, start: number): number {
  let end = start;
  while (end < text.length && upperHexDigitValue(text.charCodeAt(end)) >= 0) end++;
  return end - start;
}

/** Length of the run of decimal digits starting at `start`. */
export function decimalRunLength(text: string, start: number): number {
  let end = start;
  while (end < text.length && isDecimalDigit(text.charCodeAt(end))) end++;
  return end - start;
}

/** Value of the 8 upper-case hex digits at `start`; the caller has checked they are hex digits. */
export function readHex8(text: string, start: number): number {
  return hex8At(text, start);
}

/** Value of the 8 characters at `start` read as upper-case hex, or -1 when any of them is not an upper-case hex digit. */
export function hex8At(text: string, start: number): number {
  let value = 0;
  for (let i = start; i < start + 8; i++) {
    const digit = upperHexDigitValue(text.charCodeAt(i));
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

/** Value of the decimal digits in `[start, end)`; the caller has checked they are digits. */
export function readDecimal(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + (text.charCodeAt(i) - CODE_0);
  return value;
}

/**
 * The segment named by the 24 upper-case hex digits at `start` (checked by the caller), or a reason why the name is
 * not a segment of this size (timeline 0, or a low part at or above the segments per log id).
 */
export function segmentOrReason(text: string, start: number, size: WalSegmentSize): WalSegment | string {
  return segmentOfParts(
    text,
    start,
    readHex8(text, start),
    readHex8(text, start + 8),
    readHex8(text, start + 16),
    size,
  );
}

/**
 * {@link segmentOrReason} for a name whose three 8-hex parts (timeline, log, seg) the caller has already read; the
 * text is only used for messages.
 */
export function segmentOfParts(
  text: string,
  start: number,
  timeline: number,
  log: number,
  seg: number,
  size: WalSegmentSize,
): WalSegment | string {
  if (timeline === 0) {
    return `WAL name ${text.slice(start, start + 24)} has timeline 0; PostgreSQL timelines start at 1`;
  }
  const perLog = segmentsPerLogId(size);
  if (seg >= perLog) {
    const limit = perLog.toString(16).toUpperCase().padStart(8, '0');
    return (
      `WAL name ${text.slice(start, start + 24)} is not a segment of walSegmentSize ${formatWalSegmentSize(size)}: ` +
      `its last 8 digits must be below ${limit}; check the cluster's walSegmentSize`
    );
  }
  return { timeline: timeline as TimelineId, segNo: (log * perLog + seg) as SegmentNumber };
}

/**
 * The segment a whole 24-hex WAL file name denotes, or why it is not one (wrong length, not upper-case hex, timeline
 * 0, not a segment of this size).
 */
export function wholeSegmentOrReason(name: string, size: WalSegmentSize): WalSegment | string {
  if (name.length !== 24 || upperHexRunLength(name, 0) !== 24) {
    return `${name} is not a WAL file name of 24 upper-case hex digits`;
  }
  return segmentOrReason(name, 0, size);
}
