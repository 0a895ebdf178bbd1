import { InvalidInputError } from '../errors.ts';
import { formatLsn, type Lsn, lsnFromInteger, parseLsn } from './lsn.ts';
import type { WalSegmentSize } from './segment-size.ts';
import { formatTimelineHex, type TimelineId, timelineId } from './timeline.ts';
import { type SegmentNumber, segmentNumber, segNoOfByteBefore, segNoOfLsn } from './wal-segment.ts';

/** One line of a history file: `parent` was left for its child at `switchpoint`. */
export interface TimelineHistoryEntry {
  readonly parent: TimelineId;
  /** The first LSN that belongs to the child; the parent is valid for LSNs before it. */
  readonly switchpoint: Lsn;
  readonly reason: string;
}

/**
 * The content of `<timeline>.history`: the whole ancestry of `timeline`, oldest first (the file of timeline N copies
 * its parent's file and appends one line).
 */
export interface TimelineHistory {
  readonly timeline: TimelineId;
  readonly entries: readonly TimelineHistoryEntry[];
}

/** The LSN range `[beginLsn, endLsn)` in which `timeline` is the one to follow. */
export interface TimelineSpan {
  readonly timeline: TimelineId;
  /** 0 for the oldest timeline of the ancestry. */
  readonly beginLsn: Lsn;
  /** The switchpoint to the next timeline; undefined for the newest (still open). */
  readonly endLsn?: Lsn;
}

/** A timeline switch located in segment space. */
export interface TimelineSwitch {
  readonly parent: TimelineId;
  readonly child: TimelineId;
  readonly switchpoint: Lsn;
  /**
   * `segNo(switchpoint)`: the child's copy of this segment holds the parent's data up to the switchpoint, so the
   * parent's own copy (usually archived as `.partial`) is not needed to follow the child.
   */
  readonly segNo: SegmentNumber;
}

/** The WAL segments of one timeline that a restore needs, inclusive range. */
export interface RequiredSegmentRange {
  readonly timeline: TimelineId;
  readonly fromSegNo: SegmentNumber;
  readonly toSegNo: SegmentNumber;
}

/** A history file that does not parse; names the file and the line. */
export class InvalidTimelineHistoryError extends InvalidInputError {
  override readonly name: string = 'InvalidTimelineHistoryError';
  constructor(
    readonly fileName: string,
    readonly lineNumber: number | undefined,
    problem: string,
  ) {
    super(`${fileName}${lineNumber === undefined ? '' : ` line ${lineNumber}`}: ${problem}`);
  }
}

// PostgreSQL reads lines with sscanf("%u\t%X/%X"), where the tab matches any run of white space.
const ENTRY_LINE = /^(\d+)[\t ]+([0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8})(?:[\t ]+(.*))?$/;

/**
 * Parses the text of a timeline history file as PostgreSQL's `readTimelineHistory` does: one
 * `parentTLI<TAB>switchpoint<TAB>reason` line per ancestor, `#` comments and blank lines ignored, switchpoints in
 * `%X/%X` or the zero-padded `%X/%08X` form. Parent timelines must increase and stay below `timeline`;
 * switchpoints must not go backwards.
 *
 * @param sourceName how errors name the file (default `<timeline hex>.history`), e.g. the object key.
 * @throws InvalidTimelineHistoryError naming the file, the line and the bad value.
 * @example
 * parseTimelineHistory(timelineId(2), '1\t0/3000060\tno recovery target specified\n')
 * // { timeline: 2, entries: [{ parent: 1, switchpoint: 0x3000060n, reason: 'no recovery target specified' }] }
 */
