import { ClusterStateConflictError } from '../domain/catalog/catalog-errors.ts';
import type { BackupRecord } from '../domain/catalog/catalog-records.ts';
import type { RetentionTombstone } from '../domain/catalog/retention-tombstones.ts';
import type { ClusterConfig } from '../domain/cluster.ts';
import { type ClusterHealth, clusterHealth } from '../domain/continuity/cluster-health.ts';
import type { ContinuityInput, KnownHistory, LivePosition } from '../domain/continuity/continuity-input.ts';
import { detectGaps, type GapReport } from '../domain/continuity/gap-detection.ts';
import { type PresentSegments, PresentSegmentsBuilder } from '../domain/continuity/present-segments.ts';
import { restorableWindows, type WindowReport } from '../domain/continuity/restorable-window.ts';
import { switchBreaks } from '../domain/continuity/timeline-path.ts';
import {
  advanceCursor,
  planWalReads,
  type ReadPlan,
  seedFromCursor,
} from '../domain/continuity/verification-cursor.ts';
import type { TimelineId } from '../domain/wal/timeline.ts';
import { readHistoryFiles } from '../domain/wal/timeline-history.ts';
import type { CatalogStore } from '../ports/catalog-store.ts';

/** Read the whole WAL again at least hourly: deletions below the cursor are only seen by a full read. */
export const DEFAULT_FULL_READ_EVERY_MS = 3_600_000;

export interface EvaluateContinuityOptions {
  readonly now: Date;
  readonly fullReadEveryMs?: number;
  /** Ignore the stored cursor and read every WAL object. */
  readonly forceFull?: boolean;
  /** Store the advanced cursor (the watchdog does; the read-only CLI does not). */
  readonly persistCursor: boolean;
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
  readonly readMode: ReadPlan['mode'];
  /** WAL items returned by the catalog in this run. */
  readonly walItemsRead: number;
  /** Range Queries of WAL made in this run (one per timeline, plus one per group of open gaps when incremental). */
  readonly walReads: number;
  /** History files that exist but could not be used (their text is missing or does not parse). */
  readonly unreadableHistories: readonly string[];
  /** Timelines whose history file was read and used, and those whose file exists but cannot be used. */
  readonly historyTimelines: readonly TimelineId[];
  readonly unreadableHistoryTimelines: readonly TimelineId[];
  /** The WAL ranges walcat's retention recorded deleting (the cluster state's tombstones). */
  readonly retentionTombstones: readonly RetentionTombstone[];
}

/**
 * Reads a cluster's catalog (incrementally from the stored verification cursor when it is usable), decides gaps and
 * restorable windows, and optionally stores the advanced cursor. A concurrent run that stored a cursor first wins;
 * this run's cursor is dropped and recomputed next time.
 *
 * @example const evaluation = await evaluateContinuity(catalog, cluster, { now, persistCursor: true });
 */
export async function evaluateContinuity(
  catalog: CatalogStore,
  cluster: ClusterConfig,
  options: EvaluateContinuityOptions,
): Promise<ContinuityEvaluation> {
  const [state, backups, timelines, historyRecords] = await Promise.all([
    catalog.getClusterState(cluster.id),
    catalog.listBackups(cluster.id),
    catalog.listTimelines(cluster.id),
    catalog.listHistoryFiles(cluster.id),
  ]);
  // One policy for history files (shared with restore planning): a broken one is a finding, never an exception.
  const reading = readHistoryFiles(historyRecords.filter((record) => !record.deleted));
  const histories: KnownHistory[] = reading.readable.map(({ file, history }) => ({
    history,
    uploadedAt: file.uploadedAt,
  }));
  const unreadableHistories = reading.unreadable.map((broken) => broken.key);
  const historyTimelines = histories.map((known) => known.history.timeline);
  const plan = planWalReads({
    stored: state.verifiedCursor,
    timelines,
    historyTimelines,
    lastFullSyncAt: state.lastFullSyncAt,
    fullReadEveryMs: options.fullReadEveryMs ?? DEFAULT_FULL_READ_EVERY_MS,
    now: options.now,
    forceFull: options.forceFull,
  });
  const builder = new PresentSegmentsBuilder({
    breakBefore: switchBreaks(
      histories.map((known) => known.history),
      cluster.walSegmentSize,
    ),
  });
  if (plan.mode === 'incremental') seedFromCursor(builder, plan.cursor);
  const highestRead = new Map<TimelineId, number>();
  let walItemsRead = 0;
  for (const read of plan.reads) {
    const range = { fromSegNo: read.fromSegNo, toSegNo: read.toSegNo };
    for await (const record of catalog.listWalObjects(cluster.id, read.timeline, range)) {
      walItemsRead++;
      if (record.segNo === undefined) continue;
      highestRead.set(read.timeline, Math.max(highestRead.get(read.timeline) ?? -1, record.segNo));
      if (record.kind === 'segment' && !record.deleted) {
        builder.add(record.timeline, record.segNo, record.uploadedAt.getTime());
      }
    }
  }
  const present = builder.build();
  const input: ContinuityInput = {
    backups,
    histories,
    unreadableHistories: reading.unreadable,
    present,
    ...(state.retentionTombstones === undefined ? {} : { retentionTombstones: state.retentionTombstones }),
    ...(cluster.retention === undefined ? {} : { policy: cluster.retention }),
    walSegmentSize: cluster.walSegmentSize,
    uploadGraceMs: cluster.alerts.uploadGraceMs,
    now: options.now,
    ...(options.livePosition === undefined ? {} : { livePosition: options.livePosition }),
  };
  const gaps = detectGaps(input);
  const windows = restorableWindows(input);
  if (options.persistCursor) {
    const cursor = advanceCursor({ plan, present, highestRead, gaps: gaps.gaps, historyTimelines, now: options.now });
    try {
      await catalog.updateClusterState(cluster.id, { verifiedCursor: cursor }, state.version);
    } catch (error) {
      if (!(error instanceof ClusterStateConflictError)) throw error;
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
    readMode: plan.mode,
    walItemsRead,
    walReads: plan.reads.length,
    unreadableHistories,
    historyTimelines,
    unreadableHistoryTimelines: reading.unreadable.map((broken) => broken.timeline),
    retentionTombstones: state.retentionTombstones ?? [],
  };
}
