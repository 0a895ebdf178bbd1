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
  const counts = new Map<bigint, { count: number; first: BackupRecord }>();
  for (const record of [...records].sort(compareBackupRecords)) {
    const id = record.status === 'complete' ? record.backup?.systemIdentifier : undefined;
    if (id === undefined) continue;
    const entry = counts.get(id);
    if (entry === undefined) counts.set(id, { count: 1, first: record });
    else entry.count++;
  }
  let best: { id: bigint; count: number } | undefined;
  // Map iteration follows insertion, i.e. the order of each identifier's oldest backup: ties keep the older one.
  for (const [id, { count }] of counts) if (best === undefined || count > best.count) best = { id, count };
  return best?.id;
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