export function parseTimelineHistory(timeline: TimelineId, text: string, sourceName?: string): TimelineHistory {
  const fileName = sourceName ?? `${formatTimelineHex(timeline)}.history`;
  const entries: TimelineHistoryEntry[] = [];
  text.split('\n').forEach((rawLine, index) => {
    const lineNumber = index + 1;
    const line = rawLine.replace(/\r$/, '');
    const trimmed = line.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) {
      return;
    }
    const match = ENTRY_LINE.exec(trimmed);
    if (!match) {
      throw new InvalidTimelineHistoryError(
        fileName,
        lineNumber,
        `${JSON.stringify(line)} is not "parentTLI<TAB>X/Y<TAB>reason" (e.g. "1\\t0/3000060\\tno recovery target specified"); the file is damaged or not a history file`,
      );
    }
    const parentValue = Number(match[1]);
    if (!Number.isSafeInteger(parentValue) || parentValue < 1 || parentValue > 0xffffffff) {
      throw new InvalidTimelineHistoryError(
        fileName,
        lineNumber,
        `parent timeline ${match[1]} is not in 1..4294967295`,
      );
    }
    const parent = timelineId(parentValue);
    const switchpoint = parseLsn(match[2] as string);
    const previous = entries.at(-1);
    if (previous && parent <= previous.parent) {
      throw new InvalidTimelineHistoryError(
        fileName,
        lineNumber,
        `parent timeline ${parent} does not increase (previous line has ${previous.parent}); timeline ids must be in increasing sequence`,
      );
    }
    if (parent >= timeline) {
      throw new InvalidTimelineHistoryError(
        fileName,
        lineNumber,
        `parent timeline ${parent} is not below the file's own timeline ${timeline}; check that the file name matches its content`,
      );
    }
    if (previous && switchpoint < previous.switchpoint) {
      throw new InvalidTimelineHistoryError(
        fileName,
        lineNumber,
        `switchpoint ${formatLsn(switchpoint)} is before the previous switchpoint ${formatLsn(previous.switchpoint)}`,
      );
    }
    entries.push(Object.freeze({ parent, switchpoint, reason: match[3] ?? '' }));
  });
  if (timeline > 1 && entries.length === 0) {
    throw new InvalidTimelineHistoryError(
      fileName,
      undefined,
      `has no entries, but timeline ${timeline} must have at least one parent; the file is empty or truncated`,
    );
  }
  return Object.freeze({ timeline, entries: Object.freeze(entries) });
}

/**
 * The history of timeline 1, which has no history file.
 *
 * @example timelineAncestry(rootTimelineHistory()) // [{ timeline: 1, beginLsn: 0n }]
 */
export function rootTimelineHistory(): TimelineHistory {
  return Object.freeze({ timeline: timelineId(1), entries: Object.freeze([]) });
}

/**
 * The timelines a server on `history.timeline` has followed, oldest first, each with the LSN range in which it is
 * the one to follow (PostgreSQL's `expectedTLEs`, reversed).
 *
 * @example
 * timelineAncestry(parseTimelineHistory(timelineId(2), '1\t0/3000060\tx'))
 * // [{ timeline: 1, beginLsn: 0n, endLsn: 0x3000060n }, { timeline: 2, beginLsn: 0x3000060n }]
 */
export function timelineAncestry(history: TimelineHistory): readonly TimelineSpan[] {
  const spans: TimelineSpan[] = [];
  let beginLsn = lsnFromInteger(0n);
  for (const entry of history.entries) {
    spans.push(Object.freeze({ timeline: entry.parent, beginLsn, endLsn: entry.switchpoint }));
    beginLsn = entry.switchpoint;
  }
  spans.push(Object.freeze({ timeline: history.timeline, beginLsn }));
  return Object.freeze(spans);
}

/**
 * The timeline of the ancestry that holds `lsn` (PostgreSQL's `tliOfPointInHistory`): the switchpoint itself
 * belongs to the child.
 *
 * @example timelineOfLsn(parseTimelineHistory(timelineId(2), '1\t0/3000060\tx'), parseLsn('0/3000060')) === 2
 */
export function timelineOfLsn(history: TimelineHistory, lsn: Lsn): TimelineId {
  for (const entry of history.entries) {
    if (lsn < entry.switchpoint) {
      return entry.parent;
    }
  }
  return history.timeline;
}

