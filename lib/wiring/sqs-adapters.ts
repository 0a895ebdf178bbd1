/**
 * The adapters over SQS, all on one SQS client built on first use: the alerts queue (the deployed functions' Slack
 * messages), a scheduled function's cluster-run queue and catalog-sync's part queue. The only wiring module that
 * imports the SQS client: a door whose use cases enqueue (every function with a notifier or a fan-out queue, the CLI,
 * the local stack) hands `createSqsAdapters` to the adapter set; the others (ingest, a sync part, the web view) are
 * built without the SQS client.
 */
import { createSqsClient } from '../adapters/aws/sqs-client.ts';
import { QueuedNotifier } from '../adapters/sqs/queued-notifier.ts';
import { SqsClusterRunQueue } from '../adapters/sqs/sqs-cluster-run-queue.ts';
import { SqsSyncPartQueue } from '../adapters/sqs/sqs-sync-part-queue.ts';
import type { AwsEndpoints } from '../config/aws-endpoints.ts';
import type { ClusterRunQueue } from '../ports/cluster-run-queue.ts';
import type { Notifier } from '../ports/notifier.ts';
import type { SyncPartQueue } from '../ports/sync-part-queue.ts';

export interface SqsAdapters {
  /** Slack messages handed to the alerts queue at `queueUrl` (alert-dispatch posts them). */
  alertsQueue(queueUrl: string): Notifier;
  /** The cluster-run queue at `queueUrl`, where a scheduled function's tick enqueues one run per due cluster. */
  clusterRuns(queueUrl: string): ClusterRunQueue;
  /** The part queue at `queueUrl`, where catalog-sync splits a cluster too large for one invocation. */
  syncParts(queueUrl: string): SyncPartQueue;
  /** Closes the SQS client if one was built. */
  close(): void;
}

/** How a door hands the SQS adapters to the wiring: this module's factory, passed by reference. */
export type SqsAdaptersFactory = (endpoints: AwsEndpoints) => SqsAdapters;

export const createSqsAdapters: SqsAdaptersFactory = (endpoints) => {
  let client: ReturnType<typeof createSqsClient> | undefined;
  const sqs = () => {
    client ??= createSqsClient(endpoints);
    return client;
  };
  return {
    alertsQueue: (queueUrl) => new QueuedNotifier({ sqs: sqs(), queueUrl }),
    clusterRuns: (queueUrl) => new SqsClusterRunQueue({ sqs: sqs(), queueUrl }),
    syncParts: (queueUrl) => new SqsSyncPartQueue({ sqs: sqs(), queueUrl }),
    close: () => client?.destroy(),
  };
};
