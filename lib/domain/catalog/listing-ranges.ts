/**
 * Where to cut a cluster's root for a parallel listing: at quantiles of what the catalog already holds. The catalog
 * knows each timeline's first and last segment, so cuts at equal shares of the catalogued segments give ranges of
 * about equal object counts, each listed to its end by one worker; the backups folder (everything before
 * `wal_005/`) is a range of its own, and so is the tail after the newest catalogued segment (where new or never
 * catalogued keys are). The ranges tile the listed range exactly, so how good the estimate is only changes how evenly
 * the work spreads, never what is listed.
 */

import { WAL_FOLDER } from '../layout/wal-g-layout.ts';
import type { WalSegmentSize } from '../wal/segment-size.ts';
import type { TimelineId } from '../wal/timeline.ts';
import { type SegmentNumber, walFileName } from '../wal/wal-segment.ts';
import type { KeyRange } from './key-range.ts';
import { timelineSegmentRange, walKeyBounds } from './wal-key-bounds.ts';

/** The catalogued WAL segments of one timeline, first to newest. */
export interface WalSpan {
  readonly timeline: number;
  readonly first: number;
  readonly last: number;
}

/** A key that sorts after every object of segment `name` (`.br`, `.partial`, `.00000028.backup` ...). */
export const afterSegmentKeys = (root: string, name: string): string => `${root}${WAL_FOLDER}${name}~`;

/**
 * The boundaries that cut the catalogued segments into `parts` shares of about equal size: after the last segment
 * of each share but the last.
 */
export function segmentQuantiles(
  root: string,
  walSegmentSize: WalSegmentSize,
  spans: readonly WalSpan[],
  parts: number,
): string[] {
  const ordered = [...spans].sort((a, b) => a.timeline - b.timeline);
  const total = ordered.reduce((sum, span) => sum + span.last - span.first + 1, 0);
  const boundaries: string[] = [];
  for (let part = 1; part < parts && total >= parts; part++) {
    let position = Math.ceil((part * total) / parts) - 1;
    for (const span of ordered) {
      const count = span.last - span.first + 1;
      if (position >= count) {
        position -= count;
        continue;
      }
      const name = walFileName(
        { timeline: span.timeline as TimelineId, segNo: (span.first + position) as SegmentNumber },
        walSegmentSize,
      );
      const boundary = afterSegmentKeys(root, name);
      if (boundary > (boundaries.at(-1) ?? '')) boundaries.push(boundary);
      break;
    }
  }
  return boundaries;
}

/**
 * The ranges of a parallel listing of `within` (the whole root when absent): the backups and anything else before
 * the WAL folder, `parts` shares of the catalogued segments, and the tail after the newest one. Undefined when the
 * catalog holds no segment (nothing to estimate from: the caller splits as it lists).
 *
 * @example catalogListingRanges('db/', 16 * 2 ** 20, [{ timeline: 1, first: 1, last: 100 }], 2)
 *   // [{ after: '', until: 'db/wal_005/' },
 *   //  { after: 'db/wal_005/', until: 'db/wal_005/000000010000000000000032~' },
 *   //  { after: 'db/wal_005/000000010000000000000032~', until: 'db/wal_005/000000010000000000000064~' },
 *   //  { after: 'db/wal_005/000000010000000000000064~' }]
 */
export function catalogListingRanges(
  root: string,
  walSegmentSize: WalSegmentSize,
  spans: readonly WalSpan[],
  parts: number,
  within: KeyRange = { after: '' },
): KeyRange[] | undefined {
  const ordered = [...spans].sort((a, b) => a.timeline - b.timeline);
  const newest = ordered.at(-1);
  if (newest === undefined) return undefined;
  const tail = afterSegmentKeys(
    root,
    walFileName({ timeline: newest.timeline as TimelineId, segNo: newest.last as SegmentNumber }, walSegmentSize),
  );
  const boundaries = [`${root}${WAL_FOLDER}`, ...segmentQuantiles(root, walSegmentSize, ordered, parts), tail].filter(
    (boundary, index, all) =>
      boundary > within.after &&
      (within.until === undefined || boundary < within.until) &&
      (index === 0 || boundary > (all[index - 1] as string)),
  );
  return [
    ...boundaries.map((until, index) => ({ after: boundaries[index - 1] ?? within.after, until })),
    within.until === undefined
      ? { after: boundaries.at(-1) ?? within.after }
      : { after: boundaries.at(-1) ?? within.after, until: within.until },
  ];
}

/**
 * The parts of `spans` that lie in `range` of the root (by segment number; a superset at the range's ends), so a
 * key-range part of a split sync cuts its own share of the segments, not the whole cluster's.
 *
 * @example clipSpans([{ timeline: 1, first: 1, last: 100 }], { after: 'db/wal_005/000000010000000000000032~' }, 'db/', 16 * 2 ** 20)
 *   // [{ timeline: 1, first: 50, last: 100 }]
 */
export function clipSpans(
  spans: readonly WalSpan[],
  range: KeyRange,
  root: string,
  walSegmentSize: WalSegmentSize,
): WalSpan[] {
  const bounds = walKeyBounds(range, root, walSegmentSize);
  if (bounds === undefined) return [];
  return spans.flatMap((span) => {
    const segments = timelineSegmentRange(bounds, span.timeline as TimelineId);
    if (segments === undefined) return [];
    const first = Math.max(span.first, segments.fromSegNo ?? span.first);
    const last = Math.min(span.last, segments.toSegNo ?? span.last);
    return first <= last ? [{ timeline: span.timeline, first, last }] : [];
  });
}

/** How many catalogued segments `range` of the root holds (about: {@link clipSpans}). */
export function segmentsWithin(
  spans: readonly WalSpan[],
  range: KeyRange,
  root: string,
  walSegmentSize: WalSegmentSize,
): number {
  return clipSpans(spans, range, root, walSegmentSize).reduce((sum, span) => sum + span.last - span.first + 1, 0);
}
