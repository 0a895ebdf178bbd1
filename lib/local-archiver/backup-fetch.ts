import { mkdir, readdir } from 'node:fs/promises';
import {
  BACKUP_LABEL_TAR,
  BASEBACKUPS_FOLDER,
  PG_CONTROL_TAR,
  SENTINEL_SUFFIX,
  TAR_PART_PREFIX,
  TAR_PARTITIONS_FOLDER,
  TAR_SUFFIX,
} from '../domain/layout/wal-g-layout.ts';
import { NotInArchiveError, UsageError } from './archive-errors.ts';
import type { ArchiveStore } from './archive-store.ts';
import { resolveBackupName } from './backup-catalog.ts';
import { decompressStream } from './compression.ts';
import { extractTar } from './tar-extract.ts';

interface TarObject {
  readonly key: string;
  readonly extension: string;
  /** Extraction order: data parts by number, then backup_label, then pg_control last (as WAL-G restores). */
  readonly order: number;
}

function classifyTar(key: string, folder: string): TarObject | undefined {
  const file = key.slice(folder.length);
  const tarAt = file.indexOf(TAR_SUFFIX);
  if (tarAt < 0 || file.includes('/')) return undefined;
  const stem = file.slice(0, tarAt + TAR_SUFFIX.length);
  const extension = file.slice(tarAt + TAR_SUFFIX.length);
  const part = new RegExp(`^${TAR_PART_PREFIX}(\\d{3,})\\${TAR_SUFFIX}$`).exec(stem);
  if (part?.[1]) return { key, extension, order: Number(part[1]) };
  if (stem === BACKUP_LABEL_TAR) return { key, extension, order: Number.MAX_SAFE_INTEGER - 1 };
  if (stem === PG_CONTROL_TAR) return { key, extension, order: Number.MAX_SAFE_INTEGER };
  return undefined;
}

/**
 * `backup-fetch <pgdata> <name|LATEST>`: restores a completed backup into an empty or new directory (mode 0700).
 * Afterwards the caller adds recovery.signal and a restore_command, as with WAL-G.
 */
export async function backupFetch(destination: string, nameOrLatest: string, store: ArchiveStore): Promise<string> {
  const name = await resolveBackupName(store, nameOrLatest);
  if (!(await store.get(`${BASEBACKUPS_FOLDER}${name}${SENTINEL_SUFFIX}`))) {
    throw new NotInArchiveError(
      `backup ${name} has no sentinel ${store.describe(`${BASEBACKUPS_FOLDER}${name}${SENTINEL_SUFFIX}`)}: ` +
        'it is missing, still running or failed; pick one from backup-list',
    );
  }
  const existing = await readdir(destination).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  if (existing.length > 0) {
    throw new UsageError(`${destination} is not empty; backup-fetch restores only into an empty or new directory`);
  }
  await mkdir(destination, { recursive: true, mode: 0o700 });
  const folder = `${BASEBACKUPS_FOLDER}${name}/${TAR_PARTITIONS_FOLDER}`;
  const tars = (await store.list(folder))
    .map((object) => classifyTar(object.key, folder))
    .filter((tar): tar is TarObject => tar !== undefined)
    .sort((a, b) => a.order - b.order);
  if (!tars.some((tar) => tar.order < Number.MAX_SAFE_INTEGER - 1)) {
    throw new NotInArchiveError(`backup ${name} has no data tars under ${store.describe(folder)}`);
  }
  for (const tar of tars) {
    const body = await store.getStream(tar.key);
    if (!body) throw new NotInArchiveError(`${store.describe(tar.key)} vanished while restoring ${name}`);
    await extractTar(await decompressStream(body, tar.extension), destination);
  }
  return name;
}
