import { rename, writeFile } from 'node:fs/promises';
import { WAL_FOLDER } from '../domain/layout/wal-g-layout.ts';
import { NotInArchiveError } from './archive-errors.ts';
import type { ArchiveStore } from './archive-store.ts';
import { decompress, READ_EXTENSIONS, WRITE_EXTENSION } from './compression.ts';
import { checkArchivableName } from './wal-file-name.ts';

/**
 * `wal-fetch <name> <destination>` as restore_command runs it. Tries `<name>.br` first (one request for what this
 * archiver wrote), then every other suffix WAL-G writes, found with one listing. The file appears at the
 * destination atomically (written beside it, then renamed), so PostgreSQL never reads half a segment.
 *
 * @throws NotInArchiveError when no object exists under any suffix (PostgreSQL expects that at the archive's end
 *   and when probing for timeline history files).
 */
export async function walFetch(walName: string, destination: string, store: ArchiveStore): Promise<string> {
  const name = checkArchivableName(walName);
  const base = `${WAL_FOLDER}${name}`;
  let found: { key: string; extension: string; body: Buffer } | undefined;
  const preferred = await store.get(base + WRITE_EXTENSION);
  if (preferred) {
    found = { key: base + WRITE_EXTENSION, extension: WRITE_EXTENSION, body: preferred };
  } else {
    const present = new Set((await store.list(base)).map((object) => object.key));
    for (const extension of READ_EXTENSIONS) {
      if (extension === WRITE_EXTENSION || !present.has(base + extension)) continue;
      const body = await store.get(base + extension);
      if (body) {
        found = { key: base + extension, extension, body };
        break;
      }
    }
  }
  if (!found) {
    throw new NotInArchiveError(`${name} is not in the archive (${store.describe(`${base}.*`)})`);
  }
  const content = await decompress(found.body, found.extension);
  const partial = `${destination}.wal-g-local.tmp`;
  await writeFile(partial, content);
  await rename(partial, destination);
  return found.key;
}
