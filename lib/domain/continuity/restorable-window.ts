import { restoreThaw } from '../restore/restore-thaw.ts';
import type { TimelineId } from '../wal/timeline.ts';
import { type SegmentNumber, segmentNumber, segNoOfByteBefore, segNoOfLsn } from '../wal/wal-segment.ts';
import { type ContinuityInput, timelineView } from './continuity-input.ts';
import { type FrozenWalIndex, frozenWalIndex } from './frozen-wal.ts';
import { backupFinishedAt, type CompleteBackupRecord } from './pitr-chain-base.ts';
import type { PresentSegments } from './present-segments.ts';
import {
  missingOnTimeline,
  type PathSegment,
  runHolding,
  spanOf,
  type TimelinePath,
  unbrokenEnd,
} from './timeline-path.ts';

/**
 * A stretch of a restorable range with the backup a restore into it starts from, and whether that restore must
 * first thaw objects (GLACIER, DEEP_ARCHIVE, the archive tiers of INTELLIGENT_TIERING).
 */
export interface WindowPart {
  readonly from: Date;
  readonly to: Date;
  readonly baseBackup: string;
  /**
   * Absent when every object a restore to any instant of the part reads can be fetched now. Otherwise the frozen
   * classes among the base backup's objects and the WAL a restore to the part's end reads.
   */
  readonly thaw?: { readonly storageClasses: readonly string[] };
}

/** A stretch of time any instant of which can be restored from `baseBackup` by replaying the unbroken WAL after it. */
export interface RestorableRange {
  /** The timeline the unbroken chain ends on (the `recovery_target_timeline` of a restore into this range). */
  readonly timeline: TimelineId;
  /** The base backup's finish time: the earliest consistent point. */
  readonly from: Date;
  /**
   * Upload time of the last segment of the unbroken chain: an upper bound of the last transaction it holds. The
   * true end is at most `archive_timeout` plus the upload latency earlier (docs/continuity.md).
   */
  readonly to: Date;
  /** The oldest backup whose chain reaches this range; any instant of the range restores from it. */
  readonly baseBackup: string;
  /** The last segment of the unbroken chain. */
  readonly endSegNo: SegmentNumber;
  /**
   * The range cut where the need for a thaw changes, oldest first: the first starts at `from`, the last ends at
   * `to`, and each starts where the one before ends (a shared boundary instant is restorable as the earlier part
   * says). One part without `thaw` when nothing the range needs is frozen.
   */
  readonly parts: readonly WindowPart[];
  /**
   * `inferred` when the chain of some backup of the range crosses a timeline switch that was inferred because the
   * history file could not be read (client-side encryption): the range is as good as that guess. Absent otherwise.
   */
  readonly confidence?: 'inferred';
}

export interface BackupConsistency {
  readonly name: string;
  /** True when every segment from its start to its finish LSN is present. */
  readonly consistent: boolean;
}

export interface WindowReport {
  /** Oldest first. */
  readonly ranges: readonly RestorableRange[];
  readonly backups: readonly BackupConsistency[];
}

/**
 * The restorable window of a cluster. A complete backup is consistent when every segment from its start to its
 * finish LSN is present on its restore path; from its finish time on it is restorable up to the end of the unbroken
 * chain of present segments that follows it. Backups whose chains end at the same segment form one range (named
 * after the oldest of them); a gap splits the window into separate ranges.
 *
 * The end of a range is the upload time of the chain's last segment. PostgreSQL archives a segment only after it is
 * complete (or `archive_timeout` forced a switch), so the last transaction it holds committed at or before that upload
 * time; with `archive_timeout` T the estimate is late by at most T plus the upload latency.
 *
 * @example
 * restorableWindows(input).ranges
 * // [{ timeline: 1, from: 2026-11-20T01:10:00Z, to: 2026-11-20T14:12:09Z, baseBackup: 'base_000000010000000000000002' }]
 */
