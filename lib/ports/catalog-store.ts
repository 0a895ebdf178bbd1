/**
 * The catalog of one walcat installation: base backups, WAL objects, `.history` files and per-cluster state.
 * Writes are idempotent and ordered per S3 key by the event sequencer (lib/domain/catalog/sequencer.ts): replaying,
 * duplicating or reordering the same changes leaves the same catalog. Reads that need a range use sort-key ranges
 * (Query), never a table scan.
 *
 * Jobs, alerts, plans and locks live in the same table under the same key scheme but behind their own ports.
 */
import type { BucketDigest } from '../domain/bucket/bucket-digest.ts';
import type { BackupChange, WalObjectChange } from '../domain/catalog/catalog-change.ts';
import type { BackupRecord, WalObjectRecord } from '../domain/catalog/catalog-records.ts';
import type { RetentionTombstone } from '../domain/catalog/retention-tombstones.ts';
import type { ClusterId } from '../domain/cluster.ts';
import type { Alert } from '../domain/continuity/alert-state.ts';
import type { RetentionWalObject } from '../domain/retention/wal-retention.ts';
import type { TimelineId } from '../domain/wal/timeline.ts';
import type { SegmentNumber } from '../domain/wal/wal-segment.ts';
import type { RetentionBackupDigestStore, RetentionDigestStore } from './retention-digest-store.ts';

export type { BackupChange, WalObjectChange } from '../domain/catalog/catalog-change.ts';

/** A live WAL object as retention reads it (see `CatalogStore.listRetentionWal`). */
export interface RetentionWalItem extends RetentionWalObject {
  readonly uploadedAt: Date;
}

/** What a batch of changes did: `stale` changes lost against a newer stored sequencer and were not written. */
export interface ApplyOutcome {
  readonly applied: number;
  readonly stale: number;
}

/** An inclusive range of segment numbers; open on a missing side. */
export interface SegmentRange {
  readonly fromSegNo?: SegmentNumber;
  readonly toSegNo?: SegmentNumber;
}

/**
 * Per-cluster state shared by features. `version` increases on every update; pass it back as `expectedVersion` to
 * update only if nobody else did in between (optimistic concurrency).
 */
export interface ClusterState {
  readonly cluster: ClusterId;
  /** When the last full sync (reconcile) finished. */
  readonly lastFullSyncAt?: Date;
  /** Owned by continuity: how far the WAL chain was verified. Opaque to the catalog; stored as JSON. */
  readonly verifiedCursor?: unknown;
  /**
   * Owned by retention: the WAL ranges walcat's retention deleted, so continuity can tell them from losses. Written
   * only by retention apply, never by a sync.
   */
  readonly retentionTombstones?: readonly RetentionTombstone[];
  /**
   * The newest restore drill job as its store saves it (`restoreJobToJson`), written with every save of a drill, so
   * `walcat status` shows it from the state item. Opaque to the catalog.
   */
  readonly lastDrill?: unknown;
  /** Owned by the catalog sync: what it last read of the cluster's bucket (lifecycle rules, versioning, Object Lock). */
  readonly bucket?: BucketDigest;
  readonly version: number;
}

export type ClusterStateUpdate = Partial<
  Pick<ClusterState, 'lastFullSyncAt' | 'verifiedCursor' | 'retentionTombstones' | 'lastDrill' | 'bucket'>
>;

/**
 * A WAL object or `.history` record as last written, its storage class and thaw included (a lifecycle transition
 * or a completed thaw is a change too), with the change index's stamp of that write.
 */
export interface WalChange {
  readonly record: WalObjectRecord;
  /** When the write was made (the writer's clock, ISO-8601 with milliseconds). */
  readonly changedAt: string;
}

/** What answering status, gaps and window needs of a cluster's own partition, read in two range Queries. */
export interface ClusterOverview {
  readonly state: ClusterState;
  /** Oldest first, as `listBackups`. */
  readonly backups: BackupRecord[];
  /** As `listHistoryFiles`. */
  readonly histories: WalObjectRecord[];
  /** As `listTimelines`. */
  readonly timelines: TimelineId[];
  /** Every alert of the cluster, open and resolved. */
  readonly alerts: Alert[];
}

/** The table has no change index yet (created by an older walcat): `walcat init` adds it; until then, full reads. */
export class ChangeIndexUnavailableError extends Error {
  override readonly name = 'ChangeIndexUnavailableError';
}

