/**
 * What the restore use cases need from the outside world, and the one routine they share: send the job's next
 * step, record it, and tell Slack what happened.
 */
import type { ClusterConfig } from '../domain/cluster.ts';
import type { SlackMessage } from '../domain/continuity/slack-message.ts';
import { InvalidInputError } from '../domain/errors.ts';
import { markStepDispatched, nextRestoreCommand, type RestoreJob } from '../domain/restore/restore-job.ts';
import { restoreSlackMessage } from '../domain/restore/restore-report.ts';
import type { CatalogStore } from '../ports/catalog-store.ts';
import type { CommandTransport } from '../ports/command-transport.ts';
import type { InstanceDirectory } from '../ports/instance-directory.ts';
import type { Notifier } from '../ports/notifier.ts';
import type { RestoreJobStore } from '../ports/restore-job-store.ts';

export interface RestoreDeps {
  readonly catalog: CatalogStore;
  readonly jobs: RestoreJobStore;
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
}

/** The cluster config of a job; a job of a cluster no longer configured cannot be driven. */
export function clusterOf(deps: Pick<RestoreDeps, 'clusters'>, cluster: string): ClusterConfig | undefined {
  return deps.clusters.find((candidate) => candidate.id === cluster);
}

/**
 * Sends the next pending step of a running job and stores that it was sent. Returns the job as stored (unchanged
 * when nothing is due). A conflicting save means another handler advanced the job first: the caller reloads.
 */
export async function dispatchNextStep(deps: RestoreDeps, job: RestoreJob): Promise<RestoreJob> {
  const next = nextRestoreCommand(job);
  if (!next) return job;
  const instanceId = job.instanceId;
  if (instanceId === undefined) {
    throw new InvalidInputError(`restore job ${job.jobId} has no resolved instance; start it again with --instance`);
  }
  const sent = await deps.transport.send({
    targets: { instanceIds: [instanceId] },
    script: next.script,
    timeoutSeconds: next.timeoutSeconds,
    comment: `walcat restore ${job.jobId} ${next.step}`,
    ...(deps.commandOutput?.outputS3 ? { outputS3: deps.commandOutput.outputS3 } : {}),
    ...(deps.commandOutput?.cloudWatchLogGroup ? { cloudWatchLogGroup: deps.commandOutput.cloudWatchLogGroup } : {}),
  });
  const dispatched = markStepDispatched(job, next.step, sent.commandId, deps.now());
  await deps.jobs.save(dispatched, job.version);
  return dispatched;
}

/** Tells the cluster's Slack channel; a notification failure never fails the restore. */
export async function notifyRestore(
  deps: Pick<RestoreDeps, 'notifier' | 'clusters'>,
  job: RestoreJob,
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
