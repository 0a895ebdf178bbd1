import { InvalidWalNameError } from '../domain/errors.ts';

/**
 * Names PostgreSQL archives and asks back: segments, `.partial` segments, `.backup` history files and timeline
 * `.history` files.
 */
const ARCHIVABLE_NAME = /^(?:[0-9A-F]{8}\.history|[0-9A-F]{24}(?:\.partial|\.[0-9A-F]{8}\.backup)?)$/;

/** Returns the name when PostgreSQL could archive a file of that name; throws naming it otherwise. */
export function checkArchivableName(name: string): string {
  if (!ARCHIVABLE_NAME.test(name)) {
    throw new InvalidWalNameError(
      `${JSON.stringify(name)} is not a WAL segment, .partial, .backup or .history file name; ` +
        'pass the %p (wal-push) or %f (wal-fetch) PostgreSQL gives',
    );
  }
  return name;
}
