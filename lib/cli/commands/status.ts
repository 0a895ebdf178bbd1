import { verdictWithLifecycle } from '../../domain/bucket/lifecycle-review.ts';
import type { ClusterConfig, ClusterId } from '../../domain/cluster.ts';
import type { ContinuityStatus } from '../../domain/continuity/gap-detection.ts';
import { splitsText, windowSplits } from '../../domain/continuity/window-splits.ts';
import type { DrillSummary } from '../../domain/restore/drill-summary.ts';
import type { AlertStore } from '../../ports/alert-store.ts';
import type { CatalogStore } from '../../ports/catalog-store.ts';
import { evaluateContinuity } from '../../use-cases/evaluate-continuity.ts';
import { lastDrillOfState } from '../../use-cases/record-last-drill.ts';
import { type CliCommand, type CliContext, EXIT_BAD_NEWS, EXIT_OK } from '../cli-command.ts';
import { palette, shortAge, shortTime } from './continuity-output.ts';
import { lifecycleFindingsOf } from './gaps.ts';

export interface StatusCommandDependencies {
  readonly catalog: () => CatalogStore;
  readonly alerts: () => AlertStore;
  /** The newest restore drill of a cluster; absent: the one recorded in the cluster's state item. */
  readonly lastDrill?: (cluster: ClusterId, now: Date) => Promise<DrillSummary | undefined>;
  readonly color: boolean;
}

/** One element of `status --json` (the README's JSON contract). */
export interface ClusterStatusJson {
  readonly cluster: string;
  readonly lastBackup: { name: string; finishTime: string; status: string; ageSeconds: number } | null;
  readonly walHead: { timeline: number; segment: string; uploadedAt: string; ageSeconds: number } | null;
  readonly gaps: { status: ContinuityStatus; lost: number; uploading: number };
  /** From the first range's start to the last one's end; `ranges` lists them (added: a split window is not one range). */
  readonly window: {
    from: string;
    to: string;
    ranges: Array<{ timeline: number; from: string; to: string }>;
    gaps: number;
  } | null;
  readonly alerts: Array<{ kind: string; subject: string; since: string }>;
  /** Added to the contract: the last restore drill (null when none ran). */
  readonly lastDrill: DrillSummary | null;
  /**
   * Added: the bucket's lifecycle rules that conflict with retention, from what the last catalog sync read (empty
   * when none, or not read yet); they make `gaps.status` worse.
   */
  readonly lifecycle: Array<{ rule: string; severity: string; message: string }>;
}

/**
 * `walcat status`: one screen per cluster an on-call engineer reads in five seconds: verdict, last complete
 * backup and its age, WAL head and its age, gaps, window, open alerts. `--json` prints the documented array.
 * Exit 1 when any cluster's verdict is FAILURE.
 */
export function statusCommand(deps: StatusCommandDependencies): CliCommand {
  return {
    name: 'status',
    summary: 'one screen per cluster: last backup, WAL head, lag, gaps, window, alerts',
    usage: 'walcat status [--cluster ID] [--json]',
    async run(context: CliContext): Promise<number> {
      const statuses: ClusterStatusJson[] = [];
      for (const cluster of context.clusters) {
        statuses.push(await clusterStatus(deps, cluster, context));
      }
      if (context.json) context.stdout(JSON.stringify(statuses));
      else context.stdout(statuses.map((status) => renderStatus(status, deps.color)).join('\n\n'));
      return statuses.some((status) => status.gaps.status === 'FAILURE') ? EXIT_BAD_NEWS : EXIT_OK;
    },
  };
}

