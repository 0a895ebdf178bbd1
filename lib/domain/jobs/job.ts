/**
 * Jobs: what walcat asked a host to do and what came of it. Every job is one concept: a host command (backup-push,
 * archiver probe) is one command tracked on the job itself, a restore or drill is its ordered steps (one command
 * each) with its request and findings as the kind's payload ({@link Job.restore}). A job's state moves only forward
 * as SSM status reports arrive, in any order and any number of times: applying the same report twice, or an older
 * report after a newer one, changes nothing, and a terminal state never changes again.
 */
import type { ClusterId } from '../cluster.ts';
import { InvalidInputError } from '../errors.ts';
import { parseScriptResult, type ScriptResult } from '../host/host-script.ts';
import type { RestoreFailure, RestoreJobThaw, RestoreOutcome, RestoreRequest } from '../restore/restore-job.ts';
import { formatRestoreTarget, type RestoreTarget, restoreTargetFromText } from '../restore/restore-target.ts';
import {
  type CommandStatus,
  type CommandStatusUpdate,
  isTerminalStatus,
  parseCommandStatus,
  statusRank,
} from './command-status.ts';
import { redactedTail } from './output-tail.ts';

export type JobType = 'backup-push' | 'archiver-probe' | 'restore' | 'drill' | 'retention';
export type JobState = 'queued' | 'running' | 'success' | 'skipped' | 'failed' | 'timed-out';

const TERMINAL_JOB_STATES: ReadonlySet<JobStepState> = new Set<JobStepState>([
  'success',
  'skipped',
  'failed',
  'timed-out',
]);

export function isTerminalJobState(state: JobStepState): boolean {
  return TERMINAL_JOB_STATES.has(state);
}

/** The command on one instance. */
export interface InvocationRecord {
  readonly instanceId: string;
  readonly status: CommandStatus;
  readonly updatedAt: Date;
  readonly exitCode?: number;
  /** The host script's result line, once the invocation's output was read. */
  readonly result?: ScriptResult;
  /** Redacted and bounded. */
  readonly stderrTail?: string;
}

/** What a job (or one step of a multi-step job) knows about the SSM command it waits for. */
export interface CommandTracking {
  readonly commandId?: string;
  /** Status of the command as a whole (all targets). */
  readonly commandStatus?: CommandStatus;
  readonly invocations: Readonly<Record<string, InvocationRecord>>;
}

/** A step not yet sent (`pending`), or the state of the command it sent. */
export type JobStepState = 'pending' | JobState;

/** One step of a multi-step job (each step is one command, sent once the step before it succeeded). */
export interface JobStep extends CommandTracking {
  readonly name: string;
  readonly state: JobStepState;
  /** When the current attempt's command was sent. */
  readonly startedAt?: Date;
  readonly finishedAt?: Date;
  readonly host?: string;
  readonly outcome?: string;
  readonly stderrTail?: string;
  /** Commands sent for the step so far (a failed step can be run again). */
  readonly attempts?: number;
  /** Commands of earlier attempts: their late reports are ignored. */
  readonly previousCommandIds?: readonly string[];
  /** finishedAt - startedAt of the last attempt. */
  readonly durationMs?: number;
  /** When the step last heard of its command; a quiet step is polled. */
  readonly lastEventAt?: Date;
  /** `data` of the step script's result line. */
  readonly result?: unknown;
}

/** What a restore or drill carries beside its steps: what was asked, and what the steps found. */
export interface RestorePayload {
  readonly request: RestoreRequest;
  readonly failure?: RestoreFailure;
  readonly outcome?: RestoreOutcome;
  /** The thaw of frozen objects that had to finish before the job could start. */
  readonly thaw?: RestoreJobThaw;
}

