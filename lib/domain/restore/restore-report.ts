import type { SlackMessage } from '../continuity/slack-message.ts';
import { type Job, type RestorePayload, restorePayload } from '../jobs/job.ts';
import type { RestoreCheck } from './restore-job.ts';
import { movedAsidePath } from './restore-scripts.ts';
import {
  type RestoreStatusWord,
  type RestoreStepStatusWord,
  restoreStatusWord,
  restoreStepStatusWord,
} from './restore-status-words.ts';
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

function jobTitle(job: Job): string {
  const what = job.type === 'drill' ? 'restore drill' : 'restore';
  const { request } = restorePayload(job);
  return `${job.cluster}: ${what} ${job.id} to ${formatRestoreTarget(request.target)} from ${request.baseBackup}`;
}

/**
 * The Slack message when a restore (or drill) starts, fails or is ready. Built only from the job's own facts; the
 * host's stderr tail is shown as a code block, never a raw exception.
 *
 * @example restoreSlackMessage(job, 'ready').text // ':large_green_circle: orders-main: restore r-1 ... is ready ...'
 */
export function restoreSlackMessage(job: Job, event: 'started' | 'failed' | 'ready'): SlackMessage {
  const { request, failure, outcome } = restorePayload(job);
  const host = job.host ?? describeHost(job);
  let text: string;
  const details: string[] = [];
  if (event === 'started') {
    text = `:arrows_counterclockwise: ${jobTitle(job)} started on ${host}`;
    details.push(
      `Data directory ${request.hostSettings.pgData}; the old one is kept at ${movedAsidePath(request.hostSettings.pgData, job.id)}.`,
    );
  } else if (event === 'failed') {
    text = `:red_circle: ${jobTitle(job)} failed at step ${failure?.step ?? 'unknown'} on ${host}`;
    details.push(failure?.message ?? 'no failure recorded');
    if (failure?.stderrTail) details.push(`\`\`\`${failure.stderrTail.split('\n').slice(-8).join('\n')}\`\`\``);
    if (failure?.checks) details.push(checksLine(failure.checks));
    details.push(
      `Resume with \`walcat restore start --cluster ${job.cluster} --resume ${job.id}\` once the cause is fixed.`,
    );
  } else {
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
      elements: [{ type: 'mrkdwn', text: escapeMrkdwn(`walcat restore status ${job.id} --cluster ${job.cluster}`) }],
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

function describeHost(job: Job): string {
  const host = restorePayload(job).request.host;
  return host.kind === 'instance' ? host.instanceId : `the host tagged ${host.tagKey}=${host.tagValue}`;
}

/** One row of `walcat restore status`. */
export interface RestoreStepRow {
  /** The step's name (`step` is the same, kept for earlier readers). */
  readonly name: string;
  readonly step: string;
  readonly status: RestoreStepStatusWord;
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
  readonly kind: Job['type'];
  readonly status: RestoreStatusWord;
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
  readonly outcome?: RestorePayload['outcome'];
  /** The thaw of frozen objects before the job: objects, how many walcat asked for, seconds it took. */
  readonly thaw?: RestorePayload['thaw'];
}

/**
 * The `walcat restore status --json` document.
 *
 * @example restoreStatusJson(job).steps[0] // { step: 'preflight', status: 'succeeded', attempts: 1, durationMs: 840, ... }
 */
export function restoreStatusJson(job: Job): RestoreStatusJson {
  const { request, failure, outcome, thaw } = restorePayload(job);
  return {
    jobId: job.id,
    cluster: job.cluster,
    kind: job.type,
    status: restoreStatusWord(job.state),
    target: formatRestoreTarget(request.target),
    targetKind: request.target.kind,
    baseBackup: request.baseBackup,
    host: job.host ?? describeHost(job),
    inPlace: request.inPlace,
    dataDirectory: request.hostSettings.pgData,
    movedAside: movedAsidePath(request.hostSettings.pgData, job.id),
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
      status: restoreStepStatusWord(step.state),
      attempts: step.attempts ?? 0,
      ...(step.commandId ? { commandId: step.commandId } : {}),
      ...(step.durationMs === undefined ? {} : { durationMs: step.durationMs, seconds: step.durationMs / 1000 }),
      ...(step.startedAt ? { startedAt: step.startedAt.toISOString() } : {}),
      ...(step.finishedAt ? { finishedAt: step.finishedAt.toISOString() } : {}),
    })),
    ...(failure
      ? {
          failure: {
            step: failure.step,
            message: failure.message,
            ...(failure.stderrTail ? { stderrTail: failure.stderrTail } : {}),
          },
        }
      : {}),
    ...(outcome ? { outcome } : {}),
    ...(thaw ? { thaw } : {}),
  };
}

/**
 * The human form of `walcat restore status`: a summary line, then one line per step with its duration.
 *
 * @example renderRestoreStatus(job) // 'restore r-1 (orders-main) succeeded in 41.2 s\n  preflight  succeeded  0.8 s ...'
 */
export function renderRestoreStatus(job: Job, now: Date): string {
  const status = restoreStatusJson(job);
  const { failure, outcome } = restorePayload(job);
  const elapsed = Math.max(0, (job.finishedAt ?? now).getTime() - job.createdAt.getTime());
  const lines = [
    `${status.kind} ${status.jobId} (${status.cluster}) ${status.status} after ${formatDuration(elapsed)}`,
    `  target ${status.target} (${status.targetKind}) from ${status.baseBackup} on ${status.host}${status.inPlace ? ' (in place)' : ''}`,
    `  data directory ${status.dataDirectory}; previous one kept at ${status.movedAside}`,
    '',
  ];
  const width = Math.max(...status.steps.map((step) => step.step.length));
  for (const [index, step] of status.steps.entries()) {
    const inFlight = step.status === 'dispatched' || step.status === 'running';
    const started = job.steps[index]?.startedAt;
    const duration =
      step.durationMs !== undefined
        ? formatDuration(step.durationMs)
        : inFlight && started
          ? `${formatDuration(Math.max(0, now.getTime() - started.getTime()))} so far`
          : '';
    const attempts = step.attempts > 1 ? ` (${step.attempts} attempts)` : '';
    lines.push(`  ${step.step.padEnd(width)}  ${step.status.padEnd(10)}  ${duration}${attempts}`);
  }
  if (failure) {
    lines.push('', `  ${failure.message}`);
    if (failure.stderrTail) lines.push(...failure.stderrTail.split('\n').map((line) => `    | ${line}`));
  }
  if (outcome) {
    lines.push(
      '',
      `  ${outcome.inRecovery ? 'paused in recovery' : 'promoted'} on timeline ${outcome.timeline}; last replayed commit ${outcome.lastReplayTimestamp ?? 'none'}; restore time ${formatDuration(outcome.restoreMs)}${outcome.thawMs === undefined ? '' : `, of which thaw ${formatDuration(outcome.thawMs)}`}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
