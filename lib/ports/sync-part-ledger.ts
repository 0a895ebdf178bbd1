/**
 * The record of one cluster's key-range sync across invocations: which generation (one planned split of the root)
 * is current, which of its parts have finished, and the one conditional write that commits the sync mark
 * (`lastFullSyncAt`). A part that runs twice (a retried invocation, a redelivered message) is recorded once; a part
 * of a generation that a newer one replaced never commits; the mark never moves back.
 */
import type { SyncGeneration } from '../domain/catalog/sync-generation.ts';
import type { ClusterId } from '../domain/cluster.ts';

export type SyncBegin =
  /** The generation is current; `generation` is the one first recorded under its id (a replanned run reuses it). */
  | { readonly current: true; readonly generation: SyncGeneration }
  /** A newer generation is current: this plan is stale and its parts must not be sent. */
  | { readonly current: false; readonly newer: string };

export interface SyncPartStatus {
  /** The part's generation is still the cluster's current one. */
  readonly current: boolean;
  /** The part was recorded as finished before (its listing need not run again). */
  readonly finished: boolean;
}

export interface SyncPartLedger {
  /**
   * Records `generation` (its ranges, the first time its id is seen) and makes it the cluster's current sync unless
   * a newer one already is.
   */
  beginSync(cluster: ClusterId, generation: SyncGeneration): Promise<SyncBegin>;
  /** Whether `part` of `syncId` may still run (its generation is current) and whether it already finished. */
  syncPartStatus(cluster: ClusterId, syncId: string, part: number): Promise<SyncPartStatus>;
  /** Records `part` of `parts` as finished; true when every part of the sync has finished (now or before). */
  finishSyncPart(cluster: ClusterId, syncId: string, part: number, parts: number): Promise<boolean>;
  /**
   * Sets `lastFullSyncAt = plannedAt` when `syncId` is still the current generation and the mark is older; true
   * when this call set it (false for a repeat, a stale generation, or a mark already at or past `plannedAt`).
   */
  commitSync(cluster: ClusterId, syncId: string, plannedAt: Date): Promise<boolean>;
}
