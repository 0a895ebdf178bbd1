/**
 * The local stand-ins for a fanned-out function's cluster-run queue and for catalog-sync's part queue: each
 * enqueued message is delivered at once to its function as the SQS batch of one record the deployed event source
 * mapping would hand it, and awaited, so a local tick ends when its clusters (and their parts) have run. A message
 * the function reports failed is logged by the function and not redelivered here; the next tick runs it again.
 */
import { randomUUID } from 'node:crypto';
import type { ClusterRun, ClusterRunQueue } from '../ports/cluster-run-queue.ts';
import type { SyncPartQueue, SyncPartRequest } from '../ports/sync-part-queue.ts';

type Deliver = (batch: unknown) => Promise<unknown>;

async function deliverEach(deliver: Deliver, messages: readonly unknown[], queue: string): Promise<void> {
  for (const message of messages) {
    const messageId = randomUUID();
    await deliver({
      Records: [
        {
          messageId,
          receiptHandle: `local-${messageId}`,
          body: JSON.stringify(message),
          attributes: {},
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queue}`,
          awsRegion: 'us-east-1',
        },
      ],
    });
  }
}

export function localClusterRuns(deliver: Deliver): ClusterRunQueue {
  return {
    enqueue: (runs: readonly ClusterRun[]) => deliverEach(deliver, runs, 'walcat-local-cluster-runs'),
  };
}

export function localSyncParts(deliver: Deliver): SyncPartQueue {
  return {
    enqueue: (parts: readonly SyncPartRequest[]) => deliverEach(deliver, parts, 'walcat-local-sync-parts'),
  };
}
