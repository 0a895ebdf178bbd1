import { ClockSkewError } from './retention-errors.ts';

/** How far walcat's clock may be from the storage service's before retention refuses to plan or apply. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 5 * 60_000;

export interface ClockReference {
  /** Where the reference time comes from, for the message: `S3 Date header of pg-backups`, `newest upload ...`. */
  readonly source: string;
  readonly time: Date;
  /**
   * `service`: the service's current time (skew either way counts). `newest-upload`: the newest object the
   * catalog holds; it can only show a clock that is behind (an upload from the future).
   */
  readonly kind: 'service' | 'newest-upload';
}

/**
 * Refuses when this machine's clock is further from the reference than the bound.
 *
 * @example assertClockAgrees('plan', 'orders-main', now, { source: 'S3 Date header', time, kind: 'service' }, 300_000)
 * @throws ClockSkewError naming both times and the fix.
 */
export function assertClockAgrees(
  action: 'plan' | 'apply',
  cluster: string,
  now: Date,
  reference: ClockReference,
  maxSkewMs: number,
): void {
  const skew = now.getTime() - reference.time.getTime();
  const tooFar = reference.kind === 'service' ? Math.abs(skew) > maxSkewMs : -skew > maxSkewMs;
  if (!tooFar) return;
  throw new ClockSkewError(
    `cluster ${cluster}: refusing to ${action} retention: this machine's clock says ${now.toISOString()}, the ${reference.source} says ${reference.time.toISOString()} (${formatSkew(skew)} apart, more than retention.maxClockSkew ${Math.round(maxSkewMs / 1000)} s); fix the clock (NTP) and run again`,
  );
}

/** A lastFullSyncAt later than now (plus the bound) was written by a fast clock: it proves nothing. */
export function isInTheFuture(at: Date, now: Date, maxSkewMs: number): boolean {
  return at.getTime() - now.getTime() > maxSkewMs;
}

function formatSkew(ms: number): string {
  const seconds = Math.abs(ms) / 1000;
  return seconds >= 3600 ? `${(seconds / 3600).toFixed(1)} h` : `${Math.round(seconds)} s`;
}