/**
 * Every switch of the ancestry with the segment number it happens in, oldest first.
 *
 * @example
 * switchSegments(parseTimelineHistory(timelineId(2), '1\t0/3000060\tx'), walSegmentSize(16 * 1024 * 1024))
 * // [{ parent: 1, child: 2, switchpoint: 0x3000060n, segNo: 3 }]
 */
export function switchSegments(history: TimelineHistory, size: WalSegmentSize): readonly TimelineSwitch[] {
  return Object.freeze(
    history.entries.map((entry, index) =>
      Object.freeze({
        parent: entry.parent,
        child: history.entries[index + 1]?.parent ?? history.timeline,
        switchpoint: entry.switchpoint,
        segNo: segNoOfLsn(entry.switchpoint, size),
      }),
    ),
  );
}

/**
 * The (timeline, segment range) pairs a restore along `history.timeline` reads to replay the WAL bytes
 * `[fromLsn, toLsn)`, oldest first. After a switch at L with S = segNo(L), the parent contributes its segments
 * below S and the child its segments from S on: the child's segment S begins with a copy of the parent's bytes up to
 * L, so the parent's own segment S (its `.partial`) is never needed. A timeline whose whole life falls inside one
 * segment contributes nothing (the next timeline's copy of that segment holds it).
 *
 * `toLsn` is exclusive: pass a backup's finish LSN as is, or the LSN just past the last record to replay. An empty
 * range (`toLsn <= fromLsn`) needs no segments.
 *
 * @example
 * requiredSegments(parseTimelineHistory(timelineId(2), '1\t0/3000060\tx'), parseLsn('0/1000028'),
 *   parseLsn('0/5000000'), walSegmentSize(16 * 1024 * 1024))
 * // [{ timeline: 1, fromSegNo: 1, toSegNo: 2 }, { timeline: 2, fromSegNo: 3, toSegNo: 4 }]
 */
export function requiredSegments(
  history: TimelineHistory,
  fromLsn: Lsn,
  toLsn: Lsn,
  size: WalSegmentSize,
): readonly RequiredSegmentRange[] {
  if (toLsn <= fromLsn) {
    return Object.freeze([]);
  }
  const firstNeeded = segNoOfLsn(fromLsn, size);
  const lastNeeded = segNoOfByteBefore(toLsn, size);
  const ranges: RequiredSegmentRange[] = [];
  for (const span of timelineAncestry(history)) {
    const ownFirst = segNoOfLsn(span.beginLsn, size);
    // The last segment a timeline owns is the one before its switch segment; the newest owns everything after.
    const ownLast = span.endLsn === undefined ? Number.POSITIVE_INFINITY : segNoOfLsn(span.endLsn, size) - 1;
    const from = Math.max(ownFirst, firstNeeded);
    const to = Math.min(ownLast, lastNeeded);
    if (from <= to) {
      ranges.push(
        Object.freeze({ timeline: span.timeline, fromSegNo: segmentNumber(from), toSegNo: segmentNumber(to) }),
      );
    }
  }
  return Object.freeze(ranges);
}

/** A `.history` object as the catalog holds it: its timeline, its key and its decompressed text when it was read. */
export interface HistoryFile {
  readonly timeline: TimelineId;
  readonly key: string;
  readonly content?: string;
}

/** A `.history` file that exists but cannot be used, with the reason (a finding, never an exception). */
export interface UnreadableHistory {
  readonly timeline: TimelineId;
  readonly key: string;
  readonly problem: string;
  /**
   * True when the object's bytes are not text at all (they did not decompress, or decode to binary): what WAL-G's
   * client-side encryption (libsodium, OpenPGP) makes of every history file. False for text that does not parse or
   * contradicts its parent, which encryption cannot explain.
   */
  readonly likelyEncrypted?: boolean;
}

// Control characters other than tab, CR and LF, and the replacement character of invalid UTF-8: never in the text
// PostgreSQL writes to a history file, always somewhere in a few hundred bytes of ciphertext.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const NOT_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFD]/;

/** What {@link readHistoryFiles} makes of a cluster's `.history` files. */
export interface HistoryFilesReading<File extends HistoryFile> {
  readonly readable: ReadonlyArray<{ readonly file: File; readonly history: TimelineHistory }>;
  readonly unreadable: readonly UnreadableHistory[];
}

