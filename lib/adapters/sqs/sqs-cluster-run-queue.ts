import type { SQSClient } from '@aws-sdk/client-sqs';
import { TransientError } from '../../domain/errors.ts';
import type { ClusterRun, ClusterRunQueue } from '../../ports/cluster-run-queue.ts';
import { sendMessageBatches } from './sqs-message-batches.ts';

/**
 * A function's own cluster-run queue (one per fanned-out function in the stack). Entries SQS refuses are sent once
 * more; what is still refused fails the tick, so EventBridge retries it (a repeated run of a cluster is harmless:
 * every per-cluster use case is idempotent, and backups are refused while one runs).
 */
export class SqsClusterRunQueue implements ClusterRunQueue {
  readonly #sqs: SQSClient;
  readonly #queueUrl: string;

  constructor(options: { sqs: SQSClient; queueUrl: string }) {
    this.#sqs = options.sqs;
    this.#queueUrl = options.queueUrl;
  }

  async enqueue(runs: readonly ClusterRun[]): Promise<void> {
    let failed: ClusterRun[];
    try {
      failed = await sendMessageBatches(this.#sqs, this.#queueUrl, runs);
    } catch (error) {
      throw new TransientError(
        `the cluster-run queue is unreachable (${error instanceof Error ? error.name : 'unknown error'}); the tick fails and is retried`,
        { cause: error },
      );
    }
    if (failed.length > 0) {
      throw new TransientError(
        `the cluster-run queue did not take the runs of ${failed.map((run) => run.cluster).join(', ')}; the tick fails and is retried`,
      );
    }
  }
}
