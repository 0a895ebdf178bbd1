import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import type { ClusterId } from '../domain/cluster.ts';
import type { Notifier } from '../ports/notifier.ts';
import { lambdaHandler } from './lambda-chain.ts';

/** The message the QueuedNotifier enqueued (lib/adapters/sqs/queued-notifier.ts). */
const queuedNotification = z.object({
  target: z.object({ cluster: z.string().min(1), slackWebhookParameter: z.string().startsWith('/') }),
  message: z.object({ text: z.string(), blocks: z.array(z.record(z.string(), z.unknown())) }),
});

/**
 * The one function that reads Slack webhook secrets: delivers the messages the other functions queued. A failed
 * delivery is reported as a batch item failure, so SQS retries it and finally keeps it in the dead-letter queue;
 * a malformed message is logged and dropped (retrying cannot fix it).
 */
export function createAlertDispatchHandler(notifier: Notifier, logger: Logger) {
  return lambdaHandler(logger, async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      const parsed = queuedNotification.safeParse(safeJson(record.body));
      if (!parsed.success) {
        logger.error('malformed alert message dropped', { messageId: record.messageId, issue: parsed.error.message });
        continue;
      }
      const { target, message } = parsed.data;
      try {
        await notifier.send({ ...target, cluster: target.cluster as ClusterId }, message);
        logger.info('alert delivered', { cluster: target.cluster, messageId: record.messageId });
      } catch (error) {
        logger.warn('alert delivery failed; SQS retries it', {
          cluster: target.cluster,
          messageId: record.messageId,
          reason: error instanceof Error ? error.message : String(error),
        });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