export interface Job extends CommandTracking {
  readonly id: string;
  readonly cluster: ClusterId;
  readonly type: JobType;
  readonly state: JobState;
  /** When walcat created the job (part of its catalog key). */
  readonly createdAt: Date;
  readonly startedAt?: Date;
  readonly finishedAt?: Date;
  /** The instance that did the work (the primary for backup-push). */
  readonly host?: string;
  /** One line a person reads: what happened. */
  readonly outcome?: string;
  /** Redacted, bounded tail of the failing invocation's stderr. */
  readonly stderrTail?: string;
  /** The host script's result data (e.g. the archiver probe's answer). */
  readonly resultData?: unknown;
  /** When the last status report arrived; the watchdog polls jobs that stay silent too long. */
  readonly lastUpdateAt: Date;
  /** Name of the cluster lock the job holds until it ends (e.g. `backup`). */
  readonly lock?: string;
  readonly steps: readonly JobStep[];
  /** Restores and drills (type `restore` or `drill`): the request and what the steps found. */
  readonly restore?: RestorePayload;
  /** Optimistic-concurrency version: each stored write increments it. */
  readonly version: number;
}

/**
 * The restore payload of a restore or drill job.
 *
 * @throws InvalidInputError when the job is a host command (it has no restore request).
 * @example restorePayload(drill).request.baseBackup // 'base_000000010000000000000004'
 */
export function restorePayload(job: Pick<Job, 'id' | 'type' | 'restore'>): RestorePayload {
  if (job.restore === undefined) {
    throw new InvalidInputError(`job ${job.id} (${job.type}) is not a restore or drill`);
  }
  return job.restore;
}

/** The step whose command the job waits for (sent, not yet ended), if any. */
export function stepInProgress(job: Pick<Job, 'steps'>): JobStep | undefined {
  return job.steps.find((step) => step.state === 'queued' || step.state === 'running');
}

/** The command a job waits for: a host command's own, or its step in progress. */
export function currentCommandId(job: Job): string | undefined {
  return job.restore === undefined ? job.commandId : stepInProgress(job)?.commandId;
}

export interface NewJob {
  readonly id: string;
  readonly cluster: ClusterId;
  readonly type: JobType;
  readonly commandId: string;
  readonly now: Date;
  readonly lock?: string;
}

/**
 * A job just dispatched: queued until SSM reports the command running.
 *
 * @example newJob({ id: 'j1', cluster, type: 'backup-push', commandId: 'c1', now }) // { state: 'queued', ... }
 */
export function newJob(input: NewJob): Job {
  return {
    id: input.id,
    cluster: input.cluster,
    type: input.type,
    state: 'queued',
    createdAt: input.now,
    commandId: input.commandId,
    commandStatus: 'Pending',
    invocations: {},
    lastUpdateAt: input.now,
    ...(input.lock === undefined ? {} : { lock: input.lock }),
    steps: [],
    version: 0,
  };
}

/**
 * Applies a status report to the job, or to the step that sent the command. Idempotent and order-insensitive:
 * statuses only move forward (waiting, running, cancelling, terminal), a terminal invocation keeps its status and
 * only gains output details it lacked, and a terminal job never changes. Reports about other commands return the
 * job unchanged (same object). A command-level terminal report must come with (after) the terminal reports of all
 * its invocations, read back from the transport: the command event alone cannot tell the primary's success from a
 * standby's skip (the tracker does this, track-command-status.ts).
 *
 * @example applyCommandStatus(job, { commandId: 'c1', instanceId: 'i-1', status: 'Success', at, stdoutTail })
 */
