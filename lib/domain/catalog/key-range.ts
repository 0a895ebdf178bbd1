/**
 * Key ranges for listing a prefix in parallel. ListObjectsV2 can start after any key but only stops at the end of
 * the prefix, so a range is `(after, until]`: listed with `StartAfter = after`, stopping at the first key above
 * `until`. Ranges produced by a split tile the remainder exactly, so a sharded listing sees every key once, whatever
 * the keys look like; the key shape only affects how evenly the work spreads.
 */
export interface KeyRange {
  /** Exclusive lower bound; `''` for the start of the prefix. */
  readonly after: string;
  /** Inclusive upper bound; undefined for the end of the prefix. */
  readonly until?: string;
}

/** The part of a key after the shared stem is read as a hexadecimal fraction of this many digits. */
const DIGITS = 40;
const HEX = '0123456789ABCDEF';
const SPACE = 16n ** BigInt(DIGITS);

/** The rank of a character among the hex digits: exact for hex, the nearest lower digit otherwise. */
function hexRank(char: string | undefined): number {
  if (char === undefined || char < '0') return 0;
  let rank = 0;
  for (let index = 0; index < HEX.length; index++) if ((HEX[index] as string) <= char) rank = index;
  return rank;
}

function keyPosition(key: string, stem: string): bigint {
  let value = 0n;
  for (let index = 0; index < DIGITS; index++) value = value * 16n + BigInt(hexRank(key[stem.length + index]));
  return value;
}

function keyAtPosition(position: bigint, stem: string): string {
  return stem + position.toString(16).toUpperCase().padStart(DIGITS, '0');
}

function commonPrefix(a: string, b: string): string {
  let length = 0;
  while (length < a.length && length < b.length && a[length] === b[length]) length++;
  return a.slice(0, length);
}

/**
 * Splits what remains of `range` after a truncated page whose keys ran from `firstKey` to `lastKey`: assuming the
 * keys continue about as densely as on that page, the next `fanOut` ranges hold about a page each, and the rest
 * of the prefix is one tail range that splits again when it is listed. Keys are read as hex numbers after the stem
 * the page's keys share, for the estimate only; the boundaries are ordinary strings.
 *
 * @example splitRemainingRange({ after: '' }, 'p/wal_005/0000000100000000000000A0', 'p/wal_005/0000000100000004000000E7', 'p/', 16)
 *   // 16 ranges of about one page each after ...04000000E7, then (last boundary, end of prefix)
 */
export function splitRemainingRange(
  range: KeyRange,
  firstKey: string,
  lastKey: string,
  prefix: string,
  fanOut: number,
): KeyRange[] {
  // WAL and backup names are upper-case hex after a shared stem (`<prefix>wal_005/`, the timeline...), so the
  // varying part reads densely as a hex number.
  const stem = commonPrefix(firstKey, lastKey);
  const first = keyPosition(firstKey, stem.length < prefix.length ? prefix : stem);
  const last = keyPosition(lastKey, stem.length < prefix.length ? prefix : stem);
  const width = last - first > 0n ? last - first : 1n;
  const ranges: KeyRange[] = [];
  let after = lastKey;
  for (let step = 1; step <= fanOut; step++) {
    const position = last + width * BigInt(step);
    if (position >= SPACE) break;
    const boundary = keyAtPosition(position, stem.length < prefix.length ? prefix : stem);
    if (boundary <= after || (range.until !== undefined && boundary >= range.until)) break;
    ranges.push({ after, until: boundary });
    after = boundary;
  }
  ranges.push(range.until === undefined ? { after } : { after, until: range.until });
  return ranges;
}
