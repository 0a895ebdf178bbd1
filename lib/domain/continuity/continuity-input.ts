import { backupsWithClusterChecks } from '../catalog/backup-eligibility.ts';
import type { BackupRecord } from '../catalog/catalog-records.ts';
import type { RetentionTombstone } from '../catalog/retention-tombstones.ts';
import type { RetentionPolicy } from '../cluster.ts';
import { type Lsn, lsnFromInteger } from '../wal/lsn.ts';
import type { WalSegmentSize } from '../wal/segment-size.ts';
import { type TimelineId, timelineId } from '../wal/timeline.ts';
import {
  rootTimelineHistory,
  type TimelineHistory,
  timelineOfLsn,
  type UnreadableHistory,
} from '../wal/timeline-history.ts';
import type { FrozenWalRun } from './frozen-wal.ts';
import { type CompleteBackupRecord, isCompleteBackup } from './pitr-chain-base.ts';
import type { PresentSegments } from './present-segments.ts';
import { type TimelinePath, timelinePath } from './timeline-path.ts';

/** A `.history` file found in the bucket and decoded. */
export interface KnownHistory {
  readonly history: TimelineHistory;
  /** When the file was uploaded: the moment its timeline began, as far as the bucket can tell. */
  readonly uploadedAt: Date;
}

/** The live WAL position reported by an archiver probe on the primary (`pg_current_wal_lsn()`). */
export interface LivePosition {
  readonly timeline: TimelineId;
  readonly lsn: Lsn;
}

/** Everything continuity checks read: the catalog of one cluster, its policy and the time. */
export interface ContinuityInput {
  /** All backup records; only complete ones of the cluster's own database system are considered. */
  readonly backups: readonly BackupRecord[];
  readonly histories: readonly KnownHistory[];
  /** `.history` files that exist but cannot be used (`readHistoryFiles`): findings, and no ancestry from them. */
  readonly unreadableHistories?: readonly UnreadableHistory[];
  readonly present: PresentSegments;
  /**
   * WAL segments S3 cannot serve without a thaw. Each run's first segment must start a run of `present` (the
   * readable segment before it is where an instantly restorable stretch ends, and only run ends keep upload times).
   */
  readonly frozenWal?: readonly FrozenWalRun[];
  /**
   * The WAL ranges walcat's retention recorded deleting: a hole in the point-in-time chain is expected only there
   * (or before the oldest backup); anywhere else it is a gap.
   */
  readonly retentionTombstones?: readonly RetentionTombstone[];
  /** Absent for a cluster without a retention policy: the chain base then comes from the backups alone. */
  readonly policy?: RetentionPolicy;
  readonly walSegmentSize: WalSegmentSize;
  /** A missing segment whose successor arrived less than this ago is `uploading`, not `lost`. */
  readonly uploadGraceMs: number;
  readonly now: Date;
  /** Optional: the primary's current position; complete segments not yet archived become `delayed`. */
  readonly livePosition?: LivePosition;
}

/** The timeline facts shared by gap detection and restorable windows. */
export interface TimelineView {
  /** The highest timeline with WAL, a history file or a backup: the one the chain follows. */
  readonly newest: TimelineId;
  /** The path of the newest timeline, or its own timeline alone when its history file is missing. */
  readonly newestPath: TimelinePath;
  /** False when the newest timeline (> 1) has no history file: cross-timeline continuity cannot be checked. */
  readonly newestHistoryKnown: boolean;
  readonly historyOf: (timeline: TimelineId) => TimelineHistory | undefined;
  readonly historyUploadedAtMs: (timeline: TimelineId) => number | undefined;
  /** The restore path a backup follows: the newest timeline's when it lies on it, else its own timeline's. */
  readonly pathOf: (backup: CompleteBackupRecord) => TimelinePath;
  /** True when the backup's start lies on the newest timeline's ancestry, on the backup's own timeline. */
  readonly onNewestAncestry: (backup: CompleteBackupRecord) => boolean;
  readonly completeBackups: readonly CompleteBackupRecord[];
  /**
   * Timelines whose `.history` is unreadable as text (likely client-side encryption) and whose switch from their
   * parent was inferred from the bucket instead (see {@link inferredHistory}); a path into one relies on a guess.
   */
  readonly inferredTimelines: ReadonlySet<TimelineId>;
}

/**
 * Works out which timeline the chain follows and which restore path each backup takes.
 *
 * @example timelineView(input).newest // 3 when 00000003.history is the highest
 */
