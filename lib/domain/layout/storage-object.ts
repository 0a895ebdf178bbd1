import type { TimelineId } from '../wal/timeline.ts';
import type { WalSegment } from '../wal/wal-segment.ts';

/**
 * Compression suffix of a WAL-G / WAL-E object. `none` is an object without suffix (WAL-G >= 3.0.9 with
 * compression `none`); `none-trailing-dot` is the pre-3.0.9 form `name.`.
 */
export type Compression = 'lz4' | 'lzma' | 'zstd' | 'brotli' | 'gzip' | 'lzo' | 'none' | 'none-trailing-dot';

export type BackupPayloadPart =
  | { readonly part: 'tar-partition'; readonly partNumber: number; readonly compression: Compression }
  | { readonly part: 'pg_control'; readonly compression: Compression }
  | { readonly part: 'backup_label'; readonly compression: Compression }
  | { readonly part: 'files_metadata' }
  | { readonly part: 'extended_version' };

/**
 * What one key under a cluster's storage root is. Keys are relative to the root (e.g. `wal_005/...`).
 * Every key classifies to exactly one of these; unknown shapes are `ignored` with the reason.
 */
export type StorageObject =
  | { readonly kind: 'backup-sentinel'; readonly backupName: string }
  | { readonly kind: 'backup-metadata'; readonly backupName: string }
  | ({ readonly kind: 'backup-payload'; readonly backupName: string } & BackupPayloadPart)
  | { readonly kind: 'wal-segment'; readonly segment: WalSegment; readonly compression: Compression }
  | { readonly kind: 'wal-partial'; readonly segment: WalSegment; readonly compression: Compression }
  | {
      readonly kind: 'wal-backup-history';
      readonly segment: WalSegment;
      /** Offset of the backup start inside the segment (the 8-hex part of `<24hex>.<8hex>.backup`). */
      readonly offset: number;
      readonly compression: Compression;
    }
  | { readonly kind: 'wal-history'; readonly timeline: TimelineId; readonly compression: Compression }
  | { readonly kind: 'wal-delta'; readonly segment: WalSegment; readonly compression: Compression }
  | {
      readonly kind: 'wal-metadata';
      readonly fileName: string;
      /** The segment described by a per-segment `<24hex>.json`; absent for the bulk form `<23hex>.json`. */
      readonly segment?: WalSegment;
    }
  | { readonly kind: 'ignored'; readonly reason: string };

export type StorageObjectKind = StorageObject['kind'];