export function restorableWindows(input: ContinuityInput): WindowReport {
  const view = timelineView(input);
  const size = input.walSegmentSize;
  const groups = new Map<string, RangeMember[]>();
  const backups: BackupConsistency[] = [];
  for (const record of view.completeBackups) {
    const path = view.pathOf(record);
    const startSegNo = segNoOfLsn(record.backup.startLsn, size);
    const finishSegNo = Math.max(startSegNo, segNoOfByteBefore(record.backup.finishLsn, size));
    const consistent = path.every((span) => {
      const from = Math.max(span.firstSegNo, startSegNo);
      const to = Math.min(span.lastSegNo, finishSegNo);
      return from > to || missingOnTimeline(input.present, span.timeline, from, to).length === 0;
    });
    backups.push({ name: record.name, consistent });
    if (!consistent) continue;
    const end = unbrokenEnd(input.present, path, startSegNo);
    if (end === undefined || end.segNo < finishSegNo) continue;
    const key = `${end.timeline}:${end.segNo}`;
    const member: RangeMember = { record, path, startSegNo, finishSegNo, end, from: backupFinishedAt(record) };
    groups.set(key, [...(groups.get(key) ?? []), member]);
  }
  const frozen = frozenWalIndex(input.frozenWal ?? [], input.now);
  const ranges: RestorableRange[] = [];
  for (const members of groups.values()) {
    members.sort((a, b) => a.from.getTime() - b.from.getTime());
    const oldest = members[0] as RangeMember;
    const toMs = Math.max(...members.map((member) => Math.max(member.from.getTime(), member.end.uploadedAtMs)));
    ranges.push({
      timeline: oldest.end.timeline,
      from: oldest.from,
      to: new Date(toMs),
      baseBackup: oldest.record.name,
      endSegNo: segmentNumber(oldest.end.segNo),
      parts: rangeParts(members, toMs, frozen, input),
      ...(members.some((member) => crossesInferredSwitch(member, view.inferredTimelines))
        ? { confidence: 'inferred' as const }
        : {}),
    });
  }
  ranges.sort((a, b) => a.from.getTime() - b.from.getTime() || a.to.getTime() - b.to.getTime());
  return { ranges, backups };
}

/** True when the member's chain replays into a timeline whose switch from its parent was inferred. */
function crossesInferredSwitch(member: RangeMember, inferred: ReadonlySet<TimelineId>): boolean {
  return member.path.some(
    (span) => inferred.has(span.timeline) && span.firstSegNo > member.startSegNo && span.firstSegNo <= member.end.segNo,
  );
}

/** A consistent backup whose unbroken chain ends at a range's end. */
interface RangeMember {
  readonly record: CompleteBackupRecord;
  readonly path: TimelinePath;
  readonly startSegNo: number;
  readonly finishSegNo: number;
  readonly end: PathSegment;
  readonly from: Date;
}

/** Where a member restores without a thaw: from its finish to `toMs`. */
interface InstantStretch {
  readonly member: RangeMember;
  readonly fromMs: number;
  readonly toMs: number;
}

/**
 * Cuts a range into parts that restore with or without a thaw. A member backup restores an instant without a thaw
 * when none of its own objects is frozen and no segment on its path from its start up to the instant is: that is
 * from its finish time to the upload time of the readable segment before its first frozen one (the same end
 * estimate as the range's), or to the range's end when none is frozen. The parts are the union of those stretches
 * (each named after the member that reaches furthest), and the rest needs a thaw, named after the newest member
 * finished by then (the least WAL to thaw and replay).
 */
function rangeParts(
  members: readonly RangeMember[],
  rangeToMs: number,
  frozen: FrozenWalIndex,
  input: ContinuityInput,
): WindowPart[] {
  const backupClassesOf = new Map<RangeMember, readonly string[]>();
  const stretches: InstantStretch[] = [];
  for (const member of members) {
    const backupClasses =
      restoreThaw({ backup: member.record, prefix: '', segments: [], now: input.now })?.storageClasses ?? [];
    backupClassesOf.set(member, backupClasses);
    if (backupClasses.length > 0) continue;
    const firstFrozen = firstFrozenOnPath(frozen, member.path, member.startSegNo, member.end.segNo);
    const fromMs = member.from.getTime();
    if (firstFrozen === undefined) {
      stretches.push({ member, fromMs, toMs: rangeToMs });
      continue;
    }
    if (firstFrozen <= member.finishSegNo) continue;
    const before = uploadedAtMsOf(input.present, member.path, firstFrozen - 1);
    stretches.push({ member, fromMs, toMs: Math.min(rangeToMs, Math.max(fromMs, before)) });
  }
  /** The frozen classes a restore from `member` reads up to segment `toSegNo`: its own objects' and the WAL's. */
  const classesUpTo = (member: RangeMember, toSegNo: number): string[] => {
    const wal = member.path.flatMap((span) =>
      frozen.classesIn(span.timeline, Math.max(span.firstSegNo, member.startSegNo), Math.min(span.lastSegNo, toSegNo)),
    );
    return [...new Set([...(backupClassesOf.get(member) ?? []), ...wal])].sort();
  };
  const oldest = members[0] as RangeMember;
  const instantPart = (fromMs: number, toMs: number, member: RangeMember): WindowPart => ({
    from: new Date(fromMs),
    to: new Date(toMs),
    baseBackup: member.record.name,
  });
  const startMs = oldest.from.getTime();
  if (startMs >= rangeToMs) {
    const covering = stretches.find((stretch) => stretch.fromMs <= startMs && startMs <= stretch.toMs);
    if (covering !== undefined) return [instantPart(startMs, rangeToMs, covering.member)];
    return [
      { ...instantPart(startMs, rangeToMs, oldest), thaw: { storageClasses: classesUpTo(oldest, oldest.end.segNo) } },
    ];
  }
  const parts: WindowPart[] = [];
  const push = (next: WindowPart) => {
    const last = parts.at(-1);
    if (
      last === undefined ||
      last.baseBackup !== next.baseBackup ||
      (last.thaw === undefined) !== (next.thaw === undefined)
    ) {
      parts.push(next);
      return;
    }
    const storageClasses = [...new Set([...(last.thaw?.storageClasses ?? []), ...(next.thaw?.storageClasses ?? [])])];
    parts[parts.length - 1] = {
      ...last,
      to: next.to,
      ...(last.thaw === undefined ? {} : { thaw: { storageClasses: storageClasses.sort() } }),
    };
  };
  let at = startMs;
  while (at < rangeToMs) {
    let best: InstantStretch | undefined;
    for (const stretch of stretches) {
      if (stretch.fromMs <= at && stretch.toMs > at && (best === undefined || stretch.toMs > best.toMs)) best = stretch;
    }
    if (best !== undefined) {
      push(instantPart(at, best.toMs, best.member));
      at = best.toMs;
      continue;
    }
    // The frozen stretch runs to the next backup's finish (every readable stretch starts at one): from there that
    // backup names the rest, with less to thaw and to replay. A restore to that finish reads WAL up to the
    // backup's finish segment.
    let next: RangeMember | undefined;
    for (const member of members) {
      if (member.from.getTime() > at && (next === undefined || member.from < next.from)) next = member;
    }
    const nextMs = next === undefined ? rangeToMs : next.from.getTime();
    let base = oldest;
    for (const member of members) if (member.from.getTime() <= at) base = member;
    const storageClasses = classesUpTo(base, next === undefined ? base.end.segNo : next.finishSegNo);
    push({ ...instantPart(at, nextMs, base), thaw: { storageClasses } });
    at = nextMs;
  }
  return parts;
}

