import type { BaseBackup } from '../backup/base-backup.ts';
import { describeSegmentSizeMismatch, segmentSizeMismatch } from '../backup/segment-size-fit.ts';
import type { ClusterId } from '../cluster.ts';
import type { RestorableRange } from '../continuity/restorable-window.ts';
import { UnsafePlanError } from '../errors.ts';
import { formatLsn } from '../wal/lsn.ts';
import type { WalSegmentSize } from '../wal/segment-size.ts';
import { formatTimelineHex, type TimelineId } from '../wal/timeline.ts';
import { switchSegments, type TimelineHistory, type UnreadableHistory } from '../wal/timeline-history.ts';
import { type SegmentNumber, segmentNumber, segNoOfLsn, type WalSegment, walFileName } from '../wal/wal-segment.ts';
import { formatRestoreTarget, type RestoreTarget } from './restore-target.ts';
import type { RestoreThaw } from './restore-thaw.ts';

/**
 * One restorable range as the continuity module computes it (`walcat window`, restorable-window.ts): from the finish
 * of `baseBackup` to the end of the unbroken WAL chain that follows it, on `timeline`. The planner takes ranges as
 * input and never re-derives them.
 */
export type RestorableRangeInput = Pick<RestorableRange, 'timeline' | 'from' | 'to' | 'baseBackup'>;

/** One archived WAL segment, as the catalog knows it (present, not a `.partial` or `.history`). */
export interface ArchivedSegment {
  readonly timeline: TimelineId;
  readonly segNo: SegmentNumber;
  /** Stored (compressed) size in bytes. */
  readonly size: number;
  /** Upload time: the only per-segment time there is; it bounds the commit times the segment holds. */
  readonly uploadedAt: Date;
  /** The object key, and where it is stored (catalog form: absent for STANDARD), for the thaw a restore needs. */
  readonly key?: string;
  readonly storageClass?: string;
  readonly thawedUntil?: Date;
}

export interface RestorePlanInput {
  readonly cluster: ClusterId;
  readonly target: RestoreTarget;
  /** Complete base backups with their metadata times (never S3 LastModified). Incomplete ones are ignored. */
  readonly backups: readonly BaseBackup[];
  readonly windows: readonly RestorableRangeInput[];
  readonly segments: readonly ArchivedSegment[];
  readonly walSegmentSize: WalSegmentSize;
  /**
   * Histories of the timelines in use (from the catalog's `.history` files). With the history of the restore
   * timeline, each segment is read from the timeline that owns it (the child from the switch segment on); without
   * it, the newest timeline not above the restore timeline that has the segment is taken.
   */
  readonly histories?: readonly TimelineHistory[];
  /**
   * `.history` files that exist but cannot be used (`readHistoryFiles`). A plan that does not need one still works;
   * a plan that does (it ends on that timeline, or the target lies on or after where that timeline began) is refused
   * naming the file.
   */
  readonly unreadableHistories?: ReadonlyArray<UnreadableHistory & { readonly uploadedAt?: Date }>;
  /**
   * Timelines whose history file is not text and whose switch `histories` holds as inferred by the continuity module
   * (`timelineAncestries`, the ancestry the window follows). Their unreadable file blocks no plan: the plan follows
   * the inferred switch and says so in `ancestry`.
   */
  readonly inferredTimelines?: readonly TimelineId[];
}

/** How sure the plan is of the timeline path it replays along; absent when every switch it crosses was read. */
export interface RestoreAncestry {
  readonly confidence: 'inferred';
  /** The timelines the replay enters whose switch was inferred from their first archived segment. */
  readonly inferredTimelines: readonly TimelineId[];
  /** Their `.history` files, which walcat could not read (likely WAL-G's client-side encryption). */
  readonly unreadableHistories: readonly string[];
}

/** The WAL a restore replays: from the base backup's start segment to the last segment recovery reads. */
export interface RestoreWal {
  readonly from: WalSegment;
  readonly to: WalSegment;
  readonly count: number;
  readonly bytes: number;
  /** The segments recovery reads, in order (the thaw check looks at their storage classes). */
  readonly segments?: readonly ArchivedSegment[];
}