/**
 * The one policy under which continuity and restore planning read a cluster's `.history` files. A file is unusable,
 * and reported with the reason instead of thrown, when its text was not read, it does not parse
 * ({@link parseTimelineHistory}), or it contradicts the ancestry the bucket shows: PostgreSQL writes the file of a
 * new timeline as a copy of its parent's file plus one line, and every ancestry begins on timeline 1 (initdb), so
 * a file whose ancestry does not start on timeline 1, or whose lines before its last one differ from its parent's
 * (readable) file, skips or rewrites its real ancestors. Following it would silently drop WAL or a timeline.
 * Of several readable files for one timeline (two compressions) the first is used.
 *
 * @example readHistoryFiles([{ timeline: 2, key: 'wal_005/00000002.history.br', content: '1\t0/3000060\tx' }])
 * // { readable: [{ file, history: { timeline: 2, entries: [...] } }], unreadable: [] }
 */
export function readHistoryFiles<File extends HistoryFile>(files: readonly File[]): HistoryFilesReading<File> {
  const unreadable: UnreadableHistory[] = [];
  const parsed: Array<{ file: File; history: TimelineHistory }> = [];
  for (const file of files) {
    if (file.content === undefined) {
      unreadable.push({
        timeline: file.timeline,
        key: file.key,
        problem: `${file.key}: its text was not read (too large or not decodable); run walcat sync to read it again`,
        likelyEncrypted: true,
      });
      continue;
    }
    try {
      parsed.push({ file, history: parseTimelineHistory(file.timeline, file.content, file.key) });
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      unreadable.push({
        timeline: file.timeline,
        key: file.key,
        problem: error.message,
        likelyEncrypted: NOT_TEXT.test(file.content),
      });
    }
  }
  parsed.sort((a, b) => a.history.timeline - b.history.timeline);
  const accepted = new Map<number, { file: File; history: TimelineHistory }>();
  for (const candidate of parsed) {
    const { history, file } = candidate;
    if (accepted.has(history.timeline)) continue;
    const problem = ancestryProblem(history, accepted);
    if (problem === undefined) accepted.set(history.timeline, candidate);
    else unreadable.push({ timeline: history.timeline, key: file.key, problem: `${file.key}: ${problem}` });
  }
  unreadable.sort((a, b) => a.timeline - b.timeline || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { readable: [...accepted.values()], unreadable };
}

function describeEntries(entries: readonly TimelineHistoryEntry[]): string {
  return entries.length === 0
    ? 'no ancestors'
    : entries.map((entry) => `${entry.parent} until ${formatLsn(entry.switchpoint)}`).join(', ');
}

function ancestryProblem(
  history: TimelineHistory,
  accepted: ReadonlyMap<number, { readonly history: TimelineHistory }>,
): string | undefined {
  const first = history.entries[0];
  if (first !== undefined && first.parent !== 1) {
    return `its ancestry begins on timeline ${first.parent}, not 1 (every cluster starts on timeline 1), so it skips its real ancestors; restore the file from the server of timeline ${history.timeline} (pg_wal/${formatTimelineHex(history.timeline)}.history) and push it again`;
  }
  const last = history.entries.at(-1);
  if (last === undefined || last.parent === 1) return undefined;
  const parent = accepted.get(last.parent)?.history;
  if (parent === undefined) return undefined;
  const own = history.entries.slice(0, -1);
  const same =
    own.length === parent.entries.length &&
    own.every(
      (entry, index) =>
        entry.parent === parent.entries[index]?.parent && entry.switchpoint === parent.entries[index]?.switchpoint,
    );
  if (same) return undefined;
  return `it lists the ancestors of timeline ${last.parent} as ${describeEntries(own)}, but ${formatTimelineHex(last.parent)}.history lists ${describeEntries(parent.entries)}; PostgreSQL copies the parent's file into the child's, so this file skips or rewrites its real ancestors; push the file from the server of timeline ${history.timeline} again`;
}
