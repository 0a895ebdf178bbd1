import type { ClusterId } from '../../domain/cluster.ts';
import {
  type Alert,
  type AlertKind,
  type AlertSeverity,
  type PendingNotification,
  RESOLVED_ALERT_RETENTION_MS,
} from '../../domain/continuity/alert-state.ts';
import type { AlertStore } from '../../ports/alert-store.ts';
import {
  ACTIVE_INDEX,
  ACTIVE_OF,
  ALERT_SK_PREFIX,
  alertSk,
  CLUSTER_PK_PREFIX,
  clusterPk,
  OPEN_ALERTS,
} from './catalog-keys.ts';
import { type Item, isMissingIndex, SingleTable, type SingleTableOptions } from './single-table.ts';

export type DynamoDbAlertStoreOptions = SingleTableOptions;

const iso = (date: Date | undefined): string | undefined => date?.toISOString();
const dateOf = (text: unknown): Date | undefined => (typeof text === 'string' ? new Date(text) : undefined);

const ACTIVE = { name: ACTIVE_INDEX, hashKey: ACTIVE_OF, rangeKey: 'sk' } as const;

/** Whether anything is still to happen to the alert: open, or a message owed. */
const stillActive = (alert: Alert): boolean => alert.state === 'open' || alert.pending !== undefined;

/**
 * Epoch seconds after which DynamoDB deletes a resolved, delivered alert: its cluster's watchdog deletes it after
 * the same retention, but a cluster no longer configured has no watchdog.
 */
const expiresAt = (alert: Alert): number | undefined =>
  stillActive(alert)
    ? undefined
    : Math.ceil(((alert.resolvedAt ?? alert.lastSeenAt).getTime() + RESOLVED_ALERT_RETENTION_MS) / 1000);

function toItem(alert: Alert): Item {
  return {
    pk: clusterPk(alert.cluster),
    sk: alertSk(alert.kind, alert.subject),
    itemType: 'alert',
    cluster: alert.cluster,
    kind: alert.kind,
    subject: alert.subject,
    severity: alert.severity,
    summary: alert.summary,
    facts: alert.facts,
    nextStep: alert.nextStep,
    state: alert.state,
    openedAt: iso(alert.openedAt),
    lastSeenAt: iso(alert.lastSeenAt),
    resolvedAt: iso(alert.resolvedAt),
    resolution: alert.resolution,
    pending: alert.pending,
    openNotified: alert.openNotified,
    lastNotifiedAt: iso(alert.lastNotifiedAt),
    failedAttempts: alert.failedAttempts,
    slackWebhookParameter: alert.slackWebhookParameter,
    [ACTIVE_OF]: stillActive(alert) ? OPEN_ALERTS : undefined,
    ttl: expiresAt(alert),
  };
}

/** An alert item as stored (the catalog's partition read decodes alerts with it too). */
export function alertFromItem(item: Item): Alert {
  const resolvedAt = dateOf(item.resolvedAt);
  const lastNotifiedAt = dateOf(item.lastNotifiedAt);
  return {
    cluster: item.cluster as ClusterId,
    kind: item.kind as AlertKind,
    subject: item.subject as string,
    severity: item.severity as AlertSeverity,
    summary: item.summary as string,
    facts: (item.facts as Record<string, string> | undefined) ?? {},
    nextStep: item.nextStep as string,
    state: item.state === 'resolved' ? 'resolved' : 'open',
    openedAt: dateOf(item.openedAt) ?? new Date(0),
    lastSeenAt: dateOf(item.lastSeenAt) ?? new Date(0),
    ...(resolvedAt === undefined ? {} : { resolvedAt }),
    ...(typeof item.resolution === 'string' ? { resolution: item.resolution } : {}),
    ...(item.pending === undefined ? {} : { pending: item.pending as PendingNotification }),
    openNotified: item.openNotified === true,
    ...(lastNotifiedAt === undefined ? {} : { lastNotifiedAt }),
    failedAttempts: typeof item.failedAttempts === 'number' ? item.failedAttempts : 0,
    ...(typeof item.slackWebhookParameter === 'string' ? { slackWebhookParameter: item.slackWebhookParameter } : {}),
  };
}

/**
 * Alerts in the catalog table: `CLUSTER#<id>` / `ALERT#<kind>#<subject>`, one Query per cluster to list; the
 * clusters with open alerts are one Query of the sparse `active` index (partition `OPEN_ALERTS`, keys only).
 */
export class DynamoDbAlertStore implements AlertStore {
  readonly #table: SingleTable;

  constructor(options: DynamoDbAlertStoreOptions) {
    this.#table = new SingleTable(options);
  }

  async listAlerts(cluster: ClusterId): Promise<Alert[]> {
    const alerts: Alert[] = [];
    for await (const item of this.#table.query({ pk: clusterPk(cluster), skPrefix: ALERT_SK_PREFIX })) {
      alerts.push(alertFromItem(item));
    }
    return alerts;
  }

  async putAlerts(alerts: readonly Alert[]): Promise<void> {
    await this.#table.batchWrite({ puts: alerts.map(toItem) });
  }

  async clustersWithOpenAlerts(): Promise<ClusterId[]> {
    const clusters = new Set<ClusterId>();
    try {
      for await (const key of this.#table.query({ pk: OPEN_ALERTS, index: ACTIVE })) {
        const pk = key.pk as string;
        if (pk.startsWith(CLUSTER_PK_PREFIX)) clusters.add(pk.slice(CLUSTER_PK_PREFIX.length) as ClusterId);
      }
    } catch (error) {
      if (!isMissingIndex(error)) throw error;
      // Until the index exists (DynamoDB still building it, or an emulator that cannot add it) no removed
      // cluster is found; the configured clusters' own runs are unaffected.
      return [];
    }
    return [...clusters];
  }

  async deleteAlerts(alerts: readonly Alert[]): Promise<void> {
    await this.#table.batchWrite({
      deletes: alerts.map((alert) => ({ pk: clusterPk(alert.cluster), sk: alertSk(alert.kind, alert.subject) })),
    });
  }
}
