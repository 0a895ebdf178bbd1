import { BASEBACKUPS_FOLDER, WAL_FOLDER } from '../layout/wal-g-layout.ts';
import type {
  BucketEncryption,
  LifecycleRule,
  NotificationConfiguration,
  NotificationTarget,
  VersioningState,
} from './bucket-configuration.ts';
import { clusterReach } from './lifecycle-reach.ts';
import type { LifecycleReview } from './lifecycle-review.ts';
import type { ObjectLockReview } from './object-lock-review.ts';

/** One line of `walcat doctor`: what was checked, the verdict, what was seen and what to run. */
export interface DoctorCheck {
  readonly check: string;
  readonly status: 'ok' | 'warn' | 'fail';
  readonly detail: string;
  /** What to run or change; `''` when nothing. */
  readonly fix: string;
}

const CREATED_EVENTS = [
  's3:ObjectCreated:Put',
  's3:ObjectCreated:Post',
  's3:ObjectCreated:Copy',
  's3:ObjectCreated:CompleteMultipartUpload',
];
const REMOVED_EVENTS = ['s3:ObjectRemoved:Delete', 's3:ObjectRemoved:DeleteMarkerCreated'];

function coversEvents(target: NotificationTarget, wanted: readonly string[], wildcard: string): boolean {
  return target.events.includes(wildcard) || wanted.every((event) => target.events.includes(event));
}

function coversFolder(target: NotificationTarget, key: string): boolean {
  return key.startsWith(target.prefix) && target.suffix === '';
}

/**
 * Whether the bucket's event notifications bring the cluster's object events to walcat: an SQS target (or
 * EventBridge) whose filter covers both `basebackups_005/` and `wal_005/` under the cluster's root, without a
 * suffix filter, for created and removed objects. With `queueArn`, the target must be that queue.
 *
 * @example notificationCheck({ targets: [], eventBridge: false }, 'orders-main/', 'orders-bucket').status // 'fail'
 */
export function notificationCheck(
  notifications: NotificationConfiguration,
  root: string,
  bucket: string,
  queueArn?: string,
): DoctorCheck {
  const check = 'notifications';
  const folders = [`${root}${BASEBACKUPS_FOLDER}`, `${root}${WAL_FOLDER}`];
  const fix = `aws s3api put-bucket-notification-configuration --bucket ${bucket} --notification-configuration '{"QueueConfigurations":[{"QueueArn":"${queueArn ?? '<walcat object-events queue ARN>'}","Events":["s3:ObjectCreated:*","s3:ObjectRemoved:*"],"Filter":{"Key":{"FilterRules":[{"Name":"prefix","Value":"${root}"}]}}}]}' (keep the bucket's other configurations in the document), or enable EventBridge: --notification-configuration '{"EventBridgeConfiguration":{}}'`;
  if (notifications.eventBridge) {
    return {
      check,
      status: 'ok',
      detail: `bucket ${bucket} sends every object event to EventBridge (walcat's catalog-ingest rule picks up Object Created / Object Deleted)`,
      fix: '',
    };
  }
  const covering = notifications.targets.filter((target) => folders.every((folder) => coversFolder(target, folder)));
  const queues = covering.filter((target) => target.kind === 'queue');
  const full = queues.filter(
    (target) =>
      coversEvents(target, CREATED_EVENTS, 's3:ObjectCreated:*') &&
      coversEvents(target, REMOVED_EVENTS, 's3:ObjectRemoved:*'),
  );
  const ours = queueArn === undefined ? full : full.filter((target) => target.arn === queueArn);
  if (ours.length > 0) {
    return {
      check,
      status: 'ok',
      detail: `bucket ${bucket} sends created and removed object events under ${root || '(bucket root)'} to ${ours.map((t) => t.arn).join(', ')}`,
      fix: '',
    };
  }
  if (queueArn !== undefined && full.length > 0) {
    return {
      check,
      status: 'fail',
      detail: `bucket ${bucket} sends the cluster's events to ${full.map((t) => t.arn).join(', ')}, not to walcat's queue ${queueArn}`,
      fix,
    };
  }
  const createdOnly = queues.filter((target) => coversEvents(target, CREATED_EVENTS, 's3:ObjectCreated:*'));
  if (createdOnly.length > 0 && (queueArn === undefined || createdOnly.some((t) => t.arn === queueArn))) {
    return {
      check,
      status: 'warn',
      detail: `bucket ${bucket} sends created objects under ${root || '(bucket root)'} to ${createdOnly.map((t) => t.arn).join(', ')} but no removed-object events: deletions reach the catalog only at the next full sync`,
      fix,
    };
  }
  const topics = covering.filter((target) => target.kind === 'topic');
  if (topics.length > 0) {
    return {
      check,
      status: 'warn',
      detail: `bucket ${bucket} sends the cluster's events to SNS topic ${topics.map((t) => t.arn).join(', ')}; walcat receives them only if its queue is subscribed to the topic`,
      fix: `aws sns subscribe --topic-arn ${topics[0]?.arn} --protocol sqs --notification-endpoint ${queueArn ?? '<walcat object-events queue ARN>'}`,
    };
  }
  const partial = notifications.targets.filter((target) => folders.some((folder) => coversFolder(target, folder)));
  return {
    check,
    status: 'fail',
    detail:
      partial.length > 0
        ? `bucket ${bucket}'s notifications cover only part of the cluster (${partial.map((t) => `${t.arn} prefix "${t.prefix}" suffix "${t.suffix}"`).join('; ')}): the catalog misses events until each full sync`
        : `bucket ${bucket} sends no event notification for ${root || '(bucket root)'} to a queue and EventBridge is off: the catalog learns of new WAL and backups only at each full sync`,
    fix,
  };
}

