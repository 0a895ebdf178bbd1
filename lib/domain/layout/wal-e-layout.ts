/**
 * WAL-E's bucket layout (wal-e `wal_e/storage/base.py`, `wal_e/worker/upload.py`). It shares the `basebackups_005/`
 * and `wal_005/` folders and the sentinel suffix with WAL-G (see `wal-g-layout.ts`); what differs is here.
 */

/**
 * Backup names are `base_<24hex>_<8 digits>`: the start segment and the start offset inside it, written as
 * zero-padded DECIMAL digits (`lpad(file_offset::text, 8, '0')`), not hex.
 */
export const WALE_OFFSET_SEPARATOR = '_';
export const WALE_OFFSET_DIGITS = 8;
/** Text of `SELECT version()`, written first into the backup folder. */
export const EXTENDED_VERSION_FILE_NAME = 'extended_version.txt';
/** Tar volumes: `tar_partitions/part_<8 decimal digits from 00000000>.tar.lzo`. */
export const WALE_TAR_PART_DIGITS = 8;
/** WAL-E compresses everything with lzop; GPG encryption keeps the name. */
export const WALE_EXTENSION = '.lzo';
