import type { BaseBackup } from '../backup/base-backup.ts';
import type { BackupRecord } from '../catalog/catalog-records.ts';
import type { RetentionPolicy } from '../cluster.ts';

/** A catalogued backup whose sentinel exists and parsed: the only kind that can be restored. */
export type CompleteBackupRecord = BackupRecord & { readonly status: 'complete'; readonly backup: BaseBackup };

/** True for a backup record that is complete and carries its parsed sentinel. */
export function isCompleteBackup(record: BackupRecord): record is CompleteBackupRecord {
  return record.status === 'complete' && record.backup !== undefined;
}

/**
 * When a backup became restorable, for ordering backups: its finish time from the sentinel / metadata.json, else its
 * start time, else when the catalog first saw it. Never S3 LastModified (tier transitions rewrite it).
 */
export function backupFinishedAt(record: CompleteBackupRecord): Date {
  return record.backup.finishTime ?? record.backup.startTime ?? record.firstSeenAt;
}

/** Finish time, then name: the order of {@link pitrChainBase}, with each record's finish time read once. */
function byFinishThenName(aAt: number, aName: string, bAt: number, bName: string): number {
  return aAt - bAt || (aName < bName ? -1 : aName > bName ? 1 : 0);
}

/**
 * The base of the point-in-time chain: the backup from whose start every WAL segment up to the newest archived one
 * must exist. A segment missing after it is a real loss; one missing before it is not a gap.
 *
 * Why this backup: retention (walcat's own, and WAL-G's `delete garbage`) keeps all WAL only for the PITR window.
 * Older backups are kept as long-term tiers (daily, weekly, monthly, yearly) or as permanent backups with just the
 * WAL that makes them consistent, so the WAL between them is removed on purpose. The window starts at
 * `now - pitrWindow`; the backup that lets a restore reach that instant is the newest complete, non-permanent backup
 * that finished at or before it. Everything older is a tier backup outside the window, whose thinned WAL must not
 * raise alarms.
 *
 * - When every complete non-permanent backup finished inside the window (a young cluster, or a window longer than
 *   the history), the oldest of them is the base: nothing is thinned after it yet.
 * - Permanent backups are never the base while a non-permanent one exists (WAL-G's `delete garbage` keeps WAL only
 *   from the oldest non-permanent backup on). When only permanent backups exist, the newest of them is the base, so
 *   a broken archiver after it is still noticed without alarming on WAL thinned between the permanent ones.
 * - No complete backup: `undefined` (nothing is restorable; that is its own alert).
 * - No retention policy (walcat deletes nothing of the cluster): the oldest complete non-permanent backup, as
 *   WAL-G's own `delete` keeps every segment from the oldest backup it keeps on.
 *
 * Backups are ordered by finish time (sentinel / metadata.json), ties by name.
 *
 * @example
 * // pitrWindow 7d, now 2026-11-21: weekly backup 2026-11-07, dailies 2026-11-13 .. 2026-11-20
 * pitrChainBase(backups, policy, new Date('2026-11-21T00:00:00Z'))?.name // the 2026-11-13 daily (covers 11-14)
 */
export function pitrChainBase(
  backups: readonly BackupRecord[],
  policy: RetentionPolicy | undefined,
  now: Date,
): BackupRecord | undefined {
  // One pass instead of a sort (retention asks this of tens of thousands of backups). Among records equal in finish
  // time and name, the earliest / latest given wins, as a stable sort's first / last would.
  const windowStart = policy === undefined ? undefined : now.getTime() - policy.pitrWindowMs;
  let newestComplete: CompleteBackupRecord | undefined;
  let newestCompleteAt = 0;
  let oldestCandidate: CompleteBackupRecord | undefined;
  let oldestCandidateAt = 0;
  let newestCoveringWindowStart: CompleteBackupRecord | undefined;
  let newestCoveringWindowStartAt = 0;
  for (const record of backups) {
    if (!isCompleteBackup(record)) continue;
    const at = backupFinishedAt(record).getTime();
    const name = record.name;
    if (newestComplete === undefined || byFinishThenName(at, name, newestCompleteAt, newestComplete.name) >= 0) {
      newestComplete = record;
      newestCompleteAt = at;
    }
    if (record.backup.permanent) continue;
    if (oldestCandidate === undefined || byFinishThenName(at, name, oldestCandidateAt, oldestCandidate.name) < 0) {
      oldestCandidate = record;
      oldestCandidateAt = at;
    }
    if (
      windowStart !== undefined &&
      at <= windowStart &&
      (newestCoveringWindowStart === undefined ||
        byFinishThenName(at, name, newestCoveringWindowStartAt, newestCoveringWindowStart.name) >= 0)
    ) {
      newestCoveringWindowStart = record;
      newestCoveringWindowStartAt = at;
    }
  }
  if (oldestCandidate === undefined) return newestComplete;
  return newestCoveringWindowStart ?? oldestCandidate;
}