/**
 * The queues whose notification covers the whole cluster with created events (what `notificationCheck` looks at),
 * narrowed to `queueArn` when walcat knows its own queue.
 */
export function coveringQueues(notifications: NotificationConfiguration, root: string, queueArn?: string): string[] {
  const folders = [`${root}${BASEBACKUPS_FOLDER}`, `${root}${WAL_FOLDER}`];
  const arns = notifications.targets
    .filter((target) => target.kind === 'queue' && folders.every((folder) => coversFolder(target, folder)))
    .filter((target) => coversEvents(target, CREATED_EVENTS, 's3:ObjectCreated:*'))
    .map((target) => target.arn)
    .filter((arn) => queueArn === undefined || arn === queueArn);
  return [...new Set(arns)];
}

/** Whether the queues the notification targets let S3 deliver to them (verdicts from their access policies). */
export function queueAccessCheck(
  verdicts: readonly { readonly queueArn: string; readonly allows: boolean; readonly why: string }[],
  bucket: string,
): DoctorCheck {
  const check = 'queue-access';
  const refused = verdicts.filter((verdict) => !verdict.allows);
  if (refused.length === 0) {
    return { check, status: 'ok', detail: verdicts.map((verdict) => verdict.why).join('; '), fix: '' };
  }
  const first = refused[0] as { readonly queueArn: string };
  return {
    check,
    status: 'fail',
    detail: refused.map((verdict) => verdict.why).join('; '),
    fix: `aws sqs set-queue-attributes --queue-url <url of ${first.queueArn}> --attributes Policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"${first.queueArn}","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::${bucket}"}}}]}' (merge with the queue's other statements)`,
  };
}

/** The fewest days after which a NoncurrentVersionExpiration rule reaching the cluster removes old versions. */
export function noncurrentExpirationDays(rules: readonly LifecycleRule[], root: string): number | undefined {
  const days = rules
    .filter((rule) => rule.enabled && rule.noncurrentVersionExpirationDays !== undefined)
    .filter((rule) => {
      const reach = clusterReach(rule.filter, root);
      return reach.backups.kind === 'all' && reach.wal.kind === 'all';
    })
    .map((rule) => rule.noncurrentVersionExpirationDays as number);
  return days.length === 0 ? undefined : Math.min(...days);
}

/**
 * Versioning against retention's deletions: on a versioned bucket a delete adds a delete marker and the bytes stay
 * until a NoncurrentVersionExpiration rule removes the noncurrent versions.
 */
