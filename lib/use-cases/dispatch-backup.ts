/**
 * Dispatches one backup-push to a cluster's tag group: takes the cluster's `backup` lock, sends the script (the
 * primary pushes, standbys skip), stores the job. A second request while one runs is refused, naming the job.
 */
import type { ClusterConfig } from '../domain/cluster.ts';
import { ConfigError } from '../domain/errors.ts';
import { buildBackupPushScript } from '../domain/host/backup-push-script.ts';
import { type Job, newJob } from '../domain/jobs/job.ts';
import type { CommandTransport } from '../ports/command-transport.ts';
import type { JobStore } from '../ports/job-store.ts';

export const BACKUP_LOCK = 'backup';
/** Default execution timeout of a backup-push on the host. */
export const DEFAULT_BACKUP_TIMEOUT_SECONDS = 6 * 3600;
/** The lock outlives the execution timeout by the delivery timeout and some slack, then expires on its own. */
const LOCK_SLACK_SECONDS = 15 * 60;

export interface HostCommandDependencies {
  readonly transport: CommandTransport;
  readonly jobs: JobStore;
  /** New job ids (random UUIDs in production; fixed in tests). */
  readonly newJobId: () => string;
  /** Where SSM writes full command output (inline output is truncated). */
  readonly outputS3?: (cluster: ClusterConfig) => { bucket: string; prefix: string } | undefined;
  readonly cloudWatchLogGroup?: string;
}

export interface DispatchBackupInput {
  readonly cluster: ClusterConfig;
  readonly now: Date;
  readonly permanent?: boolean;
  readonly timeoutSeconds?: number;
  /** Who asked: `schedule`, `cli`; shown in the SSM comment. */
  readonly requestedBy?: string;
}

export type DispatchBackupOutcome =
  | { readonly kind: 'dispatched'; readonly job: Job }
  | { readonly kind: 'refused'; readonly reason: string; readonly runningJobId: string };

/** The host settings of a cluster, or a ConfigError naming the missing section. */
export function requireHosts(cluster: ClusterConfig): NonNullable<ClusterConfig['hosts']> {
  if (cluster.hosts === undefined) {
    throw new ConfigError(
      `cluster ${cluster.id}: no hosts section; add hosts.target, hosts.pgData and hosts.osUser to run commands on its hosts`,
    );
  }
  return cluster.hosts;
}

export async function dispatchBackup(
  deps: HostCommandDependencies,
  input: DispatchBackupInput,
): Promise<DispatchBackupOutcome> {
  const { cluster, now } = input;
  const hosts = requireHosts(cluster);
  // Building the script validates every value before anything is locked or sent.
  const script = buildBackupPushScript(hosts, { permanent: input.permanent === true });
  const timeoutSeconds = input.timeoutSeconds ?? DEFAULT_BACKUP_TIMEOUT_SECONDS;
  const jobId = deps.newJobId();
  const expiresAt = new Date(now.getTime() + (timeoutSeconds + LOCK_SLACK_SECONDS) * 1000);
  const lock = await deps.jobs.acquireLock(cluster.id, BACKUP_LOCK, jobId, now, expiresAt);
  if (!lock.acquired) {
    return {
      kind: 'refused',
      runningJobId: lock.holder,
      reason:
        `cluster ${cluster.id}: backup job ${lock.holder} is still running (lock until ${lock.expiresAt.toISOString()}); ` +
        `wait for it (walcat jobs --cluster ${cluster.id}) or let the lock expire`,
    };
  }
  try {
    const outputS3 = deps.outputS3?.(cluster);
    const { commandId } = await deps.transport.send({
      targets: hosts.target,
      script,
      timeoutSeconds,
      comment: `walcat backup-push ${cluster.id} job ${jobId}${input.requestedBy ? ` (${input.requestedBy})` : ''}`,
      ...(outputS3 ? { outputS3 } : {}),
      ...(deps.cloudWatchLogGroup ? { cloudWatchLogGroup: deps.cloudWatchLogGroup } : {}),
    });
    const job = newJob({ id: jobId, cluster: cluster.id, type: 'backup-push', commandId, now, lock: BACKUP_LOCK });
    await deps.jobs.create(job);
    return { kind: 'dispatched', job };
  } catch (error) {
    await deps.jobs.releaseLock(cluster.id, BACKUP_LOCK, jobId);
    throw error;
  }
}
