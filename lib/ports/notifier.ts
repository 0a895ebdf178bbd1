/**
 * Delivers alert messages to people (Slack). A delivery that may succeed later (5xx, throttling, timeouts, the
 * secret store unreachable) throws `TransientError`; a refusal that retrying cannot fix (404: the webhook was
 * revoked) throws `NotificationRejectedError`. Either way the caller keeps the alert pending and retries next run.
 */
import type { ClusterId } from '../domain/cluster.ts';
import type { SlackMessage } from '../domain/continuity/slack-message.ts';

/** Where one cluster's alerts go: the SSM parameter holding its Slack webhook URL. */
export interface NotificationTarget {
  readonly cluster: ClusterId;
  readonly slackWebhookParameter: string;
}

export interface Notifier {
  send(target: NotificationTarget, message: SlackMessage): Promise<void>;
}
