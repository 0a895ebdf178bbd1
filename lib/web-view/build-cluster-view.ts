/**
 * Builds a cluster's {@link ClusterView} from the catalog with the same domain functions the CLI and the watchdog
 * use: gap detection, restorable windows and health from continuity, retention decisions from the newest stored
 * plan (or the planner run now, read-only, when none is stored). Reads the WAL objects once.
 */
import type { BackupRecord } from '../domain/catalog/catalog-records.ts';
import type { ClusterConfig } from '../domain/cluster.ts';
import { clusterHealth } from '../domain/continuity/cluster-health.ts';
import type { ContinuityInput, KnownHistory } from '../domain/continuity/continuity-input.ts';
import { type ContinuityFinding, detectGaps, type WalGap } from '../domain/continuity/gap-detection.ts';
import { PresentSegmentsBuilder, type SegmentRun } from '../domain/continuity/present-segments.ts';
import { restorableWindows } from '../domain/continuity/restorable-window.ts';
import { switchBreaks } from '../domain/continuity/timeline-path.ts';
import { InvalidInputError, UnsafePlanError } from '../domain/errors.ts';
import { planRetention } from '../domain/retention/retention-plan.ts';
import type { RetentionWalObject } from '../domain/retention/wal-retention.ts';
import { formatLsn } from '../domain/wal/lsn.ts';
import { formatWalSegmentSize, type WalSegmentSize } from '../domain/wal/segment-size.ts';
import type { TimelineId } from '../domain/wal/timeline.ts';
import { parseTimelineHistory } from '../domain/wal/timeline-history.ts';
import { segmentNumber, walFileName } from '../domain/wal/wal-segment.ts';
import type { AlertStore } from '../ports/alert-store.ts';
import type { CatalogStore } from '../ports/catalog-store.ts';
import type { PlanStore } from '../ports/plan-store.ts';
import type {
  AlertView,
  BackupView,
  ClusterSummaryView,
  ClusterView,
  CoverageView,
  GapView,
  JobView,
  RetentionView,
} from './cluster-view.ts';

export interface ClusterViewDependencies {
  readonly catalog: CatalogStore;
  readonly alerts?: AlertStore;
  readonly plans?: PlanStore;
  /** Jobs of the cluster (backups, restores, drills), newest first. */
  readonly jobs?: (cluster: ClusterConfig) => Promise<readonly JobView[]>;
}

const isoMs = (ms: number): string => new Date(ms).toISOString();

function segmentName(timeline: number, segNo: number, size: WalSegmentSize): string {
  return walFileName({ timeline: timeline as TimelineId, segNo: segmentNumber(segNo) }, size);
}

function findingText(finding: ContinuityFinding, size: WalSegmentSize): string | undefined {
  switch (finding.kind) {
    case 'no-backup':
      return 'no complete base backup: nothing is restorable yet';
    case 'missing-history':
      return `timeline ${finding.timeline} has no .history file in the bucket, so its ancestry cannot be checked`;
    case 'divergence':
      return `timeline ${finding.timeline} kept archiving ${finding.count} segment(s) ${segmentName(finding.timeline, finding.fromSegNo, size)}..${segmentName(finding.timeline, finding.toSegNo, size)} after timeline ${finding.rivalTimeline} took over`;
    case 'delayed':
      return `${finding.count} complete segment(s) on timeline ${finding.timeline} not archived yet (${segmentName(finding.timeline, finding.fromSegNo, size)}..${segmentName(finding.timeline, finding.toSegNo, size)})`;
    default:
      return undefined;
  }
}

function gapView(gap: WalGap, runs: readonly SegmentRun[], size: WalSegmentSize): GapView {
  let previous: SegmentRun | undefined;
  let next: SegmentRun | undefined;
  for (const run of runs) {
    if (run.toSegNo < gap.fromSegNo && (previous === undefined || run.toSegNo > previous.toSegNo)) previous = run;
    if (run.fromSegNo > gap.toSegNo && (next === undefined || run.fromSegNo < next.fromSegNo)) next = run;
  }
  return {
    timeline: gap.timeline,
    from: segmentName(gap.timeline, gap.fromSegNo, size),
    to: segmentName(gap.timeline, gap.toSegNo, size),
    count: gap.count,
    status: gap.status,
    neededBy: gap.neededBy,
    ...(previous === undefined ? {} : { after: isoMs(previous.lastUploadedAtMs) }),
    ...(next === undefined ? {} : { before: isoMs(next.firstUploadedAtMs) }),
  };
}

