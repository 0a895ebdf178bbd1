import { lifecycleAlertConditions } from '../domain/bucket/lifecycle-review.ts';
import { type ClusterConfig, DEFAULT_INCOMPLETE_GRACE_MS } from '../domain/cluster.ts';
import { alertResolution, type ResolutionContext } from '../domain/continuity/alert-resolution.ts';
import { type Alert, markNotified, markNotifyFailed, transitionAlerts } from '../domain/continuity/alert-state.ts';
import type { LivePosition } from '../domain/continuity/continuity-input.ts';
import type { ContinuityStatus } from '../domain/continuity/gap-detection.ts';
import { slackAlertMessage } from '../domain/continuity/slack-message.ts';
import { watchdogConditions } from '../domain/continuity/watchdog-conditions.ts';
import type { AlertStore } from '../ports/alert-store.ts';
import type { CatalogStore } from '../ports/catalog-store.ts';
import type { ContinuityMetrics } from '../ports/continuity-metrics.ts';
import type { Notifier } from '../ports/notifier.ts';
import type { ArchiverSignal } from './archiver-signal.ts';
import { evaluateContinuity } from './evaluate-continuity.ts';
import { lifecycleAnswer } from './review-bucket-lifecycle.ts';

/** A catalog not reconciled for longer than this (a day and a bit: catalog-sync runs at least daily) is stale. */
export const DEFAULT_CATALOG_STALE_AFTER_MS = 26 * 3_600_000;

export interface WatchWalDependencies {
  readonly catalog: CatalogStore;
  readonly alerts: AlertStore;
  readonly notifier: Notifier;
  readonly metrics?: ContinuityMetrics;
  /** The archiver probe's live WAL position, when a probe ran recently; undefined otherwise. */
  readonly livePosition?: (cluster: ClusterConfig) => Promise<LivePosition | undefined>;
  /** The latest archiver probe's position and findings (lib/use-cases/archiver-signal.ts), when probes run. */
  readonly archiverSignal?: (cluster: ClusterConfig, now: Date) => Promise<ArchiverSignal | undefined>;
}

export interface WatchWalOptions {
  readonly now: Date;
  readonly fullReadEveryMs?: number;
  readonly catalogStaleAfterMs?: number;
}

/** What one run did for one cluster. */
export interface WatchWalClusterOutcome {
  readonly cluster: string;
  readonly status: ContinuityStatus;
  readonly readMode: 'full' | 'incremental';
  readonly walItemsRead: number;
  readonly openAlerts: number;
  readonly notified: number;
  /** Messages that could not be delivered; they stay pending and are retried next run. */
  readonly notifyFailures: readonly { readonly kind: string; readonly subject: string; readonly error: string }[];
  readonly unreadableHistories: readonly string[];
  /** Why the archiver probe's answer could not be read this run (the run went on without it). */
  readonly archiverSignalError?: string;
  /** Why the bucket's lifecycle rules are unknown this run (the last catalog sync could not read them). */
  readonly lifecycleError?: string;
}

/**
 * One watchdog run for one cluster: read the catalog from the verification cursor, decide gaps, windows and the
 * other conditions, move the alerts (open once, resolve once), deliver what is owed, then store alerts and metrics.
 * Alerts are stored after delivery so a message that failed stays pending; a crash between delivery and storing
 * at worst repeats a message, never loses one.
 *
 * @example await watchClusterWal(deps, cluster, { now: new Date() })
 */