export function applyCommandStatus(job: Job, update: CommandStatusUpdate): Job {
  // A restore's steps move by its own rules (restore-job.ts): one instance, step by step.
  if (job.restore !== undefined) return job;
  if (update.commandId === job.commandId) {
    if (isTerminalJobState(job.state)) return job;
    const tracking = trackCommand(job, update);
    if (tracking === job) return job;
    const derived = deriveState(tracking, job.type);
    // Reports arrive in any order and carry the time they describe: the start is the earliest report that shows
    // the command past queued, and the finish is never before the start.
    const startedAt =
      derived.state === 'queued' || statusRank(update.status) < 1 ? job.startedAt : earlierOf(job.startedAt, update.at);
    const finished = isTerminalJobState(derived.state);
    return {
      ...job,
      ...tracking,
      state: derived.state,
      ...(startedAt === undefined ? {} : { startedAt }),
      ...(finished ? { finishedAt: laterOf(update.at, startedAt ?? update.at) } : {}),
      ...withOptional('host', derived.host),
      ...withOptional('outcome', derived.outcome),
      ...withOptional('stderrTail', derived.stderrTail),
      ...withOptional('resultData', derived.resultData),
      lastUpdateAt: laterOf(job.lastUpdateAt, update.at),
    };
  }
  const index = job.steps.findIndex((step) => step.commandId === update.commandId);
  const step = job.steps[index];
  if (step === undefined || isTerminalJobState(step.state)) return job;
  const tracking = trackCommand(step, update);
  if (tracking === step) return job;
  const derived = deriveState(tracking, job.type);
  const updatedStep: JobStep = {
    ...step,
    ...tracking,
    state: derived.state,
    ...(step.startedAt === undefined && derived.state !== 'queued' ? { startedAt: update.at } : {}),
    ...(isTerminalJobState(derived.state) ? { finishedAt: update.at } : {}),
    ...withOptional('host', derived.host),
    ...withOptional('outcome', derived.outcome),
    ...withOptional('stderrTail', derived.stderrTail),
  };
  return {
    ...job,
    steps: job.steps.map((existing, position) => (position === index ? updatedStep : existing)),
    lastUpdateAt: laterOf(job.lastUpdateAt, update.at),
  };
}

function withOptional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function earlierOf(a: Date | undefined, b: Date): Date {
  return a !== undefined && a.getTime() <= b.getTime() ? a : b;
}

function laterOf(a: Date, b: Date): Date {
  return b.getTime() > a.getTime() ? b : a;
}

/** Applies the report to the command tracking; returns the same object when nothing changes. */
function trackCommand<T extends CommandTracking>(tracking: T, update: CommandStatusUpdate): T {
  if (update.instanceId === undefined) {
    const current = tracking.commandStatus;
    if (current !== undefined && statusRank(update.status) <= statusRank(current)) return tracking;
    return { ...tracking, commandStatus: update.status };
  }
  const existing = tracking.invocations[update.instanceId];
  const next = nextInvocation(existing, update);
  if (next === existing) return tracking;
  return { ...tracking, invocations: { ...tracking.invocations, [update.instanceId]: next } };
}

function nextInvocation(existing: InvocationRecord | undefined, update: CommandStatusUpdate): InvocationRecord {
  const details = outputDetails(update);
  if (existing === undefined) {
    return { instanceId: update.instanceId ?? '', status: update.status, updatedAt: update.at, ...details };
  }
  const forward = statusRank(update.status) > statusRank(existing.status);
  const enriches = update.status === existing.status && existing.result === undefined && details.result !== undefined;
  if (!forward && !enriches) return existing;
  if (!forward) return { ...existing, ...details };
  return { ...existing, status: update.status, updatedAt: update.at, ...details };
}

function outputDetails(update: CommandStatusUpdate): Partial<InvocationRecord> {
  let result = update.stdoutTail === undefined ? undefined : safeResult(update.stdoutTail);
  // A host script that exits 0 always prints its result line; read output without one is an anomaly, not a success.
  if (result === undefined && update.stdoutTail !== undefined && update.status === 'Success') {
    result = { status: 'failed', script: '', step: 'result-line', exitCode: update.exitCode ?? -1 };
  }
  // The script's own tail of stderr (its result line) wins: SSM's inline stderr is the first 8,000 characters, which
  // cuts off the tool's final error.
  const stderr = (result?.status === 'failed' ? result.stderrTail : undefined) ?? update.stderrTail;
  return {
    ...(update.exitCode === undefined || update.exitCode < 0 ? {} : { exitCode: update.exitCode }),
    ...(result === undefined ? {} : { result: withoutStderr(result) }),
    ...(stderr === undefined || stderr === '' ? {} : { stderrTail: redactedTail(stderr) }),
  };
}

