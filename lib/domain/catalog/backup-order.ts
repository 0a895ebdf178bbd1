import type { BackupRecord } from './catalog-records.ts';

// `base_<timeline><log id><segment>` (WAL-G, and WAL-E with its `_<offset>`): the log id and segment, in that order,
// sort as the start segment does, whatever the segment size.
const NAME_POSITION = /^base_[0-9A-F]{8}([0-9A-F]{16})(?:_|$)/;

function positionOf(record: BackupRecord): string | undefined {
  return NAME_POSITION.exec(record.name)?.[1];
}

function timeOf(record: BackupRecord): number | undefined {
  return (record.backup?.startTime ?? record.backup?.finishTime)?.getTime();
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Orders backups oldest first by what is known about them: the start segment (from the name, so backups without
 * readable metadata, WAL-E backups without times and WAL-G backups in one root order together), then the start LSN,
 * then the times inside their metadata (start time, else finish time), then the name; at each step a known value
 * comes before an unknown one. Never by S3 LastModified,
 * which storage-class transitions change, and an unknown time never sorts a backup last: in a root that moved from
 * WAL-E to WAL-G in place, the WAL-E backups (which carry no times) come before the WAL-G backups after them.
 *
 * @example records.sort(compareBackupRecords)
 */
export function compareBackupRecords(a: BackupRecord, b: BackupRecord): number {
  return (
    knownFirst(positionOf(a), positionOf(b), byText) ||
    knownFirst(a.backup?.startLsn, b.backup?.startLsn, (x, y) => (x < y ? -1 : x > y ? 1 : 0)) ||
    knownFirst(timeOf(a), timeOf(b), (x, y) => x - y) ||
    byText(a.name, b.name)
  );
}

/**
 * One key of the order: known values by `compare`, an unknown one after every known one. Used key by key, this is a
 * lexicographic order, hence total and transitive, whatever is missing. The name position comes first and is known
 * for every backup walcat can place, so a missing LSN or time only orders backups of the same start segment.
 */
function knownFirst<T>(a: T | undefined, b: T | undefined, compare: (a: T, b: T) => number): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  return compare(a, b);
}
