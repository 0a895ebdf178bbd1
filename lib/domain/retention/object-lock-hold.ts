/**
 * Which backups a bucket's Object Lock holds, as reasons a retention plan keeps them for. S3 refuses to delete an
 * object under retention until its retain-until date, and under a legal hold until the hold is removed; a plan that
 * deleted such a backup would only fail at apply, and promise bytes that never leave.
 */
import type { ObjectRetention } from '../bucket/bucket-configuration.ts';

/**
 * The keep reason for a backup under this lock at `now`, or undefined when the lock no longer holds it.
 *
 * @example objectLockReason({ mode: 'GOVERNANCE', retainUntil: new Date('2026-12-15T00:00:00Z'), legalHold: false }, now)
 * // 'object-lock: GOVERNANCE retention until 2026-12-15T00:00:00Z'
 */
export function objectLockReason(lock: ObjectRetention, now: Date): string | undefined {
  const retained = lock.retainUntil !== undefined && lock.retainUntil.getTime() > now.getTime();
  const parts = [
    ...(lock.legalHold ? ['legal hold'] : []),
    ...(retained && lock.retainUntil
      ? [`${lock.mode ?? 'Object Lock'} retention until ${lock.retainUntil.toISOString().replace('.000Z', 'Z')}`]
      : []),
  ];
  return parts.length === 0 ? undefined : `object-lock: ${parts.join(', ')}`;
}
