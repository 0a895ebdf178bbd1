import { describeSegmentSizeMismatch, segmentSizeMismatch } from '../backup/segment-size-fit.ts';
import {
  backupsWithClusterChecks,
  clusterSystemIdentifier,
  FOREIGN_SYSTEM_PROBLEM,
} from '../catalog/backup-eligibility.ts';
import type { RetentionTombstone } from '../catalog/retention-tombstones.ts';
import { formatWalSegmentSize, type WalSegmentSize } from '../wal/segment-size.ts';
import type { TimelineId } from '../wal/timeline.ts';
import { type SegmentNumber, segmentNumber, segNoOfByteBefore, segNoOfLsn, walFileName } from '../wal/wal-segment.ts';
import { type ContinuityInput, type TimelineView, timelineView } from './continuity-input.ts';
import { backupFinishedAt, type CompleteBackupRecord, pitrChainBase } from './pitr-chain-base.ts';
import type { SegmentRun } from './present-segments.ts';
import {
  headOfPath,
  type MissingRange,
  missingOnTimeline,
  nextPresentOnPath,
  type PathSegment,
  type TimelinePath,
} from './timeline-path.ts';

export type ContinuityStatus = 'OK' | 'WARNING' | 'FAILURE';

/** `uploading`: its successor arrived less than `uploadGrace` ago (WAL-G uploads concurrently); `lost` otherwise. */
export type GapStatus = 'lost' | 'uploading';

/** Missing required segments of one timeline, inclusive. */
export interface WalGap {
  readonly timeline: TimelineId;
  readonly fromSegNo: SegmentNumber;
  readonly toSegNo: SegmentNumber;
  readonly count: number;
  readonly status: GapStatus;
  /** What needs the segments: the PITR chain and/or the named backups' own ranges. */
  readonly neededBy: readonly string[];
}

/** Problems that are not a range of missing segments. Each carries the severity it gives the verdict. */
export type ContinuityFinding =
  | { readonly kind: 'no-backup'; readonly severity: 'FAILURE' }
  | {
      readonly kind: 'missing-history';
      readonly severity: 'FAILURE' | 'WARNING';
      readonly timeline: TimelineId;
    }
  | {
      readonly kind: 'divergence';
      readonly severity: 'FAILURE';
      /** The timeline that kept archiving off the chain. */
      readonly timeline: TimelineId;
      /** The timeline of the chain that superseded it. */
      readonly rivalTimeline: TimelineId;
      readonly fromSegNo: SegmentNumber;
      readonly toSegNo: SegmentNumber;
      readonly count: number;
    }
  | {
      /**
       * A `.history` file that exists but cannot be used (does not parse, or skips its real ancestors): the timeline's
       * ancestry is unknown. FAILURE where a missing history would be (the newest timeline, backups off its ancestry).
       */
      readonly kind: 'unreadable-history';
      readonly severity: 'FAILURE' | 'WARNING';
      readonly timeline: TimelineId;
      readonly file: string;
      readonly problem: string;
    }
  | {
      /**
       * The cluster's `.history` files are not text (said once per cluster, whatever the number of files): most
       * likely WAL-G's client-side encryption, which walcat cannot undo. The switches of `inferredTimelines` were
       * inferred from each one's first archived segment, and the window marks the ranges that rely on them;
       * FAILURE when a timeline a restore needs could not be inferred either.
       */
      readonly kind: 'encrypted-history';
      readonly severity: 'FAILURE' | 'WARNING';
      /** The first unreadable file, by timeline. */
      readonly file: string;
      readonly files: readonly string[];
      readonly inferredTimelines: readonly TimelineId[];
      readonly problem: string;
    }
  | {
      /**
       * The configured `walSegmentSize` contradicts every backup (each name states the segment of its start LSN):
       * segment arithmetic is wrong, so no gaps are computed until it is fixed.
       */
      readonly kind: 'segment-size-mismatch';
      readonly severity: 'FAILURE';
      /** The configured size, e.g. `16MiB`. */
      readonly walSegmentSize: string;
      /** The size every backup agrees with, e.g. `1MiB`; null when none does. */
      readonly fits: string | null;
      readonly backups: number;
      readonly problem: string;
    }
  | {
      /** A complete backup whose system identifier differs from the cluster's: another database's backup. */
      readonly kind: 'foreign-system';
      readonly severity: 'FAILURE';
      readonly backup: string;
      /** Decimal strings: system identifiers exceed 2^53. */
      readonly systemIdentifier: string;
      readonly clusterSystemIdentifier: string;
    }
  | {
      /**
       * A backup whose sentinel exists but that cannot be interpreted (or whose payload is missing): it is never a
       * restore base, so the cluster has one restorable backup fewer than the bucket suggests.
       */
      readonly kind: 'unreadable-backup';
      readonly severity: 'WARNING';
      readonly backup: string;
      readonly problem: string;
    }
  | {
      /** Complete segments on the primary that are not archived yet (needs the live position). */
      readonly kind: 'delayed';
      readonly severity: 'WARNING';
      readonly timeline: TimelineId;
      readonly fromSegNo: SegmentNumber;
      readonly toSegNo: SegmentNumber;
      readonly count: number;
    };

