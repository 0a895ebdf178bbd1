import type { ClusterId } from '../../domain/cluster.ts';
import type { Alert, AlertKind, AlertSeverity, PendingNotification } from '../../domain/continuity/alert-state.ts';
import type { AlertStore } from '../../ports/alert-store.ts';
import { ALERT_SK_PREFIX, alertSk, clusterPk } from './catalog-keys.ts';
import { type Item, SingleTable, type SingleTableOptions } from './single-table.ts';

export type DynamoDbAlertStoreOptions = SingleTableOptions;

const iso = (date: Date | undefined): string | undefined => date?.toISOString();
const dateOf = (text: unknown): Date | undefined => (typeof text === 'string' ? new Date(text) : undefined);

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
  };
}

/** Alerts in the catalog table: `CLUSTER#<id>` / `ALERT#<kind>#<subject>`, one Query per cluster to list. */
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

  async deleteAlerts(alerts: readonly Alert[]): Promise<void> {
    await this.#table.batchWrite({
      deletes: alerts.map((alert) => ({ pk: clusterPk(alert.cluster), sk: alertSk(alert.kind, alert.subject) })),
    });
  }
}
