import type { WalSegmentSize } from '../wal/segment-size.ts';
import type { TimelineId } from '../wal/timeline.ts';
import { switchSegments, type TimelineHistory, timelineAncestry } from '../wal/timeline-history.ts';
import { type SegmentNumber, segNoOfLsn } from '../wal/wal-segment.ts';
import { firstRunEndingAtOrAfter, type PresentSegments, type SegmentRun } from './present-segments.ts';

/**
 * One timeline's stretch of a restore path in segment space: segments `firstSegNo..lastSegNo` are read from
 * `timeline`. After a switch at segment S the parent owns the segments below S and the child those from S on.
 * `lastSegNo` is `Infinity` for the newest timeline.
 */
export interface PathSpan {
  readonly timeline: TimelineId;
  readonly firstSegNo: number;
  readonly lastSegNo: number;
}

/** The segments a restore along one timeline's history reads, oldest first. */
export type TimelinePath = readonly PathSpan[];

/** A present segment found on a path, with its upload time. */
export interface PathSegment {
  readonly timeline: TimelineId;
  readonly segNo: number;
  readonly uploadedAtMs: number;
}

/** A missing stretch of one timeline, inclusive. */
export interface MissingRange {
  readonly timeline: TimelineId;
  readonly fromSegNo: number;
  readonly toSegNo: number;
}

/**
 * The path a restore along `history.timeline` follows, in segment space. Timelines whose whole life falls inside
 * one segment own no segment (the child's copy of that segment holds their bytes) and are left out.
 *
 * @example
 * timelinePath(parseTimelineHistory(timelineId(2), '1\t0/3000060\tx'), walSegmentSize(16 * 1024 * 1024))
 * // [{ timeline: 1, firstSegNo: 0, lastSegNo: 2 }, { timeline: 2, firstSegNo: 3, lastSegNo: Infinity }]
 */
export function timelinePath(history: TimelineHistory, size: WalSegmentSize): TimelinePath {
  const spans: PathSpan[] = [];
  for (const span of timelineAncestry(history)) {
    const firstSegNo = segNoOfLsn(span.beginLsn, size);
    const lastSegNo = span.endLsn === undefined ? Number.POSITIVE_INFINITY : segNoOfLsn(span.endLsn, size) - 1;
    if (firstSegNo <= lastSegNo) spans.push({ timeline: span.timeline, firstSegNo, lastSegNo });
  }
  return spans;
}

/**
 * Where the parent's part of each switch ends: for every parent, the switch segments S of its children, so runs of
 * present segments are cut before S and a window that ends at S-1 knows that segment's upload time.
 *
 * @example switchBreaks([parseTimelineHistory(timelineId(2), '1\t0/3000060\tx')], size) // Map { 1 => Set { 3 } }
 */
export function switchBreaks(
  histories: Iterable<TimelineHistory>,
  size: WalSegmentSize,
): Map<TimelineId, Set<SegmentNumber>> {
  const breaks = new Map<TimelineId, Set<SegmentNumber>>();
  for (const history of histories) {
    for (const change of switchSegments(history, size)) {
      const set = breaks.get(change.parent) ?? new Set<SegmentNumber>();
      set.add(change.segNo);
      breaks.set(change.parent, set);
    }
  }
  return breaks;
}

/** The span of `path` that owns `segNo`, if any. */
export function spanOf(path: TimelinePath, segNo: number): PathSpan | undefined {
  return path.find((span) => span.firstSegNo <= segNo && segNo <= span.lastSegNo);
}

/** The run of `runs` that holds `segNo`, if any. */
export function runHolding(runs: readonly SegmentRun[], segNo: number): SegmentRun | undefined {
  const run = runs[firstRunEndingAtOrAfter(runs, segNo)];
  return run !== undefined && run.fromSegNo <= segNo ? run : undefined;
}

/** Missing segments of one timeline in `from..to`, as ranges. O(log runs + runs in range). */
export function missingOnTimeline(
  present: PresentSegments,
  timeline: TimelineId,
  from: number,
  to: number,
): MissingRange[] {
  const missing: MissingRange[] = [];
  const runs = present.runs(timeline);
  let cursor = from;
  for (let index = firstRunEndingAtOrAfter(runs, from); index < runs.length && cursor <= to; index++) {
    const run = runs[index] as SegmentRun;
    if (run.fromSegNo > to) break;
    if (run.fromSegNo > cursor) missing.push({ timeline, fromSegNo: cursor, toSegNo: run.fromSegNo - 1 });
    cursor = Math.max(cursor, run.toSegNo + 1);
  }
  if (cursor <= to) missing.push({ timeline, fromSegNo: cursor, toSegNo: to });
  return missing;
}

/** The first present segment on `path` after `segNo`, following the path across switches. */
export function nextPresentOnPath(
  present: PresentSegments,
  path: TimelinePath,
  segNo: number,
): PathSegment | undefined {
  for (const span of path) {
    if (span.lastSegNo <= segNo) continue;
    const from = Math.max(span.firstSegNo, segNo + 1);
    const runs = present.runs(span.timeline);
    const run = runs[firstRunEndingAtOrAfter(runs, from)];
    if (run !== undefined && run.fromSegNo <= span.lastSegNo) {
      const found = Math.max(run.fromSegNo, from);
      return { timeline: span.timeline, segNo: found, uploadedAtMs: run.firstUploadedAtMs };
    }
  }
  return undefined;
}

/** The highest present segment on `path` (the WAL head of that restore path). */
export function headOfPath(present: PresentSegments, path: TimelinePath): PathSegment | undefined {
  for (let index = path.length - 1; index >= 0; index--) {
    const span = path[index] as PathSpan;
    const runs = present.runs(span.timeline);
    const last = firstRunEndingAtOrAfter(runs, span.lastSegNo + 1);
    // Either the run holding lastSegNo + 1 (a parent that kept archiving past its switch) or the one before it.
    for (const candidate of [runs[last], runs[last - 1]]) {
      if (candidate === undefined || candidate.fromSegNo > span.lastSegNo || candidate.toSegNo < span.firstSegNo) {
        continue;
      }
      const segNo = Math.min(candidate.toSegNo, span.lastSegNo);
      return { timeline: span.timeline, segNo, uploadedAtMs: candidate.lastUploadedAtMs };
    }
  }
  return undefined;
}

/**
 * The last segment of the unbroken stretch of present segments that starts at `segNo` on `path` (which must be
 * present), crossing timeline switches. Its upload time is the end estimate of a restorable window.
 */
export function unbrokenEnd(present: PresentSegments, path: TimelinePath, segNo: number): PathSegment | undefined {
  let position = segNo;
  let reached: PathSegment | undefined;
  for (const span of path) {
    if (span.lastSegNo < position) continue;
    if (span.firstSegNo > position) return reached;
    const runs = present.runs(span.timeline);
    let index = firstRunEndingAtOrAfter(runs, position);
    const run = runs[index];
    if (run === undefined || run.fromSegNo > position) return reached;
    let current = run;
    // Runs may be adjacent where a switch break was requested; walk across them inside the span.
    while (current.toSegNo < span.lastSegNo) {
      const next = runs[index + 1];
      if (next === undefined || next.fromSegNo !== current.toSegNo + 1) break;
      current = next;
      index++;
    }
    const end = Math.min(current.toSegNo, span.lastSegNo);
    reached = { timeline: span.timeline, segNo: end, uploadedAtMs: current.lastUploadedAtMs };
    if (end < span.lastSegNo) return reached;
    position = end + 1;
  }
  return reached;
}
