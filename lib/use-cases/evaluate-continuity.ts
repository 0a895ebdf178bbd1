import type { BucketDigest } from '../domain/bucket/bucket-digest.ts';
import { needsThaw } from '../domain/bucket/storage-class.ts';
import { ClusterStateConflictError } from '../domain/catalog/catalog-errors.ts';
import type { BackupRecord, WalObjectRecord } from '../domain/catalog/catalog-records.ts';
import type { RetentionTombstone } from '../domain/catalog/retention-tombstones.ts';
import type { ClusterConfig, ClusterId } from '../domain/cluster.ts';
import type { Alert } from '../domain/continuity/alert-state.ts';
import { type ClusterHealth, clusterHealth } from '../domain/continuity/cluster-health.ts';
import type { ContinuityInput, KnownHistory, LivePosition } from '../domain/continuity/continuity-input.ts';
import { FrozenWalBuilder, type FrozenWalRun, walStorageMayChange } from '../domain/continuity/frozen-wal.ts';
import { detectGaps, type GapReport } from '../domain/continuity/gap-detection.ts';
import {
  firstRunEndingAtOrAfter,
  type PresentSegments,
  PresentSegmentsBuilder,
} from '../domain/continuity/present-segments.ts';
import { restorableWindows, type WindowReport } from '../domain/continuity/restorable-window.ts';
import { switchBreaks } from '../domain/continuity/timeline-path.ts';
import {
  advanceCursor,
  cursorRuns,
  neighboursOfRemoved,
  planWalReads,
  type ReadPlan,
  removeSegments,
  seedRuns,
} from '../domain/continuity/verification-cursor.ts';
import type { TimelineId } from '../domain/wal/timeline.ts';
import { readHistoryFiles } from '../domain/wal/timeline-history.ts';
import { segmentNumber } from '../domain/wal/wal-segment.ts';
import {
  type CatalogStore,
  ChangeIndexUnavailableError,
  type ClusterOverview,
  type WalChange,
} from '../ports/catalog-store.ts';

/**
 * A safety net only: the change index brings every creation and deletion to the next run, so the whole WAL is read
 * again once a day (a write made by a walcat version without the index would otherwise never be seen).
 */
export const DEFAULT_FULL_READ_EVERY_MS = 24 * 3_600_000;
/** Changes read without storing the cursor after which a read-only run stores it anyway (saves the next runs). */
const CHANGES_WORTH_STORING = 1_000;
/** Removed segments at most this many apart are re-read (with their neighbours) by one Query. */
const REMOVAL_READ_MERGE_DISTANCE = 256;

export interface EvaluateContinuityOptions {
  readonly now: Date;
  /** Read everything again at least this often (default DEFAULT_FULL_READ_EVERY_MS). */
  readonly fullReadEveryMs?: number;
  /** Ignore the stored cursor and read every WAL object. */
  readonly forceFull?: boolean;
  /**
   * Store the advanced cursor: `true` every run (the watchdog); `'when-useful'` only when this run read much more
   * than the next needs to (a full read, removals re-read, many changes), ignoring a failed write (a read-only door
   * such as the CLI); `false` never.
   */
  readonly persistCursor: boolean | 'when-useful';
  readonly livePosition?: LivePosition;
}

/** What one evaluation found, plus how much it read (for logs, tests and the benchmark). */
export interface ContinuityEvaluation {
  readonly cluster: ClusterConfig;
  readonly backups: readonly BackupRecord[];
  readonly gaps: GapReport;
  readonly windows: WindowReport;
  readonly health: ClusterHealth;
  /** The archived segments as runs per timeline (the web view draws them as WAL coverage). */
  readonly present: PresentSegments;
  readonly lastFullSyncAt?: Date;
  /** The last drill job recorded in the cluster's state (lib/use-cases/record-last-drill.ts), opaque here. */
  readonly lastDrill?: unknown;
  /** What the catalog sync last read of the cluster's bucket (lib/domain/bucket/bucket-digest.ts). */
  readonly bucket?: BucketDigest;
  /** The cluster's alerts, when the catalog read them with the rest (open and resolved). */
  readonly alerts?: readonly Alert[];
  readonly readMode: ReadPlan['mode'];
  /** WAL items returned by the catalog in this run (change-index items included). */
  readonly walItemsRead: number;
  /** Range Queries of WAL made in this run (full: one per timeline; incremental: the change index plus removals). */
  readonly walReads: number;
  /** History files that exist but could not be used (their text is missing or does not parse). */
  readonly unreadableHistories: readonly string[];
  /** Timelines whose history file was read and used, and those whose file exists but cannot be used. */
  readonly historyTimelines: readonly TimelineId[];
  readonly unreadableHistoryTimelines: readonly TimelineId[];
  /** The WAL ranges walcat's retention recorded deleting (the cluster state's tombstones). */
  readonly retentionTombstones: readonly RetentionTombstone[];
}

