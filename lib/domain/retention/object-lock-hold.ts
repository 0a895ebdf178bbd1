/**
 * Which backups and WAL a bucket's Object Lock holds, as reasons a retention plan keeps them for. S3 refuses to
 * delete an object under retention until its retain-until date, and under a legal hold until the hold is removed; a
 * plan that deleted such an object would only fail at apply, and promise bytes that never leave. A lock walcat could
 * not read holds too: unknown is never taken for "nothing held".
 */
import type { ObjectRetention } from '../bucket/bucket-configuration.ts';
import type { TimelineId } from '../wal/timeline.ts';
import type { SegmentNumber } from '../wal/wal-segment.ts';
import type { ProtectedWalRange } from './wal-retention.ts';

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

const UNKNOWN = 'object-lock: lock state unknown, kept';

/**
 * The keep reason for an object whose lock walcat could not read: kept, since a plan that deleted it could run into
 * a lock it never saw, with what went wrong and the fix.
 *
 * @example objectLockUnknownReason('bucket b: walcat may not read the Object Lock state of k (AccessDenied); grant s3:GetObjectRetention ...')
 * // 'object-lock: lock state unknown, kept (bucket b: walcat may not read ...)'
 */
export function objectLockUnknownReason(problem: string): string {
  return `${UNKNOWN} (${problem})`;
}

/** One catalogued WAL object a lock keeps, with the reason it is kept for. */
export interface HeldWalObject {
  readonly timeline: TimelineId;
  readonly segNo: SegmentNumber;
  readonly key: string;
  readonly reason: string;
}

/**
 * WAL objects held by Object Lock as ranges retention must keep: adjacent segments of one timeline held for the
 * same kind of reason (a lock, or a lock walcat could not read) make one range, named after its first object.
 *
 * @example heldWalRanges([{ timeline: 1, segNo: 0x20, key: 'k', reason: 'object-lock: GOVERNANCE retention until …' }])
 * // [{ timeline: 1, fromSegNo: 0x20, toSegNo: 0x20, reason: 'object-lock: GOVERNANCE retention until … (k)' }]
 */
export function heldWalRanges(held: readonly HeldWalObject[]): ProtectedWalRange[] {
  const sorted = [...held].sort((a, b) => a.timeline - b.timeline || a.segNo - b.segNo || (a.key < b.key ? -1 : 1));
  const runs: { first: HeldWalObject; to: SegmentNumber; objects: number }[] = [];
  for (const object of sorted) {
    const last = runs.at(-1);
    const sameKind = last !== undefined && last.first.reason.startsWith(UNKNOWN) === object.reason.startsWith(UNKNOWN);
    if (last && sameKind && last.first.timeline === object.timeline && object.segNo <= last.to + 1) {
      last.to = object.segNo;
      last.objects += 1;
    } else runs.push({ first: object, to: object.segNo, objects: 1 });
  }
  return runs.map(({ first, to, objects }) => ({
    timeline: first.timeline,
    fromSegNo: first.segNo,
    toSegNo: to,
    reason: `${first.reason} (${first.key}${objects > 1 ? ` and ${objects - 1} more WAL object(s) of the range` : ''})`,
  }));
}