/** A hole in the point-in-time chain that walcat's retention recorded making: expected, not a gap. */
export interface RetentionHole {
  readonly timeline: TimelineId;
  readonly fromSegNo: SegmentNumber;
  readonly toSegNo: SegmentNumber;
  readonly count: number;
  /** The retention plan whose apply deleted the segments. */
  readonly planId: string;
  readonly deletedAt: Date;
}

export interface GapReport {
  readonly status: ContinuityStatus;
  readonly gaps: readonly WalGap[];
  /** Holes in the chain that retention's recorded deletions explain (the window splits there too). */
  readonly deletedByRetention: readonly RetentionHole[];
  readonly findings: readonly ContinuityFinding[];
  readonly newestTimeline: TimelineId;
  /** Highest archived segment on the newest timeline's path. */
  readonly head?: PathSegment;
  /** Name of the backup the PITR chain starts from. */
  readonly chainBase?: string;
}

/** The name used for the PITR chain in `neededBy`. */
export const PITR_CHAIN = 'pitr-chain';

interface Requirement {
  readonly path: TimelinePath;
  readonly fromSegNo: number;
  readonly toSegNo: number;
  readonly neededBy: string;
  /** When the requirement began to apply: a gap without any successor is judged by this time. */
  readonly sinceMs: number;
}

interface RawGap extends MissingRange {
  readonly status: GapStatus;
  readonly neededBy: string;
}

/**
 * Decides which WAL segments a cluster is missing, following the ancestry of its newest timeline.
 *
 * Required, and so a gap when missing:
 * - every complete backup's own segments, from the one holding its start LSN to the one holding the byte before its
 *   finish LSN, along the path of its timeline (without them it never reaches consistency);
 * - the PITR chain: from the start of the oldest complete non-permanent backup on the newest timeline's ancestry
 *   (the newest permanent one when there is no other) to the newest archived segment, along the newest timeline's
 *   path. After a switch at segment S the parent's segments from S on (the `.partial`, an abandoned branch) are not
 *   on it; the child's from S on are.
 *
 * A hole in the chain is expected only where it was really thinned: where walcat's retention recorded deleting the
 * segments (`retentionTombstones`: reported in `deletedByRetention`, not as a gap), or before the oldest backup
 * (WAL-G's `delete retain` / `delete garbage` remove the WAL before the oldest backup they keep together with the
 * older backups, and keep permanent backups' own ranges, which stay required). Any other hole is a gap, whatever
 * the retention policy would have deleted: a lifecycle rule or an operator's deletion is not retention. A missing segment whose next present successor on the path arrived less than
 * `uploadGraceMs` ago is `uploading` (WARNING); older ones are `lost` (FAILURE). With no complete backup the verdict
 * is FAILURE with a `no-backup` finding and no gaps. WAL archived off the newest timeline's ancestry after the
 * timeline that superseded it began is a `divergence` (FAILURE). A timeline in use without its `.history` file is a
 * `missing-history` finding (FAILURE for the newest timeline and for backups off its ancestry). A backup whose
 * sentinel exists but cannot be interpreted is an `unreadable-backup` finding (WARNING) with its problem; a backup
 * whose system identifier differs from the cluster's other backups is a `foreign-system` finding (FAILURE) and is
 * no part of the chain.
 *
 * Cost: O(backups + runs · log runs), independent of the number of present segments.
 *
 * @example
 * detectGaps({ backups, histories, present, policy, walSegmentSize, uploadGraceMs: 300_000, now })
 * // { status: 'FAILURE', gaps: [{ timeline: 1, fromSegNo: 42, toSegNo: 42, count: 1, status: 'lost', ... }], ... }
 */