interface WalPicture {
  readonly present: PresentSegments;
  readonly frozenWal: readonly FrozenWalRun[];
  readonly changesThrough: string | undefined;
  readonly walItemsRead: number;
  readonly walReads: number;
  /** Read more than the next run will need to (worth storing the cursor for a read-only door). */
  readonly worthStoring: boolean;
}

async function readOverview(
  catalog: CatalogStore,
  cluster: ClusterId,
): Promise<Omit<ClusterOverview, 'alerts'> & { alerts?: Alert[] }> {
  if (catalog.readClusterOverview !== undefined) return catalog.readClusterOverview(cluster);
  const [state, backups, timelines, histories] = await Promise.all([
    catalog.getClusterState(cluster),
    catalog.listBackups(cluster),
    catalog.listTimelines(cluster),
    catalog.listHistoryFiles(cluster),
  ]);
  return { state, backups, timelines, histories };
}

/**
 * Reads a cluster's catalog, decides gaps and restorable windows, and optionally stores the advanced cursor. With a
 * stored cursor and the catalog's change index the read is three Queries whatever the size of the archive: the
 * cluster's partition (two adjacent ranges) and the WAL written since the cursor, deletions included, so a segment
 * deleted from the bucket changes every answer at the next run. A concurrent run that stored a cursor first wins;
 * this run's cursor is dropped and recomputed next time.
 *
 * @example const evaluation = await evaluateContinuity(catalog, cluster, { now, persistCursor: true });
 */
export async function evaluateContinuity(
  catalog: CatalogStore,
  cluster: ClusterConfig,
  options: EvaluateContinuityOptions,
): Promise<ContinuityEvaluation> {
  const overview = await readOverview(catalog, cluster.id);
  const { state, backups, timelines } = overview;
  // One policy for history files (shared with restore planning): a broken one is a finding, never an exception.
  const reading = readHistoryFiles(overview.histories.filter((record) => !record.deleted));
  const histories: KnownHistory[] = reading.readable.map(({ file, history }) => ({
    history,
    uploadedAt: file.uploadedAt,
  }));
  const unreadableHistories = reading.unreadable.map((broken) => broken.key);
  const historyTimelines = histories.map((known) => known.history.timeline);
  const changesIndexed = catalog.listWalChanges !== undefined && catalog.changeStamp !== undefined;
  let plan = planWalReads({
    stored: state.verifiedCursor,
    timelines,
    historyTimelines,
    changesIndexed,
    fullReadEveryMs: options.fullReadEveryMs ?? DEFAULT_FULL_READ_EVERY_MS,
    now: options.now,
    forceFull: options.forceFull,
  });
  const breakBefore = switchBreaks(
    histories.map((known) => known.history),
    cluster.walSegmentSize,
  );
  let picture =
    plan.mode === 'incremental'
      ? await readChanges(
          catalog,
          cluster.id,
          plan,
          breakBefore,
          walStorageMayChange(plan.cursor.frozenWal ?? [], state.bucket, options.now),
        )
      : undefined;
  if (picture === undefined) {
    if (plan.mode === 'incremental') {
      plan = {
        mode: 'full',
        reason: 'the change index could not settle a removal',
        reads: timelines.map((timeline) => ({ timeline })),
      };
    }
    picture = await readEverything(catalog, cluster.id, timelines, changesIndexed, breakBefore);
  }
  const { present, frozenWal } = picture;
  const input: ContinuityInput = {
    backups,
    histories,
    unreadableHistories: reading.unreadable,
    present,
    frozenWal,
    ...(state.retentionTombstones === undefined ? {} : { retentionTombstones: state.retentionTombstones }),
    ...(cluster.retention === undefined ? {} : { policy: cluster.retention }),
    walSegmentSize: cluster.walSegmentSize,
    uploadGraceMs: cluster.alerts.uploadGraceMs,
    now: options.now,
    ...(options.livePosition === undefined ? {} : { livePosition: options.livePosition }),
  };
  const gaps = detectGaps(input);
  const windows = restorableWindows(input);
  const store = options.persistCursor === true || (options.persistCursor === 'when-useful' && picture.worthStoring);
  if (store) {
    const cursor = advanceCursor({
      plan,
      present,
      gaps: gaps.gaps,
      historyTimelines,
      changesThrough: picture.changesThrough,
      frozenWal,
      now: options.now,
    });
    try {
      await catalog.updateClusterState(cluster.id, { verifiedCursor: cursor }, state.version);
    } catch (error) {
      // A read-only door may lack the right to write; its answer stands, the next run reads as much again.
      if (!(error instanceof ClusterStateConflictError) && options.persistCursor === true) throw error;
    }
  }
  return {
    cluster,
    backups,
    gaps,
    windows,
    present,
    health: clusterHealth({
      cluster: cluster.id,
      backups,
      gaps,
      windows,
      walSegmentSize: cluster.walSegmentSize,
      now: options.now,
    }),
    ...(state.lastFullSyncAt === undefined ? {} : { lastFullSyncAt: state.lastFullSyncAt }),
    ...(overview.alerts === undefined ? {} : { alerts: overview.alerts }),
    ...(state.lastDrill === undefined ? {} : { lastDrill: state.lastDrill }),
    ...(state.bucket === undefined ? {} : { bucket: state.bucket }),
    readMode: plan.mode,
    walItemsRead: picture.walItemsRead,
    walReads: picture.walReads,
    unreadableHistories,
    historyTimelines,
    unreadableHistoryTimelines: reading.unreadable.map((broken) => broken.timeline),
    retentionTombstones: state.retentionTombstones ?? [],
  };
}

