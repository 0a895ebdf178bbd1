/**
 * What the catalog sync last read of the bucket a cluster lives in, kept in the cluster's state item so that the
 * answers that need it (`status`, `gaps`, `window`, the WAL watchdog) read it with the rest of the cluster's
 * partition instead of asking S3 on every run. Compact: only the lifecycle rules that can act on the cluster's objects
 * (enabled, reaching `basebackups_005/` or `wal_005/` under its root, without a tag condition WAL-G never meets).
 */
import type { BackupRecord } from '../catalog/catalog-records.ts';
import type { ClusterId, RetentionPolicy } from '../cluster.ts';
import type { WalSegmentSize } from '../wal/segment-size.ts';
import type {
  LifecycleRule,
  LifecycleTiming,
  ObjectLockConfiguration,
  ObjectLockDefaultRetention,
  VersioningState,
} from './bucket-configuration.ts';
import { clusterReach } from './lifecycle-reach.ts';
import { type LifecycleConflictFinding, reviewLifecycle, ruleName } from './lifecycle-review.ts';

/**
 * Why the lifecycle rules are not in the digest: the endpoint has no lifecycle API (an S3-compatible store or an
 * emulator: there is nothing to conflict), or reading them failed (a missing permission, throttling).
 */
export interface LifecycleReadProblem {
  readonly kind: 'unsupported' | 'unreadable';
  readonly message: string;
}

export interface BucketDigest {
  readonly readAt: Date;
  /** The rules that can act on the cluster, each named as messages name it; absent when `lifecycleProblem` is set. */
  readonly lifecycleRules?: readonly LifecycleRule[];
  readonly lifecycleProblem?: LifecycleReadProblem;
  /** Absent when it could not be read. */
  readonly versioning?: VersioningState;
  /** Absent when it could not be read. */
  readonly objectLock?: ObjectLockConfiguration;
}

/** What the sync read, each configuration either read or the reason it was not. */
export interface BucketReading {
  readonly readAt: Date;
  readonly lifecycle: readonly LifecycleRule[] | LifecycleReadProblem;
  readonly versioning?: VersioningState;
  readonly objectLock?: ObjectLockConfiguration;
}

/**
 * The digest of one cluster's bucket: rules that cannot act on the cluster are dropped, a rule without an ID keeps
 * the name its position gave it (`#3 (no ID)`), so findings and alert subjects stay the same as from the full list.
 *
 * @example bucketDigest('orders-main/', { readAt, lifecycle: rules, versioning: 'enabled' }).lifecycleRules
 */
export function bucketDigest(root: string, reading: BucketReading): BucketDigest {
  const base = {
    readAt: reading.readAt,
    ...(reading.versioning === undefined ? {} : { versioning: reading.versioning }),
    ...(reading.objectLock === undefined ? {} : { objectLock: reading.objectLock }),
  };
  if (!Array.isArray(reading.lifecycle))
    return { ...base, lifecycleProblem: reading.lifecycle as LifecycleReadProblem };
  const rules = (reading.lifecycle as readonly LifecycleRule[]).flatMap((rule, index) => {
    if (!rule.enabled) return [];
    const reach = clusterReach(rule.filter, root);
    if (reach.backups.kind === 'none' && reach.wal.kind === 'none') return [];
    return [{ ...rule, id: ruleName(rule, index) }];
  });
  return { ...base, lifecycleRules: rules };
}

/** What the stored digest says about lifecycle conflicts now: the findings, or why they are unknown. */
export type DigestLifecycleAnswer =
  | { readonly known: true; readonly findings: readonly LifecycleConflictFinding[] }
  | { readonly known: false; readonly reason: 'not-read-yet' | 'unreadable'; readonly message: string };

export interface DigestReviewInput {
  readonly cluster: ClusterId;
  readonly root: string;
  readonly backups: readonly BackupRecord[];
  readonly policy?: RetentionPolicy;
  readonly walSegmentSize: WalSegmentSize;
  readonly now: Date;
}