/** The result as stored: its stderr tail is kept once, redacted, as the invocation's `stderrTail`. */
function withoutStderr(result: ScriptResult): ScriptResult {
  if (result.status !== 'failed' || result.stderrTail === undefined) return result;
  const { stderrTail: _stderrTail, ...rest } = result;
  return rest;
}

/** A malformed result line is reported as a failure of the script, not as an exception in the tracker. */
function safeResult(stdout: string): ScriptResult | undefined {
  try {
    return parseScriptResult(stdout);
  } catch (error) {
    if (error instanceof InvalidInputError) {
      return { status: 'failed', script: '', step: 'result-line', exitCode: -1 };
    }
    throw error;
  }
}

interface DerivedState {
  readonly state: JobState;
  readonly host?: string;
  readonly outcome?: string;
  readonly stderrTail?: string;
  readonly resultData?: unknown;
}

/** What an invocation amounts to once terminal: its script result when read, else its SSM status. */
function invocationOutcome(invocation: InvocationRecord): 'success' | 'skipped' | 'failed' | 'timed-out' | 'pending' {
  if (!isTerminalStatus(invocation.status)) return 'pending';
  if (invocation.status === 'TimedOut') return 'timed-out';
  if (invocation.status !== 'Success') return 'failed';
  // Success is only known to be the work or a skip once the output was read (events carry no output).
  if (invocation.result === undefined) return 'pending';
  if (invocation.result.status === 'skipped') return 'skipped';
  if (invocation.result?.status === 'failed') return 'failed';
  return 'success';
}

function describeFailure(invocation: InvocationRecord): string {
  const result = invocation.result;
  if (invocation.status === 'TimedOut') return `timed out on ${invocation.instanceId}`;
  if (result?.status === 'failed' && result.step === 'result-line') {
    return `failed on ${invocation.instanceId}: the script printed no result line (exit ${result.exitCode})`;
  }
  if (result?.status === 'failed') {
    return `failed on ${invocation.instanceId} at step ${result.step} (exit ${result.commandExitCode ?? result.exitCode})`;
  }
  const code = invocation.exitCode === undefined ? '' : ` (exit ${invocation.exitCode})`;
  return `${invocation.status.toLowerCase()} on ${invocation.instanceId}${code}`;
}

/**
 * The job's state from its command tracking. A failed or timed-out invocation ends the job at once (the primary
 * failed; standbys only skip). Otherwise the job ends when the command as a whole is terminal: success when an
 * instance did the work, skipped when every instance skipped (no primary answered), failed when no instance ran.
 */
