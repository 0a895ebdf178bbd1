/**
 * Where the retention digest of each cluster's WAL is kept (lib/domain/retention/wal-digest.ts says what it holds).
 * The digest is derived data: everything in it can be rebuilt from the catalog, and a write that loses against a
 * concurrent writer loses nothing.
 */
import type { ClusterId } from '../domain/cluster.ts';
import type { BackupDigestChunk, BackupDigestHead } from '../domain/retention/backup-digest.ts';
import type { WalDigestChunk, WalDigestHead } from '../domain/retention/wal-digest.ts';

/** A chunk as stored, with the change stamp taken before the catalog read it came from. */
export interface StoredDigestChunk extends WalDigestChunk {
  readonly readAt: string;
}

/** The head as stored, with the version its next write is conditional on. */
export interface StoredDigestHead extends WalDigestHead {
  readonly version: number;
}

export interface StoredRetentionDigest {
  /** Absent when no digest was stored, or when the stored head is not one walcat can read (rebuilt then). */
  readonly head?: StoredDigestHead;
  readonly chunks: readonly StoredDigestChunk[];
  /** Stored chunks that could not be read as chunks, described (the digest is rebuilt then). */
  readonly unreadable: readonly string[];
}

export interface RetentionDigestStore {
  /** The cluster's digest: its head and every chunk. */
  read(cluster: ClusterId): Promise<StoredRetentionDigest>;
  /**
   * Writes each chunk unless the stored one came from a later read (its `readAt` is greater), so an update that
   * read the catalog earlier never overwrites a newer one. A chunk with no live segment is written too (it says
   * the stretch is empty). Returns how many were written.
   */
  writeChunks(cluster: ClusterId, chunks: readonly StoredDigestChunk[]): Promise<number>;
  /**
   * Writes the head. With `expectedVersion`, only if the stored head still has it, and false when another writer
   * moved it first (which leaves the older stamp in place: the next update then reads more, never less). Without,
   * always (a full build, which folded everything before its stamp into every chunk it wrote).
   */
  writeHead(cluster: ClusterId, head: WalDigestHead, expectedVersion?: number): Promise<boolean>;
}

/** A backup digest chunk as stored, with the change stamp taken before the catalog read it came from. */
export interface StoredBackupDigestChunk extends BackupDigestChunk {
  readonly readAt: string;
}

export interface StoredBackupDigestHead extends BackupDigestHead {
  readonly version: number;
}

export interface StoredBackupDigest {
  /** Absent when none was stored, or when the stored head is not one walcat can read (rebuilt then). */
  readonly head?: StoredBackupDigestHead;
  readonly chunks: readonly StoredBackupDigestChunk[];
  /** Stored chunks that could not be read as chunks, described (the digest is rebuilt then). */
  readonly unreadable: readonly string[];
}

/** What a write of backup digest chunks did. */
export interface BackupDigestChunkWrites {
  readonly written: number;
  /** Chunks too large for one item once encoded: split them and write the parts. */
  readonly tooLarge: readonly StoredBackupDigestChunk[];
}

/**
 * Where retention's digest of each cluster's backups is kept (lib/domain/retention/backup-digest.ts): derived data
 * like the WAL digest, with the same write rules.
 */
export interface RetentionBackupDigestStore {
  read(cluster: ClusterId): Promise<StoredBackupDigest>;
  /** Writes each chunk unless the stored one came from a later read (its `readAt` is greater). */
  writeChunks(cluster: ClusterId, chunks: readonly StoredBackupDigestChunk[]): Promise<BackupDigestChunkWrites>;
  /** Writes the head; with `expectedVersion` only if the stored head still has it (false when it moved). */
  writeHead(cluster: ClusterId, head: BackupDigestHead, expectedVersion?: number): Promise<boolean>;
}