/**
 * The `lifecycle-conflict` findings of a cluster from its stored digest and the catalog's backups, at `now`. An
 * endpoint without a lifecycle API has no rules to conflict; no digest yet, or one whose rules could not be read, is
 * no answer (an alert stays as it is: not knowing is not evidence the rule was fixed).
 *
 * @example lifecycleFromDigest(state.bucket, { cluster, root, backups, policy, walSegmentSize, now })
 */
export function lifecycleFromDigest(digest: BucketDigest | undefined, input: DigestReviewInput): DigestLifecycleAnswer {
  if (digest === undefined) {
    return {
      known: false,
      reason: 'not-read-yet',
      message: `cluster ${input.cluster}: the bucket's lifecycle rules are not read yet; the next catalog sync reads them (or run \`walcat sync --cluster ${input.cluster}\`)`,
    };
  }
  if (digest.lifecycleProblem?.kind === 'unsupported') return { known: true, findings: [] };
  if (digest.lifecycleProblem !== undefined || digest.lifecycleRules === undefined) {
    return {
      known: false,
      reason: 'unreadable',
      message: `cluster ${input.cluster}: lifecycle rules not checked: the catalog sync at ${digest.readAt.toISOString()} could not read them: ${digest.lifecycleProblem?.message ?? 'no rules stored'}`,
    };
  }
  if (digest.lifecycleRules.length === 0) return { known: true, findings: [] };
  return {
    known: true,
    findings: reviewLifecycle({
      cluster: input.cluster,
      root: input.root,
      rules: digest.lifecycleRules,
      versioning: digest.versioning ?? 'unversioned',
      backups: input.backups,
      ...(input.policy === undefined ? {} : { policy: input.policy }),
      walSegmentSize: input.walSegmentSize,
      now: input.now,
    }).findings,
  };
}

type Json = Record<string, unknown>;

const timingJson = (timing: LifecycleTiming): Json =>
  'days' in timing ? { days: timing.days } : { date: timing.date.toISOString() };

