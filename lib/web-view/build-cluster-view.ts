/**
 * Builds a cluster's {@link ClusterView} from the catalog with the use cases the CLI and the watchdog use: gaps,
 * restorable windows, health and WAL coverage from the continuity evaluation (incremental from the watchdog's
 * verification cursor, never storing it), retention decisions from the newest stored plan, or from the planner run
 * now, read-only, when no plan is stored yet (which reads every live WAL object once).
 */
import type { BackupRecord } from '../domain/catalog/catalog-records.ts';
import type { ClusterConfig } from '../domain/cluster.ts';
import type { ContinuityFinding, WalGap } from '../domain/continuity/gap-detection.ts';
import type { SegmentRun } from '../domain/continuity/present-segments.ts';
import { InvalidInputError, UnsafePlanError } from '../domain/errors.ts';
import { NO_RETENTION_POLICY } from '../domain/retention/retention-errors.ts';
import { planRetention } from '../domain/retention/retention-plan.ts';
import { formatLsn } from '../domain/wal/lsn.ts';
import { formatWalSegmentSize, type WalSegmentSize } from '../domain/wal/segment-size.ts';
import type { TimelineId } from '../domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../domain/wal/wal-segment.ts';
import type { AlertStore } from '../ports/alert-store.ts';
import type { CatalogStore } from '../ports/catalog-store.ts';
import type { PlanStore } from '../ports/plan-store.ts';
import { evaluateContinuity } from '../use-cases/evaluate-continuity.ts';
import { liveWalObjects } from '../use-cases/plan-retention.ts';
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
    case 'segment-size-mismatch':
      return finding.problem;
    case 'foreign-system':
      return `backup ${finding.backup} belongs to another database (system identifier ${finding.systemIdentifier}, the cluster's is ${finding.clusterSystemIdentifier}) and is never a restore base`;
    case 'unreadable-backup':
      return `backup ${finding.backup} is unreadable and never a restore base: ${finding.problem}`;
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
  now: Date,
): Promise<RetentionView> {
  const policy = cluster.retention;
  if (policy === undefined) {
    return { source: 'unavailable', keep: [], deleteBackups: [], deleteWal: [], refused: NO_RETENTION_POLICY };
  }
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
    // No stored plan yet (a new installation): plan now, read-only. This reads every live WAL object once.
    const plan = planRetention({
      cluster: cluster.id,
      backups,
      wal: await liveWalObjects(deps.catalog, cluster),
      policy,
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
  const [backups, alerts, jobs] = await Promise.all([
    deps.catalog.listBackups(cluster.id),
    deps.alerts ? deps.alerts.listAlerts(cluster.id) : Promise.resolve([]),
    deps.jobs ? deps.jobs(cluster) : Promise.resolve([] as readonly JobView[]),
  ]);
  // Incremental from the watchdog's verification cursor, and read-only: a page view costs what a watchdog run costs.
  const evaluation = await evaluateContinuity(deps.catalog, cluster, { now, persistCursor: 'when-useful' });
  const { gaps, windows, health, present } = evaluation;
  const retention = await retentionView(deps, cluster, backups, now);

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
    ...evaluation.unreadableHistories.map((key) => `history file ${key} could not be read`),
  ];
  const alertViews: AlertView[] = alerts
    .filter((alert) => alert.state === 'open')
    .map((alert) => ({
      kind: alert.kind,
      subject: alert.subject,
      severity: alert.severity,
      since: alert.openedAt.toISOString(),
      summary: alert.summary,
      nextStep: alert.nextStep,
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
      thawParts: range.parts.flatMap((part) =>
        part.thaw === undefined
          ? []
          : [
              {
                from: part.from.toISOString(),
                to: part.to.toISOString(),
                baseBackup: part.baseBackup,
                storageClasses: part.thaw.storageClasses,
              },
            ],
      ),
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
