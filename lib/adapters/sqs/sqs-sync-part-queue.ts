import type { SQSClient } from '@aws-sdk/client-sqs';
import { TransientError } from '../../domain/errors.ts';
import type { SyncPartQueue, SyncPartRequest } from '../../ports/sync-part-queue.ts';
import { sendMessageBatches } from './sqs-message-batches.ts';

/**
 * The catalog-sync part queue. A part SQS does not take fails the cluster's run, which is redelivered: the replanned
 * run finds its generation in the ledger and sends the same parts again (a part sent twice runs once).
 */
export class SqsSyncPartQueue implements SyncPartQueue {
  readonly #sqs: SQSClient;
  readonly #queueUrl: string;

  constructor(options: { sqs: SQSClient; queueUrl: string }) {
    this.#sqs = options.sqs;
    this.#queueUrl = options.queueUrl;
  }

  async enqueue(parts: readonly SyncPartRequest[]): Promise<void> {
    let failed: SyncPartRequest[];
    try {
      failed = await sendMessageBatches(this.#sqs, this.#queueUrl, parts);
    } catch (error) {
      throw new TransientError(
        `the sync part queue is unreachable (${error instanceof Error ? error.name : 'unknown error'}); the cluster's sync run fails and is retried`,
        { cause: error },
      );
    }
    if (failed.length > 0) {
      const cluster = failed[0]?.cluster ?? '';
      throw new TransientError(
        `cluster ${cluster}: the sync part queue did not take parts ${failed.map((part) => part.part).join(', ')} of sync ${failed[0]?.syncId}; the run fails and is retried`,
      );
    }
  }
}
