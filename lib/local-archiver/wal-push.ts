import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { WAL_FOLDER } from '../domain/layout/wal-g-layout.ts';
import { ArchiveConflictError } from './archive-errors.ts';
import type { ArchiveStore } from './archive-store.ts';
import { compress, decompress, WRITE_EXTENSION } from './compression.ts';
import { checkArchivableName } from './wal-file-name.ts';

export type WalPushOutcome = 'uploaded' | 'already-archived';

/**
 * `wal-push <path>` as archive_command runs it: uploads `wal_005/<basename>.br`. Pushing the same file again
 * succeeds without writing (PostgreSQL retries after crashes); a different file under an existing name is refused,
 * for segments and `.history` files alike.
 */
export async function walPush(walPath: string, store: ArchiveStore): Promise<WalPushOutcome> {
  const name = checkArchivableName(basename(walPath));
  const key = `${WAL_FOLDER}${name}${WRITE_EXTENSION}`;
  const [content, existing] = await Promise.all([readFile(walPath), store.get(key)]);
  if (existing) {
    const archived = await decompress(existing, WRITE_EXTENSION);
    if (archived.equals(content)) return 'already-archived';
    throw new ArchiveConflictError(
      `${store.describe(key)} already holds a different ${name} (${archived.length} bytes, local ${content.length}); ` +
        'refusing to overwrite archived WAL: point this server at its own WALG_S3_PREFIX or remove the object by hand',
    );
  }
  await store.put(key, await compress(content));
  return 'uploaded';
}
