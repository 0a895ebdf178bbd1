import type { BackupRecord } from './catalog-records.ts';

/**
 * Orders backups oldest first by the times inside their metadata (start time, else finish time), never by S3
 * LastModified, which storage-class transitions change. Records without readable metadata (in progress, failed,
 * malformed) come after, by name, which for WAL-G starts with the backup's start segment.
 *
 * @example records.sort(compareBackupRecords)
 */
export function compareBackupRecords(a: BackupRecord, b: BackupRecord): number {
  const timeA = a.backup?.startTime ?? a.backup?.finishTime;
  const timeB = b.backup?.startTime ?? b.backup?.finishTime;
  if (timeA && timeB && timeA.getTime() !== timeB.getTime()) return timeA.getTime() - timeB.getTime();
  if (timeA && !timeB) return -1;
  if (!timeA && timeB) return 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
