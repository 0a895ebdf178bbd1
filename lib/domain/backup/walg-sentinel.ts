import * as z from 'zod';
import { type BackupDocumentKind, parseBackupDocument } from './backup-document.ts';
import { plainJsonField, sizeField, timeField, uint64Field } from './json-fields.ts';

/**
 * WAL-G's `<name>_backup_stop_sentinel.json` (`BackupSentinelDto` + `BackupSentinelDtoV2`, flat). V1 sentinels lack
 * `Version` and the V2 fields (times, host, data dir, permanence); sentinels written before WAL-G v1.1.1 name the
 * parent's LSN `DeltaFromLSN` and carry `Files`/`TarFileSets`, which are not read here.
 * Every field is optional on the wire; what a backup needs is enforced where the sentinel is mapped
 * (`readBaseBackup`), so that metadata.json can fill in for an old sentinel.
 */
export const walgSentinelSchema = z.object({
  /** Backup start LSN, a plain integer (WAL-G's LSN type has no text marshaller). */
  LSN: uint64Field.nullish(),
  /** Start LSN of the parent of a delta. */
  DeltaLSN: uint64Field.nullish(),
  /** The same, as written before WAL-G v1.1.1. */
  DeltaFromLSN: uint64Field.nullish(),
  /** Immediate parent of a delta; its presence is what makes a backup a delta for WAL-G. */
  DeltaFrom: z.string().nullish(),
  /** Full backup at the root of the delta chain. */
  DeltaFullName: z.string().nullish(),
  DeltaCount: z.number().int().nonnegative().nullish(),
  /** server_version_num, e.g. 150010. */
  PgVersion: z.number().int().nonnegative().nullish(),
  FinishLSN: uint64Field.nullish(),
  /** Exceeds 2^53: parsed losslessly into bigint. */
  SystemIdentifier: uint64Field.nullish(),
  UncompressedSize: sizeField.nullish(),
  CompressedSize: sizeField.nullish(),
  DataCatalogSize: sizeField.nullish(),
  UserData: plainJsonField,
  FilesMetadataDisabled: z.boolean().nullish(),
  /** 2 for V2 sentinels. */
  Version: z.number().int().nullish(),
  StartTime: timeField.nullish(),
  FinishTime: timeField.nullish(),
  Hostname: z.string().nullish(),
  DataDir: z.string().nullish(),
  /** Permanence at push time only: `wal-g backup-mark` rewrites metadata.json, not the sentinel. */
  IsPermanent: z.boolean().nullish(),
});

export type WalgSentinelDto = z.output<typeof walgSentinelSchema>;

export const WALG_SENTINEL: BackupDocumentKind = {
  what: 'WAL-G sentinel',
  fix: 'walcat cannot tell what this backup restores and leaves it out of the catalog; check the object against `wal-g backup-list --detail` and re-run the backup if it was damaged',
};

/**
 * Reads a WAL-G sentinel document.
 *
 * @example parseWalgSentinel('orders/basebackups_005/base_..._backup_stop_sentinel.json', text).SystemIdentifier
 *   // 7321456789012345678n
 * @throws InvalidBackupMetadataError naming the key and the field.
 */
export function parseWalgSentinel(key: string, text: string): WalgSentinelDto {
  return parseBackupDocument(WALG_SENTINEL, key, text, walgSentinelSchema);
}