function deriveState(tracking: CommandTracking, type: JobType): DerivedState {
  const invocations = Object.values(tracking.invocations).sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  const outcomes = invocations.map((invocation) => ({ invocation, outcome: invocationOutcome(invocation) }));
  const broken = outcomes.find(({ outcome }) => outcome === 'failed' || outcome === 'timed-out');
  if (broken !== undefined) {
    return {
      state: broken.outcome === 'timed-out' ? 'timed-out' : 'failed',
      host: broken.invocation.instanceId,
      outcome: `${type} ${describeFailure(broken.invocation)}`,
      ...withOptional('stderrTail', broken.invocation.stderrTail),
    };
  }
  const commandStatus = tracking.commandStatus;
  const running = outcomes.some(({ invocation }) => statusRank(invocation.status) >= 1);
  if (commandStatus === undefined || !isTerminalStatus(commandStatus)) {
    // While it runs, the hosts the command runs on (the primary and its standbys for a tag target).
    const hosts = outcomes
      .filter(({ invocation }) => statusRank(invocation.status) >= 1)
      .map(({ invocation }) => invocation.instanceId)
      .join(', ');
    return {
      state: running || commandStatus === 'InProgress' ? 'running' : 'queued',
      ...withOptional('host', hosts === '' ? undefined : hosts),
    };
  }
  if (commandStatus === 'TimedOut') return { state: 'timed-out', outcome: `${type} command timed out` };
  if (commandStatus !== 'Success') {
    return { state: 'failed', outcome: `${type} command ended ${commandStatus.toLowerCase()}` };
  }
  if (outcomes.some(({ outcome }) => outcome === 'pending')) return { state: 'running' };
  // Every invocation ended and was read.
  const worked = outcomes.filter(({ outcome }) => outcome === 'success');
  const first = worked[0];
  if (first !== undefined) {
    const hosts = worked.map(({ invocation }) => invocation.instanceId).join(', ');
    const data = first.invocation.result?.status === 'success' ? first.invocation.result.data : undefined;
    return {
      state: 'success',
      host: first.invocation.instanceId,
      outcome:
        worked.length === 1 ? `${type} succeeded on ${hosts}` : `${type} succeeded on ${worked.length} hosts: ${hosts}`,
      ...withOptional('resultData', data ?? undefined),
    };
  }
  if (outcomes.length === 0) {
    return { state: 'failed', outcome: `${type}: no instance carries the target tag (the command reached no host)` };
  }
  const reasons = [
    ...new Set(
      outcomes.map(({ invocation }) =>
        invocation.result?.status === 'skipped' ? invocation.result.reason : 'skipped',
      ),
    ),
  ];
  return {
    state: 'skipped',
    outcome: `${type} skipped on every host (${reasons.join(', ')}): no primary answered`,
  };
}

/** Duration in whole seconds from start (or creation) to finish (or `now` while running). */
export function jobDurationSeconds(job: Job, now: Date): number {
  const from = (job.startedAt ?? job.createdAt).getTime();
  const to = (job.finishedAt ?? now).getTime();
  return Math.max(0, Math.round((to - from) / 1000));
}

/** JSON form of a job (times as ISO strings), as stored and as `walcat jobs --json` prints it. */
export interface JobJson {
  readonly id: string;
  readonly cluster: string;
  readonly type: JobType;
  readonly state: JobState;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly host?: string;
  readonly commandId?: string;
  readonly commandStatus?: CommandStatus;
  readonly outcome?: string;
  readonly stderrTail?: string;
  readonly resultData?: unknown;
  readonly lastUpdateAt: string;
  readonly lock?: string;
  readonly invocations: readonly {
    readonly instanceId: string;
    readonly status: CommandStatus;
    readonly updatedAt: string;
    readonly exitCode?: number;
    readonly result?: ScriptResult;
    readonly stderrTail?: string;
  }[];
  readonly steps: readonly (Omit<JobStep, 'startedAt' | 'finishedAt' | 'lastEventAt' | 'invocations'> & {
    readonly startedAt?: string;
    readonly finishedAt?: string;
    readonly lastEventAt?: string;
    readonly invocations: JobJson['invocations'];
  })[];
  readonly restore?: RestorePayloadJson;
  readonly version: number;
}

/** A restore's payload as stored: the target as its kind and text (an LSN or xid is no JSON number), times as ISO. */
export interface RestorePayloadJson extends Omit<RestorePayload, 'request' | 'failure'> {
  readonly request: Omit<RestoreRequest, 'target'> & {
    readonly target: { readonly kind: RestoreTarget['kind']; readonly value: string };
  };
  readonly failure?: Omit<RestoreFailure, 'at'> & { readonly at: string };
}

function restorePayloadToJson(payload: RestorePayload): RestorePayloadJson {
  const { target, ...request } = payload.request;
  const { failure: _failure, ...found } = payload;
  return {
    ...found,
    request: { ...request, target: { kind: target.kind, value: formatRestoreTarget(target) } },
    ...(payload.failure === undefined ? {} : { failure: { ...payload.failure, at: payload.failure.at.toISOString() } }),
  };
}

