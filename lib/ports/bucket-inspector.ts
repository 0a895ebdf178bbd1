/**
 * Reads a bucket's configuration: what its lifecycle rules, versioning, Object Lock, default encryption and event
 * notifications are. One method per configuration, so a permission missing for one of them (an `AccessDenied`)
 * fails only the check that needs it. A configuration the bucket does not have is an empty value, not an error.
 */
import type {
  BucketEncryption,
  LifecycleRule,
  NotificationConfiguration,
  ObjectLockConfiguration,
  ObjectRetention,
  VersioningState,
} from '../domain/bucket/bucket-configuration.ts';
import { WalcatError } from '../domain/errors.ts';

/**
 * The S3 endpoint does not implement the configuration asked for (`NotImplemented`, e.g. s3rver or an
 * S3-compatible store): there is nothing walcat can check there, which is not the same as an empty configuration.
 */
export class BucketConfigurationUnsupportedError extends WalcatError {
  override readonly name: string = 'BucketConfigurationUnsupportedError';
}

/**
 * walcat may not read an object's Object Lock state (AccessDenied on GetObjectRetention or GetObjectLegalHold). S3
 * answers a HeadObject without those permissions as if the object had no lock, so this is asked for explicitly:
 * an unknown lock must keep the object, never let a plan delete it.
 */
export class ObjectLockUnreadableError extends WalcatError {
  override readonly name: string = 'ObjectLockUnreadableError';
  constructor(
    readonly bucket: string,
    readonly key: string,
    readonly permission: string,
    options?: { cause?: unknown },
  ) {
    super(
      `bucket ${bucket}: walcat may not read the Object Lock state of ${key} (AccessDenied); grant ${permission} on arn:aws:s3:::${bucket}/${key}, or on the cluster prefix`,
      options,
    );
  }
}

export interface BucketInspector {
  /** `[]` when the bucket has no lifecycle configuration. */
  lifecycleRules(bucket: string): Promise<LifecycleRule[]>;
  versioning(bucket: string): Promise<VersioningState>;
  /** `{ enabled: false }` when the bucket was created without Object Lock. */
  objectLock(bucket: string): Promise<ObjectLockConfiguration>;
  /** `undefined` when the bucket has no default encryption configuration. */
  encryption(bucket: string): Promise<BucketEncryption | undefined>;
  notifications(bucket: string): Promise<NotificationConfiguration>;
  /**
   * The Object Lock retention and legal hold of the current version of one object (none on an unlocked one).
   *
   * @throws ObjectLockUnreadableError when walcat may not read them.
   */
  objectRetention(bucket: string, key: string): Promise<ObjectRetention>;
}
