import type { SlackMessage } from '../continuity/slack-message.ts';
import type { RestoreCheck, RestoreJob, RestoreStep } from './restore-job.ts';
import { movedAsidePath } from './restore-scripts.ts';
import { formatRestoreTarget } from './restore-target.ts';

/** Slack mrkdwn treats `&`, `<` and `>` as control characters. */
const escapeMrkdwn = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Formats a duration for people: `850 ms`, `12.4 s`, `3 min 05 s`, `1 h 02 min`.
 *
 * @example formatDuration(185_000) === '3 min 05 s'
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

function jobTitle(job: RestoreJob): string {
  const what = job.kind === 'drill' ? 'restore drill' : 'restore';
  return `${job.cluster}: ${what} ${job.jobId} to ${formatRestoreTarget(job.request.target)} from ${job.request.baseBackup}`;
}

/**
 * The Slack message when a restore (or drill) starts, fails or is ready. Built only from the job's own facts; the
 * host's stderr tail is shown as a code block, never a raw exception.
 *
 * @example restoreSlackMessage(job, 'ready').text // ':large_green_circle: orders-main: restore r-1 ... is ready ...'
 */
export function restoreSlackMessage(job: RestoreJob, event: 'started' | 'failed' | 'ready'): SlackMessage {
  const host = job.instanceId ?? describeHost(job);
  let text: string;
  const details: string[] = [];
  if (event === 'started') {
    text = `:arrows_counterclockwise: ${jobTitle(job)} started on ${host}`;
    details.push(
      `Data directory ${job.request.hostSettings.pgData}; the old one is kept at ${movedAsidePath(job.request.hostSettings.pgData, job.jobId)}.`,
    );
  } else if (event === 'failed') {
    text = `:red_circle: ${jobTitle(job)} failed at step ${job.failure?.step ?? 'unknown'} on ${host}`;
    details.push(job.failure?.message ?? 'no failure recorded');
    if (job.failure?.stderrTail) details.push(`\`\`\`${job.failure.stderrTail.split('\n').slice(-8).join('\n')}\`\`\``);
    if (job.failure?.checks) details.push(checksLine(job.failure.checks));
    details.push(
      `Resume with \`walcat restore start --cluster ${job.cluster} --resume ${job.jobId}\` once the cause is fixed.`,
    );
  } else {
    const outcome = job.outcome;
    const thaw =
      outcome?.thawMs === undefined ? '' : ` (thawing frozen objects first took ${formatDuration(outcome.thawMs)})`;
    const time = outcome ? `${formatDuration(outcome.restoreMs)}${thaw}` : 'unknown';
    text = `:large_green_circle: ${jobTitle(job)} is ready on ${host} after ${time}`;
    if (outcome) {
      details.push(
        `${outcome.inRecovery ? 'Paused in recovery' : 'Promoted'} on timeline ${outcome.timeline}; last replayed commit ${outcome.lastReplayTimestamp ?? 'none'}; ${outcome.archiving ? `archiving resumed: timeline ${outcome.archiving.timeline} archived up to ${outcome.archiving.lastArchived}` : `archive_mode ${outcome.archiveMode ?? 'unknown'} (re-enable only on purpose: see walcat restore start --resume-archiving)`}.`,
      );
      if (outcome.check)
        details.push(`SQL check ${outcome.check.passed ? 'passed' : 'failed'}: ${outcome.check.firstValue}`);
      if (outcome.checks) details.push(checksLine(outcome.checks));
    }
  }
  const blocks: Record<string, unknown>[] = [
    { type: 'section', text: { type: 'mrkdwn', text: escapeMrkdwn(text) } },
    ...details.map((detail) => ({ type: 'section', text: { type: 'mrkdwn', text: escapeMrkdwn(detail) } })),
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: escapeMrkdwn(`walcat restore status ${job.jobId} --cluster ${job.cluster}`) }],
    },
  ];
  return { text, blocks };
}

/** `Checks: server passed, timeline passed, amcheck failed (...)`: every check verify made, failures explained. */
function checksLine(checks: readonly RestoreCheck[]): string {
  const parts = checks.map((check) =>
    check.status === 'failed' ? `${check.name} failed (${check.detail})` : `${check.name} ${check.status}`,
  );
  return `Checks: ${parts.join(', ')}.`;
}

function describeHost(job: RestoreJob): string {
  const host = job.request.host;
  return host.kind === 'instance' ? host.instanceId : `the host tagged ${host.tagKey}=${host.tagValue}`;
}

/** One row of `walcat restore status`. */
export interface RestoreStepRow {
  /** The step's name (`step` is the same, kept for earlier readers). */
  readonly name: string;
  readonly step: string;
  readonly status: RestoreStep['status'];
  readonly attempts: number;
  readonly commandId?: string;
  readonly durationMs?: number;
  /** The measured step time in seconds (millisecond precision), once the step ended. */
  readonly seconds?: number;
  readonly startedAt?: string;
  readonly finishedAt?: string;
}