/** What `walcat restore plan` decides; `restore start` executes exactly this. */
export interface RestorePlan {
  readonly cluster: ClusterId;
  readonly target: RestoreTarget;
  readonly baseBackup: BaseBackup;
  /** Timeline recovery ends on: `recovery_target_timeline`. */
  readonly timeline: TimelineId;
  /** The restorable range the target lies in. */
  readonly range: RestorableRangeInput;
  readonly wal: RestoreWal;
  /** Why this backup and this WAL, one line each, for people reviewing the plan. */
  readonly reasons: readonly string[];
  /** The frozen objects the restore reads (restore-thaw.ts); absent when every object can be read directly. */
  readonly thaw?: RestoreThaw;
  /** Present when the replay crosses a timeline switch that was inferred because its history file is unreadable. */
  readonly ancestry?: RestoreAncestry;
}

export type UnreachableReason =
  | 'no-restorable-range'
  | 'before-window'
  | 'between-ranges'
  | 'past-last-wal'
  | 'wal-gap'
  | 'unreadable-history'
  | 'segment-size-mismatch';

/** A restore target no restorable range reaches; carries the nearest ranges so the caller can suggest one. */
export class RestoreTargetUnreachableError extends UnsafePlanError {
  override readonly name: string = 'RestoreTargetUnreachableError';
  constructor(
    message: string,
    readonly reason: UnreachableReason,
    readonly nearestRanges: readonly RestorableRangeInput[],
  ) {
    super(message);
  }
}

/**
 * Plans a point-in-time restore. The base backup is the newest complete backup that finished (by its metadata
 * finish time) no later than the target and whose WAL chain reaches the target without a gap; a target outside
 * every restorable range, behind a gap, or past the last archived WAL is refused, because PostgreSQL would
 * otherwise replay to the end and stop with "recovery ended before configured recovery target was reached".
 *
 * Named restore points and xids cannot be located without reading WAL: the plan restores from the oldest backup
 * of the newest range, so any point in that range is reachable, and replays to the end of its chain.
 *
 * @example
 * planRestore({ cluster, target: { kind: 'time', time: new Date('2026-11-20T14:30:00Z') }, backups, windows, segments,
 *   walSegmentSize }).baseBackup.name // 'base_000000010000000000000004'
 * @throws RestoreTargetUnreachableError naming the nearest restorable ranges.
 */
export function planRestore(input: RestorePlanInput): RestorePlan {
  const mismatch = segmentSizeMismatch(input.backups, input.walSegmentSize);
  if (mismatch !== undefined) {
    throw new RestoreTargetUnreachableError(
      `cluster ${input.cluster}: cannot plan a restore: ${describeSegmentSizeMismatch(mismatch)}`,
      'segment-size-mismatch',
      [],
    );
  }
  let plan: RestorePlan;
  try {
    plan = planIgnoringBrokenHistories(input);
  } catch (error) {
    // A target no range reaches may lie on a timeline whose history cannot be read: say which file blocks it.
    const blocking = error instanceof RestoreTargetUnreachableError ? blockingHistory(input, undefined) : undefined;
    if (blocking === undefined) throw error;
    throw historyRefusal(input, blocking, (error as RestoreTargetUnreachableError).nearestRanges);
  }
  const blocking = blockingHistory(input, plan.timeline);
  if (blocking !== undefined) throw historyRefusal(input, blocking, [plan.range]);
  return withAncestry(input, plan);
}

/**
 * Marks a plan whose replay enters a timeline through an inferred switch, as the window marks the range: the
 * segments it reads on that timeline are where the guess matters (the real switchpoint lies inside the first one).
 */
function withAncestry(input: RestorePlanInput, plan: RestorePlan): RestorePlan {
  const inferred = new Set<number>(input.inferredTimelines ?? []);
  const entered = [...new Set((plan.wal.segments ?? []).map((segment) => segment.timeline))]
    .filter((timeline) => inferred.has(timeline) && timeline !== plan.baseBackup.timeline)
    .sort((a, b) => a - b);
  if (entered.length === 0) return plan;
  const files = (input.unreadableHistories ?? [])
    .filter((broken) => entered.includes(broken.timeline))
    .map((broken) => broken.key);
  const words = entered.length === 1 ? `timeline ${entered[0]}` : `timelines ${entered.join(', ')}`;
  return {
    ...plan,
    ancestry: { confidence: 'inferred', inferredTimelines: entered, unreadableHistories: files },
    reasons: [
      ...plan.reasons,
      `the switch to ${words} was inferred from the first archived segment of each, because ${files.join(', ')} cannot be read (likely client-side encryption); recovery itself reads the real history through wal-g`,
    ],
  };
}

