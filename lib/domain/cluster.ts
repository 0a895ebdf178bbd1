import type { WalSegmentSize } from './wal/segment-size.ts';

declare const clusterIdBrand: unique symbol;
/** A cluster id from the config file: `[a-z0-9-]+`. */
export type ClusterId = string & { readonly [clusterIdBrand]: true };

export type BackupLayout = 'wal-g' | 'wal-e';

/** Where a cluster's backups live: `s3://<bucket>/<prefix>`, as `WALG_S3_PREFIX`. */
export interface StorageLocation {
  readonly bucket: string;
  /** Key prefix of the cluster's root, `''` for the bucket root, otherwise ending in `/` (e.g. `orders-main/`). */
  readonly prefix: string;
  /** The customer-managed KMS key of an SSE-KMS bucket (`WALG_S3_SSE_KMS_ID`); readers need kms:Decrypt on it. */
  readonly kmsKeyArn?: string;
}

/** Grandfather-father-son retention plus a point-in-time window. Durations in milliseconds. */
export interface RetentionPolicy {
  readonly keepLast: number;
  readonly keepDaily: number;
  readonly keepWeekly: number;
  readonly keepMonthly: number;
  readonly keepYearly: number;
  readonly pitrWindowMs: number;
  /** IANA zone that defines calendar days, weeks and months for the tiers. */
  readonly timezone: string;
  /** Incomplete backups younger than this may still be running and are kept. */
  readonly incompleteGraceMs: number;
  /** A stored plan is applied no earlier than this after it was made. */
  readonly applyGraceMs: number;
  /** Plan and apply refuse when this machine's clock and the storage service's differ by more (default 5 min). */
  readonly maxClockSkewMs?: number;
  /**
   * On a versioned bucket: `versions` (absent means this) deletes every version of a doomed object by version id, so
   * the bytes leave the bill; `markers` only adds delete markers and leaves the bytes to a NoncurrentVersionExpiration
   * rule (or to whoever restores them).
   */
  readonly versionedDeletes?: 'versions' | 'markers';
}

/** How long an incomplete backup may still be uploading when the cluster has no retention policy to say. */
export const DEFAULT_INCOMPLETE_GRACE_MS = 24 * 3_600_000;

export interface AlertSettings {
  /** SSM Parameter Store name of a SecureString holding the Slack webhook URL. */
  readonly slackWebhookParameter?: string;
  readonly archiveLagMaxMs: number;
  readonly backupMaxAgeMs: number;
  /** A missing segment whose successor arrived less than this ago is `uploading`, not `lost`. */
  readonly uploadGraceMs: number;
}

export interface HostTarget {
  readonly tagKey: string;
  readonly tagValue: string;
}

/** How walcat runs commands on the cluster's database hosts. */
export interface HostSettings {
  readonly target: HostTarget;
  readonly pgData: string;
  readonly osUser: string;
  /** When set, WAL-G runs as `envdir <dir> wal-g ...`. */
  readonly walgEnvDir?: string;
  readonly service:
    | { readonly kind: 'systemd'; readonly unit: string }
    | { readonly kind: 'pg_ctl'; readonly binDir: string };
  /** Path of the wal-g binary (default `wal-g` on the PATH). */
  readonly walgBinary: string;
}

export interface DrillSettings {
  readonly schedule: string;
  readonly target: HostTarget;
  readonly pgData: string;
  /** The drill's own service; absent: `pg_ctl` on pgData (never the cluster's own unit). */
  readonly service?: HostSettings['service'];
  /** The drill's own WAL-G env dir; absent: the cluster's. */
  readonly walgEnvDir?: string;
  readonly checkSql?: string;
  /**
   * How a drill reads objects S3 cannot serve directly (GLACIER, DEEP_ARCHIVE, INTELLIGENT_TIERING archive tiers):
   * thawed through this retrieval tier first, its time part of the drill's restore time; `never` refuses the drill.
   */
  readonly thaw: 'never' | 'Expedited' | 'Standard' | 'Bulk';
  /** PostgreSQL settings for the drill's restored copy (a smaller scratch host: `shared_buffers`, `port`...). */
  readonly settings?: Readonly<Record<string, string>>;
}

export interface ClusterConfig {
  readonly id: ClusterId;
  readonly storage: StorageLocation;
  readonly layout: BackupLayout;
  readonly walSegmentSize: WalSegmentSize;
  /** Absent: walcat never deletes anything of this cluster (it is still catalogued, watched and restorable). */
  readonly retention?: RetentionPolicy;
  readonly alerts: AlertSettings;
  readonly hosts?: HostSettings;
  readonly backupSchedule?: string;
  readonly drill?: DrillSettings;
}

export interface WalcatConfig {
  readonly catalogTable: string;
  readonly clusters: readonly ClusterConfig[];
  /** How long a finished job stays in the job history, in ms (absent: DEFAULT_JOB_HISTORY_MS, 90 days). */
  readonly jobHistoryMs?: number;
}
