/**
 * The fan-out of a scheduled function: its one-minute tick enqueues one run per due cluster, and each run is then
 * its own invocation (one message, one cluster), so a fleet of 1,000 clusters never shares one invocation's time,
 * memory or failure. A run carries the tick's time, so a late delivery still decides for the minute it was due in.
 */
import type { ClusterId } from '../domain/cluster.ts';

export interface ClusterRun {
  readonly cluster: ClusterId;
  /** The tick's scheduled time (ISO-8601 UTC). */
  readonly time: string;
}

export interface ClusterRunQueue {
  /** Enqueues every run or throws `TransientError` naming the clusters not enqueued. */
  enqueue(runs: readonly ClusterRun[]): Promise<void>;
}