function historyRefusal(
  input: RestorePlanInput,
  blocking: UnreadableHistory,
  nearest: readonly RestorableRangeInput[],
): RestoreTargetUnreachableError {
  return new RestoreTargetUnreachableError(
    `cluster ${input.cluster}: target ${formatRestoreTarget(input.target)} needs timeline ${blocking.timeline}, whose history file ${blocking.key} cannot be used (${blocking.problem}); push a good copy from the server of timeline ${blocking.timeline} (\`wal-g wal-push pg_wal/${formatTimelineHex(blocking.timeline)}.history\`), or choose a target before that timeline began`,
    'unreadable-history',
    nearest,
  );
}

/**
 * The broken history a plan needs, if any: the one of the timeline it ends on, or of a later timeline with archived
 * WAL when the target may lie on it (`latest`, a restore point or an xid, a time on or after the timeline began, an
 * LSN in or after its first archived segment). Without that file recovery could not follow the timeline, and a plan
 * along an older one would silently leave out the newest data.
 */
function blockingHistory(
  input: RestorePlanInput,
  planTimeline: TimelineId | undefined,
): (UnreadableHistory & { readonly uploadedAt?: Date }) | undefined {
  const inferred = new Set<number>(input.inferredTimelines ?? []);
  // An unreadable file whose switch was inferred blocks nothing: the plan follows the window's inferred ancestry.
  const broken = [...(input.unreadableHistories ?? [])]
    .filter((history) => !inferred.has(history.timeline))
    .sort((a, b) => a.timeline - b.timeline);
  for (const history of broken) {
    if (history.timeline === planTimeline && history.timeline > 1) return history;
    if (planTimeline !== undefined && history.timeline < planTimeline) continue;
    const own = input.segments.filter((segment) => segment.timeline === history.timeline);
    if (own.length === 0) continue;
    const target = input.target;
    if (target.kind === 'time') {
      const began = Math.min(
        history.uploadedAt?.getTime() ?? Number.POSITIVE_INFINITY,
        ...own.map((segment) => segment.uploadedAt.getTime()),
      );
      if (target.time.getTime() >= began) return history;
    } else if (target.kind === 'lsn') {
      const first = Math.min(...own.map((segment) => segment.segNo));
      if (segNoOfLsn(target.lsn, input.walSegmentSize) >= first) return history;
    } else {
      return history;
    }
  }
  return undefined;
}

function planIgnoringBrokenHistories(input: RestorePlanInput): RestorePlan {
  const ranges = [...input.windows].sort((a, b) => a.from.getTime() - b.from.getTime() || a.timeline - b.timeline);
  const backups = input.backups.filter((backup) => backup.finishTime !== undefined);
  if (ranges.length === 0 || backups.length === 0) {
    throw new RestoreTargetUnreachableError(
      `cluster ${input.cluster}: nothing is restorable yet (no complete base backup with its WAL); run a backup first (walcat backup)`,
      'no-restorable-range',
      [],
    );
  }
  const chains = new ChainFinder(input.segments, input.histories ?? [], input.walSegmentSize);
  switch (input.target.kind) {
    case 'time':
      return planForTime(input, ranges, backups, chains, input.target.time);
    case 'lsn':
      return planForLsn(input, ranges, backups, chains);
    default:
      return planToEndOfNewestRange(input, ranges, backups, chains);
  }
}

