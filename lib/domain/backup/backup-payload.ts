import type { BackupPayloadObject } from '../catalog/catalog-records.ts';
import type { BaseBackup } from './base-backup.ts';

/** How the `problem` of a backup whose payload objects are missing begins (`backups --json`). */
export const MISSING_DATA_PROBLEM = 'missing-data';

/**
 * Below this share of the compressed size metadata.json (or the sentinel) states, the stored tar files cannot hold
 * the backup. Encryption and container overhead only add bytes, so a real backup is never below it.
 */
const MIN_STORED_SHARE = 0.9;

// WAL-E names carry the start offset (`base_<24 hex>_<8 digits>`); WAL-E uploads no separate pg_control tar.
const WALE_NAME = /_\d{8}$/;

function listed(parts: readonly string[]): string {
  const shown = parts.slice(0, 3).join(', ');
  return parts.length > 3 ? `${shown} and ${parts.length - 3} more` : shown;
}

/**
 * Why a backup whose sentinel is readable still cannot be restored from the objects in the bucket, or undefined.
 * WAL-G restores a backup from its tar partitions and (WAL-G) `pg_control.tar`; it is incomplete when any tar
 * partition was removed, none is present, `pg_control.tar` is missing, or the stored tar files add up to less than
 * the compressed size the backup's metadata states. Backups of WAL-G releases whose WAL range is unknown are not
 * held to pg_control or sizes (those releases wrote neither).
 *
 * @example payloadProblem(backup, record.payload) // 'missing-data: tar partition(s) tar_partitions/part_1.tar.lz4 ...'
 */
export function payloadProblem(
  backup: BaseBackup,
  payload: Readonly<Record<string, BackupPayloadObject>>,
): string | undefined {
  const entries = Object.entries(payload).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const fix =
    'walcat never restores from it and retention never deletes another backup on its account; run a new backup (walcat backup)';
  const removed = entries.filter(([, object]) => object.kind === 'tar-partition' && !object.present).map(([k]) => k);
  if (removed.length > 0) {
    return `${MISSING_DATA_PROBLEM}: tar partition(s) ${listed(removed)} of ${backup.name} were removed from the bucket; ${fix}`;
  }
  const parts = entries.filter(([, object]) => object.kind === 'tar-partition' && object.present);
  if (parts.length === 0) {
    return `${MISSING_DATA_PROBLEM}: no data tar partition (tar_partitions/part_*.tar) of ${backup.name} is in the bucket; ${fix}`;
  }
  if (backup.walRangeUnknown) return undefined;
  if (!WALE_NAME.test(backup.name) && !entries.some(([, object]) => object.kind === 'pg_control' && object.present)) {
    return `${MISSING_DATA_PROBLEM}: tar_partitions/pg_control.tar of ${backup.name} is not in the bucket (WAL-G restores pg_control from it); ${fix}`;
  }
  const stored = entries.reduce((sum, [, object]) => sum + (object.present ? object.size : 0), 0);
  const stated = backup.compressedSize;
  if (stated !== undefined && stated > 0 && stored < stated * MIN_STORED_SHARE) {
    return `${MISSING_DATA_PROBLEM}: the payload objects of ${backup.name} hold ${stored} bytes, but its metadata states a compressed size of ${stated} bytes; ${fix}`;
  }
  return undefined;
}
