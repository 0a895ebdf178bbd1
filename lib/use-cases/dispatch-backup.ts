/**
 * Dispatches one backup-push to a cluster's tag group: takes the cluster's `backup` lock, sends the script (the
 * primary pushes, standbys skip), stores the job. A second request while one runs is refused, naming the job.
 *
 * The lock names its job (the holder is the job id, taken at the job's creation time). A lock whose job does not
 * exist some minutes after it was taken (the dispatcher crashed between locking and storing the job), or whose job
 * has ended (its tracker crashed before releasing), is released by the next run, which says so; otherwise such a
 * lock would block backups until it expired hours later.
 */
import type { ClusterConfig } from '../domain/cluster.ts';
import { ConfigError } from '../domain/errors.ts';
import { buildBackupPushScript } from '../domain/host/backup-push-script.ts';
import { isTerminalJobState, type Job, newJob } from '../domain/jobs/job.ts';
import type { CommandTransport } from '../ports/command-transport.ts';
import type { JobStore, LockAttempt } from '../ports/job-store.ts';
import type { Notifier } from '../ports/notifier.ts';
import { catchUpOnStoredJob } from './apply-host-job-reports.ts';

export const BACKUP_LOCK = 'backup';
/** Default execution timeout of a backup-push on the host. */
export const DEFAULT_BACKUP_TIMEOUT_SECONDS = 6 * 3600;
/** The lock outlives the execution timeout by the delivery timeout and some slack, then expires on its own. */
const LOCK_SLACK_SECONDS = 15 * 60;
/**
 * A dispatch stores its job seconds after locking (one SendCommand, retried); a lock without a job this long after it
 * was taken belongs to a dispatch that died.
 */
export const ORPHAN_LOCK_GRACE_MS = 5 * 60_000;

export interface HostCommandDependencies {
  readonly transport: CommandTransport;
  readonly jobs: JobStore;
  /** New job ids (random UUIDs in production; fixed in tests). */
  readonly newJobId: () => string;
  /** Where SSM writes full command output (inline output is truncated). */
  readonly outputS3?: (cluster: ClusterConfig) => { bucket: string; prefix: string } | undefined;
  readonly cloudWatchLogGroup?: string;
  /** Alerts a backup whose command failed before its job was stored (the job tracker alerts every later end). */
  readonly notifier?: Notifier;
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
  | {
      readonly kind: 'dispatched';
      readonly job: Job;
      /** Set when a lock left behind by a job that does not exist or has ended was released first: what and why. */
      readonly releasedLock?: string;
    }
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
  let lock = await deps.jobs.acquireLock(cluster.id, BACKUP_LOCK, jobId, now, expiresAt);
  let releasedLock: string | undefined;
  if (!lock.acquired) {
    releasedLock = await staleLockReason(deps.jobs, cluster, lock, now);
    if (releasedLock !== undefined) {
      await deps.jobs.releaseLock(cluster.id, BACKUP_LOCK, lock.holder);
      lock = await deps.jobs.acquireLock(cluster.id, BACKUP_LOCK, jobId, now, expiresAt);
    }
  }
  if (!lock.acquired) {
    return {
      kind: 'refused',
      runningJobId: lock.holder,
      reason:
        `cluster ${cluster.id}: backup job ${lock.holder} is still running (lock until ${lock.expiresAt.toISOString()}); ` +
        `wait for it (walcat jobs --cluster ${cluster.id}) or let the lock expire`,
    };
  }
  let stored: Job;
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
    stored = job;
  } catch (error) {
    await deps.jobs.releaseLock(cluster.id, BACKUP_LOCK, jobId);
    throw error;
  }
  const tracked = await catchUpOnStoredJob(
    {
      jobs: deps.jobs,
      transport: deps.transport,
      clusters: [cluster],
      ...(deps.notifier === undefined ? {} : { notifier: deps.notifier }),
    },
    stored,
    now,
  );
  return { kind: 'dispatched', job: tracked, ...(releasedLock === undefined ? {} : { releasedLock }) };
}

/** Why the lock `attempt` refused is a lock left behind, or undefined while its job may still be running. */
async function staleLockReason(
  jobs: JobStore,
  cluster: ClusterConfig,
  attempt: Extract<LockAttempt, { acquired: false }>,
  now: Date,
): Promise<string | undefined> {
  if (attempt.acquiredAt === undefined) return undefined;
  const job = await jobs.get({ cluster: cluster.id, id: attempt.holder, createdAt: attempt.acquiredAt });
  if (job === undefined) {
    if (now.getTime() - attempt.acquiredAt.getTime() < ORPHAN_LOCK_GRACE_MS) return undefined;
    return (
      `cluster ${cluster.id}: released the backup lock of job ${attempt.holder} (taken ${attempt.acquiredAt.toISOString()}): ` +
      'the job does not exist, so its dispatch stopped before sending the command'
    );
  }
  if (!isTerminalJobState(job.state)) return undefined;
  return (
    `cluster ${cluster.id}: released the backup lock of job ${attempt.holder}: the job ended ${job.state}` +
    `${job.finishedAt ? ` at ${job.finishedAt.toISOString()}` : ''} without releasing it`
  );
}
