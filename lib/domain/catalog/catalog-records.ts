import type { BaseBackup } from '../backup/base-backup.ts';
import type { ClusterId } from '../cluster.ts';
import type { Compression } from '../layout/storage-object.ts';
import type { TimelineId } from '../wal/timeline.ts';
import type { SegmentNumber } from '../wal/wal-segment.ts';

/** The kinds of objects catalogued under `wal_005/`. */
export type WalObjectKind = 'segment' | 'partial' | 'backup-history' | 'history' | 'delta' | 'wal-metadata';

/**
 * One object under the cluster's WAL folder, as the catalog records it. One record per S3 key: a segment pushed
 * twice with different compressions is two records for the same (timeline, segNo).
 */
export interface WalObjectRecord {
  readonly cluster: ClusterId;
  readonly key: string;
  readonly kind: WalObjectKind;
  readonly timeline: TimelineId;
  /** Absent for `.history` files. */
  readonly segNo?: SegmentNumber;
  readonly compression?: Compression;
  readonly size: number;
  readonly etag?: string;
  /** When the object was written (event time or LastModified at first sight; never used to order backups). */
  readonly uploadedAt: Date;
  /** S3 event sequencer of the last event applied; orders events for the same key. */
  readonly sequencer?: string;
  /** True once the object was removed from the bucket (kept as a tombstone so an old create cannot revive it). */
  readonly deleted: boolean;
  readonly deletedAt?: Date;
  /** Decompressed text of a `.history` file (tiny; continuity reads the timeline switch points from it). */
  readonly content?: string;
  /** Set when a full sync's listing produced this state; an event older than that observation loses against it. */
  readonly listing?: ListingObservation;
  /** S3 storage class when it is not STANDARD (from the listing or a lifecycle transition event). */
  readonly storageClass?: string;
  /** Until when a thawed (RestoreObject) copy of a frozen object can be read (from an ObjectRestore event). */
  readonly thawedUntil?: Date;
}

/**
 * When a full sync's listing saw an object, and the LastModified it saw (absent when the listing did not find the
 * key). A listing has no sequencer, so events of the same key are ordered against it by time
 * (catalog-change.ts, `eventBeatsListing`).
 */
export interface ListingObservation {
  /** When the listing ran (the page that covered the key was requested at or before this time). */
  readonly at: Date;
  /** The listed object's LastModified; absent when the listing found no object under the key. */
  readonly lastModified?: Date;
}

/**
 * `complete`: the sentinel exists and parsed. `incomplete`: payload without a sentinel (in progress or failed),
 * never restorable. `unreadable`: the sentinel exists but the backup cannot be fully interpreted (the record's
 * `problem` says why); never a restore base, never deleted by retention on a guess. `deleted`: the sentinel is gone
 * from the bucket. `expired`: deleted by walcat's retention.
 */
export type BackupStatus = 'complete' | 'incomplete' | 'unreadable' | 'deleted' | 'expired';

export interface BackupRecord {
  readonly cluster: ClusterId;
  readonly name: string;
  readonly status: BackupStatus;
  /** Present once the sentinel (and metadata.json, when it exists) were read. */
  readonly backup?: BaseBackup;
  readonly firstSeenAt: Date;
  readonly updatedAt: Date;
  /**
   * The newest time any object of the backup (a tar part, pg_control, its sentinel or metadata.json) was seen
   * arriving: an upload still in progress keeps moving it, so retention counts `incompleteGrace` from here.
   */
  readonly lastSignOfLifeAt?: Date;
  /** Sequencer of the last sentinel or metadata event applied. */
  readonly sequencer?: string;
  /** Why the backup is `unreadable` (its sentinel exists but cannot be interpreted). */
  readonly problem?: string;
  /** The sentinel as last observed (newest sequencer wins); the record is derived from it and `metadata`. */
  readonly sentinel?: BackupSourceObject;
  /** The backup's `metadata.json` as last observed. */
  readonly metadata?: BackupSourceObject;
  /** Set by retention when it deleted the backup; the status stays `expired` once the sentinel is gone. */
  readonly expiredAt?: Date;
  /**
   * The backup's payload objects (tar partitions, pg_control, backup_label, ...) as last observed, by key relative
   * to the backup folder (`tar_partitions/part_001.tar.lz4`). Absent on records written before walcat tracked
   * payload; a full sync fills it in.
   */
  readonly payload?: Readonly<Record<string, BackupPayloadObject>>;
}

/** Which payload object: what the completeness check needs to know. */
export type BackupPayloadKind = 'tar-partition' | 'pg_control' | 'backup_label' | 'other';

/**
 * One payload object of a backup: a last-writer-wins register ordered by its key's S3 sequencer, like the sources.
 * A listing (sync) observation has no sequencer.
 */
export interface BackupPayloadObject {
  readonly kind: BackupPayloadKind;
  readonly present: boolean;
  /** Stored bytes (0 once removed). */
  readonly size: number;
  readonly sequencer?: string;
  readonly observedAt: Date;
  /** S3 storage class when it is not STANDARD (from the listing or a lifecycle transition event). */
  readonly storageClass?: string;
  /** Until when a thawed (RestoreObject) copy of a frozen object can be read. */
  readonly thawedUntil?: Date;
}

/**
 * One source object of a backup record (sentinel or metadata.json): a last-writer-wins register ordered by the S3
 * sequencer of its key, so sentinel and metadata events converge independently of arrival order.
 */
export interface BackupSourceObject {
  readonly key: string;
  /** Sequencer of the event that produced this observation; absent when a listing (sync) produced it. */
  readonly sequencer?: string;
  /** False once a removal was observed. */
  readonly present: boolean;
  readonly etag?: string;
  /** The object's text as read when observed (bounded by MAX_BACKUP_METADATA_BYTES). */
  readonly text?: string;
  readonly observedAt: Date;
  /** Set when a full sync's listing produced this observation. */
  readonly listing?: ListingObservation;
  /** S3 storage class when it is not STANDARD. */
  readonly storageClass?: string;
  /** Until when a thawed (RestoreObject) copy of a frozen object can be read. */
  readonly thawedUntil?: Date;
}