function planForTime(
  input: RestorePlanInput,
  ranges: readonly RestorableRangeInput[],
  backups: readonly BaseBackup[],
  chains: ChainFinder,
  time: Date,
): RestorePlan {
  const at = time.getTime();
  const containing = ranges.filter((range) => range.from.getTime() <= at && at <= range.to.getTime());
  const range = newestTimeline(containing);
  if (!range) throw outsideRanges(input, ranges, at);
  const rangeBase = backups.find((backup) => backup.name === range.baseBackup);
  const candidates = backupsInRange(backups, range, rangeBase).filter((backup) => finishOf(backup) <= at);
  const failures: string[] = [];
  for (const backup of candidates) {
    const chain = chains.toTime(backup, range.timeline, time, input.walSegmentSize);
    if (chain.kind === 'ok') {
      return {
        cluster: input.cluster,
        target: input.target,
        baseBackup: backup,
        timeline: range.timeline,
        range,
        wal: chain.wal,
        reasons: [
          `${backup.name} is the newest complete backup that finished (${iso(finishOf(backup))}) before the target and whose WAL reaches it`,
          `the target lies in the restorable range ${describeRange(range)}`,
          `recovery reads WAL up to ${walFileName(chain.wal.to, input.walSegmentSize)}, the first segment uploaded at or after the target`,
        ],
      };
    }
    failures.push(chain.reason);
  }
  throw chainFailure(input, ranges, at, failures);
}

function planForLsn(
  input: RestorePlanInput,
  ranges: readonly RestorableRangeInput[],
  backups: readonly BaseBackup[],
  chains: ChainFinder,
): RestorePlan {
  if (input.target.kind !== 'lsn') throw new TypeError('planForLsn needs an LSN target');
  const lsn = input.target.lsn;
  const failures: string[] = [];
  const candidates = [...backups]
    .filter((backup) => backup.finishLsn <= lsn)
    .sort((a, b) => finishOf(b) - finishOf(a) || Number(b.finishLsn - a.finishLsn));
  for (const backup of candidates) {
    const range = newestTimeline(
      ranges.filter(
        (candidate) =>
          candidate.timeline >= backup.timeline &&
          candidate.from.getTime() <= finishOf(backup) &&
          finishOf(backup) <= candidate.to.getTime(),
      ),
    );
    if (!range) continue;
    const chain = chains.toSegment(backup, range.timeline, segNoOfLsn(lsn, input.walSegmentSize), input.walSegmentSize);
    if (chain.kind === 'ok') {
      return {
        cluster: input.cluster,
        target: input.target,
        baseBackup: backup,
        timeline: chain.wal.to.timeline,
        range,
        wal: chain.wal,
        reasons: [
          `${backup.name} is the newest complete backup that finished (at ${formatLsn(backup.finishLsn)}) before the target LSN and whose WAL reaches it`,
          `recovery reads WAL up to ${walFileName(chain.wal.to, input.walSegmentSize)}, the segment holding ${formatLsn(lsn)}`,
        ],
      };
    }
    failures.push(chain.reason);
  }
  const lastSegment = chains.lastSegmentNumber();
  const reason: UnreachableReason =
    lastSegment !== undefined && segNoOfLsn(lsn, input.walSegmentSize) > lastSegment
      ? 'past-last-wal'
      : failures.length > 0
        ? 'wal-gap'
        : 'before-window';
  const why =
    reason === 'past-last-wal'
      ? 'is past the last archived WAL (PostgreSQL would stop with "recovery ended before configured recovery target was reached")'
      : reason === 'wal-gap'
        ? `cannot be reached: ${failures[0]}`
        : 'is before the first complete backup finished';
  throw new RestoreTargetUnreachableError(
    `cluster ${input.cluster}: target LSN ${formatLsn(lsn)} ${why}; restorable ranges: ${describeRanges(ranges.slice(-2))}`,
    reason,
    ranges.slice(-2),
  );
}