type Breaks = ReturnType<typeof switchBreaks>;

/** Every WAL object of every timeline; the change stamp is taken first, so nothing written meanwhile is skipped. */
async function readEverything(
  catalog: CatalogStore,
  cluster: ClusterId,
  timelines: readonly TimelineId[],
  changesIndexed: boolean,
  breakBefore: Breaks,
): Promise<WalPicture> {
  const changesThrough = changesIndexed ? catalog.changeStamp?.() : undefined;
  const builder = new PresentSegmentsBuilder({ breakBefore });
  const frozen = new FrozenWalBuilder();
  let walItemsRead = 0;
  for (const timeline of timelines) {
    for await (const record of catalog.listWalObjects(cluster, timeline)) {
      walItemsRead++;
      if (record.segNo === undefined) continue;
      if (record.kind === 'segment' && !record.deleted) {
        const startsFrozenRun = frozen.add(record.timeline, record.segNo, record);
        builder.add(record.timeline, record.segNo, record.uploadedAt.getTime(), startsFrozenRun);
      }
    }
  }
  return {
    present: builder.build(),
    frozenWal: frozen.build(),
    changesThrough,
    walItemsRead,
    walReads: timelines.length,
    worthStoring: true,
  };
}

/**
 * The stored runs plus what the change index holds since the cursor: new segments are added; a removed segment is
 * taken out of its run after one range read around it (the neighbours' upload times become run ends, and another
 * object of the same segment may still be there). Undefined when the index is missing or a removal cannot be
 * settled (the caller reads everything).
 */