export function versioningCheck(
  versioning: VersioningState,
  rules: readonly LifecycleRule[],
  root: string,
  bucket: string,
): DoctorCheck {
  const check = 'versioning';
  if (versioning === 'unversioned') {
    return {
      check,
      status: 'ok',
      detail: `bucket ${bucket} is not versioned: deletions free the bytes at once`,
      fix: '',
    };
  }
  const days = noncurrentExpirationDays(rules, root);
  const state = versioning === 'enabled' ? 'versioned' : 'versioned (suspended; old versions remain)';
  if (days !== undefined) {
    return {
      check,
      status: 'ok',
      detail: `bucket ${bucket} is ${state}; a NoncurrentVersionExpiration rule removes deleted objects' versions ${days} day(s) after deletion, so retention's deletions free their bytes then`,
      fix: '',
    };
  }
  return {
    check,
    status: 'warn',
    detail: `bucket ${bucket} is ${state} and no NoncurrentVersionExpiration rule reaches ${root || 'the bucket root'}: retention's deletions only add delete markers, the bytes it reports as freed stay billed, and deleted backups can be brought back by removing the markers`,
    fix: `add a lifecycle rule on prefix "${root}" with NoncurrentVersionExpiration { NoncurrentDays: 1 } and Expiration { ExpiredObjectDeleteMarker: true } (see the README, "Running walcat next to lifecycle rules")`,
  };
}

/** A key ARN and the bare key id S3 may report for it name the same key. */
function sameKey(configured: string, bucketKey: string): boolean {
  const keyId = (value: string): string => /:key\/([^/]+)$/.exec(value)?.[1] ?? value;
  return configured === bucketKey || keyId(configured) === keyId(bucketKey);
}

/** SSE-KMS with a customer key: the config must name it, so the functions' roles get `kms:Decrypt` through S3. */
export function encryptionCheck(
  encryption: BucketEncryption | undefined,
  configuredKey: string | undefined,
  bucket: string,
  cluster: string,
): DoctorCheck {
  const check = 'encryption';
  if (encryption === undefined || !encryption.algorithm.startsWith('aws:kms')) {
    return {
      check,
      status: 'ok',
      detail: `bucket ${bucket} encrypts new objects with ${encryption?.algorithm ?? 'AES256'} (S3-managed keys): no key to configure`,
      fix: '',
    };
  }
  const key = encryption.kmsKeyId;
  if (key === undefined || key === 'alias/aws/s3' || key.endsWith(':alias/aws/s3')) {
    return {
      check,
      status: 'ok',
      detail: `bucket ${bucket} uses ${encryption.algorithm} with the AWS managed key aws/s3: no key to configure`,
      fix: '',
    };
  }
  if (configuredKey === undefined) {
    return {
      check,
      status: 'fail',
      detail: `bucket ${bucket} encrypts new objects with ${encryption.algorithm} key ${key}, and cluster ${cluster} names no key: walcat's functions cannot read the objects (kms:Decrypt is granted only for a configured key)`,
      fix: `set storage.kmsKeyArn: ${key.startsWith('arn:') ? key : `<the ARN of key ${key}>`} for cluster ${cluster} and deploy again`,
    };
  }
  if (!sameKey(configuredKey, key)) {
    return {
      check,
      status: 'fail',
      detail: `bucket ${bucket} encrypts new objects with key ${key}, but cluster ${cluster} is configured with ${configuredKey}`,
      fix: `set storage.kmsKeyArn to the bucket's key ${key} for cluster ${cluster} and deploy again`,
    };
  }
  return {
    check,
    status: 'ok',
    detail: `bucket ${bucket} uses ${encryption.algorithm} with key ${key}, the key configured for cluster ${cluster}`,
    fix: '',
  };
}

/** The catalog is fresh when a full sync finished within `maxAgeMs` (events alone miss lost notifications). */
export function catalogFreshnessCheck(
  lastFullSyncAt: Date | undefined,
  now: Date,
  maxAgeMs: number,
  cluster: string,
): DoctorCheck {
  const check = 'catalog-freshness';
  const fix = `walcat sync --cluster ${cluster}`;
  if (lastFullSyncAt === undefined) {
    return {
      check,
      status: 'fail',
      detail: `the catalog of cluster ${cluster} was never fully synced with the bucket`,
      fix,
    };
  }
  const ageMs = now.getTime() - lastFullSyncAt.getTime();
  const hours = (ageMs / 3_600_000).toFixed(1);
  if (ageMs > maxAgeMs) {
    return {
      check,
      status: 'warn',
      detail: `the last full sync of cluster ${cluster} finished ${lastFullSyncAt.toISOString()}, ${hours} h ago (more than ${maxAgeMs / 3_600_000} h): is the catalog-sync schedule running?`,
      fix,
    };
  }
  return {
    check,
    status: 'ok',
    detail: `the last full sync of cluster ${cluster} finished ${lastFullSyncAt.toISOString()}, ${hours} h ago`,
    fix: '',
  };
}

