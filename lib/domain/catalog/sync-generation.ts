/**
 * One generation of a cluster's full sync split into key ranges: planned once (at the scheduled tick), its ranges
 * tile the storage root, each range is listed and reconciled by its own invocation, and the generation commits the
 * sync mark once every range has finished. Generations are ordered by their plan time, which is their id, so a
 * newer plan replaces an older one and a part of the older one can tell that it is stale.
 */
import type { KeyRange } from './key-range.ts';

export interface SyncGeneration {
  /** The plan time as ISO-8601 UTC: unique per cluster and ordered like the plans. */
  readonly syncId: string;
  readonly plannedAt: Date;
  /** The ranges of the root, in key order; part `n` lists `ranges[n]`. */
  readonly ranges: readonly KeyRange[];
}

/** The id of the generation planned at `plannedAt` (a redelivered plan of the same tick gets the same id). */
export const syncIdAt = (plannedAt: Date): string => plannedAt.toISOString();

/**
 * How many invocations a sync of `segments` catalogued segments takes: one per `segmentsPerPart`, at most
 * `maxParts`, at least one.
 *
 * @example syncPartCount(2_500_000, 1_000_000, 64) // 3
 */
export function syncPartCount(segments: number, segmentsPerPart: number, maxParts: number): number {
  if (!(segmentsPerPart > 0)) throw new RangeError(`segmentsPerPart must be positive, not ${segmentsPerPart}`);
  return Math.min(Math.max(1, maxParts), Math.max(1, Math.ceil(segments / segmentsPerPart)));
}