export function timelineView(input: ContinuityInput): TimelineView {
  const historyByTimeline = new Map<number, KnownHistory>();
  for (const known of input.histories) historyByTimeline.set(known.history.timeline, known);
  // A backup of another database system (foreign-system) is never part of this cluster's chain.
  const completeBackups = backupsWithClusterChecks(input.backups).filter(isCompleteBackup);
  let newestValue = 1;
  for (const timeline of input.present.timelines) newestValue = Math.max(newestValue, timeline);
  for (const timeline of historyByTimeline.keys()) newestValue = Math.max(newestValue, timeline);
  // A timeline whose `.history` exists but cannot be used still began: it stays the newest, with an unknown ancestry.
  for (const broken of input.unreadableHistories ?? []) newestValue = Math.max(newestValue, broken.timeline);
  for (const backup of completeBackups) newestValue = Math.max(newestValue, backup.backup.timeline);
  const newest = timelineId(newestValue);
  const inferred = inferAncestries(input, historyByTimeline, completeBackups);
  const historyOf = (timeline: TimelineId): TimelineHistory | undefined =>
    timeline === 1 ? rootTimelineHistory() : (historyByTimeline.get(timeline)?.history ?? inferred.get(timeline));
  const orphanHistory = (timeline: TimelineId): TimelineHistory => ({ timeline, entries: [] });
  const newestHistory = historyOf(newest) ?? orphanHistory(newest);
  const newestPath = timelinePath(newestHistory, input.walSegmentSize);
  const onNewestAncestry = (record: CompleteBackupRecord): boolean =>
    timelineOfLsn(newestHistory, record.backup.startLsn) === record.backup.timeline;
  const pathCache = new Map<number, TimelinePath>();
  const pathOf = (record: CompleteBackupRecord): TimelinePath => {
    if (onNewestAncestry(record)) return newestPath;
    const timeline = record.backup.timeline;
    let path = pathCache.get(timeline);
    if (path === undefined) {
      path = timelinePath(historyOf(timeline) ?? orphanHistory(timeline), input.walSegmentSize);
      pathCache.set(timeline, path);
    }
    return path;
  };
  return {
    newest,
    newestPath,
    newestHistoryKnown: historyOf(newest) !== undefined,
    historyOf,
    historyUploadedAtMs: (timeline) => historyByTimeline.get(timeline)?.uploadedAt.getTime(),
    pathOf,
    onNewestAncestry,
    completeBackups,
    inferredTimelines: new Set(inferred.keys()),
  };
}

/** The ancestry of every timeline walcat can follow, and which of them rest on an inferred switch. */
export interface TimelineAncestries {
  /** The readable histories, then the inferred ones (oldest timeline first). */
  readonly histories: readonly TimelineHistory[];
  /** Timelines whose history file is not text and whose switch was inferred, ascending. */
  readonly inferredTimelines: readonly TimelineId[];
}

/**
 * The ancestries gap detection and the restorable window follow, for a consumer that must follow the same ones (the
 * restore planner): readable history files as they are, and for each unreadable one the switch inferred by
 * {@link inferredHistory}. Timelines whose ancestry is neither read nor inferred are absent.
 *
 * @example timelineAncestries(input).inferredTimelines // [2, 3] when both history files are ciphertext
 */
export function timelineAncestries(input: ContinuityInput): TimelineAncestries {
  const view = timelineView(input);
  const inferredTimelines = [...view.inferredTimelines].sort((a, b) => a - b);
  const read = input.histories.map((known) => known.history).filter((h) => !view.inferredTimelines.has(h.timeline));
  const inferred = inferredTimelines
    .map((timeline) => view.historyOf(timeline))
    .filter((history): history is TimelineHistory => history !== undefined);
  return { histories: [...read, ...inferred], inferredTimelines };
}

/**
 * The ancestries that can stand in for history files that are not text, oldest timeline first so a child can build
 * on its parent's inferred ancestry. A timeline with no readable history and no first segment is left unknown.
 */
function inferAncestries(
  input: ContinuityInput,
  known: ReadonlyMap<number, KnownHistory>,
  backups: readonly CompleteBackupRecord[],
): ReadonlyMap<TimelineId, TimelineHistory> {
  const inferred = new Map<TimelineId, TimelineHistory>();
  const encrypted = [
    ...new Set((input.unreadableHistories ?? []).filter((broken) => broken.likelyEncrypted).map((b) => b.timeline)),
  ]
    .filter((timeline) => timeline > 1 && !known.has(timeline))
    .sort((a, b) => a - b);
  const withData = new Set<number>([...input.present.timelines, ...backups.map((record) => record.backup.timeline)]);
  for (const timeline of encrypted) {
    const history = inferredHistory(timeline, input, [...withData], (parent) =>
      parent === 1 ? rootTimelineHistory() : (known.get(parent)?.history ?? inferred.get(parent)),
    );
    if (history !== undefined) inferred.set(timeline, history);
  }
  return inferred;
}

/**
 * The ancestry of `timeline` as the bucket shows it when its history file cannot be read: its parent is the highest
 * lower timeline that has WAL or a backup, and the switch happened in the child's first archived segment S (the
 * child's copy of S holds the parent's bytes up to the real switchpoint, so the parent is followed below S and the
 * child from S on, as a readable file would say). The real switchpoint lies somewhere inside S; the inferred one is
 * S's first byte, which puts every segment on the same timeline a readable file would. Undefined when the child has
 * no segment yet, no lower timeline has data, or the parent's own ancestry is unknown or switches later.
 *
 * @example inferredHistory(2, input, [1, 2], parentHistory) // timeline 2, entries [{ parent: 1, switchpoint: S * size }]
 */
export function inferredHistory(
  timeline: TimelineId,
  input: Pick<ContinuityInput, 'present' | 'walSegmentSize'>,
  timelinesWithData: readonly number[],
  historyOf: (timeline: TimelineId) => TimelineHistory | undefined,
): TimelineHistory | undefined {
  const first = input.present.runs(timeline)[0];
  if (first === undefined) return undefined;
  const parentValue = Math.max(0, ...timelinesWithData.filter((candidate) => candidate < timeline));
  if (parentValue < 1) return undefined;
  const parent = timelineId(parentValue);
  const parentHistory = historyOf(parent);
  if (parentHistory === undefined) return undefined;
  const switchpoint = lsnFromInteger(BigInt(first.fromSegNo) * BigInt(input.walSegmentSize));
  const last = parentHistory.entries.at(-1);
  if (last !== undefined && last.switchpoint > switchpoint) return undefined;
  return Object.freeze({
    timeline,
    entries: Object.freeze([
      ...parentHistory.entries,
      Object.freeze({ parent, switchpoint, reason: 'inferred from the first archived segment of the timeline' }),
    ]),
  });
}