/** The first frozen segment on `path` in `from..to`, following the path across timeline switches. */
function firstFrozenOnPath(frozen: FrozenWalIndex, path: TimelinePath, from: number, to: number): number | undefined {
  for (const span of path) {
    const low = Math.max(span.firstSegNo, from);
    const high = Math.min(span.lastSegNo, to);
    if (low > high) continue;
    const found = frozen.firstIn(span.timeline, low, high);
    if (found !== undefined) return found.segNo;
  }
  return undefined;
}

/**
 * The upload time of a present segment on `path`. Only run ends keep theirs; a frozen run starts a present run, so
 * the segment before it is one. Elsewhere the run's first upload is the earliest it can have been (an earlier end
 * is never later than the truth).
 */
function uploadedAtMsOf(present: PresentSegments, path: TimelinePath, segNo: number): number {
  const span = spanOf(path, segNo);
  const run = span === undefined ? undefined : runHolding(present.runs(span.timeline), segNo);
  if (run === undefined) return Number.NEGATIVE_INFINITY;
  return run.toSegNo === segNo ? run.lastUploadedAtMs : run.firstUploadedAtMs;
}

/** `window --json` (the README's JSON contract). */
export interface WindowJson {
  readonly ranges: ReadonlyArray<{
    readonly timeline: number;
    readonly from: string;
    readonly to: string;
    readonly baseBackup: string;
    /** `no`: every instant restores without a thaw; `partly`: some parts need one; `yes`: every part does. */
    readonly needsThaw: ThawNeed;
    /** Present only as `inferred`: the range relies on a timeline switch inferred without its history file. */
    readonly confidence?: 'inferred';
    readonly parts: ReadonlyArray<{
      readonly from: string;
      readonly to: string;
      readonly baseBackup: string;
      /** Null when the part restores without a thaw. */
      readonly thaw: { readonly storageClasses: readonly string[] } | null;
    }>;
  }>;
}

export type ThawNeed = 'no' | 'partly' | 'yes';

/**
 * Whether a range needs a thaw: nowhere, in some parts, or everywhere.
 *
 * @example thawNeed(range) // 'partly' when the oldest backup's tar partitions moved to DEEP_ARCHIVE and a newer one did not
 */
export function thawNeed(range: Pick<RestorableRange, 'parts'>): ThawNeed {
  const frozen = range.parts.filter((part) => part.thaw !== undefined).length;
  return frozen === 0 ? 'no' : frozen === range.parts.length ? 'yes' : 'partly';
}

/**
 * The `window --json` document: ISO-8601 UTC times, oldest first.
 *
 * @example windowJson(report) // { ranges: [{ timeline: 1, from: '2026-11-20T01:10:00.000Z', to: '...', baseBackup: '...', needsThaw: 'no', parts: [...] }] }
 */
export function windowJson(report: WindowReport): WindowJson {
  return {
    ranges: report.ranges.map((range) => ({
      timeline: range.timeline,
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      baseBackup: range.baseBackup,
      needsThaw: thawNeed(range),
      ...(range.confidence === undefined ? {} : { confidence: range.confidence }),
      parts: range.parts.map((part) => ({
        from: part.from.toISOString(),
        to: part.to.toISOString(),
        baseBackup: part.baseBackup,
        thaw: part.thaw === undefined ? null : { storageClasses: [...part.thaw.storageClasses] },
      })),
    })),
  };
}
