import { stringify } from 'lossless-json';
import type { ArchiveStore } from './archive-store.ts';
import { listBackups } from './backup-catalog.ts';

/**
 * `backup-list [--json]`, for debugging: completed backups oldest first. `--json` prints WAL-G's
 * `backup-list --detail --json` shape (`backup_name`, `time`, `wal_file_name`, `storage_name` plus metadata.json).
 */
export async function backupList(store: ArchiveStore, json: boolean): Promise<string> {
  const backups = await listBackups(store);
  if (json) {
    const rows = backups.map((backup) => ({
      backup_name: backup.name,
      time: backup.sentinelModified?.toISOString() ?? '',
      wal_file_name: /[0-9A-F]{24}/.exec(backup.name)?.[0] ?? 'Z'.repeat(24),
      storage_name: 'default',
      ...backup.metadata,
    }));
    return `${stringify(rows) as string}\n`;
  }
  const header = ['name', 'start_time', 'finish_time', 'start_lsn', 'finish_lsn', 'permanent'];
  const lines = backups.map((backup) =>
    [
      backup.name,
      backup.startTime,
      String(backup.metadata.finish_time ?? ''),
      String(backup.metadata.start_lsn ?? ''),
      String(backup.metadata.finish_lsn ?? ''),
      String(backup.metadata.is_permanent ?? ''),
    ].join('\t'),
  );
  return `${[header.join('\t'), ...lines].join('\n')}\n`;
}