function planToEndOfNewestRange(
  input: RestorePlanInput,
  ranges: readonly RestorableRangeInput[],
  backups: readonly BaseBackup[],
  chains: ChainFinder,
): RestorePlan {
  const latestEnd = Math.max(...ranges.map((range) => range.to.getTime()));
  const range = newestTimeline(ranges.filter((candidate) => candidate.to.getTime() === latestEnd));
  if (!range) throw outsideRanges(input, ranges, latestEnd);
  const rangeBase = backups.find((backup) => backup.name === range.baseBackup);
  const inRange = backupsInRange(backups, range, rangeBase);
  // `latest` takes the newest backup (least WAL to replay); a restore point or xid cannot be placed without reading
  // WAL, so those start from the oldest backup of the range to reach anything in it.
  const ordered = input.target.kind === 'latest' ? inRange : [...inRange].reverse();
  const failures: string[] = [];
  for (const backup of ordered) {
    const chain = chains.toEndOfChain(backup, range.timeline, input.walSegmentSize);
    if (chain.kind === 'ok') {
      const which =
        input.target.kind === 'latest'
          ? `${backup.name} is the newest complete backup of the newest restorable range`
          : `${backup.name} is the oldest complete backup of the newest restorable range, so a ${input.target.kind === 'name' ? 'restore point' : 'transaction'} anywhere in it is reachable`;
      return {
        cluster: input.cluster,
        target: input.target,
        baseBackup: backup,
        timeline: range.timeline,
        range,
        wal: chain.wal,
        reasons: [
          which,
          `the range is ${describeRange(range)}`,
          `recovery replays up to ${walFileName(chain.wal.to, input.walSegmentSize)}, the last segment of the unbroken chain`,
        ],
      };
    }
    failures.push(chain.reason);
  }
  throw chainFailure(input, ranges, latestEnd, failures);
}

/** Backups whose WAL lies inside the range's unbroken chain, newest first by metadata finish time. */
function backupsInRange(
  backups: readonly BaseBackup[],
  range: RestorableRangeInput,
  rangeBase: BaseBackup | undefined,
): BaseBackup[] {
  return backups
    .filter(
      (backup) =>
        backup.timeline <= range.timeline &&
        finishOf(backup) >= range.from.getTime() &&
        finishOf(backup) <= range.to.getTime() &&
        (rangeBase === undefined || backup.startLsn >= rangeBase.startLsn),
    )
    .sort((a, b) => finishOf(b) - finishOf(a) || Number(b.finishLsn - a.finishLsn));
}

function newestTimeline(ranges: readonly RestorableRangeInput[]): RestorableRangeInput | undefined {
  return [...ranges].sort((a, b) => b.timeline - a.timeline || b.to.getTime() - a.to.getTime())[0];
}

function outsideRanges(
  input: RestorePlanInput,
  ranges: readonly RestorableRangeInput[],
  at: number,
): RestoreTargetUnreachableError {
  const before = ranges.filter((range) => range.to.getTime() < at).at(-1);
  const after = ranges.find((range) => range.from.getTime() > at);
  const nearest = [before, after].filter((range): range is RestorableRangeInput => range !== undefined);
  const target = `target ${formatRestoreTarget(input.target)}`;
  if (!after && before) {
    return new RestoreTargetUnreachableError(
      `cluster ${input.cluster}: ${target} is after the latest restorable point ${iso(before.to.getTime())} (the last archived WAL); PostgreSQL would stop with "recovery ended before configured recovery target was reached". Choose a time up to ${iso(before.to.getTime())} or --to latest`,
      'past-last-wal',
      nearest,
    );
  }
  if (!before && after) {
    return new RestoreTargetUnreachableError(
      `cluster ${input.cluster}: ${target} is before the earliest restorable point ${iso(after.from.getTime())} (the first complete backup finished then); choose a time in ${describeRange(after)}`,
      'before-window',
      nearest,
    );
  }
  return new RestoreTargetUnreachableError(
    `cluster ${input.cluster}: ${target} falls in a gap between restorable ranges; nearest ranges: ${describeRanges(nearest)}`,
    'between-ranges',
    nearest,
  );
}

function chainFailure(
  input: RestorePlanInput,
  ranges: readonly RestorableRangeInput[],
  at: number,
  failures: readonly string[],
): RestoreTargetUnreachableError {
  const nearest = [...ranges]
    .sort((a, b) => distance(a, at) - distance(b, at))
    .slice(0, 2)
    .sort((a, b) => a.from.getTime() - b.from.getTime());
  const past = failures.find((failure) => failure.startsWith(PAST_LAST_WAL));
  return new RestoreTargetUnreachableError(
    `cluster ${input.cluster}: target ${formatRestoreTarget(input.target)} cannot be reached: ${failures[0] ?? 'no complete backup finished before it inside a restorable range'}${past ? '; PostgreSQL would stop with "recovery ended before configured recovery target was reached"' : ''}; nearest restorable ranges: ${describeRanges(nearest)}`,
    past ? 'past-last-wal' : 'wal-gap',
    nearest,
  );
}

