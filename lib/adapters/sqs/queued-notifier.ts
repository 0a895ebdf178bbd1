import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SlackMessage } from '../../domain/continuity/slack-message.ts';
import { TransientError } from '../../domain/errors.ts';
import type { NotificationTarget, Notifier } from '../../ports/notifier.ts';

/** What travels on the alerts queue: the target (which secret to read) and the Block Kit message. */
export interface QueuedNotification {
  readonly target: NotificationTarget;
  readonly message: SlackMessage;
}

/**
 * Hands messages to the alerts queue instead of posting them. In the deployed stack only the alert-dispatch function
 * may read the Slack webhook secret (least privilege); the queue retries deliveries while Slack fails and keeps the
 * undeliverable in its dead-letter queue, so a message is never dropped silently.
 */
export class QueuedNotifier implements Notifier {
  readonly #sqs: SQSClient;
  readonly #queueUrl: string;

  constructor(options: { sqs: SQSClient; queueUrl: string }) {
    this.#sqs = options.sqs;
    this.#queueUrl = options.queueUrl;
  }

  async send(target: NotificationTarget, message: SlackMessage): Promise<void> {
    const body: QueuedNotification = { target, message };
    try {
      await this.#sqs.send(new SendMessageCommand({ QueueUrl: this.#queueUrl, MessageBody: JSON.stringify(body) }));
    } catch (error) {
      throw new TransientError(
        `cluster ${target.cluster}: the alerts queue did not take the message (${error instanceof Error ? error.name : 'unknown error'}); it stays pending and is retried on the next run`,
        { cause: error },
      );
    }
  }
}
