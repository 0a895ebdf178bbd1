import type { Compression } from './storage-object.ts';

/**
 * WAL-G's bucket layout (wal-g `utility/utility.go`, `internal/storage_tar_ball.go`, `pg/bundle.go`, `pg/backup.go`).
 * Keys are relative to the cluster's root (`WALG_S3_PREFIX`).
 */

/** Folder of base backups: sentinels sit directly in it, each backup's objects in `<name>/`. */
export const BASEBACKUPS_FOLDER = 'basebackups_005/';
/** Folder of WAL segments, `.partial`, `.backup`, `.history`, `_delta` and WAL metadata `.json`. */
export const WAL_FOLDER = 'wal_005/';
/** Folder of `wal-g catchup-push` backups; not catalogued by walcat. */
export const CATCHUP_FOLDER = 'catchup_005/';
/** Every backup name starts with this. */
export const BACKUP_NAME_PREFIX = 'base_';
/** Separates a delta backup's own start segment from its parent's: `base_<own>_D_<parent>`. */
export const DELTA_NAME_SEPARATOR = '_D_';
/** Suffix of the completion marker `basebackups_005/<name>_backup_stop_sentinel.json`, written last. */
export const SENTINEL_SUFFIX = '_backup_stop_sentinel.json';
/** Small "extended metadata" JSON inside the backup folder; authoritative for permanence and user data. */
export const METADATA_FILE_NAME = 'metadata.json';
/** Per-file JSON inside the backup folder (can exceed 1 GB; never downloaded routinely). */
export const FILES_METADATA_FILE_NAME = 'files_metadata.json';
/** Sub-folder of a backup holding its tar files. */
export const TAR_PARTITIONS_FOLDER = 'tar_partitions/';
/** Data tars: `part_<counter>.tar.<ext>`, the counter has 3 or more digits and starts at 001. */
export const TAR_PART_PREFIX = 'part_';
export const TAR_PART_MIN_DIGITS = 3;
export const TAR_SUFFIX = '.tar';
/** `global/pg_control`, uploaded after all data tars. */
export const PG_CONTROL_TAR = 'pg_control.tar';
/** `backup_label` and `tablespace_map` (PostgreSQL >= 9.6). */
export const BACKUP_LABEL_TAR = 'backup_label.tar';
/** Suffix of a WAL delta file `<24hex>_delta.<ext>` (`WALG_USE_WAL_DELTA`). */
export const WAL_DELTA_SUFFIX = '_delta';
/** Suffix of WAL metadata `<24hex>.json` / `<23hex>.json` (`WALG_UPLOAD_WAL_METADATA`). */
export const WAL_METADATA_SUFFIX = '.json';
export const PARTIAL_SUFFIX = '.partial';
export const BACKUP_HISTORY_SUFFIX = '.backup';
export const HISTORY_SUFFIX = '.history';

/**
 * Compression extensions WAL-G writes or reads (`internal/compression/*`). Encryption adds no suffix. A missing
 * extension is compression `none` (WAL-G >= 3.0.9); a bare trailing dot is `none` written by earlier versions.
 */
export const COMPRESSION_EXTENSIONS: readonly (readonly [extension: string, compression: Compression])[] = [
  // In order of how common they are in real buckets (lz4 is WAL-G's default); classification tries them in order.
  ['.lz4', 'lz4'],
  ['.br', 'brotli'],
  ['.zst', 'zstd'],
  ['.lzma', 'lzma'],
  ['.gz', 'gzip'],
  ['.lzo', 'lzo'],
];

export const COMPRESSION_BY_EXTENSION: ReadonlyMap<string, Compression> = new Map(COMPRESSION_EXTENSIONS);

/** The extension of each compression, `''` for none and `.` for the pre-3.0.9 trailing dot. */
export const EXTENSION_OF_COMPRESSION: Readonly<Record<Compression, string>> = {
  lz4: '.lz4',
  lzma: '.lzma',
  zstd: '.zst',
  brotli: '.br',
  gzip: '.gz',
  lzo: '.lzo',
  none: '',
  'none-trailing-dot': '.',
};

/** For messages: the known extensions, e.g. `.lz4, .lzma, ...`. */
export const KNOWN_EXTENSIONS_TEXT = `${[...COMPRESSION_BY_EXTENSION.keys()].join(', ')}, none or a trailing dot`;
