import { InvalidInputError } from '../domain/errors.ts';
import { type Lsn, parseLsn } from '../domain/wal/lsn.ts';

/** What `backup_label` says about where a base backup starts. */
export interface BackupLabel {
  readonly startLsn: Lsn;
  /** The WAL file holding the start LSN, e.g. `000000010000000000000002`; the backup is named `base_<this>`. */
  readonly startWalFile: string;
  readonly timeline: number;
  /** `START TIME` as PostgreSQL wrote it (`2026-11-21 10:30:00 UTC`). */
  readonly startTimeText: string;
}

/**
 * Parses the backup_label PostgreSQL puts at the top of a base backup:
 * `START WAL LOCATION: 0/2000028 (file 000000010000000000000002)`, `START TIME: ...`, `START TIMELINE: 1`.
 */
export function parseBackupLabel(text: string): BackupLabel {
  const start = /^START WAL LOCATION: ([0-9A-Fa-f]+\/[0-9A-Fa-f]+) \(file ([0-9A-F]{24})\)$/m.exec(text);
  const timeline = /^START TIMELINE: (\d+)$/m.exec(text);
  const startTime = /^START TIME: (.+)$/m.exec(text);
  if (!start?.[1] || !start[2] || !timeline?.[1]) {
    throw new InvalidInputError(
      `backup_label lacks START WAL LOCATION or START TIMELINE: ${JSON.stringify(text.slice(0, 300))}`,
    );
  }
  return {
    startLsn: parseLsn(start[1]),
    startWalFile: start[2],
    timeline: Number(timeline[1]),
    startTimeText: startTime?.[1] ?? '',
  };
}

/**
 * The backup's stop LSN: `End-LSN` of the last `WAL-Ranges` entry of pg_basebackup's backup_manifest, the WAL a
 * restore must replay to become consistent.
 */
export function finishLsnFromManifest(manifestText: string): Lsn {
  const manifest = JSON.parse(manifestText) as { 'WAL-Ranges'?: { 'End-LSN'?: string }[] };
  const ranges = manifest['WAL-Ranges'] ?? [];
  const end = ranges[ranges.length - 1]?.['End-LSN'];
  if (!end)
    throw new InvalidInputError('backup_manifest has no WAL-Ranges End-LSN; was it written by PostgreSQL >= 13?');
  return parseLsn(end);
}
