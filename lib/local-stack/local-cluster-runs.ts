/**
 * The local stand-in for a fanned-out function's cluster-run queue: each enqueued run is delivered at once to the
 * same function as the SQS batch of one record the deployed event source mapping would hand it, and awaited, so a
 * local tick ends when its clusters have run. A run the function reports failed is logged by the function and not
 * redelivered here; the next tick runs its cluster again.
 */
import { randomUUID } from 'node:crypto';
import type { ClusterRun, ClusterRunQueue } from '../ports/cluster-run-queue.ts';

export function localClusterRuns(deliver: (batch: unknown) => Promise<unknown>): ClusterRunQueue {
  return {
    async enqueue(runs: readonly ClusterRun[]): Promise<void> {
      for (const run of runs) {
        const messageId = randomUUID();
        await deliver({
          Records: [
            {
              messageId,
              receiptHandle: `local-${messageId}`,
              body: JSON.stringify(run),
              attributes: {},
              messageAttributes: {},
              md5OfBody: '',
              eventSource: 'aws:sqs',
              eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:walcat-local-cluster-runs',
              awsRegion: 'us-east-1',
            },
          ],
        });
      }
    },
  };
}