export function detectGaps(input: ContinuityInput): GapReport {
  const view = timelineView(input);
  const findings: ContinuityFinding[] = [
    ...unreadableBackupFindings(input),
    ...missingHistoryFindings(input, view),
    ...divergenceFindings(input, view),
  ];
  const mismatch = segmentSizeMismatch(
    view.completeBackups.map((record) => record.backup),
    input.walSegmentSize,
  );
  if (mismatch !== undefined) {
    // Every segment number computed from an LSN would be wrong: gaps would be false losses. Say what fits instead.
    findings.unshift({
      kind: 'segment-size-mismatch',
      severity: 'FAILURE',
      walSegmentSize: formatWalSegmentSize(mismatch.configured),
      fits: mismatch.fits === undefined ? null : formatWalSegmentSize(mismatch.fits),
      backups: mismatch.backups,
      problem: describeSegmentSizeMismatch(mismatch),
    });
    return { status: verdict([], findings), gaps: [], deletedByRetention: [], findings, newestTimeline: view.newest };
  }
  const head = headOfPath(input.present, view.newestPath);
  if (view.completeBackups.length === 0) {
    findings.unshift({ kind: 'no-backup', severity: 'FAILURE' });
    return {
      status: verdict([], findings),
      gaps: [],
      deletedByRetention: [],
      findings,
      newestTimeline: view.newest,
      head,
    };
  }
  const requirements: Requirement[] = view.completeBackups.map((record) => backupRequirement(input, view, record));
  // The chain starts at the oldest backup whatever the policy says: what retention thinned after it is told apart by
  // its recorded deletions, not assumed from the policy (which would excuse any hole before the window).
  const base = pitrChainBase(view.completeBackups.filter(view.onNewestAncestry), undefined, input.now) as
    | CompleteBackupRecord
    | undefined;
  if (base !== undefined && head !== undefined) {
    requirements.push({
      path: view.newestPath,
      fromSegNo: segNoOfLsn(base.backup.startLsn, input.walSegmentSize),
      toSegNo: head.segNo,
      neededBy: PITR_CHAIN,
      sinceMs: backupFinishedAt(base).getTime(),
    });
  }
  const raw: RawGap[] = [];
  const deletedByRetention: RetentionHole[] = [];
  for (const requirement of requirements) {
    for (const gap of gapsOf(input, requirement)) {
      if (requirement.neededBy !== PITR_CHAIN) {
        raw.push(gap);
        continue;
      }
      const split = splitByTombstones(gap, input.retentionTombstones ?? []);
      raw.push(...split.unexplained);
      deletedByRetention.push(...split.explained);
    }
  }
  const gaps = mergeGaps(raw);
  const delayed = delayedFinding(input, view, head);
  if (delayed !== undefined) findings.push(delayed);
  return {
    status: verdict(gaps, findings),
    gaps,
    deletedByRetention: withoutOwnRanges(deletedByRetention, gaps),
    findings,
    newestTimeline: view.newest,
    head,
    chainBase: base?.name,
  };
}

