/**
 * What walcat knows about the bucket a cluster lives in, as S3 reports it: lifecycle rules, versioning, Object Lock,
 * default encryption and event notifications. Plain values, mapped from the S3 API in one adapter function each;
 * the domain never sees SDK shapes.
 */

/** One tag condition of a lifecycle filter. */
export interface ObjectTag {
  readonly key: string;
  readonly value: string;
}

/**
 * Which objects a lifecycle rule reaches. S3 has three spellings (the legacy top-level `Prefix`, `Filter.Prefix`,
 * `Filter.And`); the adapter folds them into this one.
 */
export interface LifecycleFilter {
  /** `''` reaches every key of the bucket. */
  readonly prefix: string;
  /** Every tag must be on the object. WAL-G and WAL-E tag nothing, so a rule with tags never reaches their objects. */
  readonly tags: readonly ObjectTag[];
  readonly objectSizeGreaterThan?: number;
  readonly objectSizeLessThan?: number;
}

/** When an action happens: a number of days after the object was written, or on a calendar date (UTC midnight). */
export type LifecycleTiming = { readonly days: number } | { readonly date: Date };

export interface LifecycleTransition {
  readonly timing: LifecycleTiming;
  /** S3's name: `STANDARD_IA`, `GLACIER`, `DEEP_ARCHIVE`, `INTELLIGENT_TIERING`, ... */
  readonly storageClass: string;
}

export interface LifecycleRule {
  /** The rule's `ID`; `''` when the rule has none. */
  readonly id: string;
  readonly enabled: boolean;
  readonly filter: LifecycleFilter;
  /** Expiration of current versions (on a versioned bucket: a delete marker is added, the bytes stay). */
  readonly expiration?: LifecycleTiming;
  /** `ExpiredObjectDeleteMarker: true`: removes delete markers with no noncurrent versions behind them. */
  readonly expiredObjectDeleteMarker: boolean;
  readonly transitions: readonly LifecycleTransition[];
  /** Days after a version becomes noncurrent (deleted or overwritten) until it is removed for good. */
  readonly noncurrentVersionExpirationDays?: number;
  /** Noncurrent versions kept regardless of age (`NewerNoncurrentVersions`). */
  readonly newerNoncurrentVersions?: number;
  readonly noncurrentVersionTransitions: readonly { readonly days: number; readonly storageClass: string }[];
  readonly abortIncompleteMultipartUploadDays?: number;
}

/** `unversioned`: versioning was never enabled. `suspended`: it was, and old versions may still exist. */
export type VersioningState = 'unversioned' | 'enabled' | 'suspended';

/** The bucket's Object Lock default retention: every new object version is locked for this long. */
export interface ObjectLockDefaultRetention {
  readonly mode: 'GOVERNANCE' | 'COMPLIANCE';
  readonly days: number;
}

/** One object version's lock: a retain-until date (GOVERNANCE or COMPLIANCE) and a legal hold, either or both. */
export interface ObjectRetention {
  readonly mode?: 'GOVERNANCE' | 'COMPLIANCE';
  readonly retainUntil?: Date;
  readonly legalHold: boolean;
}

export interface ObjectLockConfiguration {
  readonly enabled: boolean;
  readonly defaultRetention?: ObjectLockDefaultRetention;
}

/** Default encryption of new objects. `aws:kms` / `aws:kms:dsse` name the key unless it is the AWS managed one. */
export interface BucketEncryption {
  readonly algorithm: 'AES256' | 'aws:kms' | 'aws:kms:dsse' | string;
  readonly kmsKeyId?: string;
  readonly bucketKeyEnabled: boolean;
}

/** One destination of the bucket's event notifications (SQS queue, SNS topic or Lambda function). */
export interface NotificationTarget {
  readonly kind: 'queue' | 'topic' | 'function';
  readonly id: string;
  readonly arn: string;
  /** S3 event names, e.g. `s3:ObjectCreated:*`, `s3:ObjectRemoved:Delete`. */
  readonly events: readonly string[];
  readonly prefix: string;
  readonly suffix: string;
}

export interface NotificationConfiguration {
  readonly targets: readonly NotificationTarget[];
  /** The bucket sends every event to EventBridge. */
  readonly eventBridge: boolean;
}

/** Everything walcat reads about one bucket. */
export interface BucketFacts {
  readonly bucket: string;
  /** No lifecycle configuration: `[]`. */
  readonly lifecycleRules: readonly LifecycleRule[];
  readonly versioning: VersioningState;
  readonly objectLock: ObjectLockConfiguration;
  /** Absent when the bucket has no default encryption configuration (S3 then uses SSE-S3). */
  readonly encryption?: BucketEncryption;
  readonly notifications: NotificationConfiguration;
}
