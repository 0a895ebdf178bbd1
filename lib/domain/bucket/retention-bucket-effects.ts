/**
 * What a retention plan's deletions really do in the bucket, next to what the plan says: on a versioned bucket apply
 * deletes every version of a doomed object by version id, unless the policy says `versionedDeletes: markers`; then a
 * delete only adds a delete marker (the bytes stay billed until a NoncurrentVersionExpiration rule removes the
 * version). An object under Object Lock retention or legal hold cannot be deleted before its date,
 * and the bucket's own lifecycle expirations delete backups of their own.
 */
import type { BackupRecord } from '../catalog/catalog-records.ts';
import { backupFinishedAt, isCompleteBackup } from '../continuity/pitr-chain-base.ts';
import { noncurrentExpirationDays } from './bucket-checks.ts';
import type { LifecycleRule, ObjectRetention, VersioningState } from './bucket-configuration.ts';
import { clusterReach, reachesBackup } from './lifecycle-reach.ts';
import { ruleName } from './lifecycle-review.ts';

const DAY_MS = 86_400_000;

/** The part of a retention plan this looks at. */
export interface PlannedDeletions {
  readonly keep: readonly { readonly name: string }[];
  readonly delete: { readonly backups: readonly { readonly name: string; readonly bytes: number }[] };
  readonly bytesFreed: number;
}

/** A backup the plan deletes that its lock keeps: not deletable until `retainUntil` (never, under a legal hold). */
export interface LockedDeletion {
  readonly backup: string;
  readonly retainUntil?: Date;
  readonly mode?: 'GOVERNANCE' | 'COMPLIANCE';
  readonly legalHold: boolean;
  readonly bytes: number;
}

/** What one lifecycle expiration rule deletes of the cluster's backups by now. */
export interface LifecycleDeletion {
  readonly rule: string;
  readonly backups: readonly string[];
  /** Those of `backups` walcat's retention keeps. */
  readonly keptByRetention: readonly string[];
  /** The rule expires WAL too (older than its age). */
  readonly expiresWal: boolean;
  readonly words: string;
}

export interface RetentionBucketEffects {
  readonly versioning: VersioningState;
  /**
   * `objects`: a delete removes the bytes; `versions`: every version of a doomed object is deleted by version id
   * (versioned bucket), so its bytes go too; `delete-markers`: deletes only hide the objects (versioned bucket).
   */
  readonly deletes: 'objects' | 'versions' | 'delete-markers';
  /**
   * Bytes a delete removes from the bill now: the plan's current bytes (not what a lock keeps), 0 when deletes only
   * add markers. With `versions` the noncurrent versions of the doomed objects go as well, on top of this.
   */
  readonly bytesFreed: number;
  /** On a versioned bucket: bytes a NoncurrentVersionExpiration rule frees `afterDays` after the delete. */
  readonly bytesFreedLater?: { readonly bytes: number; readonly afterDays: number };
  readonly locked: readonly LockedDeletion[];
  readonly lifecycle: readonly LifecycleDeletion[];
  /** One line each, for people reading the plan. */
  readonly notes: readonly string[];
}

export interface RetentionBucketEffectsInput {
  readonly plan: PlannedDeletions;
  readonly backups: readonly BackupRecord[];
  /** The cluster's root (`orders-main/`). */
  readonly root: string;
  readonly versioning: VersioningState;
  readonly rules: readonly LifecycleRule[];
  /** The lock of each deleted backup's sentinel, by backup name (absent: not read, or not locked). */
  readonly locks: ReadonlyMap<string, ObjectRetention>;
  /** The policy's choice for versioned buckets (absent: `versions`). */
  readonly versionedDeletes?: 'versions' | 'markers';
  readonly now: Date;
}

const isLocked = (lock: ObjectRetention | undefined, now: Date): lock is ObjectRetention =>
  lock !== undefined && (lock.legalHold || (lock.retainUntil !== undefined && lock.retainUntil > now));

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The plan's deletions as the bucket will carry them out.
 *
 * @example retentionBucketEffects({ plan, backups, root: 'orders-main/', versioning: 'enabled', rules: [], locks, now }).deletes // 'delete-markers'
 */
