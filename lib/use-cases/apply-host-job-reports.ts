/**
 * Applying status reports to a host-command job (backup-push, archiver probe): the job is stored optimistically,
 * its lock released when it ends, and a failure, a timeout or a backup no host took is alerted in Slack with the
 * host and the tail of stderr. The job tracker, the watchdog, the probe and the backup dispatcher share this, and
 * none of it knows restores, so the bundles that only run host commands do not carry the restore code.
 */
import type { ClusterConfig, ClusterId } from '../domain/cluster.ts';
import type { SlackMessage } from '../domain/continuity/slack-message.ts';
import { type CommandStatusUpdate, isTerminalStatus } from '../domain/jobs/command-status.ts';
import { applyCommandStatus, isTerminalJobState, type Job } from '../domain/jobs/job.ts';
import type { CommandInvocation, CommandTransport } from '../ports/command-transport.ts';
import type { JobStore } from '../ports/job-store.ts';
import type { Notifier } from '../ports/notifier.ts';

export interface HostJobReportDependencies {
  readonly jobs: JobStore;
  readonly transport: CommandTransport;
  readonly notifier?: Notifier;
  readonly clusters: readonly ClusterConfig[];
}

export interface HostJobOutcome {
  readonly kind: 'applied';
  readonly job: Job;
  /** True when this report ended the job. */
  readonly finished: boolean;
  readonly notified: boolean;
  readonly notifyError?: unknown;
}

/** A polled invocation as a status report with its output. */
export function updateFromInvocation(invocation: CommandInvocation, at: Date): CommandStatusUpdate {
  return {
    commandId: invocation.commandId,
    instanceId: invocation.instanceId,
    status: invocation.status,
    at: invocation.finishedAt ?? at,
    exitCode: invocation.exitCode,
    stdoutTail: invocation.stdoutTail,
    stderrTail: invocation.stderrTail,
  };
}

/**
 * The invocation's start as its own report before its end, so a job whose first report is already terminal (a
 * quick command, or events lost) still gets the real start time and a true duration.
 */
export function withStart(invocation: CommandInvocation, at: Date): CommandStatusUpdate[] {
  const started: CommandStatusUpdate[] =
    invocation.startedAt === undefined
      ? []
      : [
          {
            commandId: invocation.commandId,
            instanceId: invocation.instanceId,
            status: 'InProgress',
            at: invocation.startedAt,
          },
        ];
  return [...started, updateFromInvocation(invocation, at)];
}

/**
 * Looks once at the invocations of a job's command just after the job was stored, and applies the ends already
 * there. Sending a command and storing its job are two writes (SSM assigns the id), so an invocation that ends
 * within milliseconds (a script that fails at once) can report its end before its job exists, and that event is
 * dropped as an unknown command. Looking after the save closes the gap whatever the timing; the event and the look
 * cannot both apply an end (the second sees a duplicate). The command as a whole is left to its own event: right
 * after sending, SSM may not list every target yet, so the ends listed do not say the command ended.
 */
export async function catchUpOnStoredJob(deps: HostJobReportDependencies, job: Job, now: Date): Promise<Job> {
  if (job.commandId === undefined) return job;
  const ended = (await deps.transport.listInvocations(job.commandId)).filter((invocation) =>
    isTerminalStatus(invocation.status),
  );
  if (ended.length === 0) return job;
  const outcome = await applyUpdates(
    deps,
    job,
    ended.flatMap((invocation) => withStart(invocation, now)),
  );
  return outcome.kind === 'applied' ? outcome.job : job;
}

/** Applies reports to a job (stored optimistically), then releases its lock and alerts if it just ended. */
export async function applyUpdates(
  deps: HostJobReportDependencies,
  found: Job,
  updates: readonly CommandStatusUpdate[],
): Promise<HostJobOutcome> {
  let endedNow = false;
  const stored = await deps.jobs.update(found, (job) => {
    const next = updates.reduce(applyCommandStatus, job);
    endedNow = !isTerminalJobState(job.state) && isTerminalJobState(next.state);
    return next;
  });
  const job = stored ?? found;
  // Released for every report on an ended job, not only the one that ended it: when the release failed (throttled)
  // after the job was saved, the redelivered report finds the job already ended and must still free the lock, or
  // every scheduled backup is refused until the lock expires hours later. Releasing is conditional on the holder.
  if (isTerminalJobState(job.state) && job.lock !== undefined) {
    await deps.jobs.releaseLock(job.cluster, job.lock, job.id);
  }
  if (!endedNow) return { kind: 'applied', job, finished: false, notified: false };
  const message = jobAlertMessage(job);
  const cluster = deps.clusters.find((candidate) => candidate.id === job.cluster);
  const webhook = cluster?.alerts.slackWebhookParameter;
  if (message === undefined || deps.notifier === undefined || webhook === undefined) {
    return { kind: 'applied', job, finished: true, notified: false };
  }
  try {
    await deps.notifier.send({ cluster: job.cluster as ClusterId, slackWebhookParameter: webhook }, message);
    return { kind: 'applied', job, finished: true, notified: true };
  } catch (notifyError) {
    return { kind: 'applied', job, finished: true, notified: false, notifyError };
  }
}

const escapeMrkdwn = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The Slack message for a job that ended badly (failed, timed out, or a backup every host skipped); undefined for
 * jobs that went well. Built from the job's own summary and the redacted stderr tail, never from raw errors.
 */
export function jobAlertMessage(job: Job): SlackMessage | undefined {
  const bad =
    job.state === 'failed' || job.state === 'timed-out' || (job.state === 'skipped' && job.type === 'backup-push');
  if (!bad) return undefined;
  const title = job.state === 'timed-out' ? 'timed out' : job.state === 'skipped' ? 'found no primary' : 'failed';
  const text = `:red_circle: ${job.cluster}: ${job.type} ${title}: ${job.outcome ?? job.state} (job ${job.id})`;
  const facts = [`*Job* ${job.id}`, `*Host* ${job.host ?? 'unknown'}`, `*Command* ${job.commandId ?? 'none'}`].join(
    '\n',
  );
  const blocks: Record<string, unknown>[] = [
    { type: 'section', text: { type: 'mrkdwn', text: escapeMrkdwn(text) } },
    { type: 'section', text: { type: 'mrkdwn', text: escapeMrkdwn(facts) } },
  ];
  if (job.stderrTail) {
    const lines = job.stderrTail.trimEnd().split('\n').slice(-15).join('\n');
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `*stderr (tail)*\n\`\`\`${escapeMrkdwn(lines.replaceAll('```', "'''"))}\`\`\`` },
    });
  }
  return { text, blocks };
}