async function readChanges(
  catalog: CatalogStore,
  cluster: ClusterId,
  plan: Extract<ReadPlan, { mode: 'incremental' }>,
  breakBefore: Breaks,
  storageMayChange: (record: WalObjectRecord) => boolean,
): Promise<WalPicture | undefined> {
  const readStamp = catalog.changeStamp?.();
  const changes: WalChange[] = [];
  try {
    const listed = catalog.listWalChanges?.(cluster, plan.changesSince, { storageOf: storageMayChange }) ?? [];
    for await (const change of listed) changes.push(change);
  } catch (error) {
    if (error instanceof ChangeIndexUnavailableError) return undefined;
    throw error;
  }
  let changesThrough = [plan.cursor.changesThrough, readStamp]
    .filter((stamp) => stamp !== undefined)
    .sort()
    .at(-1);
  // The frozen runs come from the last full read. A changed segment whose class or thaw differs from them (a
  // lifecycle transition, a completed thaw, a new version in a readable class) is settled by reading everything:
  // the present runs must break where a frozen run starts, which only a full read knows.
  const frozenWal = plan.cursor.frozenWal ?? [];
  if (changes.some(({ record }) => frozenStateChanged(record, frozenWal))) return undefined;
  const liveSegments = new Set<string>();
  for (const { record, changedAt } of changes) {
    if (changesThrough === undefined || changedAt > changesThrough) changesThrough = changedAt;
    if (record.kind === 'segment' && !record.deleted && record.segNo !== undefined) {
      liveSegments.add(`${record.timeline}:${record.segNo}`);
    }
  }
  const removed = new Map<TimelineId, number[]>();
  for (const { record } of changes) {
    if (record.kind !== 'segment' || !record.deleted || record.segNo === undefined) continue;
    if (liveSegments.has(`${record.timeline}:${record.segNo}`)) continue;
    removed.set(record.timeline, [...(removed.get(record.timeline) ?? []), record.segNo]);
  }
  const runs = cursorRuns(plan.cursor);
  let walReads = 1;
  let walItemsRead = changes.length;
  for (const [timeline, segNos] of removed) {
    const timelineRuns = runs.get(timeline) ?? [];
    const inRuns = segNos.filter((segNo) => {
      const run = timelineRuns[firstRunEndingAtOrAfter(timelineRuns, segNo)];
      return run !== undefined && run.fromSegNo <= segNo;
    });
    if (inRuns.length === 0) continue;
    const wanted = [...inRuns, ...neighboursOfRemoved(timelineRuns, inRuns)];
    const uploadedAtMs = new Map<number, number>();
    for (const [from, to] of nearbyRanges(wanted)) {
      walReads++;
      for await (const record of catalog.listWalObjects(cluster, timeline, {
        fromSegNo: segmentNumber(from),
        toSegNo: segmentNumber(to),
      })) {
        walItemsRead++;
        if (record.kind !== 'segment' || record.deleted || record.segNo === undefined) continue;
        const at = record.uploadedAt.getTime();
        uploadedAtMs.set(record.segNo, Math.min(uploadedAtMs.get(record.segNo) ?? at, at));
      }
    }
    const gone = inRuns.filter((segNo) => !uploadedAtMs.has(segNo));
    const next = removeSegments(timelineRuns, gone, uploadedAtMs);
    if (next === undefined) return undefined;
    runs.set(timeline, next);
  }
  const builder = seedRuns(new PresentSegmentsBuilder({ breakBefore }), runs);
  for (const { record } of changes) {
    if (record.kind === 'segment' && !record.deleted && record.segNo !== undefined) {
      builder.add(record.timeline, record.segNo, record.uploadedAt.getTime());
    }
  }
  return {
    present: builder.build(),
    frozenWal,
    changesThrough,
    walItemsRead,
    walReads,
    worthStoring: walReads > 1 || changes.length >= CHANGES_WORTH_STORING,
  };
}

/**
 * True when a changed live segment's storage disagrees with the stored frozen runs: it needs a thaw and no run of
 * its class and thaw holds it, or it no longer needs one and a run still holds it.
 */
function frozenStateChanged(record: WalChange['record'], frozenWal: readonly FrozenWalRun[]): boolean {
  if (record.kind !== 'segment' || record.segNo === undefined || record.deleted) return false;
  const segNo = record.segNo;
  const holding = frozenWal.filter(
    (run) => run.timeline === record.timeline && run.fromSegNo <= segNo && segNo <= run.toSegNo,
  );
  if (record.storageClass === undefined || !needsThaw(record.storageClass)) return holding.length > 0;
  return !holding.some(
    (run) => run.storageClass === record.storageClass && run.thawedUntilMs === record.thawedUntil?.getTime(),
  );
}

/** Ascending inclusive ranges covering the segments, joining those close enough to share one Query. */
function nearbyRanges(segNos: readonly number[]): Array<[number, number]> {
  const sorted = [...new Set(segNos)].sort((a, b) => a - b);
  const ranges: Array<[number, number]> = [];
  for (const segNo of sorted) {
    const last = ranges.at(-1);
    if (last !== undefined && segNo - last[1] <= REMOVAL_READ_MERGE_DISTANCE) last[1] = segNo;
    else ranges.push([segNo, segNo]);
  }
  return ranges;
}
