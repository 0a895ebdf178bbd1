import { compareBackupRecords } from './backup-order.ts';
import type { BackupRecord } from './catalog-records.ts';

/** How the `problem` of a backup from another database system begins (`backups --json`, findings). */
export const FOREIGN_SYSTEM_PROBLEM = 'foreign-system';

/**
 * The system identifier of the cluster as its backups tell it: the one most complete backups carry; on a tie, the
 * one of the oldest backup (what was in the prefix first). Undefined when no complete backup states one.
 *
 * @example clusterSystemIdentifier(records) // 7321456789012345678n
 */
export function clusterSystemIdentifier(records: readonly BackupRecord[]): bigint | undefined {
  const idOf = (record: BackupRecord): bigint | undefined =>
    record.status === 'complete' ? record.backup?.systemIdentifier : undefined;
  const counts = new Map<bigint, number>();
  for (const record of records) {
    const id = idOf(record);
    if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  if (counts.size <= 1) return counts.keys().next().value;
  // Several identifiers: a tie goes to the one whose oldest backup is older, found in one pass rather than by sorting
  // every record (the order reads a pattern off both names at each comparison). Equal records: the first one given.
  const oldest = new Map<bigint, { record: BackupRecord; index: number }>();
  const older = (a: { record: BackupRecord; index: number }, b: { record: BackupRecord; index: number }): boolean =>
    (compareBackupRecords(a.record, b.record) || a.index - b.index) < 0;
  records.forEach((record, index) => {
    const id = idOf(record);
    if (id === undefined) return;
    const known = oldest.get(id);
    if (known === undefined || older({ record, index }, known)) oldest.set(id, { record, index });
  });
  let best: { id: bigint; count: number; oldest: { record: BackupRecord; index: number } } | undefined;
  for (const [id, count] of counts) {
    const first = oldest.get(id) as { record: BackupRecord; index: number };
    if (best === undefined || count > best.count || (count === best.count && older(first, best.oldest))) {
      best = { id, count, oldest: first };
    }
  }
  return best?.id;
}

/**
 * True when the complete backups state no system identifier or all the same one: then no backup is foreign, which
 * one pass of comparisons proves without counting identifiers in a map (the usual cluster, tens of thousands of
 * backups).
 */
function atMostOneSystemIdentifier(records: readonly BackupRecord[]): boolean {
  let only: bigint | undefined;
  for (const record of records) {
    const id = record.status === 'complete' ? record.backup?.systemIdentifier : undefined;
    if (id === undefined) continue;
    if (only === undefined) only = id;
    else if (id !== only) return false;
  }
  return true;
}

/**
 * The backup records with the checks that need the whole cluster applied: a complete backup whose system identifier
 * differs from the cluster's ({@link clusterSystemIdentifier}) was pushed by another database into this prefix. It
 * becomes `unreadable` with a problem starting `foreign-system`, so it is never a restore base, never the chain base,
 * never the newest backup and never counted by retention. Idempotent; other records are returned unchanged.
 *
 * @example backupsWithClusterChecks(records).filter((r) => r.status === 'complete') // the eligible backups
 */
export function backupsWithClusterChecks(records: readonly BackupRecord[]): BackupRecord[] {
  if (atMostOneSystemIdentifier(records)) return [...records];
  const clusterId = clusterSystemIdentifier(records);
  if (clusterId === undefined) return [...records];
  const sharing = records.filter(
    (record) => record.status === 'complete' && record.backup?.systemIdentifier === clusterId,
  ).length;
  return records.map((record) => {
    const id = record.status === 'complete' ? record.backup?.systemIdentifier : undefined;
    if (id === undefined || id === clusterId) return record;
    return {
      ...record,
      status: 'unreadable',
      problem: `${FOREIGN_SYSTEM_PROBLEM}: backup ${record.name} has system identifier ${id}, but the cluster's other backups (${sharing}) have ${clusterId}; another database pushed into this prefix. walcat never restores from it and retention never counts it; move it to that database's own prefix`,
    };
  });
}

/**
 * True when a backup can be a restore base and counts for retention: complete after the cluster-wide checks.
 * Retention and restore planning ask this, never the stored status alone.
 *
 * @example eligibleBackups(records).map((r) => r.name)
 */
export function eligibleBackups(records: readonly BackupRecord[]): BackupRecord[] {
  return backupsWithClusterChecks(records).filter((record) => record.status === 'complete');
}
