import { UnsafePlanError } from '../errors.ts';

/** Every keep count is zero and there is no PITR window: such a policy would keep only the newest backup. */
export class EmptyRetentionPolicyError extends UnsafePlanError {
  override readonly name: string = 'EmptyRetentionPolicyError';
}

/** The cluster has no complete backup, or the plan would delete every complete backup it has. */
export class WouldDeleteAllBackupsError extends UnsafePlanError {
  override readonly name: string = 'WouldDeleteAllBackupsError';
}

/** The plan would delete a backup marked permanent (`wal-g backup-mark`, `--permanent`). */
export class PermanentBackupDeletionError extends UnsafePlanError {
  override readonly name: string = 'PermanentBackupDeletionError';
}

/** The plan would delete a backup or WAL object that a kept backup or the PITR window needs. */
export class NeededObjectDeletionError extends UnsafePlanError {
  override readonly name: string = 'NeededObjectDeletionError';
}

/** The catalog was not fully synced after the plan was made: a missed S3 event could turn into a deletion. */
export class StaleCatalogError extends UnsafePlanError {
  override readonly name: string = 'StaleCatalogError';
}

/** The cluster has no `retention:` block: walcat deletes nothing of it, and makes or applies no plan. */
export class NoRetentionPolicyError extends UnsafePlanError {
  override readonly name: string = 'NoRetentionPolicyError';
}

/** What `walcat retention plan` says about a cluster without a policy. */
export const NO_RETENTION_POLICY = 'no retention policy: walcat deletes nothing of this cluster';

/** This machine's clock disagrees with the storage service's by more than the bound: the window would be wrong. */
export class ClockSkewError extends UnsafePlanError {
  override readonly name: string = 'ClockSkewError';
}