function distance(range: RestorableRangeInput, at: number): number {
  return at < range.from.getTime() ? range.from.getTime() - at : Math.max(0, at - range.to.getTime());
}

const PAST_LAST_WAL = 'no WAL was archived at or after the target';

type ChainResult =
  | { readonly kind: 'ok'; readonly wal: RestoreWal }
  | { readonly kind: 'broken'; readonly reason: string };

/**
 * Walks archived segments from a backup's start. For each segment number the newest timeline not above the restore
 * timeline wins, as PostgreSQL's restore_command lookup along the history does.
 */
class ChainFinder {
  private readonly bySegNo = new Map<number, ArchivedSegment[]>();
  private readonly maxSegNo: number | undefined;

  constructor(
    segments: readonly ArchivedSegment[],
    private readonly histories: readonly TimelineHistory[],
    private readonly size: WalSegmentSize,
  ) {
    let max: number | undefined;
    for (const segment of segments) {
      const list = this.bySegNo.get(segment.segNo) ?? [];
      list.push(segment);
      this.bySegNo.set(segment.segNo, list);
      max = max === undefined ? segment.segNo : Math.max(max, segment.segNo);
    }
    this.maxSegNo = max;
  }

  lastSegmentNumber(): number | undefined {
    return this.maxSegNo;
  }

  toTime(backup: BaseBackup, timeline: TimelineId, time: Date, size: WalSegmentSize): ChainResult {
    return this.walk(
      backup,
      timeline,
      size,
      (segment) => segment.uploadedAt.getTime() >= time.getTime(),
      PAST_LAST_WAL,
    );
  }

  toSegment(backup: BaseBackup, timeline: TimelineId, last: SegmentNumber, size: WalSegmentSize): ChainResult {
    return this.walk(
      backup,
      timeline,
      size,
      (segment) => segment.segNo >= last,
      'no WAL was archived up to the target',
    );
  }

  toEndOfChain(backup: BaseBackup, timeline: TimelineId, size: WalSegmentSize): ChainResult {
    return this.walk(backup, timeline, size, () => false, '');
  }

  private walk(
    backup: BaseBackup,
    timeline: TimelineId,
    size: WalSegmentSize,
    isLast: (segment: ArchivedSegment) => boolean,
    endReason: string,
  ): ChainResult {
    const first = backup.startSegment.segNo;
    const consistentAt = segNoOfLsn(backup.finishLsn, size);
    const lastSegNo = Number((1n << 64n) / BigInt(size)) - 1;
    let count = 0;
    let bytes = 0;
    let previous: ArchivedSegment | undefined;
    const read: ArchivedSegment[] = [];
    for (let segNo = first; ; segNo++) {
      // Past the last segment of the 64-bit WAL space (`FFFFFFFF000000FF` at 16 MiB) there is nothing to read.
      const segment = segNo > lastSegNo ? undefined : this.pick(segNo, backup.timeline, timeline);
      if (!segment) {
        const stopsAtEndOfChain = endReason === '' && previous && segNo > consistentAt;
        if (stopsAtEndOfChain && previous) {
          return {
            kind: 'ok',
            wal: { from: backup.startSegment, to: segmentOf(previous), count, bytes, segments: read },
          };
        }
        const missing =
          segNo > lastSegNo ? 'the end of the WAL space' : walFileName({ timeline, segNo: segmentNumber(segNo) }, size);
        if (this.maxSegNo === undefined || segNo > this.maxSegNo) {
          return {
            kind: 'broken',
            reason: `${endReason || 'the chain ends'} (last archived segment before ${missing})`,
          };
        }
        return { kind: 'broken', reason: `WAL gap at ${missing} after base backup ${backup.name}` };
      }
      count++;
      bytes += segment.size;
      previous = segment;
      read.push(segment);
      if (segNo >= consistentAt && isLast(segment)) {
        return {
          kind: 'ok',
          wal: { from: backup.startSegment, to: segmentOf(segment), count, bytes, segments: read },
        };
      }
    }
  }