/** The digest as stored (plain JSON: dates as ISO-8601). */
export function bucketDigestJson(digest: BucketDigest): Json {
  return {
    readAt: digest.readAt.toISOString(),
    ...(digest.lifecycleRules === undefined
      ? {}
      : {
          lifecycleRules: digest.lifecycleRules.map((rule) => ({
            ...rule,
            ...(rule.expiration === undefined ? {} : { expiration: timingJson(rule.expiration) }),
            transitions: rule.transitions.map((t) => ({ storageClass: t.storageClass, timing: timingJson(t.timing) })),
          })),
        }),
    ...(digest.lifecycleProblem === undefined ? {} : { lifecycleProblem: digest.lifecycleProblem }),
    ...(digest.versioning === undefined ? {} : { versioning: digest.versioning }),
    ...(digest.objectLock === undefined ? {} : { objectLock: digest.objectLock }),
  };
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function timingOf(value: unknown): LifecycleTiming | undefined {
  if (!isRecord(value)) return undefined;
  if (typeof value.days === 'number') return { days: value.days };
  if (typeof value.date === 'string' && !Number.isNaN(Date.parse(value.date))) return { date: new Date(value.date) };
  return undefined;
}

function ruleOf(value: unknown): LifecycleRule | undefined {
  if (!isRecord(value) || typeof value.id !== 'string' || !isRecord(value.filter)) return undefined;
  const filter = value.filter;
  if (typeof filter.prefix !== 'string' || !Array.isArray(filter.tags)) return undefined;
  const expiration = value.expiration === undefined ? undefined : timingOf(value.expiration);
  if (value.expiration !== undefined && expiration === undefined) return undefined;
  const transitions = Array.isArray(value.transitions) ? value.transitions : [];
  const parsedTransitions = transitions.flatMap((t: unknown) => {
    if (!isRecord(t) || typeof t.storageClass !== 'string') return [];
    const timing = timingOf(t.timing);
    return timing === undefined ? [] : [{ storageClass: t.storageClass, timing }];
  });
  if (parsedTransitions.length !== transitions.length) return undefined;
  const number = (field: unknown): number | undefined => (typeof field === 'number' ? field : undefined);
  const noncurrentDays = number(value.noncurrentVersionExpirationDays);
  const newer = number(value.newerNoncurrentVersions);
  const abort = number(value.abortIncompleteMultipartUploadDays);
  return {
    id: value.id,
    enabled: value.enabled === true,
    filter: {
      prefix: filter.prefix,
      tags: (filter.tags as unknown[])
        .filter(isRecord)
        .map((tag) => ({ key: String(tag.key), value: String(tag.value) })),
      ...(number(filter.objectSizeGreaterThan) === undefined
        ? {}
        : { objectSizeGreaterThan: number(filter.objectSizeGreaterThan) as number }),
      ...(number(filter.objectSizeLessThan) === undefined
        ? {}
        : { objectSizeLessThan: number(filter.objectSizeLessThan) as number }),
    },
    ...(expiration === undefined ? {} : { expiration }),
    expiredObjectDeleteMarker: value.expiredObjectDeleteMarker === true,
    transitions: parsedTransitions,
    ...(noncurrentDays === undefined ? {} : { noncurrentVersionExpirationDays: noncurrentDays }),
    ...(newer === undefined ? {} : { newerNoncurrentVersions: newer }),
    noncurrentVersionTransitions: (Array.isArray(value.noncurrentVersionTransitions)
      ? value.noncurrentVersionTransitions
      : []
    ).flatMap((t: unknown) =>
      isRecord(t) && typeof t.days === 'number' && typeof t.storageClass === 'string'
        ? [{ days: t.days, storageClass: t.storageClass }]
        : [],
    ),
    ...(abort === undefined ? {} : { abortIncompleteMultipartUploadDays: abort }),
  };
}

const VERSIONING_STATES: readonly VersioningState[] = ['unversioned', 'enabled', 'suspended'];

function objectLockOf(value: unknown): ObjectLockConfiguration | undefined {
  if (!isRecord(value) || typeof value.enabled !== 'boolean') return undefined;
  const retention = value.defaultRetention;
  const defaultRetention: ObjectLockDefaultRetention | undefined =
    isRecord(retention) &&
    (retention.mode === 'GOVERNANCE' || retention.mode === 'COMPLIANCE') &&
    typeof retention.days === 'number'
      ? { mode: retention.mode, days: retention.days }
      : undefined;
  return { enabled: value.enabled, ...(defaultRetention === undefined ? {} : { defaultRetention }) };
}

/**
 * A stored digest read back. Anything it cannot make sense of (a digest written by another walcat version, a hand
 * edit) makes it `undefined`, which every reader treats as "not read yet": the next sync writes a good one.
 *
 * @example parseBucketDigest(bucketDigestJson(digest)) // deep-equals digest
 */
export function parseBucketDigest(value: unknown): BucketDigest | undefined {
  if (!isRecord(value) || typeof value.readAt !== 'string' || Number.isNaN(Date.parse(value.readAt))) return undefined;
  let lifecycleRules: LifecycleRule[] | undefined;
  if (value.lifecycleRules !== undefined) {
    if (!Array.isArray(value.lifecycleRules)) return undefined;
    lifecycleRules = [];
    for (const candidate of value.lifecycleRules) {
      const rule = ruleOf(candidate);
      if (rule === undefined) return undefined;
      lifecycleRules.push(rule);
    }
  }
  const problem = value.lifecycleProblem;
  const lifecycleProblem: LifecycleReadProblem | undefined =
    isRecord(problem) &&
    (problem.kind === 'unsupported' || problem.kind === 'unreadable') &&
    typeof problem.message === 'string'
      ? { kind: problem.kind, message: problem.message }
      : undefined;
  if (lifecycleRules === undefined && lifecycleProblem === undefined) return undefined;
  const versioning = VERSIONING_STATES.find((state) => state === value.versioning);
  const objectLock = objectLockOf(value.objectLock);
  return {
    readAt: new Date(value.readAt),
    ...(lifecycleRules === undefined ? {} : { lifecycleRules }),
    ...(lifecycleProblem === undefined ? {} : { lifecycleProblem }),
    ...(versioning === undefined ? {} : { versioning }),
    ...(objectLock === undefined ? {} : { objectLock }),
  };
}
