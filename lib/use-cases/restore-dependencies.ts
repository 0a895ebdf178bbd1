/**
 * What the restore use cases need from the outside world, and the one routine they share: send the job's next
 * step, record it, and tell Slack what happened.
 */
import type { ClusterConfig } from '../domain/cluster.ts';
import type { SlackMessage } from '../domain/continuity/slack-message.ts';
import { InvalidInputError } from '../domain/errors.ts';
import type { Job } from '../domain/jobs/job.ts';
import { markStepDispatched, nextRestoreCommand } from '../domain/restore/restore-job.ts';
import { restoreSlackMessage } from '../domain/restore/restore-report.ts';
import type { CatalogStore } from '../ports/catalog-store.ts';
import type { CommandTransport } from '../ports/command-transport.ts';
import type { InstanceDirectory } from '../ports/instance-directory.ts';
import { type JobStore, RestoreLockedError } from '../ports/job-store.ts';
import type { Notifier } from '../ports/notifier.ts';
import type { ObjectThaw } from '../ports/object-thaw.ts';

/** What the restore use cases read and write of the job store: restores move by optimistic saves. */
export type RestoreJobAccess = Pick<
  JobStore,
  | 'create'
  | 'save'
  | 'getById'
  | 'findByCommandId'
  | 'list'
  | 'acquireRestoreLock'
  | 'releaseRestoreLock'
  | 'restoreLockHolder'
>;

export interface RestoreDeps {
  readonly catalog: CatalogStore;
  readonly jobs: RestoreJobAccess;
  readonly transport: CommandTransport;
  /** Resolves a host tag to the one instance a restore runs on. */
  readonly instances: InstanceDirectory;
  /** Where SSM writes each step's complete output (inline output is truncated). */
  readonly commandOutput?: {
    readonly outputS3?: { bucket: string; prefix: string };
    readonly cloudWatchLogGroup?: string;
  };
  /** Absent: no Slack (the local stack without a webhook). */
  readonly notifier?: Notifier;
  readonly clusters: readonly ClusterConfig[];
  readonly now: () => Date;
  /** Thaws frozen objects for `restore start --thaw`; absent where no door thaws (the deployed functions). */
  readonly thaw?: ObjectThaw;
  /** How a thaw waits between polls (tests pass a fake). */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The cluster config of a job; a job of a cluster no longer configured cannot be driven. */
export function clusterOf(deps: Pick<RestoreDeps, 'clusters'>, cluster: string): ClusterConfig | undefined {
  return deps.clusters.find((candidate) => candidate.id === cluster);
}

/**
 * Sends the next pending step of a running job and stores that it was sent. Returns the job as stored (unchanged
 * when nothing is due). A conflicting save means another handler advanced the job first: the caller reloads.
 */
export async function dispatchNextStep(deps: RestoreDeps, job: Job): Promise<Job> {
  const next = nextRestoreCommand(job);
  if (!next) return job;
  const instanceId = job.host;
  if (instanceId === undefined) {
    throw new InvalidInputError(`restore job ${job.id} has no resolved instance; start it again with --instance`);
  }
  const sent = await deps.transport.send({
    targets: { instanceIds: [instanceId] },
    script: next.script,
    timeoutSeconds: next.timeoutSeconds,
    comment: `walcat restore ${job.id} ${next.step}`,
    ...(deps.commandOutput?.outputS3 ? { outputS3: deps.commandOutput.outputS3 } : {}),
    ...(deps.commandOutput?.cloudWatchLogGroup ? { cloudWatchLogGroup: deps.commandOutput.cloudWatchLogGroup } : {}),
  });
  const dispatched = markStepDispatched(job, next.step, sent.commandId, deps.now());
  await deps.jobs.save(dispatched, job.version);
  return dispatched;
}

/**
 * Takes the cluster's restore lock for a restore job (drills run on scratch hosts and keep their own one-at-a-time
 * rule). A lock left by a job that is no longer running (its release was lost) is taken over.
 *
 * @throws RestoreLockedError naming the running restore and how to follow it.
 */
export async function takeRestoreLock(
  deps: Pick<RestoreDeps, 'jobs'>,
  cluster: ClusterConfig['id'],
  jobId: string,
): Promise<void> {
  const holder = await deps.jobs.restoreLockHolder(cluster);
  let stale: string | undefined;
  if (holder !== undefined && holder !== jobId) {
    const held = await deps.jobs.getById(cluster, holder);
    if (held?.state !== 'running') stale = holder;
  }
  try {
    await deps.jobs.acquireRestoreLock(cluster, jobId, stale);
  } catch (error) {
    if (!(error instanceof RestoreLockedError)) throw error;
    throw new RestoreLockedError(
      `cluster ${cluster}: restore ${error.holder} is still running; one restore per cluster at a time: follow it with walcat restore status ${error.holder} --cluster ${cluster} and start again when it has ended`,
      error.holder,
    );
  }
}

/** Releases the restore lock of a restore job that ended (succeeded, or failed and so abandoned until resumed). */
export async function releaseRestoreLock(deps: Pick<RestoreDeps, 'jobs'>, job: Job): Promise<void> {
  if (job.type === 'restore' && job.state !== 'running') await deps.jobs.releaseRestoreLock(job.cluster, job.id);
}

/** Tells the cluster's Slack channel; a notification failure never fails the restore. */
export async function notifyRestore(
  deps: Pick<RestoreDeps, 'notifier' | 'clusters'>,
  job: Job,
  event: 'started' | 'failed' | 'ready',
): Promise<void> {
  const cluster = clusterOf(deps, job.cluster);
  const parameter = cluster?.alerts.slackWebhookParameter;
  if (!deps.notifier || parameter === undefined) return;
  const message: SlackMessage = restoreSlackMessage(job, event);
  try {
    await deps.notifier.send({ cluster: job.cluster, slackWebhookParameter: parameter }, message);
  } catch {
    // Restore progress does not depend on Slack; the job item and `walcat restore status` hold the same facts.
  }
}
