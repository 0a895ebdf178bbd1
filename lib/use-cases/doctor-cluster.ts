import {
  catalogFreshnessCheck,
  coveringQueues,
  type DoctorCheck,
  encryptionCheck,
  hostsCheck,
  incompleteUploadsCheck,
  lifecycleCheck,
  noncurrentExpirationDays,
  notificationCheck,
  objectLockCheck,
  queueAccessCheck,
  versioningCheck,
} from '../domain/bucket/bucket-checks.ts';
import type { LifecycleRule, VersioningState } from '../domain/bucket/bucket-configuration.ts';
import { type LifecycleReview, reviewLifecycle } from '../domain/bucket/lifecycle-review.ts';
import { reviewObjectLock } from '../domain/bucket/object-lock-review.ts';
import { queuePolicyVerdict } from '../domain/bucket/queue-policy.ts';
import type { BackupRecord } from '../domain/catalog/catalog-records.ts';
import type { ClusterConfig } from '../domain/cluster.ts';
import {
  type FunctionRoles,
  type RoleSimulation,
  roleAccessCheck,
  roleRequirements,
} from '../domain/deployment/function-role-access.ts';
import { BucketConfigurationUnsupportedError, type BucketInspector } from '../ports/bucket-inspector.ts';
import type { CatalogStore } from '../ports/catalog-store.ts';
import type { InstanceDirectory } from '../ports/instance-directory.ts';
import { PermissionSimulationUnavailableError, type PermissionSimulator } from '../ports/permission-simulator.ts';
import type { QueueInspector } from '../ports/queue-inspector.ts';

/** The deployed catalog-sync runs every 6 hours; two missed runs and some slack make the catalog stale. */
export const DEFAULT_SYNC_MAX_AGE_MS = 13 * 3_600_000;

export interface DoctorDeps {
  readonly inspector: BucketInspector;
  readonly catalog: CatalogStore;
  /** Reads the access policy of the queues the notification targets (absent: the `queue-access` check is skipped). */
  readonly queues?: QueueInspector;
  /** SSM's managed instances by tag (absent: the `hosts` and `drill-hosts` checks are skipped). */
  readonly instances?: InstanceDirectory;
  /** IAM's policy simulator (absent: the `role-*` checks are skipped). */
  readonly permissions?: PermissionSimulator;
}

export interface DoctorOptions {
  readonly now: Date;
  /** walcat's object-events queue; when known, the notification must reach exactly it. */
  readonly queueArn?: string;
  readonly syncMaxAgeMs?: number;
  /** The deployed functions' role ARNs; each one named gets its `role-*` checks. */
  readonly roles?: FunctionRoles;
  /** The region the functions run in (the Slack parameter's ARN is in it). */
  readonly region?: string;
}