function restorePayloadFromJson(json: RestorePayloadJson): RestorePayload {
  const { target, ...request } = json.request;
  const { failure: _failure, ...found } = json;
  return {
    ...found,
    request: { ...request, target: restoreTargetFromText(target.kind, String(target.value ?? '')) },
    ...(json.failure === undefined
      ? {}
      : { failure: { ...json.failure, at: parseTime('failure.at', json.failure.at) } }),
  };
}

const iso = (date: Date | undefined): string | undefined => date?.toISOString();

function invocationsToJson(invocations: Readonly<Record<string, InvocationRecord>>): JobJson['invocations'] {
  return Object.values(invocations).map((invocation) => ({
    ...invocation,
    updatedAt: invocation.updatedAt.toISOString(),
  }));
}

export function jobToJson(job: Job): JobJson {
  return JSON.parse(
    JSON.stringify({
      ...job,
      createdAt: iso(job.createdAt),
      startedAt: iso(job.startedAt),
      finishedAt: iso(job.finishedAt),
      lastUpdateAt: iso(job.lastUpdateAt),
      invocations: invocationsToJson(job.invocations),
      steps: job.steps.map((step) => ({
        ...step,
        startedAt: iso(step.startedAt),
        finishedAt: iso(step.finishedAt),
        lastEventAt: iso(step.lastEventAt),
        invocations: invocationsToJson(step.invocations),
      })),
      ...(job.restore === undefined ? {} : { restore: restorePayloadToJson(job.restore) }),
    }),
  ) as JobJson;
}

function parseTime(field: string, text: unknown): Date {
  const date = new Date(typeof text === 'string' ? text : Number.NaN);
  if (Number.isNaN(date.getTime())) throw new InvalidInputError(`stored job: ${field} ${String(text)} is not a time`);
  return date;
}

function optionalTime(field: string, text: unknown): Date | undefined {
  return text === undefined || text === null ? undefined : parseTime(field, text);
}

function invocationsFromJson(list: JobJson['invocations'] | undefined): Record<string, InvocationRecord> {
  const records: Record<string, InvocationRecord> = {};
  for (const item of list ?? []) {
    records[item.instanceId] = {
      ...item,
      status: parseCommandStatus(item.status),
      updatedAt: parseTime('invocation.updatedAt', item.updatedAt),
    };
  }
  return records;
}

export function jobFromJson(json: JobJson): Job {
  const startedAt = optionalTime('startedAt', json.startedAt);
  const finishedAt = optionalTime('finishedAt', json.finishedAt);
  return {
    ...json,
    cluster: json.cluster as ClusterId,
    createdAt: parseTime('createdAt', json.createdAt),
    ...(startedAt === undefined ? {} : { startedAt }),
    ...(finishedAt === undefined ? {} : { finishedAt }),
    lastUpdateAt: parseTime('lastUpdateAt', json.lastUpdateAt),
    invocations: invocationsFromJson(json.invocations),
    steps: (json.steps ?? []).map((step) => {
      const stepStarted = optionalTime('step.startedAt', step.startedAt);
      const stepFinished = optionalTime('step.finishedAt', step.finishedAt);
      const lastEventAt = optionalTime('step.lastEventAt', step.lastEventAt);
      return {
        ...step,
        ...(stepStarted === undefined ? { startedAt: undefined } : { startedAt: stepStarted }),
        ...(stepFinished === undefined ? { finishedAt: undefined } : { finishedAt: stepFinished }),
        ...(lastEventAt === undefined ? {} : { lastEventAt }),
        invocations: invocationsFromJson(step.invocations),
      } as JobStep;
    }),
    ...(json.restore === undefined ? {} : { restore: restorePayloadFromJson(json.restore) }),
  } as Job;
}