async function clusterStatus(
  deps: StatusCommandDependencies,
  cluster: ClusterConfig,
  context: CliContext,
): Promise<ClusterStatusJson> {
  const { now } = context;
  const [evaluation, askedDrill] = await Promise.all([
    evaluateContinuity(deps.catalog(), cluster, { now, persistCursor: 'when-useful' }),
    deps.lastDrill?.(cluster.id, now),
  ]);
  const lastDrill = deps.lastDrill === undefined ? lastDrillOfState(evaluation, now) : askedDrill;
  // The catalog reads the alerts with the rest of the cluster's partition; a store that does not is asked apart.
  const alerts = evaluation.alerts ?? (await deps.alerts().listAlerts(cluster.id));
  const health = evaluation.health;
  const lifecycle = lifecycleFindingsOf(evaluation, context);
  return {
    cluster: cluster.id,
    lastBackup:
      health.lastBackup === undefined
        ? null
        : { ...health.lastBackup, finishTime: health.lastBackup.finishTime.toISOString() },
    walHead:
      health.walHead === undefined ? null : { ...health.walHead, uploadedAt: health.walHead.uploadedAt.toISOString() },
    gaps: { ...health.gaps, status: verdictWithLifecycle(health.gaps.status, lifecycle) },
    window:
      health.window === undefined
        ? null
        : {
            from: health.window.from.toISOString(),
            to: health.window.to.toISOString(),
            ranges: evaluation.windows.ranges.map((range) => ({
              timeline: range.timeline,
              from: range.from.toISOString(),
              to: range.to.toISOString(),
            })),
            gaps: windowSplits(evaluation.windows.ranges).holes,
          },
    alerts: alerts
      .filter((alert) => alert.state === 'open')
      .map((alert) => ({ kind: alert.kind, subject: alert.subject, since: alert.openedAt.toISOString() })),
    lastDrill: lastDrill ?? null,
    lifecycle: lifecycle.map(({ rule, severity, message }) => ({ rule, severity, message })),
  };
}

function drillLine(drill: DrillSummary | null): string {
  if (drill === null) return 'none recorded';
  const thawed = drill.thawSeconds === undefined ? '' : ` (thaw ${shortAge(Math.round(drill.thawSeconds))} of it)`;
  const took =
    drill.restoreSeconds === null ? '' : `, restored in ${shortAge(Math.round(drill.restoreSeconds))}${thawed}`;
  const failed = drill.failure ? `, failed at ${drill.failure.step}` : '';
  const checks =
    drill.checks.length === 0 ? '' : `; checks ${drill.checks.map((c) => `${c.name} ${c.status}`).join(', ')}`;
  return `${drill.status} ${shortAge(drill.ageSeconds)} ago${took}${failed}${checks}`;
}

/** The window line, and one line per range when it is split (a single from → to would hide the gaps). */
function windowText(window: ClusterStatusJson['window']): string {
  if (window === null) return 'nothing restorable';
  const span = (from: string, to: string) => `${shortTime(new Date(from))} → ${shortTime(new Date(to))}`;
  const splits = splitsText({ ranges: window.ranges.length, holes: window.gaps });
  if (splits === undefined) return span(window.from, window.to);
  const indent = ' '.repeat(16);
  return [
    `${splits}:`,
    ...window.ranges.map((range) => `${indent}${span(range.from, range.to)}  ${`tl ${range.timeline}`}`),
  ].join('\n');
}

function renderStatus(status: ClusterStatusJson, color: boolean): string {
  const paint = palette(color);
  const row = (label: string, value: string): string => `  ${label.padEnd(12)}${value}`;
  const gaps =
    status.gaps.lost + status.gaps.uploading === 0
      ? 'none'
      : `${status.gaps.lost} lost, ${status.gaps.uploading} uploading`;
  return [
    `${paint.bold(status.cluster)}  ${paint.status(status.gaps.status)}`,
    row(
      'last backup',
      status.lastBackup === null
        ? 'none complete'
        : `${shortAge(status.lastBackup.ageSeconds)} ago  ${paint.dim(`${status.lastBackup.name}, ${shortTime(new Date(status.lastBackup.finishTime))}`)}`,
    ),
    row(
      'WAL head',
      status.walHead === null
        ? 'no WAL'
        : `${shortAge(status.walHead.ageSeconds)} ago  ${paint.dim(`${status.walHead.segment}, ${shortTime(new Date(status.walHead.uploadedAt))}`)}`,
    ),
    row('gaps', gaps),
    row('window', windowText(status.window)),
    row(
      'alerts',
      status.alerts.length === 0
        ? 'none'
        : status.alerts
            .map((alert) => `${alert.kind} ${alert.subject} (since ${shortTime(new Date(alert.since))})`)
            .join('; '),
    ),
    row('last drill', drillLine(status.lastDrill)),
    ...status.lifecycle.map((conflict) => row('lifecycle', `${conflict.severity}: ${conflict.message}`)),
  ].join('\n');
}
