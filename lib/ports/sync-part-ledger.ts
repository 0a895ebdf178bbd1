/**
 * Records which key-range parts of one cluster sync have finished, so the sync mark (`lastFullSyncAt`) is set once,
 * by whichever part finishes last, and never while a part is missing. A part that runs twice (a retried
 * invocation) is recorded once.
 */
import type { ClusterId } from '../domain/cluster.ts';

export interface SyncPartLedger {
  /** Records `part` of `parts` as finished; true when every part of the sync has finished (now or before). */
  finishSyncPart(cluster: ClusterId, syncId: string, part: number, parts: number): Promise<boolean>;
}
