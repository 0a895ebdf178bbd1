import * as z from 'zod';
import { type BackupDocumentKind, parseBackupDocument } from './backup-document.ts';
import { sizeField } from './json-fields.ts';

/**
 * WAL-E's `<name>_backup_stop_sentinel.json`: only the stop position and the expanded size;
 * the start segment and offset come from the name `base_<24hex>_<8 decimal digits>`.
 */
export const waleSentinelSchema = z.object({
  /** 24-hex WAL file name of the stop position. */
  wal_segment_backup_stop: z
    .string({ error: 'expected the 24-hex WAL file name of the backup stop' })
    .regex(/^[0-9A-F]{24}$/, { error: 'expected 24 upper-case hex digits' }),
  /** Offset inside that segment: 8 DECIMAL digits, zero-padded (WAL-E pads `file_offset::text`). */
  wal_segment_offset_backup_stop: z
    .string({ error: 'expected the stop offset as a string of decimal digits' })
    .regex(/^\d{1,10}$/, { error: 'expected decimal digits (WAL-E writes the offset in decimal)' }),
  /** Sum of the sizes of the tar members. */
  expanded_size_bytes: sizeField.nullish(),
});

export type WaleSentinelDto = z.output<typeof waleSentinelSchema>;

export const WALE_SENTINEL: BackupDocumentKind = {
  what: 'WAL-E sentinel',
  fix: 'walcat cannot tell where this backup ends and leaves it out of the catalog; check it with `wal-e backup-list --detail` and re-run the backup if it was damaged',
};

/**
 * Reads a WAL-E sentinel document.
 *
 * @example parseWaleSentinel(key, text).wal_segment_backup_stop // '000000010000000000000003'
 * @throws InvalidBackupMetadataError naming the key and the field.
 */
export function parseWaleSentinel(key: string, text: string): WaleSentinelDto {
  return parseBackupDocument(WALE_SENTINEL, key, text, waleSentinelSchema);
}
