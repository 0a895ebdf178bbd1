import * as z from 'zod';
import { type BackupDocumentKind, parseBackupDocument } from './backup-document.ts';
import { plainJsonField, sizeField, timeField, uint64Field } from './json-fields.ts';

/**
 * WAL-G's `basebackups_005/<name>/metadata.json` (`ExtendedMetadataDto`). Authoritative for
 * permanence and user data, which `wal-g backup-mark` rewrites here only, and for start/finish time.
 */
export const walgMetadataSchema = z.object({
  start_time: timeField.nullish(),
  finish_time: timeField.nullish(),
  hostname: z.string().nullish(),
  data_dir: z.string().nullish(),
  pg_version: z.number().int().nonnegative().nullish(),
  start_lsn: uint64Field.nullish(),
  finish_lsn: uint64Field.nullish(),
  /** Always written by WAL-G (not omitempty); required because walcat's retention trusts it. */
  is_permanent: z.boolean({ error: 'expected true or false (WAL-G always writes is_permanent)' }),
  system_identifier: uint64Field.nullish(),
  uncompressed_size: sizeField.nullish(),
  compressed_size: sizeField.nullish(),
  user_data: plainJsonField,
});

export type WalgMetadataDto = z.output<typeof walgMetadataSchema>;

export const WALG_METADATA: BackupDocumentKind = {
  what: 'WAL-G metadata.json',
  fix: "walcat cannot trust this backup's permanence and leaves it out of the catalog; rewrite it with `wal-g backup-mark` (or remove it to fall back to the sentinel)",
};

/**
 * Reads a WAL-G metadata.json document.
 *
 * @example parseWalgMetadata('orders/basebackups_005/base_.../metadata.json', text).is_permanent // true
 * @throws InvalidBackupMetadataError naming the key and the field.
 */
export function parseWalgMetadata(key: string, text: string): WalgMetadataDto {
  return parseBackupDocument(WALG_METADATA, key, text, walgMetadataSchema);
}