/** The parts of a chain gap that retention's tombstones cover (explained) and the rest (still a gap). */
function splitByTombstones(
  gap: RawGap,
  tombstones: readonly RetentionTombstone[],
): { explained: RetentionHole[]; unexplained: RawGap[] } {
  const explained: RetentionHole[] = [];
  const unexplained: RawGap[] = [];
  let cursor: number = gap.fromSegNo;
  const covering = tombstones
    .filter((t) => t.timeline === gap.timeline && t.toSegNo >= gap.fromSegNo && t.fromSegNo <= gap.toSegNo)
    .sort((a, b) => a.fromSegNo - b.fromSegNo);
  const rest = (from: number, to: number): RawGap => ({ ...gap, fromSegNo: from, toSegNo: to });
  for (const tombstone of covering) {
    const from = Math.max(cursor, tombstone.fromSegNo);
    const to = Math.min(gap.toSegNo, tombstone.toSegNo);
    if (from > to) continue;
    if (from > cursor) unexplained.push(rest(cursor, from - 1));
    explained.push({
      timeline: gap.timeline,
      fromSegNo: segmentNumber(from),
      toSegNo: segmentNumber(to),
      count: to - from + 1,
      planId: tombstone.planId,
      deletedAt: tombstone.deletedAt,
    });
    cursor = to + 1;
  }
  if (cursor <= gap.toSegNo) unexplained.push(rest(cursor, gap.toSegNo));
  return { explained, unexplained };
}

/** A hole retention explains for the chain but a present backup still needs is reported as that backup's gap only. */
function withoutOwnRanges(holes: readonly RetentionHole[], gaps: readonly WalGap[]): RetentionHole[] {
  return holes.flatMap((hole) => {
    let parts: RetentionHole[] = [hole];
    for (const gap of gaps) {
      if (gap.timeline !== hole.timeline) continue;
      parts = parts.flatMap((part) => {
        if (gap.toSegNo < part.fromSegNo || gap.fromSegNo > part.toSegNo) return [part];
        const kept: RetentionHole[] = [];
        if (part.fromSegNo < gap.fromSegNo) {
          kept.push({ ...part, toSegNo: segmentNumber(gap.fromSegNo - 1), count: gap.fromSegNo - part.fromSegNo });
        }
        if (gap.toSegNo < part.toSegNo) {
          kept.push({ ...part, fromSegNo: segmentNumber(gap.toSegNo + 1), count: part.toSegNo - gap.toSegNo });
        }
        return kept;
      });
    }
    return parts;
  });
}

function backupRequirement(input: ContinuityInput, view: TimelineView, record: CompleteBackupRecord): Requirement {
  return {
    path: view.pathOf(record),
    fromSegNo: segNoOfLsn(record.backup.startLsn, input.walSegmentSize),
    toSegNo: Math.max(
      segNoOfLsn(record.backup.startLsn, input.walSegmentSize),
      segNoOfByteBefore(record.backup.finishLsn, input.walSegmentSize),
    ),
    neededBy: record.name,
    sinceMs: backupFinishedAt(record).getTime(),
  };
}

function gapsOf(input: ContinuityInput, requirement: Requirement): RawGap[] {
  const gaps: RawGap[] = [];
  for (const span of requirement.path) {
    const from = Math.max(span.firstSegNo, requirement.fromSegNo);
    const to = Math.min(span.lastSegNo, requirement.toSegNo);
    if (from > to) continue;
    for (const missing of missingOnTimeline(input.present, span.timeline, from, to)) {
      const successor = nextPresentOnPath(input.present, requirement.path, missing.toSegNo);
      const arrivedAtMs = successor?.uploadedAtMs ?? requirement.sinceMs;
      const status: GapStatus = input.now.getTime() - arrivedAtMs < input.uploadGraceMs ? 'uploading' : 'lost';
      gaps.push({ ...missing, status, neededBy: requirement.neededBy });
    }
  }
  return gaps;
}