/** The lifecycle review as one doctor line: fail on a conflict, warn on a thaw, the rules' effects otherwise. */
export function lifecycleCheck(review: LifecycleReview, bucket: string): DoctorCheck {
  const check = 'lifecycle';
  if (review.rules.length === 0) {
    return { check, status: 'ok', detail: `bucket ${bucket} has no lifecycle rules`, fix: '' };
  }
  const failures = review.findings.filter((finding) => finding.severity === 'FAILURE');
  const warnings = review.findings.filter((finding) => finding.severity === 'WARNING');
  const fix =
    'remove or narrow the rules named (no Expiration on wal_005/ or basebackups_005/ shorter than retention keeps; no transition to GLACIER or DEEP_ARCHIVE of what a restore needs at once) and let walcat retention delete; see the README, "Running walcat next to lifecycle rules"';
  if (failures.length > 0) {
    return { check, status: 'fail', detail: [...failures, ...warnings].map((f) => f.message).join('; '), fix };
  }
  if (warnings.length > 0) return { check, status: 'warn', detail: warnings.map((f) => f.message).join('; '), fix };
  return { check, status: 'ok', detail: review.rules.map((rule) => rule.effect).join('; '), fix: '' };
}

/** Interrupted multipart uploads (a killed backup-push) stay billed until a rule aborts them. */
export function incompleteUploadsCheck(rules: readonly LifecycleRule[], root: string, bucket: string): DoctorCheck {
  const check = 'incomplete-uploads';
  const rule = rules.find((candidate) => {
    const reach = clusterReach(candidate.filter, root);
    return (
      candidate.enabled &&
      candidate.abortIncompleteMultipartUploadDays !== undefined &&
      reach.backups.kind === 'all' &&
      reach.wal.kind === 'all'
    );
  });
  if (rule !== undefined) {
    return {
      check,
      status: 'ok',
      detail: `rule \`${rule.id}\` aborts incomplete multipart uploads after ${rule.abortIncompleteMultipartUploadDays} day(s)`,
      fix: '',
    };
  }
  return {
    check,
    status: 'warn',
    detail: `no lifecycle rule of bucket ${bucket} aborts incomplete multipart uploads under ${root || 'the bucket root'}: the parts of an interrupted backup-push stay billed`,
    fix: `add a lifecycle rule on prefix "${root}" with AbortIncompleteMultipartUpload { DaysAfterInitiation: 7 }`,
  };
}

/** The Object Lock review as one doctor line. */
export function objectLockCheck(review: ObjectLockReview): DoctorCheck {
  return { check: 'object-lock', status: review.status, detail: review.detail, fix: review.fix };
}

/**
 * The hosts a cluster's commands go to: at least one SSM-managed instance online with the tag. Several are fine
 * (primary and standbys); the backup and restore paths pick the one they need.
 */
export function hostsCheck(
  check: 'hosts' | 'drill-hosts',
  target: { readonly tagKey: string; readonly tagValue: string },
  instances: readonly string[],
  cluster: string,
): DoctorCheck {
  const tag = `${target.tagKey}=${target.tagValue}`;
  if (instances.length === 0) {
    return {
      check,
      status: 'fail',
      detail: `no SSM-managed instance with tag ${tag} is online: walcat cannot run ${check === 'hosts' ? 'backups or restores' : 'restore drills'} for cluster ${cluster}`,
      fix: `tag the host(s) with ${tag} (aws ec2 create-tags --resources <instance-id> --tags Key=${target.tagKey},Value=${target.tagValue}) and check the SSM agent: aws ssm describe-instance-information --filters Key=tag:${target.tagKey},Values=${target.tagValue}`,
    };
  }
  return {
    check,
    status: 'ok',
    detail: `${instances.length} SSM-managed instance(s) online with tag ${tag}: ${instances.join(', ')}`,
    fix: '',
  };
}
