import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type DynamoDBDocumentClient,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ClusterId } from '../../domain/cluster.ts';
import type { Alert, AlertKind, AlertSeverity, PendingNotification } from '../../domain/continuity/alert-state.ts';
import { TransientError } from '../../domain/errors.ts';
import type { AlertStore } from '../../ports/alert-store.ts';
import { ALERT_SK_PREFIX, alertSk, clusterPk } from './catalog-keys.ts';

type Item = Record<string, unknown>;

export interface DynamoDbAlertStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly sleep?: (ms: number) => Promise<void>;
}

const WRITE_BATCH = 25;
const MAX_ATTEMPTS = 8;

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
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: DynamoDbAlertStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async listAlerts(cluster: ClusterId): Promise<Alert[]> {
    const alerts: Alert[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': clusterPk(cluster), ':prefix': ALERT_SK_PREFIX },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) alerts.push(alertFromItem(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return alerts;
  }

  async putAlerts(alerts: readonly Alert[]): Promise<void> {
    await this.#batchWrite(alerts.map((alert) => ({ PutRequest: { Item: toItem(alert) } })));
  }

  async deleteAlerts(alerts: readonly Alert[]): Promise<void> {
    await this.#batchWrite(
      alerts.map((alert) => ({
        DeleteRequest: { Key: { pk: clusterPk(alert.cluster), sk: alertSk(alert.kind, alert.subject) } },
      })),
    );
  }

  async #batchWrite(requests: NonNullable<BatchWriteCommandInput['RequestItems']>[string]): Promise<void> {
    for (let offset = 0; offset < requests.length; offset += WRITE_BATCH) {
      let pending = requests.slice(offset, offset + WRITE_BATCH);
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > MAX_ATTEMPTS) {
          throw new TransientError(
            `DynamoDB table ${this.#table}: ${pending.length} alert writes still unprocessed after ${MAX_ATTEMPTS} attempts; retrying on the next run`,
          );
        }
        const output = await this.#client.send(new BatchWriteCommand({ RequestItems: { [this.#table]: pending } }));
        pending = output.UnprocessedItems?.[this.#table] ?? [];
        if (pending.length > 0) await this.#sleep(Math.min(2000, 50 * 2 ** attempt) * Math.random());
      }
    }
  }
}
