/**
 * The local stand-in for an SQS queue and its Lambda event source mapping: messages sent here are collected for a
 * moment (a backup-push writes a burst of objects), handed to the function's handler as SQS-shaped batches (the
 * shape of events/s3-sqs-batch.json), and the messages the handler names in `batchItemFailures` are redelivered
 * with a higher receive count, until the queue's `maxReceiveCount`, as SQS with a redrive policy would.
 */
import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export interface LocalQueue {
  send(body: string): void;
  /** Delivers what is queued now (and redeliveries, until none is left or due) and waits for it. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export interface LocalQueueOptions {
  /** The queue's name in the records' `eventSourceARN`. */
  readonly name: string;
  /** serverless.yml's `batchSize` of the function's sqs event. */
  readonly batchSize: number;
  /** The redrive policy's `maxReceiveCount`. */
  readonly maxReceiveCount: number;
  readonly deliver: (event: SQSEvent) => Promise<unknown>;
  /** A message the handler accepted (for the terminal's progress lines). */
  readonly onDelivered?: (body: string) => void;
  /** A message dropped after its last receive (SQS would move it to the dead-letter queue). */
  readonly onDeadLetter: (body: string) => void;
  readonly batchDelayMs?: number;
}

interface Message {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
}

export function startLocalQueue(options: LocalQueueOptions): LocalQueue {
  let queue: Message[] = [];
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const delay = options.batchDelayMs ?? 200;

  const record = (message: Message): SQSRecord => ({
    messageId: message.messageId,
    receiptHandle: `local-${message.messageId}-${message.receiveCount}`,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentAt),
      SenderId: 'walcat-local',
      ApproximateFirstReceiveTimestamp: String(message.sentAt),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${options.name}`,
    awsRegion: 'us-east-1',
  });

  const deliverBatch = async (batch: Message[]) => {
    for (const message of batch) message.receiveCount++;
    let failed: Set<string>;
    try {
      const response = (await options.deliver({ Records: batch.map(record) })) as SQSBatchResponse | undefined;
      failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    } catch {
      // A thrown invocation fails the whole batch: SQS redelivers every message of it.
      failed = new Set(batch.map((message) => message.messageId));
    }
    for (const message of batch) {
      if (!failed.has(message.messageId)) options.onDelivered?.(message.body);
      else if (message.receiveCount < options.maxReceiveCount) queue.push(message);
      else options.onDeadLetter(message.body);
    }
  };

  const drain = async () => {
    const due = queue;
    queue = [];
    for (let start = 0; start < due.length; start += options.batchSize) {
      await deliverBatch(due.slice(start, start + options.batchSize));
    }
    if (queue.length > 0) schedule();
  };

  const schedule = () => {
    if (timer !== undefined || stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      running = running.then(drain);
    }, delay);
  };

  return {
    send(body) {
      if (stopped) return;
      queue.push({ messageId: randomUUID(), body, sentAt: Date.now(), receiveCount: 0 });
      schedule();
    },
    async flush() {
      if (timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
      }
      running = running.then(drain);
      await running;
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await running;
    },
  };
}