export async function watchClusterWal(
  deps: WatchWalDependencies,
  cluster: ClusterConfig,
  options: WatchWalOptions,
): Promise<WatchWalClusterOutcome> {
  const { now } = options;
  let archiverSignalError: string | undefined;
  const signal = await deps.archiverSignal?.(cluster, now).catch((error: unknown) => {
    // A malformed or unreadable probe answer must not stop the WAL watch; the outcome reports it.
    archiverSignalError = error instanceof Error ? error.message : String(error);
    return undefined;
  });
  const livePosition =
    (deps.livePosition === undefined ? undefined : await deps.livePosition(cluster)) ?? signal?.livePosition;
  const evaluation = await evaluateContinuity(deps.catalog, cluster, {
    now,
    persistCursor: true,
    ...(options.fullReadEveryMs === undefined ? {} : { fullReadEveryMs: options.fullReadEveryMs }),
    ...(livePosition === undefined ? {} : { livePosition }),
  });
  deps.metrics?.record(evaluation.health);
  const conditions = watchdogConditions({
    gaps: evaluation.gaps,
    health: evaluation.health,
    backups: evaluation.backups,
    alerts: cluster.alerts,
    walSegmentSize: cluster.walSegmentSize,
    incompleteGraceMs: cluster.retention?.incompleteGraceMs ?? DEFAULT_INCOMPLETE_GRACE_MS,
    ...(evaluation.lastFullSyncAt === undefined ? {} : { lastFullSyncAt: evaluation.lastFullSyncAt }),
    catalogStaleAfterMs: options.catalogStaleAfterMs ?? DEFAULT_CATALOG_STALE_AFTER_MS,
    ...(signal === undefined ? {} : { archiverFindings: signal.findings }),
    now,
  });
  // The bucket's lifecycle rules as the last catalog sync read them: the watchdog itself reads no S3.
  const lifecycleKnown = lifecycleAnswer(cluster, evaluation, now);
  const lifecycle = lifecycleKnown.known ? lifecycleKnown.findings : undefined;
  const lifecycleError =
    !lifecycleKnown.known && lifecycleKnown.reason === 'unreadable' ? lifecycleKnown.message : undefined;
  if (lifecycle !== undefined) conditions.push(...lifecycleAlertConditions(lifecycle));
  const allStored = await deps.alerts.listAlerts(cluster.id);
  // Without a probe answer (or the bucket's rules) this run, those alerts stay as they are: no answer is not
  // evidence of recovery.
  // With a walSegmentSize the backups contradict no gaps are computed: open gap alerts stay open, not resolved.
  const segmentArithmeticKnown = !evaluation.gaps.findings.some((finding) => finding.kind === 'segment-size-mismatch');
  const stored = allStored.filter(
    (alert) =>
      (signal !== undefined || alert.kind !== 'archiver') &&
      (lifecycle !== undefined || alert.kind !== 'lifecycle-conflict') &&
      (segmentArithmeticKnown || alert.kind !== 'wal-gap'),
  );
  const context: ResolutionContext = {
    backups: evaluation.backups,
    present: evaluation.present,
    retentionTombstones: evaluation.retentionTombstones,
    ...(evaluation.gaps.chainBase === undefined ? {} : { chainBase: evaluation.gaps.chainBase }),
    readableHistoryTimelines: new Set(evaluation.historyTimelines),
    unreadableHistoryTimelines: new Set(evaluation.unreadableHistoryTimelines),
    walSegmentSize: cluster.walSegmentSize,
  };
  const transitions = transitionAlerts(cluster.id, stored, conditions, now, (alert) => alertResolution(alert, context));
  const delivered = new Map<string, Alert>();
  const notifyFailures: { kind: string; subject: string; error: string }[] = [];
  const parameter = cluster.alerts.slackWebhookParameter;
  for (const alert of transitions.toNotify) {
    const key = `${alert.kind}#${alert.subject}`;
    if (parameter === undefined) {
      // No webhook configured: the alert is visible in `walcat status` only; nothing is owed to Slack.
      delivered.set(key, markNotified(alert, now));
      continue;
    }
    try {
      await deps.notifier.send({ cluster: cluster.id, slackWebhookParameter: parameter }, slackAlertMessage(alert));
      delivered.set(key, markNotified(alert, now));
    } catch (error) {
      delivered.set(key, markNotifyFailed(alert));
      notifyFailures.push({
        kind: alert.kind,
        subject: alert.subject,
        error: error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error',
      });
    }
  }
  const alerts = transitions.alerts.map((alert) => delivered.get(`${alert.kind}#${alert.subject}`) ?? alert);
  // Untouched alerts (resolved, delivered) come back as the very objects read: write only the others.
  const unchanged = new Set(stored);
  const changed = alerts.filter((alert) => !unchanged.has(alert));
  // Each alert remembers its webhook: once the cluster leaves the configuration, its closing goes to the same channel.
  await deps.alerts.putAlerts(changed.map((alert) => withWebhook(alert, parameter)));
  if (transitions.expired.length > 0) await deps.alerts.deleteAlerts(transitions.expired);
  return {
    cluster: cluster.id,
    status: evaluation.gaps.status,
    readMode: evaluation.readMode,
    walItemsRead: evaluation.walItemsRead,
    openAlerts: alerts.filter((alert) => alert.state === 'open').length,
    notified: transitions.toNotify.length - notifyFailures.length,
    notifyFailures,
    unreadableHistories: evaluation.unreadableHistories,
    ...(archiverSignalError === undefined ? {} : { archiverSignalError }),
    ...(lifecycleError === undefined ? {} : { lifecycleError }),
  };
}

function withWebhook(alert: Alert, parameter: string | undefined): Alert {
  const { slackWebhookParameter: _previous, ...rest } = alert;
  return parameter === undefined ? rest : { ...rest, slackWebhookParameter: parameter };
}

/**
 * The scheduled run over every configured cluster. One cluster's failure does not stop the others; the errors are
 * returned for the handler to log and, when all clusters failed, to rethrow.
 */
export async function watchWal(
  deps: WatchWalDependencies,
  clusters: readonly ClusterConfig[],
  options: WatchWalOptions,
): Promise<{
  readonly outcomes: readonly WatchWalClusterOutcome[];
  readonly failures: readonly { readonly cluster: string; readonly error: unknown }[];
}> {
  const outcomes: WatchWalClusterOutcome[] = [];
  const failures: { cluster: string; error: unknown }[] = [];
  for (const cluster of clusters) {
    try {
      outcomes.push(await watchClusterWal(deps, cluster, options));
    } catch (error) {
      failures.push({ cluster: cluster.id, error });
    }
  }
  return { outcomes, failures };
}
