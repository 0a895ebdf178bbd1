/**
 * Which catalogued WAL objects a range of S3 keys can hold. The catalog keeps WAL by (timeline, segment number),
 * the bucket by key; a WAL key is `<root>wal_005/<TTTTTTTT><LLLLLLLL><SSSSSSSS>[suffix]`, so for one segment size
 * key order and (timeline, segment) order agree. A full sync compares one listed key range with the catalog records
 * of the same range; these bounds are a superset of that range (callers filter by key), never a subset, so the
 * sync never mistakes a record it did not query for one the listing lacks.
 */

import { WAL_FOLDER } from '../layout/wal-g-layout.ts';
import { segmentsPerLogId, type WalSegmentSize } from '../wal/segment-size.ts';
import type { TimelineId } from '../wal/timeline.ts';
import type { SegmentNumber } from '../wal/wal-segment.ts';
import type { KeyRange } from './key-range.ts';

/** A position in (timeline, segment number) order; both inclusive bounds. */
export interface WalPosition {
  readonly timeline: number;
  readonly segNo: number;
}

export interface WalKeyBounds {
  readonly from: WalPosition;
  readonly to: WalPosition;
}

const HEX = /^[0-9A-F]$/;
const MAX_TIMELINE = 0xffffffff;

/** The 24 name digits of a bound, with characters from the first non-hex one on replaced by `fill`. */
function digitsOf(name: string, fill: '0' | 'F'): string {
  let digits = '';
  for (let index = 0; index < 24; index++) {
    const char = name[index];
    if (char === undefined || !HEX.test(char)) return digits.padEnd(24, fill);
    digits += char;
  }
  return digits;
}

function positionOf(digits: string, size: WalSegmentSize, side: 'low' | 'high'): WalPosition {
  const perLog = segmentsPerLogId(size);
  const timeline = Number.parseInt(digits.slice(0, 8), 16);
  const log = Number.parseInt(digits.slice(8, 16), 16);
  const seg = Number.parseInt(digits.slice(16, 24), 16);
  // A segment part beyond the size's range names no segment: clamp to the last segment of that log id.
  return { timeline, segNo: log * perLog + Math.min(seg, perLog - 1) + (side === 'low' && seg >= perLog ? 1 : 0) };
}

/**
 * The (timeline, segment) bounds of the WAL keys in `range` (keys relative to nothing: full object keys), or
 * undefined when the range holds no WAL key of the root.
 *
 * @example walKeyBounds({ after: 'p/wal_005/000000010000000000000003.br' }, 'p/', size)
 *   // { from: { timeline: 1, segNo: 3 }, to: { timeline: 0xFFFFFFFF, segNo: max } }
 */
export function walKeyBounds(range: KeyRange, root: string, size: WalSegmentSize): WalKeyBounds | undefined {
  const folder = `${root}${WAL_FOLDER}`;
  const lastPossible: WalPosition = { timeline: MAX_TIMELINE, segNo: Number.MAX_SAFE_INTEGER };
  // Every WAL key is the folder and a name, so a range that ends at the folder itself (the backups range of a
  // sharded listing) holds none: without this its bounds were the whole catalog.
  if (range.until !== undefined && range.until <= folder) return undefined;
  if (range.after >= folder && !range.after.startsWith(folder)) return undefined;
  const from =
    range.after < folder
      ? { timeline: 0, segNo: 0 }
      : positionOf(digitsOf(range.after.slice(folder.length), '0'), size, 'low');
  const to =
    range.until === undefined || !range.until.startsWith(folder)
      ? lastPossible
      : positionOf(digitsOf(range.until.slice(folder.length), 'F'), size, 'high');
  return { from, to };
}

/** The segment range to query on one timeline within `bounds`, or undefined when the timeline is outside. */
export function timelineSegmentRange(
  bounds: WalKeyBounds,
  timeline: TimelineId,
): { readonly fromSegNo?: SegmentNumber; readonly toSegNo?: SegmentNumber } | undefined {
  if (timeline < bounds.from.timeline || timeline > bounds.to.timeline) return undefined;
  // A range between two names that are not segments of this size can hold none (and a reversed sort-key range is
  // an error in DynamoDB).
  if (bounds.from.timeline === bounds.to.timeline && bounds.from.segNo > bounds.to.segNo) return undefined;
  return {
    ...(timeline === bounds.from.timeline ? { fromSegNo: bounds.from.segNo as SegmentNumber } : {}),
    ...(timeline === bounds.to.timeline && bounds.to.segNo !== Number.MAX_SAFE_INTEGER
      ? { toSegNo: bounds.to.segNo as SegmentNumber }
      : {}),
  };
}

/** Whether `key` lies in the range `(after, until]`. */
export const keyInRange = (key: string, range: KeyRange): boolean =>
  key > range.after && (range.until === undefined || key <= range.until);
