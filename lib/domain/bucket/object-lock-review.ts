import type { BackupRecord } from '../catalog/catalog-records.ts';
import type { ClusterId, RetentionPolicy } from '../cluster.ts';
import { backupFinishedAt, isCompleteBackup } from '../continuity/pitr-chain-base.ts';
import { UnsafePlanError } from '../errors.ts';
import { planRetention } from '../retention/retention-plan.ts';
import type { WalSegmentSize } from '../wal/segment-size.ts';
import type { ObjectLockConfiguration } from './bucket-configuration.ts';

const DAY_MS = 86_400_000;

export interface ObjectLockReview {
  readonly status: 'ok' | 'warn';
  readonly detail: string;
  readonly fix: string;
  /** Backups the current retention plan deletes while their default lock still holds (oldest first). */
  readonly lockedDeletions: readonly string[];
}

/**
 * The bucket's Object Lock default retention against what walcat's retention deletes. A locked version cannot be
 * removed before its retain-until date: a delete without a version id only adds a delete marker, so retention's
 * deletions of backups younger than the lock free no bytes until the lock ends and a NoncurrentVersionExpiration
 * rule removes the versions. Nothing is lost, so this is a warning, never a failure.
 *
 * @example reviewObjectLock({ lock: { enabled: true, defaultRetention: { mode: 'GOVERNANCE', days: 14 } }, policy: { ...p, keepDaily: 7 }, ... }).status // 'warn'
 */
export function reviewObjectLock(input: {
  readonly cluster: ClusterId;
  readonly lock: ObjectLockConfiguration;
  readonly backups: readonly BackupRecord[];
  readonly policy?: RetentionPolicy;
  readonly walSegmentSize: WalSegmentSize;
  /** Days after deletion a NoncurrentVersionExpiration rule reaching the cluster removes versions; absent: none. */
  readonly noncurrentExpirationDays?: number;
  readonly now: Date;
}): ObjectLockReview {
  const { lock, policy } = input;
  const retention = lock.defaultRetention;
  if (!lock.enabled) {
    return { status: 'ok', detail: 'Object Lock is not enabled on the bucket', fix: '', lockedDeletions: [] };
  }
  if (retention === undefined) {
    return {
      status: 'ok',
      detail: 'Object Lock is enabled without a default retention: new objects are not locked',
      fix: '',
      lockedDeletions: [],
    };
  }
  const lockWords = `Object Lock ${retention.mode} keeps every new object version for ${retention.days} day${retention.days === 1 ? '' : 's'}`;
  if (policy === undefined) {
    return {
      status: 'ok',
      detail: `${lockWords}; the cluster has no retention policy, so walcat deletes nothing`,
      fix: '',
      lockedDeletions: [],
    };
  }
  const lockedDeletions = currentDeletions(input).filter(
    (deletion) => deletion.finishedAt.getTime() + retention.days * DAY_MS > input.now.getTime(),
  );
  const freed =
    input.noncurrentExpirationDays === undefined
      ? 'and no NoncurrentVersionExpiration rule reaches the cluster, so those bytes are never freed'
      : `and a NoncurrentVersionExpiration rule removes them ${input.noncurrentExpirationDays} day(s) after that`;
  const now =
    lockedDeletions.length === 0
      ? 'the current plan deletes no backup that is still locked'
      : `the current plan deletes ${lockedDeletions.length} backup(s) still locked (${lockedDeletions.map((d) => d.name).join(', ')})`;
  return {
    status: 'warn',
    detail: `${lockWords}: retention's deletions of backups younger than that only add delete markers; the locked versions stay billed until their lock ends ${freed}; ${now}`,
    fix:
      input.noncurrentExpirationDays === undefined
        ? 'add a lifecycle rule with NoncurrentVersionExpiration (e.g. NoncurrentDays: 1) on the cluster prefix, or shorten the default retention below the youngest backup retention deletes'
        : 'nothing to change if the lock is on purpose; a default retention shorter than the youngest backup retention deletes frees bytes sooner',
    lockedDeletions: lockedDeletions.map((deletion) => deletion.name),
  };
}

function currentDeletions(input: Parameters<typeof reviewObjectLock>[0]): { name: string; finishedAt: Date }[] {
  const { policy } = input;
  if (policy === undefined || !input.backups.some(isCompleteBackup)) return [];
  try {
    const plan = planRetention({
      cluster: input.cluster,
      backups: input.backups,
      wal: [],
      policy,
      walSegmentSize: input.walSegmentSize,
      now: input.now,
      planId: 'object-lock-check',
    });
    const byName = new Map(input.backups.filter(isCompleteBackup).map((record) => [record.name, record]));
    return plan.delete.backups.flatMap((deleted) => {
      const record = byName.get(deleted.name);
      return record ? [{ name: deleted.name, finishedAt: backupFinishedAt(record) }] : [];
    });
  } catch (error) {
    if (error instanceof UnsafePlanError) return [];
    throw error;
  }
}
