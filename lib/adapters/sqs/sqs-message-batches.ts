import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** SQS takes at most 10 messages per SendMessageBatch. */
const BATCH = 10;

/**
 * Sends `messages` ten per SendMessageBatch, each batch's refused entries once more; returns the messages SQS still
 * refused. A request that fails outright throws (the caller says what was not sent).
 */
export async function sendMessageBatches<T>(sqs: SQSClient, queueUrl: string, messages: readonly T[]): Promise<T[]> {
  const refused: T[] = [];
  for (let start = 0; start < messages.length; start += BATCH) {
    let pending = messages.slice(start, start + BATCH);
    for (let attempt = 0; attempt < 2 && pending.length > 0; attempt++) {
      const batch = pending;
      const response = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((message, index) => ({ Id: String(index), MessageBody: JSON.stringify(message) })),
        }),
      );
      const failed = new Set((response.Failed ?? []).map((entry) => entry.Id));
      pending = batch.filter((_message, index) => failed.has(String(index)));
    }
    refused.push(...pending);
  }
  return refused;
}
