import { isLosslessNumber, parse } from 'lossless-json';
import { BASEBACKUPS_FOLDER, METADATA_FILE_NAME, SENTINEL_SUFFIX } from '../domain/layout/wal-g-layout.ts';
import { NotInArchiveError } from './archive-errors.ts';
import type { ArchiveStore } from './archive-store.ts';

/** A completed backup as `backup-list` and `backup-fetch LATEST` see it. */
export interface ListedBackup {
  readonly name: string;
  /** LastModified of the sentinel (what WAL-G's `backup-list` prints as `time`). */
  readonly sentinelModified?: Date;
  /** metadata.json (falling back to the sentinel) parsed losslessly: big integers stay exact. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** metadata.json `start_time` or the sentinel's `StartTime`. */
  readonly startTime: string;
}

function parseJsonObject(text: string): Record<string, unknown> {
  const value = parse(text, undefined, (number) => {
    const asNumber = Number(number);
    return Number.isSafeInteger(asNumber) || !Number.isInteger(asNumber) ? asNumber : BigInt(number);
  });
  return typeof value === 'object' && value !== null && !isLosslessNumber(value)
    ? (value as Record<string, unknown>)
    : {};
}

/**
 * Completed backups (those with a sentinel), oldest first by the start time inside their metadata, never by S3
 * LastModified (CONVENTIONS.md).
 */
export async function listBackups(store: ArchiveStore): Promise<ListedBackup[]> {
  const objects = await store.list(BASEBACKUPS_FOLDER);
  const sentinels = objects.filter(
    (object) => object.key.endsWith(SENTINEL_SUFFIX) && !object.key.slice(BASEBACKUPS_FOLDER.length).includes('/'),
  );
  const backups = await Promise.all(
    sentinels.map(async (sentinel): Promise<ListedBackup> => {
      const name = sentinel.key.slice(BASEBACKUPS_FOLDER.length, -SENTINEL_SUFFIX.length);
      const metadataText = await store.get(`${BASEBACKUPS_FOLDER}${name}/${METADATA_FILE_NAME}`);
      const sentinelText = metadataText ? undefined : await store.get(sentinel.key);
      const metadata = parseJsonObject((metadataText ?? sentinelText ?? Buffer.from('{}')).toString('utf8'));
      const startTime = String(metadata.start_time ?? metadata.StartTime ?? '');
      return {
        name,
        ...(sentinel.lastModified ? { sentinelModified: sentinel.lastModified } : {}),
        metadata,
        startTime,
      };
    }),
  );
  return backups.sort((a, b) => Date.parse(a.startTime) - Date.parse(b.startTime) || a.name.localeCompare(b.name));
}

/** `LATEST` is the backup with the newest start time in its metadata. */
export async function resolveBackupName(store: ArchiveStore, nameOrLatest: string): Promise<string> {
  if (nameOrLatest !== 'LATEST') return nameOrLatest;
  const backups = await listBackups(store);
  const latest = backups[backups.length - 1];
  if (!latest) {
    throw new NotInArchiveError(
      `no completed backup under ${store.describe(BASEBACKUPS_FOLDER)}; run backup-push first`,
    );
  }
  return latest.name;
}
