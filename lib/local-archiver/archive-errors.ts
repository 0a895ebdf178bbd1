import { InvalidInputError, WalcatError } from '../domain/errors.ts';

/**
 * The archive holds no such WAL file or backup: exit 1. For `wal-fetch` PostgreSQL reads that as "end of archive".
 */
export class NotInArchiveError extends WalcatError {
  override readonly name: string = 'NotInArchiveError';
}

/**
 * `wal-push` found a different file already archived under the same name (WAL-G's WALG_PREVENT_WAL_OVERWRITE
 * behaviour, always on here): refusing keeps a diverged server from overwriting history other restores depend on.
 */
export class ArchiveConflictError extends WalcatError {
  override readonly name: string = 'ArchiveConflictError';
}

/** A command-line mistake: exit 2 with the usage text. */
export class UsageError extends InvalidInputError {
  override readonly name: string = 'UsageError';
}
