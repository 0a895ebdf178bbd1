import { NotificationRejectedError } from '../../domain/continuity/notification-errors.ts';
import type { SlackMessage } from '../../domain/continuity/slack-message.ts';
import { TransientError } from '../../domain/errors.ts';
import type { NotificationTarget, Notifier } from '../../ports/notifier.ts';
import type { SecretSource } from '../../ports/secret-source.ts';

export interface SlackWebhookNotifierOptions {
  readonly secrets: SecretSource;
  /** Abort a delivery after this long; the alert stays pending for the next run. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/**
 * Posts Block Kit messages to a Slack incoming webhook whose URL is a secret (SSM SecureString). 5xx, 429 and
 * network failures or timeouts are transient; other refusals are `NotificationRejectedError`. Error messages name
 * the cluster and the parameter, never the URL (it is a credential).
 */
export class SlackWebhookNotifier implements Notifier {
  readonly #secrets: SecretSource;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: SlackWebhookNotifierOptions) {
    this.#secrets = options.secrets;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#fetch = options.fetch ?? fetch;
  }

  async send(target: NotificationTarget, message: SlackMessage): Promise<void> {
    const url = await this.#secrets.get(target.slackWebhookParameter);
    const where = `cluster ${target.cluster}: Slack webhook from ${target.slackWebhookParameter}`;
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      const reason = error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : 'could not be reached';
      // The cause may carry the URL: keep only its class name.
      throw new TransientError(`${where} ${reason}; the alert stays pending and is retried on the next run`, {
        cause: error instanceof Error ? error.name : 'unknown',
      });
    }
    await response.body?.cancel().catch(() => undefined);
    if (response.ok) return;
    if (response.status >= 500 || response.status === 429) {
      throw new TransientError(`${where} answered HTTP ${response.status}; the alert is retried on the next run`);
    }
    throw new NotificationRejectedError(
      `${where} refused the message with HTTP ${response.status}; check that the webhook still exists (a revoked webhook answers 404) and update the parameter`,
    );
  }
}
