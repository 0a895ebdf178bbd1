import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { TransientError } from '../../domain/errors.ts';
import type { ClusterRun, ClusterRunQueue } from '../../ports/cluster-run-queue.ts';

/** SQS takes at most 10 messages per SendMessageBatch. */
const BATCH = 10;

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
    const failed: ClusterRun[] = [];
    for (let start = 0; start < runs.length; start += BATCH) {
      let pending = runs.slice(start, start + BATCH);
      for (let attempt = 0; attempt < 2 && pending.length > 0; attempt++) {
        pending = await this.#send(pending);
      }
      failed.push(...pending);
    }
    if (failed.length > 0) {
      throw new TransientError(
        `the cluster-run queue did not take the runs of ${failed.map((run) => run.cluster).join(', ')}; the tick fails and is retried`,
      );
    }
  }

  /** Sends one batch; returns the runs SQS did not take. */
  async #send(runs: readonly ClusterRun[]): Promise<ClusterRun[]> {
    try {
      const response = await this.#sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.#queueUrl,
          Entries: runs.map((run, index) => ({ Id: String(index), MessageBody: JSON.stringify(run) })),
        }),
      );
      const refused = new Set((response.Failed ?? []).map((entry) => entry.Id));
      return runs.filter((_run, index) => refused.has(String(index)));
    } catch (error) {
      throw new TransientError(
        `the cluster-run queue is unreachable (${error instanceof Error ? error.name : 'unknown error'}); the tick fails and is retried`,
        { cause: error },
      );
    }
  }
}