/** Unions overlapping gaps of one timeline (a backup's range inside the chain), keeping the worse status. */
function mergeGaps(raw: RawGap[]): WalGap[] {
  raw.sort((a, b) => a.timeline - b.timeline || a.fromSegNo - b.fromSegNo);
  const merged: Array<{ timeline: TimelineId; from: number; to: number; status: GapStatus; neededBy: Set<string> }> =
    [];
  for (const gap of raw) {
    const last = merged.at(-1);
    if (
      last !== undefined &&
      last.timeline === gap.timeline &&
      gap.fromSegNo <= last.to + 1 &&
      (gap.fromSegNo <= last.to || last.status === gap.status)
    ) {
      last.to = Math.max(last.to, gap.toSegNo);
      if (gap.status === 'lost') last.status = 'lost';
      last.neededBy.add(gap.neededBy);
    } else {
      merged.push({
        timeline: gap.timeline,
        from: gap.fromSegNo,
        to: gap.toSegNo,
        status: gap.status,
        neededBy: new Set([gap.neededBy]),
      });
    }
  }
  return merged.map((gap) => ({
    timeline: gap.timeline,
    fromSegNo: segmentNumber(gap.from),
    toSegNo: segmentNumber(gap.to),
    count: gap.to - gap.from + 1,
    status: gap.status,
    neededBy: [...gap.neededBy].sort(),
  }));
}

/**
 * One finding per backup that exists but is no restore base, by name: `foreign-system` (FAILURE) for a backup of
 * another database system, `unreadable-backup` (WARNING) for one that cannot be interpreted.
 */
function unreadableBackupFindings(input: ContinuityInput): ContinuityFinding[] {
  const clusterId = clusterSystemIdentifier(input.backups);
  return backupsWithClusterChecks(input.backups)
    .filter((record) => record.status === 'unreadable')
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((record): ContinuityFinding => {
      const id = record.backup?.systemIdentifier;
      if (record.problem?.startsWith(FOREIGN_SYSTEM_PROBLEM) && id !== undefined && clusterId !== undefined) {
        return {
          kind: 'foreign-system',
          severity: 'FAILURE',
          backup: record.name,
          systemIdentifier: id.toString(),
          clusterSystemIdentifier: clusterId.toString(),
        };
      }
      return {
        kind: 'unreadable-backup',
        severity: 'WARNING',
        backup: record.name,
        problem: record.problem ?? 'the backup cannot be interpreted',
      };
    });
}

