import type { ClusterConfig, ClusterId } from '../domain/cluster.ts';
import {
  type Alert,
  closeAlertsOfRemovedCluster,
  markNotified,
  markNotifyFailed,
  removedClusterResolution,
} from '../domain/continuity/alert-state.ts';
import { removedClusterMessage, slackAlertMessage } from '../domain/continuity/slack-message.ts';
import type { AlertStore } from '../ports/alert-store.ts';
import type { Notifier } from '../ports/notifier.ts';

export interface CloseRemovedClusterAlertsDependencies {
  readonly alerts: AlertStore;
  readonly notifier: Notifier;
}

/** What the sweep did for one cluster that is no longer configured. */
export interface RemovedClusterOutcome {
  readonly cluster: ClusterId;
  /** Alerts closed by this run (open until now). */
  readonly closed: number;
  /** Messages delivered (the one closing message counts once). */
  readonly notified: number;
  /** Messages that could not be delivered: they stay owed and the next run retries them. */
  readonly notifyFailures: readonly string[];
}

/**
 * Closes the alerts of clusters removed from the configuration, which no per-cluster watchdog run visits any more:
 * every open alert resolves with the reason, one message per cluster and webhook says so (the webhook its alerts
 * were last sent to: the configuration no longer names one), and a message still owed from before is delivered as
 * it would have been. A message that fails stays owed, so the cluster is found again on the next run.
 *
 * @example await closeRemovedClusterAlerts(deps, config.clusters, now) // [] while every alerting cluster is configured
 */
export async function closeRemovedClusterAlerts(
  deps: CloseRemovedClusterAlertsDependencies,
  configured: readonly ClusterConfig[],
  now: Date,
): Promise<RemovedClusterOutcome[]> {
  const known = new Set<string>(configured.map((cluster) => cluster.id));
  const removed = (await deps.alerts.clustersWithOpenAlerts()).filter((cluster) => !known.has(cluster));
  const outcomes: RemovedClusterOutcome[] = [];
  for (const cluster of removed) outcomes.push(await closeOne(deps, cluster, now));
  return outcomes;
}

async function closeOne(
  deps: CloseRemovedClusterAlertsDependencies,
  cluster: ClusterId,
  now: Date,
): Promise<RemovedClusterOutcome> {
  const stored = await deps.alerts.listAlerts(cluster);
  const openBefore = new Set(stored.filter((alert) => alert.state === 'open').map(identity));
  const transitions = closeAlertsOfRemovedCluster(cluster, stored, now);
  // The alerts closed by the removal (now, or on a run whose message failed) share one message per webhook; a
  // message owed from before the removal goes out on its own.
  const why = removedClusterResolution(cluster);
  const deliveries: { readonly webhook: string | undefined; readonly alerts: Alert[]; readonly closing: boolean }[] =
    [];
  for (const alert of transitions.toNotify) {
    const webhook = alert.slackWebhookParameter;
    const closing = alert.resolution === why;
    const shared = closing ? deliveries.find((d) => d.closing && d.webhook === webhook) : undefined;
    if (shared !== undefined) shared.alerts.push(alert);
    else deliveries.push({ webhook, alerts: [alert], closing });
  }
  const after = new Map<string, Alert>();
  const notifyFailures: string[] = [];
  let notified = 0;
  for (const { webhook, alerts, closing } of deliveries) {
    let delivered = true;
    // Without a webhook nothing is owed to Slack: the alert was only ever visible in `walcat status`.
    if (webhook !== undefined) {
      const message = closing ? removedClusterMessage(cluster, alerts) : slackAlertMessage(alerts[0] as Alert);
      try {
        await deps.notifier.send({ cluster, slackWebhookParameter: webhook }, message);
        notified++;
      } catch (error) {
        delivered = false;
        notifyFailures.push(error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error');
      }
    }
    for (const alert of alerts)
      after.set(identity(alert), delivered ? markNotified(alert, now) : markNotifyFailed(alert));
  }
  const alerts = transitions.alerts.map((alert) => after.get(identity(alert)) ?? alert);
  const unchanged = new Set(stored);
  await deps.alerts.putAlerts(alerts.filter((alert) => !unchanged.has(alert)));
  if (transitions.expired.length > 0) await deps.alerts.deleteAlerts(transitions.expired);
  return { cluster, closed: openBefore.size, notified, notifyFailures };
}

const identity = (alert: Alert): string => `${alert.kind}#${alert.subject}`;
