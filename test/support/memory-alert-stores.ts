/** In-memory alert store and a notifier that records what it was given: the watchdog use case without a network. */
import type { ClusterId } from '../../lib/domain/cluster.ts';
import { type Alert, alertKey } from '../../lib/domain/continuity/alert-state.ts';
import type { SlackMessage } from '../../lib/domain/continuity/slack-message.ts';
import type { AlertStore } from '../../lib/ports/alert-store.ts';
import type { NotificationTarget, Notifier } from '../../lib/ports/notifier.ts';

export class MemoryAlertStore implements AlertStore {
  readonly #alerts = new Map<string, Alert>();

  async listAlerts(cluster: ClusterId): Promise<Alert[]> {
    return [...this.#alerts.values()].filter((alert) => alert.cluster === cluster).map((alert) => ({ ...alert }));
  }
  async putAlerts(alerts: readonly Alert[]): Promise<void> {
    for (const alert of alerts) this.#alerts.set(`${alert.cluster}#${alertKey(alert)}`, { ...alert });
  }
  async deleteAlerts(alerts: readonly Alert[]): Promise<void> {
    for (const alert of alerts) this.#alerts.delete(`${alert.cluster}#${alertKey(alert)}`);
  }
  async clustersWithOpenAlerts(): Promise<ClusterId[]> {
    const active = [...this.#alerts.values()].filter((alert) => alert.state === 'open' || alert.pending !== undefined);
    return [...new Set(active.map((alert) => alert.cluster))];
  }
}

export class RecordingNotifier implements Notifier {
  readonly sent: { readonly target: NotificationTarget; readonly message: SlackMessage }[] = [];

  async send(target: NotificationTarget, message: SlackMessage): Promise<void> {
    this.sent.push({ target, message });
  }

  /** The fallback texts sent so far that mention `needle`. */
  texts(needle: string): string[] {
    return this.sent.map((entry) => entry.message.text).filter((text) => text.includes(needle));
  }
}