function encryptedHistoryFinding(
  input: ContinuityInput,
  view: TimelineView,
  critical: ReadonlySet<number>,
): ContinuityFinding | undefined {
  // A timeline with a readable copy of its history (another compression) needs no inference and no word.
  const readable = (timeline: TimelineId): boolean =>
    view.historyOf(timeline) !== undefined && !view.inferredTimelines.has(timeline);
  // Sorted, so the finding (and the alert keyed on it) is the same whatever order the catalog listed the files in.
  const broken = (input.unreadableHistories ?? [])
    .filter((file) => file.likelyEncrypted === true && !readable(file.timeline))
    .sort((a, b) => a.timeline - b.timeline || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const first = broken[0];
  if (first === undefined) return undefined;
  const inferredTimelines = [...view.inferredTimelines].sort((a, b) => a - b);
  const unknown = [...new Set(broken.map((file) => file.timeline))].filter(
    (timeline) => !view.inferredTimelines.has(timeline),
  );
  const files = broken.map((file) => file.key);
  const inferredWords =
    inferredTimelines.length === 0
      ? 'no timeline switch could be inferred (a timeline has no archived segment yet)'
      : `walcat inferred the switch to ${inferredTimelines.length === 1 ? 'timeline' : 'timelines'} ${inferredTimelines.join(', ')} from the first archived segment of each, and the window marks the ranges that rely on that as inferred`;
  const unknownWords = unknown.length === 0 ? '' : `; the ancestry of timeline ${unknown.join(', ')} stays unknown`;
  return {
    kind: 'encrypted-history',
    severity: unknown.some((timeline) => critical.has(timeline)) ? 'FAILURE' : 'WARNING',
    file: first.key,
    files,
    inferredTimelines,
    problem:
      `${first.key}${files.length > 1 ? ` and ${files.length - 1} more history file(s)` : ''} cannot be read as text, most likely because WAL-G encrypts them client-side (libsodium or OpenPGP), which walcat cannot decrypt; ` +
      `${inferredWords}${unknownWords}. Compare with pg_wal/<timeline>.history on the primary before restoring across a switch (recovery_target_timeline), and expect this finding for as long as the archive is encrypted`,
  };
}

function missingHistoryFindings(input: ContinuityInput, view: TimelineView): ContinuityFinding[] {
  const inUse = new Set<number>(input.present.timelines);
  const critical = new Set<number>([view.newest]);
  for (const record of view.completeBackups) {
    inUse.add(record.backup.timeline);
    if (!view.onNewestAncestry(record)) critical.add(record.backup.timeline);
  }
  inUse.add(view.newest);
  const findings: ContinuityFinding[] = [];
  const reported = new Set<number>();
  const encrypted = encryptedHistoryFinding(input, view, critical);
  if (encrypted !== undefined) {
    findings.push(encrypted);
    for (const broken of input.unreadableHistories ?? []) if (broken.likelyEncrypted) reported.add(broken.timeline);
  }
  for (const broken of input.unreadableHistories ?? []) {
    if (view.historyOf(broken.timeline) !== undefined || reported.has(broken.timeline)) continue;
    reported.add(broken.timeline);
    findings.push({
      kind: 'unreadable-history',
      severity: critical.has(broken.timeline) ? 'FAILURE' : 'WARNING',
      timeline: broken.timeline,
      file: broken.key,
      problem: broken.problem,
    });
  }
  const missing = [...inUse]
    .filter(
      (timeline) => timeline > 1 && view.historyOf(timeline as TimelineId) === undefined && !reported.has(timeline),
    )
    .sort((a, b) => a - b)
    .map((timeline) => ({
      kind: 'missing-history' as const,
      severity: critical.has(timeline) ? ('FAILURE' as const) : ('WARNING' as const),
      timeline: timeline as TimelineId,
    }));
  return [...findings, ...missing];
}

/**
 * WAL on a timeline off the newest timeline's path, uploaded after the path's timeline that superseded it began:
 * two primaries, or a restored copy, archiving into one prefix. The parent's own segments from its switch segment on
 * count when they arrived after the child began (the old primary kept writing). Segments that arrived before are
 * history (an abandoned branch, or WAL the promoted standby never received), not divergence. Timing is judged per
 * run of present segments (only its first and last upload times are kept): a run whose last segment arrived after
 * the rival began is reported whole, so the range may start a few segments early; the verdict does not change.
 */
function divergenceFindings(input: ContinuityInput, view: TimelineView): ContinuityFinding[] {
  if (!view.newestHistoryKnown) return [];
  const findings: ContinuityFinding[] = [];
  const path = view.newestPath;
  const pathTimelines = path.map((span) => span.timeline);
  for (const timeline of input.present.timelines) {
    if (timeline === view.newest) continue;
    const span = path.find((candidate) => candidate.timeline === timeline);
    const rival = pathTimelines.find((candidate) => candidate > timeline) ?? view.newest;
    const rivalBeganMs = timelineBeganMs(input, view, rival);
    if (rivalBeganMs === undefined) continue;
    const offPathFrom = span === undefined ? 0 : span.lastSegNo + 1;
    let from = Number.POSITIVE_INFINITY;
    let to = -1;
    let count = 0;
    for (const run of input.present.runs(timeline)) {
      if (run.toSegNo < offPathFrom || run.lastUploadedAtMs <= rivalBeganMs) continue;
      const runFrom = Math.max(run.fromSegNo, offPathFrom);
      from = Math.min(from, runFrom);
      to = Math.max(to, run.toSegNo);
      count += run.toSegNo - runFrom + 1;
    }
    if (count > 0) {
      findings.push({
        kind: 'divergence',
        severity: 'FAILURE',
        timeline,
        rivalTimeline: rival,
        fromSegNo: segmentNumber(from),
        toSegNo: segmentNumber(to),
        count,
      });
    }
  }
  return findings;
}

/** When a timeline began as far as the bucket tells: its history file's or its first segment's upload. */
function timelineBeganMs(input: ContinuityInput, view: TimelineView, timeline: TimelineId): number | undefined {
  const first: SegmentRun | undefined = input.present.runs(timeline)[0];
  const candidates = [view.historyUploadedAtMs(timeline), first?.firstUploadedAtMs].filter(
    (value): value is number => value !== undefined,
  );
  return candidates.length === 0 ? undefined : Math.min(...candidates);
}

function delayedFinding(
  input: ContinuityInput,
  view: TimelineView,
  head: PathSegment | undefined,
): ContinuityFinding | undefined {
  const live = input.livePosition;
  if (live === undefined || live.timeline !== view.newest || head === undefined) return undefined;
  // The segment holding the insert position is still being written; the ones before it are complete.
  const lastComplete = segNoOfLsn(live.lsn, input.walSegmentSize) - 1;
  if (lastComplete <= head.segNo) return undefined;
  return {
    kind: 'delayed',
    severity: 'WARNING',
    timeline: view.newest,
    fromSegNo: segmentNumber(head.segNo + 1),
    toSegNo: segmentNumber(lastComplete),
    count: lastComplete - head.segNo,
  };
}

function verdict(gaps: readonly WalGap[], findings: readonly ContinuityFinding[]): ContinuityStatus {
  if (gaps.some((gap) => gap.status === 'lost') || findings.some((finding) => finding.severity === 'FAILURE')) {
    return 'FAILURE';
  }
  if (gaps.length > 0 || findings.length > 0) return 'WARNING';
  return 'OK';
}

/** `gaps --json` (the README's JSON contract): segment names are 24-hex, inclusive; findings are an added field. */
export interface GapsJson {
  readonly status: ContinuityStatus;
  readonly gaps: ReadonlyArray<{
    readonly timeline: number;
    readonly from: string;
    readonly to: string;
    readonly count: number;
    readonly status: GapStatus;
  }>;
  /** Holes in the chain walcat's retention recorded making: expected, not gaps (an added field). */
  readonly deletedByRetention: ReadonlyArray<{
    readonly timeline: number;
    readonly from: string;
    readonly to: string;
    readonly count: number;
    readonly planId: string;
  }>;
  readonly findings: ReadonlyArray<Record<string, unknown>>;
}

/**
 * The `gaps --json` document of a report.
 *
 * @example gapsJson(report, size) // { status: 'FAILURE', gaps: [{ timeline: 1, from: '00000001000000000000002A', ... }] }
 */
export function gapsJson(report: GapReport, size: WalSegmentSize): GapsJson {
  const name = (timeline: TimelineId, segNo: SegmentNumber): string => walFileName({ timeline, segNo }, size);
  return {
    status: report.status,
    gaps: report.gaps.map((gap) => ({
      timeline: gap.timeline,
      from: name(gap.timeline, gap.fromSegNo),
      to: name(gap.timeline, gap.toSegNo),
      count: gap.count,
      status: gap.status,
    })),
    deletedByRetention: report.deletedByRetention.map((hole) => ({
      timeline: hole.timeline,
      from: name(hole.timeline, hole.fromSegNo),
      to: name(hole.timeline, hole.toSegNo),
      count: hole.count,
      planId: hole.planId,
    })),
    findings: report.findings.map((finding) => {
      if (!('fromSegNo' in finding)) return { ...finding };
      const { fromSegNo, toSegNo, ...rest } = finding;
      return { ...rest, from: name(finding.timeline, fromSegNo), to: name(finding.timeline, toSegNo) };
    }),
  };
}
