/**
 * The fan-out of the scheduled functions, written once. A function's one-minute (or daily) tick is the dispatcher:
 * it enqueues one run per due cluster on the function's own queue and returns. The queue then invokes the same
 * function with the runs (one cluster per record), so each cluster has its own invocation: its own timeout, memory
 * and retries, and a fleet of 1,000 costs no invocation more time than one cluster does. A record that failed is
 * reported in `batchItemFailures`, so only it is retried (and after its retries lands in the dead-letter queue);
 * a record that can never run (not a run, or a cluster no longer configured) is logged and dropped.
 *
 * Without a queue (tests, a manual invoke of a bundle outside the stack) the tick runs its clusters itself, one after
 * the other, as before the fan-out.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchItemFailure, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { ClusterConfig } from '../domain/cluster.ts';
import type { ClusterRun, ClusterRunQueue } from '../ports/cluster-run-queue.ts';

interface SqsBatch {
  readonly Records: readonly SQSRecord[];
}

/** An SQS batch (the cluster-run queue's delivery), as opposed to a tick or a manual `{ cluster }` invoke. */
export function isClusterRunBatch(event: unknown): event is SqsBatch {
  const records = (event as { Records?: unknown } | null | undefined)?.Records;
  return (
    Array.isArray(records) &&
    records.length > 0 &&
    records.every((record) => (record as { eventSource?: unknown } | null)?.eventSource === 'aws:sqs')
  );
}

/** A record's cluster and tick time, or why the record can never run. */
export function parseClusterRun(
  body: string,
  clusters: readonly ClusterConfig[],
): { readonly cluster: ClusterConfig; readonly at: Date } | { readonly problem: string } {
  let run: Partial<ClusterRun>;
  try {
    run = JSON.parse(body) as Partial<ClusterRun>;
  } catch {
    return { problem: 'the message is not JSON; a cluster run is { "cluster": "<id>", "time": "<ISO-8601>" }' };
  }
  const at = typeof run?.time === 'string' ? new Date(run.time) : undefined;
  if (at === undefined || Number.isNaN(at.getTime())) {
    return { problem: `time ${JSON.stringify(run?.time)} is not an ISO-8601 time; a cluster run names its tick` };
  }
  const cluster = clusters.find((candidate) => candidate.id === run.cluster);
  if (cluster === undefined) {
    return {
      problem: `cluster ${JSON.stringify(run.cluster)} is not in the config (it was removed after the run was queued, or the message is foreign)`,
    };
  }
  return { cluster, at };
}

/** Runs each record's cluster; failed records are reported for redelivery, bad ones dropped with an error log. */
export async function runClusterBatch(
  event: SqsBatch,
  clusters: readonly ClusterConfig[],
  logger: Logger,
  failureMessage: string,
  run: (cluster: ClusterConfig, at: Date) => Promise<unknown>,
): Promise<SQSBatchResponse & { readonly ran: number; readonly dropped: number }> {
  const batchItemFailures: SQSBatchItemFailure[] = [];
  let ran = 0;
  let dropped = 0;
  for (const record of event.Records) {
    const parsed = parseClusterRun(record.body, clusters);
    if ('problem' in parsed) {
      dropped++;
      logger.error('cluster run dropped', { messageId: record.messageId, problem: parsed.problem });
      continue;
    }
    try {
      await run(parsed.cluster, parsed.at);
      ran++;
    } catch (error) {
      batchItemFailures.push({ itemIdentifier: record.messageId });
      logger.error(failureMessage, { cluster: parsed.cluster.id, error: error as Error });
    }
  }
  return { batchItemFailures, ran, dropped };
}

/** The dispatcher: one run per due cluster on the queue, stamped with the tick's time. */
export async function enqueueClusterRuns(
  queue: ClusterRunQueue,
  clusters: readonly ClusterConfig[],
  at: Date,
): Promise<{ readonly enqueued: number }> {
  const time = at.toISOString();
  await queue.enqueue(clusters.map((cluster) => ({ cluster: cluster.id, time })));
  return { enqueued: clusters.length };
}