/** `restore status --json`: the job, its steps with durations, the failure or the outcome. */
export interface RestoreStatusJson {
  readonly jobId: string;
  readonly cluster: string;
  readonly kind: RestoreJob['kind'];
  readonly status: RestoreJob['status'];
  readonly target: string;
  readonly targetKind: string;
  readonly baseBackup: string;
  readonly host: string;
  readonly inPlace: boolean;
  readonly dataDirectory: string;
  readonly movedAside: string;
  readonly createdAt: string;
  readonly finishedAt?: string;
  readonly durationMs?: number;
  readonly steps: readonly RestoreStepRow[];
  readonly failure?: { readonly step: string; readonly message: string; readonly stderrTail?: string };
  readonly outcome?: RestoreJob['outcome'];
  /** The thaw of frozen objects before the job: objects, how many walcat asked for, seconds it took. */
  readonly thaw?: RestoreJob['thaw'];
}

/**
 * The `walcat restore status --json` document.
 *
 * @example restoreStatusJson(job).steps[0] // { step: 'preflight', status: 'succeeded', attempts: 1, durationMs: 840, ... }
 */
export function restoreStatusJson(job: RestoreJob): RestoreStatusJson {
  return {
    jobId: job.jobId,
    cluster: job.cluster,
    kind: job.kind,
    status: job.status,
    target: formatRestoreTarget(job.request.target),
    targetKind: job.request.target.kind,
    baseBackup: job.request.baseBackup,
    host: job.instanceId ?? describeHost(job),
    inPlace: job.request.inPlace,
    dataDirectory: job.request.hostSettings.pgData,
    movedAside: movedAsidePath(job.request.hostSettings.pgData, job.jobId),
    createdAt: job.createdAt.toISOString(),
    ...(job.finishedAt
      ? {
          finishedAt: job.finishedAt.toISOString(),
          durationMs: Math.max(0, job.finishedAt.getTime() - job.createdAt.getTime()),
        }
      : {}),
    steps: job.steps.map((step) => ({
      name: step.name,
      step: step.name,
      status: step.status,
      attempts: step.attempts,
      ...(step.commandId ? { commandId: step.commandId } : {}),
      ...(step.durationMs === undefined ? {} : { durationMs: step.durationMs, seconds: step.durationMs / 1000 }),
      ...(step.dispatchedAt ? { startedAt: step.dispatchedAt.toISOString() } : {}),
      ...(step.finishedAt ? { finishedAt: step.finishedAt.toISOString() } : {}),
    })),
    ...(job.failure
      ? {
          failure: {
            step: job.failure.step,
            message: job.failure.message,
            ...(job.failure.stderrTail ? { stderrTail: job.failure.stderrTail } : {}),
          },
        }
      : {}),
    ...(job.outcome ? { outcome: job.outcome } : {}),
    ...(job.thaw ? { thaw: job.thaw } : {}),
  };
}

/**
 * The human form of `walcat restore status`: a summary line, then one line per step with its duration.
 *
 * @example renderRestoreStatus(job) // 'restore r-1 (orders-main) succeeded in 41.2 s\n  preflight  succeeded  0.8 s ...'
 */
export function renderRestoreStatus(job: RestoreJob, now: Date): string {
  const status = restoreStatusJson(job);
  const elapsed = Math.max(0, (job.finishedAt ?? now).getTime() - job.createdAt.getTime());
  const lines = [
    `${job.kind} ${job.jobId} (${job.cluster}) ${job.status} after ${formatDuration(elapsed)}`,
    `  target ${status.target} (${status.targetKind}) from ${status.baseBackup} on ${status.host}${status.inPlace ? ' (in place)' : ''}`,
    `  data directory ${status.dataDirectory}; previous one kept at ${status.movedAside}`,
    '',
  ];
  const width = Math.max(...status.steps.map((step) => step.step.length));
  for (const [index, step] of status.steps.entries()) {
    const inFlight = step.status === 'dispatched' || step.status === 'running';
    const started = job.steps[index]?.dispatchedAt;
    const duration =
      step.durationMs !== undefined
        ? formatDuration(step.durationMs)
        : inFlight && started
          ? `${formatDuration(Math.max(0, now.getTime() - started.getTime()))} so far`
          : '';
    const attempts = step.attempts > 1 ? ` (${step.attempts} attempts)` : '';
    lines.push(`  ${step.step.padEnd(width)}  ${step.status.padEnd(10)}  ${duration}${attempts}`);
  }
  if (job.failure) {
    lines.push('', `  ${job.failure.message}`);
    if (job.failure.stderrTail) lines.push(...job.failure.stderrTail.split('\n').map((line) => `    | ${line}`));
  }
  if (job.outcome) {
    lines.push(
      '',
      `  ${job.outcome.inRecovery ? 'paused in recovery' : 'promoted'} on timeline ${job.outcome.timeline}; last replayed commit ${job.outcome.lastReplayTimestamp ?? 'none'}; restore time ${formatDuration(job.outcome.restoreMs)}${job.outcome.thawMs === undefined ? '' : `, of which thaw ${formatDuration(job.outcome.thawMs)}`}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