function backupView(
  record: BackupRecord,
  consistency: ReadonlyMap<string, boolean>,
  retention: RetentionView,
  size: WalSegmentSize,
): BackupView {
  const backup = record.backup;
  const kept = retention.keep.find((entry) => entry.name === record.name);
  const deleted = retention.deleteBackups.find((entry) => entry.name === record.name);
  const decision = kept
    ? { decision: 'keep' as const, reasons: kept.reasons }
    : deleted
      ? { decision: 'delete' as const, reasons: [deleted.reason] }
      : undefined;
  const consistent = consistency.get(record.name);
  let userData: string | undefined;
  if (backup?.userData !== undefined && backup.userData !== null) {
    userData = JSON.stringify(backup.userData, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
  }
  return {
    name: record.name,
    status: record.status,
    permanent: backup?.permanent ?? false,
    ...(backup === undefined
      ? {}
      : {
          kind: backup.kind,
          ...(backup.deltaFrom === undefined ? {} : { deltaFrom: backup.deltaFrom }),
          timeline: backup.timeline,
          startSegment: walFileName(backup.startSegment, size),
          startLsn: formatLsn(backup.startLsn),
          finishLsn: formatLsn(backup.finishLsn),
          ...(backup.startTime === undefined ? {} : { startTime: backup.startTime.toISOString() }),
          ...(backup.finishTime === undefined ? {} : { finishTime: backup.finishTime.toISOString() }),
          ...(backup.compressedSize === undefined ? {} : { compressedSize: backup.compressedSize }),
          ...(backup.uncompressedSize === undefined ? {} : { uncompressedSize: backup.uncompressedSize }),
        }),
    ...(consistent === undefined ? {} : { consistent }),
    ...(decision === undefined ? {} : { retention: decision }),
    ...(record.problem === undefined ? {} : { problem: record.problem }),
    ...(userData === undefined ? {} : { userData }),
  };
}

async function retentionView(
  deps: ClusterViewDependencies,
  cluster: ClusterConfig,
  backups: readonly BackupRecord[],
  wal: readonly RetentionWalObject[],
  now: Date,
): Promise<RetentionView> {
  if (deps.plans) {
    const headers = await deps.plans.listPlans(cluster.id);
    const newest = headers.find((header) => header.status !== 'superseded');
    const body = newest ? await deps.plans.getPlanBody(cluster.id, newest.planId) : undefined;
    if (newest && body) {
      return {
        source: 'stored-plan',
        planId: newest.planId,
        createdAt: newest.createdAt.toISOString(),
        planStatus: newest.status,
        keep: body.keep.map((entry) => ({ name: entry.name, reasons: entry.reasons })),
        deleteBackups: body.delete.backups.map((entry) => ({ name: entry.name, reason: entry.reason })),
        deleteWal: body.delete.wal.map((range) => ({ ...rangeView(range) })),
        bytesFreed: body.bytesFreed,
      };
    }
  }
  try {
    const plan = planRetention({
      cluster: cluster.id,
      backups,
      wal,
      policy: cluster.retention,
      walSegmentSize: cluster.walSegmentSize,
      now,
      planId: 'web-view-preview',
    });
    return {
      source: 'computed',
      keep: plan.keep.map((entry) => ({ name: entry.name, reasons: entry.reasons })),
      deleteBackups: plan.delete.backups.map((entry) => ({ name: entry.name, reason: entry.reason })),
      deleteWal: plan.delete.wal.map((range) => ({ ...rangeView(range) })),
      bytesFreed: plan.bytesFreed,
    };
  } catch (error) {
    if (!(error instanceof UnsafePlanError) && !(error instanceof InvalidInputError)) throw error;
    return { source: 'unavailable', keep: [], deleteBackups: [], deleteWal: [], refused: error.message };
  }
}

function rangeView(range: { timeline: number; from: string; to: string; count: number }) {
  return { timeline: range.timeline, from: range.from, to: range.to, count: range.count };
}

/**
 * Reads one cluster from the catalog and builds its view at `now`.
 *
 * @example const view = await buildClusterView({ catalog }, cluster, new Date());
 */
export async function buildClusterView(
  deps: ClusterViewDependencies,
  cluster: ClusterConfig,
  now: Date,
): Promise<ClusterView> {
  const size = cluster.walSegmentSize;
  const [backups, historyRecords, timelines, alerts, jobs] = await Promise.all([
    deps.catalog.listBackups(cluster.id),
    deps.catalog.listHistoryFiles(cluster.id),
    deps.catalog.listTimelines(cluster.id),
    deps.alerts ? deps.alerts.listAlerts(cluster.id) : Promise.resolve([]),
    deps.jobs ? deps.jobs(cluster) : Promise.resolve([] as readonly JobView[]),
  ]);
  const histories: KnownHistory[] = [];
  const unreadable: string[] = [];
  for (const record of historyRecords) {
    if (record.deleted) continue;
    try {
      if (record.content === undefined) throw new InvalidInputError('no content');
      histories.push({
        history: parseTimelineHistory(record.timeline, record.content, record.key),
        uploadedAt: record.uploadedAt,
      });
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      unreadable.push(record.key);
    }
  }
  const builder = new PresentSegmentsBuilder({
    breakBefore: switchBreaks(
      histories.map((known) => known.history),
      size,
    ),
  });
  const wal: RetentionWalObject[] = [];
  for (const timeline of timelines) {
    for await (const record of deps.catalog.listWalObjects(cluster.id, timeline)) {
      if (record.deleted) continue;
      wal.push({
        key: record.key,
        kind: record.kind,
        timeline: record.timeline,
        size: record.size,
        ...(record.segNo === undefined ? {} : { segNo: record.segNo }),
      });
      if (record.kind === 'segment' && record.segNo !== undefined) {
        builder.add(record.timeline, record.segNo, record.uploadedAt.getTime());
      }
    }
  }
  const present = builder.build();
  const input: ContinuityInput = {
    backups,
    histories,
    present,
    policy: cluster.retention,
    walSegmentSize: size,
    uploadGraceMs: cluster.alerts.uploadGraceMs,
    now,
  };
  const gaps = detectGaps(input);
  const windows = restorableWindows(input);
  const health = clusterHealth({ cluster: cluster.id, backups, gaps, windows, walSegmentSize: size, now });
  const retention = await retentionView(deps, cluster, backups, wal, now);

  const coverage: CoverageView[] = present.timelines.flatMap((timeline) =>
    present.runs(timeline).map((run) => ({
      timeline,
      from: segmentName(timeline, run.fromSegNo, size),
      to: segmentName(timeline, run.toSegNo, size),
      segments: run.toSegNo - run.fromSegNo + 1,
      firstUploadedAt: isoMs(run.firstUploadedAtMs),
      lastUploadedAt: isoMs(run.lastUploadedAtMs),
    })),
  );
  const consistency = new Map(windows.backups.map((entry) => [entry.name, entry.consistent]));
  const findings = [
    ...gaps.findings.map((finding) => findingText(finding, size)).filter((text): text is string => text !== undefined),
    ...unreadable.map((key) => `history file ${key} could not be read`),
  ];
  const alertViews: AlertView[] = alerts
    .filter((alert) => alert.state === 'open')
    .map((alert) => ({
      kind: alert.kind,
      subject: alert.subject,
      severity: alert.severity,
      since: alert.openedAt.toISOString(),
      summary: alert.summary,
    }));
  const lastDrill = jobs.find((job) => job.kind === 'drill');
  return {
    cluster: cluster.id,
    generatedAt: now.toISOString(),
    status: gaps.status,
    walSegmentSize: formatWalSegmentSize(size),
    ...(health.lastBackup === undefined
      ? {}
      : {
          lastBackup: {
            name: health.lastBackup.name,
            finishTime: health.lastBackup.finishTime.toISOString(),
            ageSeconds: health.lastBackup.ageSeconds,
          },
        }),
    ...(health.walHead === undefined
      ? {}
      : {
          walHead: {
            timeline: health.walHead.timeline,
            segment: health.walHead.segment,
            uploadedAt: health.walHead.uploadedAt.toISOString(),
            ageSeconds: health.walHead.ageSeconds,
          },
        }),
    backups: backups.map((record) => backupView(record, consistency, retention, size)),
    coverage,
    gaps: gaps.gaps.map((gap) => gapView(gap, present.runs(gap.timeline), size)),
    findings,
    windows: windows.ranges.map((range) => ({
      timeline: range.timeline,
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      baseBackup: range.baseBackup,
    })),
    retention,
    ...(lastDrill === undefined ? {} : { lastDrill }),
    jobs,
    alerts: alertViews,
  };
}

/** The index entry of a cluster, from its view. */
export function clusterSummary(view: ClusterView): ClusterSummaryView {
  const first = view.windows[0];
  const last = view.windows.at(-1);
  return {
    cluster: view.cluster,
    status: view.status,
    ...(first && last ? { window: { from: first.from, to: last.to } } : {}),
    ...(view.lastBackup ? { lastBackup: view.lastBackup.name } : {}),
  };
}
