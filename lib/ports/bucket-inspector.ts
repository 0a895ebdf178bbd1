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

export interface BucketInspector {
  /** `[]` when the bucket has no lifecycle configuration. */
  lifecycleRules(bucket: string): Promise<LifecycleRule[]>;
  versioning(bucket: string): Promise<VersioningState>;
  /** `{ enabled: false }` when the bucket was created without Object Lock. */
  objectLock(bucket: string): Promise<ObjectLockConfiguration>;
  /** `undefined` when the bucket has no default encryption configuration. */
  encryption(bucket: string): Promise<BucketEncryption | undefined>;
  notifications(bucket: string): Promise<NotificationConfiguration>;
  /** The Object Lock retention and legal hold of the current version of one object (none on an unlocked one). */
  objectRetention(bucket: string, key: string): Promise<ObjectRetention>;
}
