import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketNotificationConfigurationCommand,
  GetBucketVersioningCommand,
  GetObjectLegalHoldCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  type S3Client,
  type LifecycleRule as S3LifecycleRule,
} from '@aws-sdk/client-s3';
import type {
  BucketEncryption,
  LifecycleFilter,
  LifecycleRule,
  LifecycleTiming,
  NotificationConfiguration,
  NotificationTarget,
  ObjectLockConfiguration,
  ObjectRetention,
  VersioningState,
} from '../../domain/bucket/bucket-configuration.ts';
import { TransientError, WalcatError } from '../../domain/errors.ts';
import {
  BucketConfigurationUnsupportedError,
  type BucketInspector,
  ObjectLockUnreadableError,
} from '../../ports/bucket-inspector.ts';

const DAY_MS = 86_400_000;

const errorName = (error: unknown): string => (error as { name?: string }).name ?? '';
const statusOf = (error: unknown): number | undefined =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/** An S3 error as a walcat error naming the bucket, what was read and the permission or retry that helps. */
function readError(error: unknown, bucket: string, what: string, permission: string): Error {
  const name = errorName(error) || 'Error';
  const status = statusOf(error);
  if (name === 'NotImplemented' || status === 501) {
    return new BucketConfigurationUnsupportedError(
      `bucket ${bucket}: the S3 endpoint does not implement reading the ${what} (NotImplemented); walcat cannot check it there`,
      { cause: error },
    );
  }
  if (name === 'SlowDown' || name.includes('Throttl') || (status !== undefined && status >= 500)) {
    return new TransientError(`bucket ${bucket}: reading the ${what} failed with ${name}; try again`, { cause: error });
  }
  if (name === 'AccessDenied' || status === 403) {
    return new WalcatError(
      `bucket ${bucket}: walcat may not read the ${what} (AccessDenied); grant ${permission} on arn:aws:s3:::${bucket}`,
      { cause: error },
    );
  }
  if (name === 'NoSuchBucket') {
    return new WalcatError(`bucket ${bucket} does not exist (NoSuchBucket); check the cluster's storage setting`, {
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new WalcatError(`bucket ${bucket}: reading the ${what} failed: ${name}: ${message}`, { cause: error });
}

/** S3's answer for an object that is not there (a 404 that is not the no-lock answer below). */
const isGone = (error: unknown): boolean =>
  errorName(error) === 'NotFound' ||
  errorName(error) === 'NoSuchKey' ||
  (statusOf(error) === 404 && errorName(error) !== 'NoSuchObjectLockConfiguration');
/** S3's answer for an object without retention, or without a legal hold. */
const isNoLock = (error: unknown): boolean => errorName(error) === 'NoSuchObjectLockConfiguration';
/** A 2xx answer the SDK could not read as the document asked for. */
const answeredWithoutImplementing = (error: unknown): boolean => {
  const status = statusOf(error);
  return status !== undefined && status >= 200 && status < 300;
};

function timing(days: number | undefined, date: Date | undefined): LifecycleTiming | undefined {
  if (days !== undefined) return { days };
  if (date !== undefined) return { date: new Date(Math.floor(date.getTime() / DAY_MS) * DAY_MS) };
  return undefined;
}

/** Folds S3's three filter spellings (legacy `Prefix`, `Filter.Prefix`/`Tag`, `Filter.And`) into one. */
function filterOf(rule: S3LifecycleRule): LifecycleFilter {
  const filter = rule.Filter;
  const and = filter?.And;
  const tags = [...(and?.Tags ?? []), ...(filter?.Tag ? [filter.Tag] : [])].map((tag) => ({
    key: tag.Key ?? '',
    value: tag.Value ?? '',
  }));
  const greater = and?.ObjectSizeGreaterThan ?? filter?.ObjectSizeGreaterThan;
  const less = and?.ObjectSizeLessThan ?? filter?.ObjectSizeLessThan;
  return {
    prefix: and?.Prefix ?? filter?.Prefix ?? rule.Prefix ?? '',
    tags,
    ...(greater === undefined ? {} : { objectSizeGreaterThan: Number(greater) }),
    ...(less === undefined ? {} : { objectSizeLessThan: Number(less) }),
  };
}

/** One S3 lifecycle rule as the domain reads it. */
export function lifecycleRuleOf(rule: S3LifecycleRule): LifecycleRule {
  const expiration = timing(rule.Expiration?.Days, rule.Expiration?.Date);
  const noncurrent = rule.NoncurrentVersionExpiration;
  const abortDays = rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation;
  return {
    id: rule.ID ?? '',
    enabled: rule.Status === 'Enabled',
    filter: filterOf(rule),
    ...(expiration ? { expiration } : {}),
    expiredObjectDeleteMarker: rule.Expiration?.ExpiredObjectDeleteMarker === true,
    transitions: (rule.Transitions ?? []).flatMap((transition) => {
      const when = timing(transition.Days, transition.Date);
      return when && transition.StorageClass ? [{ timing: when, storageClass: transition.StorageClass }] : [];
    }),
    ...(noncurrent?.NoncurrentDays === undefined ? {} : { noncurrentVersionExpirationDays: noncurrent.NoncurrentDays }),
    ...(noncurrent?.NewerNoncurrentVersions === undefined
      ? {}
      : { newerNoncurrentVersions: noncurrent.NewerNoncurrentVersions }),
    noncurrentVersionTransitions: (rule.NoncurrentVersionTransitions ?? []).flatMap((transition) =>
      transition.NoncurrentDays !== undefined && transition.StorageClass
        ? [{ days: transition.NoncurrentDays, storageClass: transition.StorageClass }]
        : [],
    ),
    ...(abortDays === undefined ? {} : { abortIncompleteMultipartUploadDays: abortDays }),
  };
}

interface S3NotificationFilter {
  readonly Key?: { readonly FilterRules?: readonly { readonly Name?: string; readonly Value?: string }[] };
}

function filterValue(filter: S3NotificationFilter | undefined, name: 'prefix' | 'suffix'): string {
  return filter?.Key?.FilterRules?.find((rule) => rule.Name?.toLowerCase() === name)?.Value ?? '';
}

/** The BucketInspector port over the AWS SDK S3 client (S3, or moto's server mode in tests). */
/** The folder of a key (up to its last `/`): the scope walcat's own grants give the lock-read permissions. */
const folderOf = (bucket: string, key: string): string => `${bucket}/${key.slice(0, key.lastIndexOf('/') + 1)}`;

export class S3BucketInspector implements BucketInspector {
  readonly #client: S3Client;
  /**
   * Folders where an explicit GetObjectRetention (or GetObjectLegalHold) was answered, so the caller holds that
   * permission there and HeadObject's lack of the matching header means "none", not "not allowed to see": a plan
   * over hundreds of thousands of WAL objects then costs one HeadObject each instead of two or three requests. A
   * permission revoked later can only make a plan promise a deletion S3 then refuses (S3 enforces the lock itself,
   * and apply reports the refused keys); it never makes walcat delete a locked object.
   */
  readonly #retentionReadable = new Set<string>();
  readonly #legalHoldReadable = new Set<string>();

  constructor(client: S3Client) {
    this.#client = client;
  }

  async lifecycleRules(bucket: string): Promise<LifecycleRule[]> {
    try {
      const response = await this.#client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
      return (response.Rules ?? []).map(lifecycleRuleOf);
    } catch (error) {
      if (errorName(error) === 'NoSuchLifecycleConfiguration') return [];
      throw readError(error, bucket, 'lifecycle configuration', 's3:GetLifecycleConfiguration');
    }
  }

  async versioning(bucket: string): Promise<VersioningState> {
    try {
      const response = await this.#client.send(new GetBucketVersioningCommand({ Bucket: bucket }));
      if (response.Status === 'Enabled') return 'enabled';
      return response.Status === 'Suspended' ? 'suspended' : 'unversioned';
    } catch (error) {
      throw readError(error, bucket, 'versioning state', 's3:GetBucketVersioning');
    }
  }

  async objectLock(bucket: string): Promise<ObjectLockConfiguration> {
    try {
      const response = await this.#client.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
      const configuration = response.ObjectLockConfiguration;
      const retention = configuration?.Rule?.DefaultRetention;
      const days = (retention?.Days ?? 0) + (retention?.Years ?? 0) * 365;
      return {
        enabled: configuration?.ObjectLockEnabled === 'Enabled',
        ...(retention?.Mode && days > 0 ? { defaultRetention: { mode: retention.Mode, days } } : {}),
      };
    } catch (error) {
      if (errorName(error) === 'ObjectLockConfigurationNotFoundError') return { enabled: false };
      throw readError(error, bucket, 'Object Lock configuration', 's3:GetBucketObjectLockConfiguration');
    }
  }

  async objectRetention(bucket: string, key: string): Promise<ObjectRetention> {
    // One HeadObject first: it carries the lock headers, but only when the caller holds s3:GetObjectRetention and
    // s3:GetObjectLegalHold; without them S3 answers as if nothing were locked. So a header it lacks is asked for
    // explicitly, where a missing permission answers AccessDenied instead of silence. An object that is gone has no
    // lock (apply finds it gone too).
    const response = await this.#client
      .send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
      .catch((error: unknown) => {
        if (isGone(error)) return undefined;
        throw this.#lockReadError(error, bucket, key, 's3:GetObject, s3:GetObjectRetention and s3:GetObjectLegalHold');
      });
    if (response === undefined) return { legalHold: false };
    const fromHead = {
      mode: response.ObjectLockMode,
      until: response.ObjectLockRetainUntilDate,
    };
    const folder = folderOf(bucket, key);
    const retention =
      fromHead.mode !== undefined || fromHead.until !== undefined || this.#retentionReadable.has(folder)
        ? fromHead
        : await this.#retentionOf(bucket, key, fromHead);
    const legalHold =
      response.ObjectLockLegalHoldStatus !== undefined
        ? response.ObjectLockLegalHoldStatus === 'ON'
        : this.#legalHoldReadable.has(folder)
          ? false
          : await this.#legalHoldOf(bucket, key);
    return {
      ...(retention.mode ? { mode: retention.mode } : {}),
      ...(retention.until ? { retainUntil: new Date(retention.until) } : {}),
      legalHold,
    };
  }

  async #retentionOf(
    bucket: string,
    key: string,
    fromHead: { mode?: ObjectRetention['mode']; until?: Date },
  ): Promise<{ mode?: ObjectRetention['mode']; until?: Date }> {
    try {
      const { Retention } = await this.#client.send(new GetObjectRetentionCommand({ Bucket: bucket, Key: key }));
      this.#retentionReadable.add(folderOf(bucket, key));
      return { mode: Retention?.Mode, until: Retention?.RetainUntilDate };
    } catch (error) {
      if (isGone(error)) return {};
      if (isNoLock(error)) {
        this.#retentionReadable.add(folderOf(bucket, key));
        return {};
      }
      // An S3-compatible store that answers GetObjectRetention with something else than a retention document
      // (200, unparsable) does not implement it; the HeadObject answer is all there is, for every object there.
      if (answeredWithoutImplementing(error)) {
        this.#retentionReadable.add(folderOf(bucket, key));
        return fromHead;
      }
      throw this.#lockReadError(error, bucket, key, 's3:GetObjectRetention');
    }
  }

  async #legalHoldOf(bucket: string, key: string): Promise<boolean> {
    try {
      const { LegalHold } = await this.#client.send(new GetObjectLegalHoldCommand({ Bucket: bucket, Key: key }));
      this.#legalHoldReadable.add(folderOf(bucket, key));
      return LegalHold?.Status === 'ON';
    } catch (error) {
      if (isGone(error)) return false;
      if (isNoLock(error) || answeredWithoutImplementing(error)) {
        this.#legalHoldReadable.add(folderOf(bucket, key));
        return false;
      }
      throw this.#lockReadError(error, bucket, key, 's3:GetObjectLegalHold');
    }
  }

  #lockReadError(error: unknown, bucket: string, key: string, permission: string): Error {
    if (errorName(error) === 'AccessDenied' || statusOf(error) === 403) {
      return new ObjectLockUnreadableError(bucket, key, permission, { cause: error });
    }
    return readError(error, bucket, `Object Lock state of ${key}`, permission);
  }

  async encryption(bucket: string): Promise<BucketEncryption | undefined> {
    try {
      const response = await this.#client.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
      const rule = response.ServerSideEncryptionConfiguration?.Rules?.[0];
      const defaults = rule?.ApplyServerSideEncryptionByDefault;
      if (defaults?.SSEAlgorithm === undefined) return undefined;
      return {
        algorithm: defaults.SSEAlgorithm,
        ...(defaults.KMSMasterKeyID ? { kmsKeyId: defaults.KMSMasterKeyID } : {}),
        bucketKeyEnabled: rule?.BucketKeyEnabled === true,
      };
    } catch (error) {
      if (errorName(error) === 'ServerSideEncryptionConfigurationNotFoundError') return undefined;
      throw readError(error, bucket, 'default encryption', 's3:GetEncryptionConfiguration');
    }
  }

  async notifications(bucket: string): Promise<NotificationConfiguration> {
    try {
      const response = await this.#client.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
      const target = (
        kind: NotificationTarget['kind'],
        id: string | undefined,
        arn: string | undefined,
        events: readonly string[] | undefined,
        filter: S3NotificationFilter | undefined,
      ): NotificationTarget => ({
        kind,
        id: id ?? '',
        arn: arn ?? '',
        events: [...(events ?? [])],
        prefix: filterValue(filter, 'prefix'),
        suffix: filterValue(filter, 'suffix'),
      });
      return {
        targets: [
          ...(response.QueueConfigurations ?? []).map((c) => target('queue', c.Id, c.QueueArn, c.Events, c.Filter)),
          ...(response.TopicConfigurations ?? []).map((c) => target('topic', c.Id, c.TopicArn, c.Events, c.Filter)),
          ...(response.LambdaFunctionConfigurations ?? []).map((c) =>
            target('function', c.Id, c.LambdaFunctionArn, c.Events, c.Filter),
          ),
        ],
        eventBridge: response.EventBridgeConfiguration !== undefined,
      };
    } catch (error) {
      throw readError(error, bucket, 'event notification configuration', 's3:GetBucketNotification');
    }
  }
}