export function retentionBucketEffects(input: RetentionBucketEffectsInput): RetentionBucketEffects {
  const { plan, now } = input;
  const locked: LockedDeletion[] = plan.delete.backups.flatMap((deleted) => {
    const lock = input.locks.get(deleted.name);
    if (!isLocked(lock, now)) return [];
    return [
      {
        backup: deleted.name,
        ...(lock.retainUntil && lock.retainUntil > now ? { retainUntil: lock.retainUntil } : {}),
        ...(lock.mode ? { mode: lock.mode } : {}),
        legalHold: lock.legalHold,
        bytes: deleted.bytes,
      },
    ];
  });
  const lockedBytes = locked.reduce((sum, lock) => sum + lock.bytes, 0);
  const deletable = Math.max(0, plan.bytesFreed - lockedBytes);
  const versioned = input.versioning !== 'unversioned';
  const byVersion = versioned && input.versionedDeletes !== 'markers';
  const markersOnly = versioned && !byVersion;
  const afterDays = noncurrentExpirationDays(input.rules, input.root);
  const notes: string[] = [];
  for (const lock of locked) {
    notes.push(
      lock.legalHold
        ? `backup ${lock.backup} is under an Object Lock legal hold: not deletable until the hold is removed`
        : `backup ${lock.backup} is locked (${lock.mode ?? 'Object Lock'}) until ${lock.retainUntil?.toISOString()}: not deletable before then`,
    );
  }
  if (byVersion) {
    notes.push(
      'the bucket is versioned: apply deletes every version of each doomed object (current and noncurrent) by version id, so the bytes leave the bill at once and cannot be restored; set retention.versionedDeletes: markers to only add delete markers instead',
    );
  }
  if (markersOnly) {
    notes.push(
      afterDays === undefined
        ? `the bucket is versioned: deleting adds delete markers and frees no bytes; add a NoncurrentVersionExpiration rule on ${input.root || 'the bucket'} to free them`
        : `the bucket is versioned: deleting adds delete markers; the NoncurrentVersionExpiration rule frees the bytes ${plural(afterDays, 'day')} later`,
    );
  }
  const kept = new Set(plan.keep.map((backup) => backup.name));
  const lifecycle = input.rules.flatMap((rule, index) =>
    lifecycleDeletion(rule, index, input.root, input.backups, kept, now),
  );
  for (const deletion of lifecycle) notes.push(deletion.words);
  return {
    versioning: input.versioning,
    deletes: byVersion ? 'versions' : markersOnly ? 'delete-markers' : 'objects',
    bytesFreed: markersOnly ? 0 : deletable,
    ...(markersOnly && afterDays !== undefined ? { bytesFreedLater: { bytes: deletable, afterDays } } : {}),
    locked,
    lifecycle,
    notes,
  };
}

function lifecycleDeletion(
  rule: LifecycleRule,
  index: number,
  root: string,
  backups: readonly BackupRecord[],
  kept: ReadonlySet<string>,
  now: Date,
): LifecycleDeletion[] {
  const expiration = rule.expiration;
  if (!rule.enabled || expiration === undefined) return [];
  const reach = clusterReach(rule.filter, root);
  const due = (finishedAt: Date): boolean =>
    'days' in expiration
      ? finishedAt.getTime() + expiration.days * DAY_MS <= now.getTime()
      : expiration.date.getTime() <= now.getTime();
  const reached = backups
    .filter(isCompleteBackup)
    .filter((record) => reachesBackup(reach.backups, record.name) && due(backupFinishedAt(record)))
    .map((record) => record.name);
  const expiresWal = reach.wal.kind !== 'none';
  if (reached.length === 0 && !expiresWal) return [];
  const keptByRetention = reached.filter((name) => kept.has(name));
  const age =
    'days' in expiration ? `after ${plural(expiration.days, 'day')}` : `from ${expiration.date.toISOString()}`;
  const name = ruleName(rule, index);
  const words = [
    `lifecycle rule \`${name}\` expires objects ${age}:`,
    reached.length === 0
      ? 'no backup yet'
      : `${plural(reached.length, 'backup')} by now${keptByRetention.length > 0 ? ` (${keptByRetention.length} of them kept by retention)` : ''}`,
    expiresWal ? 'and WAL' : '',
  ]
    .filter((part) => part !== '')
    .join(' ');
  return [{ rule: name, backups: reached, keptByRetention, expiresWal, words }];
}