/** `walcat doctor --json`: one element per cluster. */
export interface ClusterDoctorReport {
  readonly cluster: string;
  readonly checks: readonly DoctorCheck[];
  /** The lifecycle review the `lifecycle` check was made from (absent when the rules could not be read). */
  readonly lifecycle?: LifecycleReview;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** A check whose facts could not be read fails, naming what was not read and why; the other checks still run. */
function unreadable(check: string, error: unknown): DoctorCheck {
  if (error instanceof BucketConfigurationUnsupportedError) {
    return { check, status: 'warn', detail: messageOf(error), fix: 'check this on the storage provider by hand' };
  }
  return { check, status: 'fail', detail: messageOf(error), fix: 'grant the permission named, or retry' };
}

async function settle<T>(read: () => Promise<T>): Promise<{ value: T } | { error: unknown }> {
  try {
    return { value: await read() };
  } catch (error) {
    return { error };
  }
}

/**
 * The storage key of the cluster's SSE-KMS key when the config carries one (`storage.kmsKeyArn` in the contract).
 * Read structurally so the check works whichever config shape carries the field.
 */
function configuredKmsKey(cluster: ClusterConfig): string | undefined {
  const key = (cluster.storage as { readonly kmsKeyArn?: unknown }).kmsKeyArn;
  return typeof key === 'string' && key !== '' ? key : undefined;
}

/** Asks the simulator, per requirement, which of its actions the role is denied; "not checked" when it cannot. */
async function roleChecks(
  simulator: PermissionSimulator,
  cluster: ClusterConfig,
  roles: FunctionRoles,
  region: string,
): Promise<DoctorCheck[]> {
  return Promise.all(
    roleRequirements(cluster, roles, region).map(async (requirement) => {
      const roleArn = roles[requirement.fn] ?? '';
      const answer = await settle(() => simulator.simulate(roleArn, requirement.actions, requirement.resources));
      if (!('value' in answer) && !(answer.error instanceof PermissionSimulationUnavailableError)) {
        return unreadable(requirement.check, answer.error);
      }
      const simulation: RoleSimulation =
        'value' in answer
          ? { denied: answer.value.filter((decision) => !decision.allowed) }
          : { unavailable: messageOf(answer.error) };
      return roleAccessCheck(requirement, roleArn, simulation);
    }),
  );
}

/**
 * Checks one cluster's wiring and bucket against what walcat promises: event notifications, lifecycle rules,
 * incomplete multipart uploads, versioning, Object Lock, encryption and catalog freshness. Reads only; every check
 * says what it saw and, when it is not ok, what to run.
 *
 * @example (await doctorCluster({ inspector, catalog }, cluster, { now })).checks.map((c) => `${c.check}: ${c.status}`)
 */
export async function doctorCluster(
  deps: DoctorDeps,
  cluster: ClusterConfig,
  options: DoctorOptions,
): Promise<ClusterDoctorReport> {
  const { bucket, prefix: root } = cluster.storage;
  const [notifications, rules, versioning, lock, encryption, backups, state] = await Promise.all([
    settle(() => deps.inspector.notifications(bucket)),
    settle(() => deps.inspector.lifecycleRules(bucket)),
    settle(() => deps.inspector.versioning(bucket)),
    settle(() => deps.inspector.objectLock(bucket)),
    settle(() => deps.inspector.encryption(bucket)),
    settle(() => deps.catalog.listBackups(cluster.id)),
    settle(() => deps.catalog.getClusterState(cluster.id)),
  ]);
  const checks: DoctorCheck[] = [];
  checks.push(
    'value' in notifications
      ? notificationCheck(notifications.value, root, bucket, options.queueArn)
      : unreadable('notifications', notifications.error),
  );
  if ('value' in notifications && deps.queues !== undefined) {
    const queues = deps.queues;
    const arns = coveringQueues(notifications.value, root, options.queueArn);
    if (arns.length > 0) {
      const verdicts = await Promise.all(
        arns.map(async (queueArn) => {
          const policy = await settle(() => queues.accessPolicy(queueArn));
          return 'value' in policy
            ? { queueArn, ...queuePolicyVerdict(policy.value, queueArn, bucket) }
            : { queueArn, allows: false, why: messageOf(policy.error) };
        }),
      );
      checks.push(queueAccessCheck(verdicts, bucket));
    }
  }
  const ruleList: readonly LifecycleRule[] | undefined = 'value' in rules ? rules.value : undefined;
  const versioningState: VersioningState | undefined = 'value' in versioning ? versioning.value : undefined;
  const backupList: readonly BackupRecord[] | undefined = 'value' in backups ? backups.value : undefined;
  let lifecycle: LifecycleReview | undefined;
  if (!('value' in rules)) checks.push(unreadable('lifecycle', rules.error));
  else if (!('value' in backups)) checks.push(unreadable('lifecycle', backups.error));
  else {
    lifecycle = reviewLifecycle({
      cluster: cluster.id,
      root,
      rules: rules.value,
      versioning: versioningState ?? 'unversioned',
      backups: backups.value,
      policy: cluster.retention,
      walSegmentSize: cluster.walSegmentSize,
      now: options.now,
    });
    checks.push(lifecycleCheck(lifecycle, bucket));
  }
  checks.push(
    ruleList
      ? incompleteUploadsCheck(ruleList, root, bucket)
      : unreadable('incomplete-uploads', 'error' in rules ? rules.error : ''),
  );
  checks.push(
    versioningState === undefined || ruleList === undefined
      ? unreadable('versioning', 'error' in versioning ? versioning.error : 'error' in rules ? rules.error : '')
      : versioningCheck(versioningState, ruleList, root, bucket),
  );
  if (!('value' in lock)) checks.push(unreadable('object-lock', lock.error));
  else {
    const days = ruleList ? noncurrentExpirationDays(ruleList, root) : undefined;
    checks.push(
      objectLockCheck(
        reviewObjectLock({
          cluster: cluster.id,
          lock: lock.value,
          backups: backupList ?? [],
          policy: cluster.retention,
          walSegmentSize: cluster.walSegmentSize,
          ...(days === undefined ? {} : { noncurrentExpirationDays: days }),
          now: options.now,
        }),
      ),
    );
  }
  checks.push(
    'value' in encryption
      ? encryptionCheck(encryption.value, configuredKmsKey(cluster), bucket, cluster.id)
      : unreadable('encryption', encryption.error),
  );
  checks.push(
    'value' in state
      ? catalogFreshnessCheck(
          state.value.lastFullSyncAt,
          options.now,
          options.syncMaxAgeMs ?? DEFAULT_SYNC_MAX_AGE_MS,
          cluster.id,
        )
      : unreadable('catalog-freshness', state.error),
  );
  if (deps.instances !== undefined) {
    const targets = [
      ...(cluster.hosts ? [{ check: 'hosts' as const, target: cluster.hosts.target }] : []),
      ...(cluster.drill ? [{ check: 'drill-hosts' as const, target: cluster.drill.target }] : []),
    ];
    for (const { check, target } of targets) {
      const directory = deps.instances;
      const found = await settle(() => directory.instancesWithTag(target.tagKey, target.tagValue));
      checks.push(
        'value' in found ? hostsCheck(check, target, found.value, cluster.id) : unreadable(check, found.error),
      );
    }
  }
  if (deps.permissions !== undefined && options.roles !== undefined) {
    checks.push(...(await roleChecks(deps.permissions, cluster, options.roles, options.region ?? 'us-east-1')));
  }
  return { cluster: cluster.id, checks, ...(lifecycle ? { lifecycle } : {}) };
}
