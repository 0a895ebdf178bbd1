/**
 * The one consumer of command status reports (SSM status-change events, the local transport's events): it finds
 * the job that sent the command, of either kind, with one lookup. A restore or drill job is advanced (its next step
 * sent, lib/use-cases/advance-restore.ts). A host-command job gets the report completed with the invocation's
 * output (exit code, result line, stderr tail) before it is applied, so the job knows which host pushed and which
 * skipped; when it ends, its lock is released, and a failure, a timeout or a backup no host took alerts in Slack
 * with the host and the tail of stderr.
 */
import type { ClusterConfig, ClusterId } from '../domain/cluster.ts';
import type { SlackMessage } from '../domain/continuity/slack-message.ts';
import { type CommandStatusUpdate, isTerminalStatus } from '../domain/jobs/command-status.ts';
import { applyCommandStatus, isTerminalJobState, type Job } from '../domain/jobs/job.ts';
import type { RestoreJob, RestoreTransition } from '../domain/restore/restore-job.ts';
import type { CommandInvocation, CommandTransport } from '../ports/command-transport.ts';
import type { JobStore } from '../ports/job-store.ts';
import type { Notifier } from '../ports/notifier.ts';
import { advanceRestore, UNKNOWN_COMMAND_RECHECK_MS } from './advance-restore.ts';
import type { RestoreDeps } from './restore-dependencies.ts';

export interface TrackCommandDependencies {
  readonly jobs: JobStore;
  readonly transport: CommandTransport;
  readonly notifier?: Notifier;
  readonly clusters: readonly ClusterConfig[];
  /**
   * What advancing a restore or drill takes (sending its next step). Absent in a door that drives no restores:
   * their commands' reports are then answered as `unknown-command` and left alone.
   */
  readonly restore?: RestoreDeps;
  /** How the tracker waits before looking again for the job of a command (tests pass a quick one). */
  readonly sleep?: (ms: number) => Promise<void>;
}

export type TrackOutcome =
  | { readonly kind: 'unknown-command'; readonly commandId: string }
  | { readonly kind: 'restore'; readonly job: RestoreJob; readonly transition?: RestoreTransition }
  | {
      readonly kind: 'applied';
      readonly job: Job;
      /** True when this report ended the job. */
      readonly finished: boolean;
      readonly notified: boolean;
      readonly notifyError?: unknown;
    };

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

/** The reports to apply for one incoming report: terminal ones come with output read from the transport. */
async function completedUpdates(
  transport: CommandTransport,
  update: CommandStatusUpdate,
): Promise<CommandStatusUpdate[]> {
  if (!isTerminalStatus(update.status)) return [update];
  if (update.instanceId !== undefined) {
    const invocation = await transport.getInvocation(update.commandId, update.instanceId);
    if (!invocation || !isTerminalStatus(invocation.status)) return [update];
    const updates = withStart(invocation, update.at);
    const end = updates.pop() as CommandStatusUpdate;
    return [...updates, { ...end, status: update.status }];
  }
  const invocations = await transport.listInvocations(update.commandId);
  return [...invocations.flatMap((invocation) => withStart(invocation, update.at)), update];
}

/**
 * The invocation's start as its own report before its end, so a job whose first report is already terminal (a
 * quick command, or events lost) still gets the real start time and a true duration.
 */
function withStart(invocation: CommandInvocation, at: Date): CommandStatusUpdate[] {
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
 * The job that sent the command. Sending a command and storing its id are two writes (SSM assigns the id), so a
 * command that ends within milliseconds can report its end before its job shows it: a terminal report of an
 * unknown command is looked up again after 0.5 s and 2 s before it is called unknown (commands walcat did not send
 * pay those two seconds once per terminal event).
 */
async function jobOfCommand(deps: TrackCommandDependencies, update: CommandStatusUpdate) {
  const found = await deps.jobs.findAnyByCommandId(update.commandId);
  if (found !== undefined || !isTerminalStatus(update.status)) return found;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (const ms of UNKNOWN_COMMAND_RECHECK_MS) {
    await sleep(ms);
    const again = await deps.jobs.findAnyByCommandId(update.commandId);
    if (again !== undefined) return again;
  }
  return undefined;
}

export async function trackCommandStatus(
  deps: TrackCommandDependencies,
  update: CommandStatusUpdate,
): Promise<TrackOutcome> {
  const found = await jobOfCommand(deps, update);
  if (found === undefined) return { kind: 'unknown-command', commandId: update.commandId };
  if (found.family === 'restore') {
    if (deps.restore === undefined) return { kind: 'unknown-command', commandId: update.commandId };
    const outcome = await advanceRestore(deps.restore, update, found.job);
    return {
      kind: 'restore',
      job: outcome.job ?? found.job,
      ...(outcome.transition === undefined ? {} : { transition: outcome.transition }),
    };
  }
  const updates = await completedUpdates(deps.transport, update);
  return applyUpdates(deps, found.job, updates);
}

/** Applies reports to a job (stored optimistically), then releases its lock and alerts if it just ended. */
export async function applyUpdates(
  deps: TrackCommandDependencies,
  found: Job,
  updates: readonly CommandStatusUpdate[],
): Promise<TrackOutcome> {
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