  private pick(segNo: number, lowest: TimelineId, highest: TimelineId): ArchivedSegment | undefined {
    const owner = this.owningTimeline(segNo, highest);
    const candidates = (this.bySegNo.get(segNo) ?? []).filter((segment) =>
      owner === undefined ? segment.timeline >= lowest && segment.timeline <= highest : segment.timeline === owner,
    );
    return candidates.sort((a, b) => b.timeline - a.timeline)[0];
  }

  /** The timeline whose copy of `segNo` recovery on `timeline` reads, when that timeline's history is known. */
  private owningTimeline(segNo: number, timeline: TimelineId): TimelineId | undefined {
    if (timeline === 1) return timeline;
    const history = this.histories.find((candidate) => candidate.timeline === timeline);
    if (!history) return undefined;
    const owningSwitch = switchSegments(history, this.size).find((step) => segNo < step.segNo);
    return owningSwitch ? owningSwitch.parent : timeline;
  }
}

function segmentOf(archived: ArchivedSegment): WalSegment {
  return { timeline: archived.timeline, segNo: archived.segNo };
}

function finishOf(backup: BaseBackup): number {
  return backup.finishTime?.getTime() ?? Number.NEGATIVE_INFINITY;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function describeRange(range: RestorableRangeInput): string {
  return `timeline ${range.timeline} ${iso(range.from.getTime())} .. ${iso(range.to.getTime())} (from ${range.baseBackup})`;
}

function describeRanges(ranges: readonly RestorableRangeInput[]): string {
  return ranges.length === 0 ? 'none' : ranges.map(describeRange).join('; ');
}

/** `restore plan --json` (the README's JSON contract): `{ cluster, target, baseBackup, timeline, wal }` plus extras. */
export interface RestorePlanJson {
  readonly cluster: string;
  readonly target: string;
  readonly targetKind: RestoreTarget['kind'];
  readonly baseBackup: string;
  readonly timeline: number;
  readonly wal: { readonly from: string; readonly to: string; readonly count: number; readonly bytes: number };
  readonly range: {
    readonly timeline: number;
    readonly from: string;
    readonly to: string;
    readonly baseBackup: string;
  };
  readonly reasons: readonly string[];
  /** Null when every object the restore reads can be read directly. */
  readonly thaw: {
    readonly objects: number;
    readonly bytes: number;
    readonly storageClasses: readonly string[];
    readonly retrieval: readonly { readonly tier: string; readonly hours: number; readonly words: string }[];
  } | null;
  /** Null when every timeline switch the replay crosses was read from its history file. */
  readonly ancestry: {
    readonly confidence: 'inferred';
    readonly inferredTimelines: readonly number[];
    readonly unreadableHistories: readonly string[];
  } | null;
}

/**
 * The JSON document of `walcat restore plan --json`.
 *
 * @example restorePlanToJson(plan, size).wal.from // '000000010000000000000004'
 */
export function restorePlanToJson(plan: RestorePlan, size: WalSegmentSize): RestorePlanJson {
  return {
    cluster: plan.cluster,
    target: formatRestoreTarget(plan.target),
    targetKind: plan.target.kind,
    baseBackup: plan.baseBackup.name,
    timeline: plan.timeline,
    wal: {
      from: walFileName(plan.wal.from, size),
      to: walFileName(plan.wal.to, size),
      count: plan.wal.count,
      bytes: plan.wal.bytes,
    },
    range: {
      timeline: plan.range.timeline,
      from: plan.range.from.toISOString(),
      to: plan.range.to.toISOString(),
      baseBackup: plan.range.baseBackup,
    },
    reasons: plan.reasons,
    thaw:
      plan.thaw === undefined
        ? null
        : {
            objects: plan.thaw.objects.length,
            bytes: plan.thaw.bytes,
            storageClasses: plan.thaw.storageClasses,
            retrieval: plan.thaw.retrieval.map(({ tier, hours, words }) => ({ tier, hours, words })),
          },
    ancestry:
      plan.ancestry === undefined
        ? null
        : {
            confidence: plan.ancestry.confidence,
            inferredTimelines: [...plan.ancestry.inferredTimelines],
            unreadableHistories: [...plan.ancestry.unreadableHistories],
          },
  };
}