export interface CatalogStore {
  /** Creates the table when it does not exist (on-demand capacity); a no-op when it does. */
  ensureTable(): Promise<void>;
  /** Upserts WAL objects and tombstones, newest sequencer per key wins; history file text is stored too. */
  applyWalChanges(changes: readonly WalObjectChange[]): Promise<ApplyOutcome>;
  /** Applies backup changes (sentinel read, metadata re-read, payload seen, sentinel removed, reconcile). */
  applyBackupChanges(changes: readonly BackupChange[]): Promise<ApplyOutcome>;
  /** Every backup record of the cluster (all statuses), oldest first by the times inside the backup metadata. */
  listBackups(cluster: ClusterId): Promise<BackupRecord[]>;
  getBackup(cluster: ClusterId, name: string): Promise<BackupRecord | undefined>;
  /** Timelines that have at least one WAL object (live or tombstoned), ascending. */
  listTimelines(cluster: ClusterId): Promise<TimelineId[]>;
  /**
   * WAL objects of one timeline in segment order (then file name), excluding `.history` files. Tombstones only with
   * `includeDeleted`.
   */
  listWalObjects(
    cluster: ClusterId,
    timeline: TimelineId,
    range?: SegmentRange,
    options?: { readonly includeDeleted?: boolean },
  ): AsyncIterable<WalObjectRecord>;
  /**
   * The records of {@link listWalObjects}, a query page at a time: a full sync compares millions of them, and one
   * await per page instead of one per record is most of its CPU. Stores without it are read through listWalObjects.
   */
  listWalObjectPages?(
    cluster: ClusterId,
    timeline: TimelineId,
    range?: SegmentRange,
    options?: { readonly includeDeleted?: boolean },
  ): AsyncIterable<readonly WalObjectRecord[]>;
  /**
   * The live WAL objects of one timeline as retention folds them into runs: what `listWalObjects` yields, with only
   * the fields retention reads (key, kind, segment, size, upload time). Stores without it are read with
   * `listWalObjects`; the DynamoDB store asks for those attributes alone, so a ten-year archive's million items
   * cost far less to receive and decode.
   */
  listRetentionWal?(cluster: ClusterId, timeline: TimelineId): AsyncIterable<RetentionWalItem>;
  /** The live object with the highest segment number of the timeline (any kind but `.history`), if any. */
  latestWalObject(cluster: ClusterId, timeline: TimelineId): Promise<WalObjectRecord | undefined>;
  /** `.history` records of the cluster (live and tombstoned), by timeline; `content` holds the decompressed text. */
  listHistoryFiles(cluster: ClusterId): Promise<WalObjectRecord[]>;
  /**
   * State, backups, history files, timelines and alerts of a cluster in two Queries of its partition (adjacent
   * sort-key ranges). Stores without it are read with the separate calls.
   */
  readClusterOverview?(cluster: ClusterId): Promise<ClusterOverview>;
  /**
   * WAL objects and `.history` files (live and tombstoned) whose last write was stamped at or after `since`
   * (undefined: all the index holds), oldest stamp first: one Query of the change index for any archive size.
   * Throws ChangeIndexUnavailableError when the table has no change index. Stores without it are always read in full.
   * With `storageOf`, only the records it accepts must carry their storage class and thaw (a store whose index does
   * not hold them reads them from the items for those alone): the caller knows the others cannot have moved into or
   * out of a class that needs a thaw.
   */
  listWalChanges?(
    cluster: ClusterId,
    since: string | undefined,
    options?: { readonly storageOf?: (record: WalObjectRecord) => boolean },
  ): AsyncIterable<WalChange>;
  /**
   * The stamp a write made now would get (the store's clock). A reader takes it before reading: every write it did
   * not see is stamped after it, less the latency of one write.
   */
  changeStamp?(): string;
  /**
   * The retention digest of each cluster's WAL (lib/use-cases/retention-wal-digest.ts keeps it up to date from the
   * change index). Stores without it are planned over their WAL objects, read in full.
   */
  readonly retentionDigest?: RetentionDigestStore;
  /**
   * Retention's digest of each cluster's backups (lib/use-cases/retention-backup-digest.ts keeps it up to date from
   * the change index). Stores without it, or without {@link listBackupChanges}, are planned over every backup record.
   */
  readonly retentionBackupDigest?: RetentionBackupDigestStore;
  /**
   * The names of the backups whose items were last written at or after `since`, oldest stamp first: one Query of
   * the change index. A name can come more than once. Throws ChangeIndexUnavailableError without the index.
   */
  listBackupChanges?(cluster: ClusterId, since: string): AsyncIterable<string>;
  /**
   * The backup records whose names are in `[from, to)` (to the last one when `to` is undefined), by name: what
   * {@link listBackups} holds of that range.
   */
  listBackupsInRange?(cluster: ClusterId, from: string, to: string | undefined): Promise<BackupRecord[]>;
  /** Version 0 and no fields when the cluster has no state yet. */
  getClusterState(cluster: ClusterId): Promise<ClusterState>;
  /**
   * Sets the given fields and increments the version. With `expectedVersion`, throws `ClusterStateConflictError`
   * when the stored version differs.
   */
  updateClusterState(cluster: ClusterId, update: ClusterStateUpdate, expectedVersion?: number): Promise<ClusterState>;
}
