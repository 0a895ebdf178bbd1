/**
 * What the restore use cases need from the outside world, and the one routine they share: send the job's next
 * step, record it, and tell Slack what happened.
 */
import type { ClusterConfig, ClusterId } from '../domain/cluster.ts';
import type { SlackMessage } from '../domain/continuity/slack-message.ts';
import {
  markStepDispatched,
  nextRestoreCommand,
  type RestoreHostTarget,
  type RestoreJob,
} from '../domain/restore/restore-job.ts';
import { restoreSlackMessage } from '../domain/restore/restore-report.ts';
import type { CatalogStore } from '../ports/catalog-store.ts';
import type { Notifier } from '../ports/notifier.ts';
import type { RestoreJobStore } from '../ports/restore-job-store.ts';
import type { RestoreCommandTransport } from './restore-command-transport.ts';

export interface RestoreDeps {
  readonly catalog: CatalogStore;
  readonly jobs: RestoreJobStore;
  readonly transport: RestoreCommandTransport;
  /** Absent: no Slack (the local stack without a webhook). */
  readonly notifier?: Notifier;
  readonly clusters: readonly ClusterConfig[];
  readonly now: () => Date;
}

/** The cluster config of a job; a job of a cluster no longer configured cannot be driven. */
export function clusterOf(deps: Pick<RestoreDeps, 'clusters'>, cluster: ClusterId): ClusterConfig | undefined {
  return deps.clusters.find((candidate) => candidate.id === cluster);
}

/**
 * Sends the next pending step of a running job and stores that it was sent. Returns the job as stored (unchanged
 * when nothing is due). A conflicting save means another handler advanced the job first: the caller reloads.
 */
export async function dispatchNextStep(deps: RestoreDeps, job: RestoreJob): Promise<RestoreJob> {
  const next = nextRestoreCommand(job);
  if (!next) return job;
  const sent = await deps.transport.send({
    target: targetOf(job),
    script: next.script,
    timeoutSeconds: next.timeoutSeconds,
    comment: `walcat restore ${job.jobId} ${next.step}`,
  });
  const dispatched = markStepDispatched(job, next.step, sent.commandId, deps.now());
  const withInstance =
    dispatched.instanceId === undefined && sent.instanceId !== undefined
      ? { ...dispatched, instanceId: sent.instanceId }
      : dispatched;
  await deps.jobs.save(withInstance, job.version);
  return withInstance;
}

/** Commands go to the instance the job already runs on, so every step of a tag-targeted job lands on one host. */
function targetOf(job: RestoreJob): RestoreHostTarget {
  return job.instanceId === undefined ? job.request.host : { kind: 'instance', instanceId: job.instanceId };
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
