/**
 * Where a cluster's full sync sends its key-range parts when one invocation cannot list the whole root: each
 * message is one part, run by its own invocation of the part function.
 */
import type { KeyRange } from '../domain/catalog/key-range.ts';
import type { ClusterId } from '../domain/cluster.ts';

/** One part of one sync generation, as it travels on the part queue. */
export interface SyncPartRequest {
  readonly cluster: ClusterId;
  /** The generation (its plan time, ISO-8601). */
  readonly syncId: string;
  readonly plannedAt: Date;
  readonly part: number;
  readonly parts: number;
  readonly range: KeyRange;
}

export interface SyncPartQueue {
  /** Enqueues every part or throws `TransientError` naming the parts not enqueued. */
  enqueue(parts: readonly SyncPartRequest[]): Promise<void>;
}
