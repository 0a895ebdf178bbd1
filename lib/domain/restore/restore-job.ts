/**
 * A restore or drill as a pure state machine over the one job model ({@link Job}): a job of type `restore` or `drill`
 * whose steps run in order, each one host command (SSM Run Command or the local transport), with the request and
 * what the steps found as its payload ({@link Job.restore}). The job moves forward only on command status updates, which arrive as EventBridge status-change events
 * (at-least-once, in any order) or from the watchdog polling a quiet command. The rules that make that safe:
 *
 * - an update names a command id; updates for a command the job no longer waits for (an earlier attempt, another
 *   job) change nothing;
 * - a step's state only moves forward (`pending` → `queued` → `running` → `success` | `failed`): a late
 *   `InProgress` after `Success`, or a second `Success`, is a no-op;
 * - a failed step stops the job with the host's stderr tail; every step is idempotent on the host
 *   (restore-scripts.ts), so {@link resumeRestoreJob} simply runs the failed step again;
 * - at most one step is in flight: the next command is dispatched only after the previous one succeeded.
 */
import type { ClusterId, HostSettings } from '../cluster.ts';
import { InvalidInputError, WalcatError } from '../errors.ts';
import { parseScriptResult } from '../host/host-script.ts';
import { type CommandStatus, type CommandStatusUpdate, isTerminalStatus } from '../jobs/command-status.ts';
import { type Job, type JobStep, restorePayload, stepInProgress } from '../jobs/job.ts';
import { redactedTail } from '../jobs/output-tail.ts';
import { formatLsn } from '../wal/lsn.ts';
import {
  buildRestoreStepScript,
  RESTORE_STEPS,
  RESUME_ARCHIVING_STEP,
  type RestoreScriptInput,
  type RestoreStepName,
  TARGET_NOT_REACHED_MESSAGE,
} from './restore-scripts.ts';
import { formatRestoreTarget, type RestoreTarget } from './restore-target.ts';

export type { CommandStatus, CommandStatusUpdate } from '../jobs/command-status.ts';

/** Where the restore runs: a given instance, or the one instance carrying a tag. */
export type RestoreHostTarget =
  | { readonly kind: 'instance'; readonly instanceId: string }
  | { readonly kind: 'tag'; readonly tagKey: string; readonly tagValue: string };

/** What the operator (or the drill scheduler) asked for, after planning; stored with the job. */
export interface RestoreRequest {
  readonly target: RestoreTarget;
  readonly baseBackup: string;
  /** Planned timeline, or `latest` for a restore to the end of the archive. */
  readonly timeline: number | 'latest';
  readonly action: 'promote' | 'pause';
  readonly host: RestoreHostTarget;
  readonly inPlace: boolean;
  /** Settings of the target host (data directory, OS user, service, wal-g). */
  readonly hostSettings: HostSettings;
  readonly pgVersion?: number;
  readonly requiredBytes?: number;
  readonly checkSql?: string;
  readonly extraSettings?: Readonly<Record<string, string>>;
  readonly recoveryTimeoutSeconds: number;
  /** Drills: a server on the data directory that is an earlier walcat restored copy may be replaced. */
  readonly replaceRestoredCopy?: boolean;
  /** Run pg_amcheck over the restored copy in verify (drills do). */
  readonly amcheck?: boolean;
  /**
   * In-place restores that promote: a last step turns archive_mode back on and archives the new timeline (its
   * history file and segments), so the cluster archives again without a manual step.
   */
  readonly resumeArchiving?: boolean;
}

/** The job types the restore state machine drives. */
export type RestoreJobType = 'restore' | 'drill';

/** One check verify made on the restored copy, in order: server, recovery, timeline, target, archive-mode, amcheck, check-sql. */
export interface RestoreCheck {
  readonly name: 'server' | 'recovery' | 'timeline' | 'target' | 'archive-mode' | 'amcheck' | 'check-sql';
  readonly status: 'passed' | 'failed' | 'skipped';
  readonly detail: string;
}

/** What the verify step found on the restored server. */
export interface RestoreOutcome {
  readonly inRecovery: boolean;
  readonly timeline: number;
  readonly lastReplayTimestamp?: string;
  readonly lastReplayLsn?: string;
  readonly archiveMode?: string;
  /** The port and data directory of the server verify talked to: the restored copy's own. */
  readonly port?: number;
  readonly dataDirectory?: string;
  readonly check?: { readonly passed: boolean; readonly firstValue: string };
  /** Absent on jobs stored before checks were recorded. */
  readonly checks?: readonly RestoreCheck[];
  /** After resume-archiving: the timeline now archived, files queued for the archiver, the last one archived. */
  readonly archiving?: { readonly timeline: number; readonly queued: number; readonly lastArchived: string };
  /**
   * The measured restore time (RTO): from job creation to the end of verify, plus the thaw that had to come first
   * (`thawMs`), since a real restore from the same objects would wait for it too.
   */
  readonly restoreMs: number;
  /** The thaw of frozen objects before the job was created; absent when none was needed. */
  readonly thawMs?: number;
}

/** The thaw of frozen objects (RestoreObject, then waiting until readable) that came before a job. */
export interface RestoreJobThaw {
  readonly objects: number;
  /** Objects walcat asked S3 to thaw (the others were thawing or readable already). */
  readonly requested: number;
  readonly seconds: number;
}

export interface RestoreFailure {
  readonly step: RestoreStepName;
  readonly message: string;
  readonly stderrTail?: string;
  readonly at: Date;
  /** The checks verify made, when verification found a problem. */
  readonly checks?: readonly RestoreCheck[];
}

/** What applying an update did, so the caller knows whether to dispatch, notify or do nothing. */
export type RestoreTransition =
  | { readonly kind: 'ignored'; readonly why: string }
  | { readonly kind: 'progressed' }
  | { readonly kind: 'step-succeeded'; readonly step: RestoreStepName }
  | { readonly kind: 'failed'; readonly failure: RestoreFailure }
  | { readonly kind: 'completed'; readonly outcome: RestoreOutcome };

export interface RestoreTransitionResult {
  readonly job: Job;
  readonly transition: RestoreTransition;
}

/** A restore job that cannot do what was asked (resume a running job, dispatch while a step is in flight). */
export class RestoreJobStateError extends WalcatError {
  override readonly name: string = 'RestoreJobStateError';
}

const JOB_ID = /^[a-z0-9][a-z0-9-]{0,63}$/u;
const STDERR_TAIL_LINES = 20;

/**
 * A new restore or drill job: every step pending, started when created (its restore time counts from there), and
 * on the named instance as its host (a tag target is resolved to its instance before the job is created).
 *
 * @example createRestoreJob({ id: 'r-1', cluster, type: 'restore', request, now }).steps[0].name === 'preflight'
 */
export function createRestoreJob(input: {
  readonly id: string;
  readonly cluster: ClusterId;
  readonly type: RestoreJobType;
  readonly request: RestoreRequest;
  readonly now: Date;
  readonly thaw?: RestoreJobThaw;
}): Job {
  if (!JOB_ID.test(input.id)) {
    throw new InvalidInputError(`restore job id ${JSON.stringify(input.id)} must match [a-z0-9][a-z0-9-]*`);
  }
  const request = input.request;
  const promotes = request.action === 'promote' || request.target.kind === 'latest';
  if (request.resumeArchiving === true && (!request.inPlace || !promotes)) {
    throw new InvalidInputError(
      `restore job ${input.id}: --resume-archiving applies only to an in-place restore that promotes (a copy elsewhere must not archive into the cluster's archive); drop --resume-archiving${request.inPlace ? ' or --pause' : ''}`,
    );
  }
  const names = restoreStepNames(request);
  const job: Job = {
    id: input.id,
    cluster: input.cluster,
    type: input.type,
    state: 'running',
    createdAt: input.now,
    startedAt: input.now,
    lastUpdateAt: input.now,
    ...(request.host.kind === 'instance' ? { host: request.host.instanceId } : {}),
    invocations: {},
    steps: names.map((name) => ({ name, state: 'pending', attempts: 0, previousCommandIds: [], invocations: {} })),
    restore: { request, ...(input.thaw === undefined ? {} : { thaw: input.thaw }) },
    version: 0,
  };
  // Building every script once up front refuses a bad path, backup name or setting before anything runs.
  for (const step of names) buildRestoreStepScript(step, scriptInput(job));
  return job;
}

/** The request the restore or drill job was started with. */
export const restoreRequest = (job: Job): RestoreRequest => restorePayload(job).request;

/** The restore time of a job verified at `at`: its own steps plus the thaw before it, which is its own figure too. */
function restoreTimes(job: Job, at: Date): Pick<RestoreOutcome, 'restoreMs' | 'thawMs'> {
  const stepsMs = Math.max(0, at.getTime() - job.createdAt.getTime());
  const thaw = restorePayload(job).thaw;
  if (thaw === undefined) return { restoreMs: stepsMs };
  const thawMs = Math.round(thaw.seconds * 1000);
  return { restoreMs: stepsMs + thawMs, thawMs };
}

/** The steps of a restore: the eight of every restore, then resume-archiving when asked for. */
export function restoreStepNames(request: RestoreRequest): readonly RestoreStepName[] {
  return request.resumeArchiving === true ? [...RESTORE_STEPS, RESUME_ARCHIVING_STEP] : RESTORE_STEPS;
}

/** The inputs of the step scripts, from the stored request. */
export function scriptInput(job: Job): RestoreScriptInput {
  const request = restoreRequest(job);
  return {
    jobId: job.id,
    host: request.hostSettings,
    baseBackup: request.baseBackup,
    target: request.target,
    timeline: request.timeline,
    action: request.action,
    inPlace: request.inPlace,
    recoveryTimeoutSeconds: request.recoveryTimeoutSeconds,
    ...(request.pgVersion === undefined ? {} : { pgVersion: request.pgVersion }),
    ...(request.requiredBytes === undefined ? {} : { requiredBytes: request.requiredBytes }),
    ...(request.checkSql === undefined ? {} : { checkSql: request.checkSql }),
    ...(request.extraSettings === undefined ? {} : { extraSettings: request.extraSettings }),
    ...(request.replaceRestoredCopy === undefined ? {} : { replaceRestoredCopy: request.replaceRestoredCopy }),
    ...(request.amcheck === undefined ? {} : { amcheck: request.amcheck }),
  };
}

/**
 * The next command to send: the first pending step, when the job runs and nothing is in flight.
 *
 * @example nextRestoreCommand(createRestoreJob(...))?.step === 'preflight'
 */
export function nextRestoreCommand(
  job: Job,
): { readonly step: RestoreStepName; readonly script: string; readonly timeoutSeconds: number } | undefined {
  if (job.state !== 'running' || stepInProgress(job)) return undefined;
  const step = job.steps.find((candidate) => candidate.state === 'pending');
  if (!step) return undefined;
  const name = step.name as RestoreStepName;
  return {
    step: name,
    script: buildRestoreStepScript(name, scriptInput(job)),
    timeoutSeconds: stepTimeoutSeconds(job, name),
  };
}

/**
 * How long one step may run before it counts as timed out (also the SSM execution timeout). backup-fetch gets an
 * hour plus time for the backup at 20 MB/s; wait-recovery the requested recovery timeout plus a margin.
 */
export function stepTimeoutSeconds(job: Job, step: RestoreStepName): number {
  const request = restoreRequest(job);
  switch (step) {
    case 'fetch-backup':
      return 3600 + Math.ceil((request.requiredBytes ?? 0) / 20_000_000);
    case 'wait-recovery':
      return request.recoveryTimeoutSeconds + 300;
    case 'resume-archiving':
      return 1800;
    case 'start-postgres':
    case 'stop-postgres':
      return 900;
    default:
      return 600;
  }
}

/**
 * Records that `step`'s command was sent: the step is queued on that command until the host reports it running.
 *
 * @throws RestoreJobStateError when the step is not the next pending one (a second dispatcher lost a race).
 */
export function markStepDispatched(job: Job, step: RestoreStepName, commandId: string, now: Date): Job {
  const next = nextRestoreCommand(job);
  if (next?.step !== step) {
    throw new RestoreJobStateError(
      `restore job ${job.id}: step ${step} is not the next step to dispatch (${next?.step ?? 'none is'}); another dispatcher already sent it`,
    );
  }
  return touch(job, now, {
    steps: job.steps.map((candidate) =>
      candidate.name === step
        ? {
            ...candidate,
            state: 'queued',
            attempts: (candidate.attempts ?? 0) + 1,
            commandId,
            previousCommandIds: candidate.commandId
              ? [...(candidate.previousCommandIds ?? []), candidate.commandId]
              : (candidate.previousCommandIds ?? []),
            startedAt: now,
            finishedAt: undefined,
            durationMs: undefined,
            lastEventAt: now,
            commandStatus: 'Pending',
            stderrTail: undefined,
            result: undefined,
          }
        : candidate,
    ),
  });
}

/**
 * Applies one command status update. Duplicates, late events of earlier attempts and out-of-order events are
 * ignored (the transition says why); a step's state never moves backwards.
 *
 * @example applyCommandUpdate(job, { commandId: 'c-1', status: 'InProgress', at }).transition.kind === 'progressed'
 */
export function applyCommandUpdate(job: Job, update: CommandStatusUpdate): RestoreTransitionResult {
  const step = job.steps.find((candidate) => candidate.commandId === update.commandId);
  if (!step) {
    const earlier = job.steps.some((candidate) => candidate.previousCommandIds?.includes(update.commandId));
    return ignored(job, earlier ? 'update for an earlier attempt' : 'command is not part of this job');
  }
  if (step.state === 'success' || step.state === 'failed') {
    return ignored(job, `step ${step.name} already ${step.state === 'success' ? 'succeeded' : 'failed'}`);
  }
  if (job.state !== 'running') return ignored(job, `job already ${job.state === 'success' ? 'succeeded' : job.state}`);
  const instance = job.host ?? update.instanceId;
  const base = { ...(instance === undefined ? {} : { host: instance }) };
  if (!isTerminalStatus(update.status)) {
    const state: JobStep['state'] = update.status === 'InProgress' || step.state === 'running' ? 'running' : 'queued';
    const changed = state !== step.state || instance !== job.host;
    const updated = replaceStep(job, step.name, {
      ...step,
      state,
      commandStatus: state !== step.state ? update.status : step.commandStatus,
      lastEventAt: later(step.lastEventAt, update.at),
    });
    return changed
      ? { job: touch(updated, update.at, base), transition: { kind: 'progressed' } }
      : { job: updated, transition: { kind: 'ignored', why: 'no change' } };
  }
  return finishStep(touch(job, update.at, base), step, update);
}

/** The end of stderr a failed step script carried in its result line (SSM's inline stderr is only the head). */
function scriptStderrTail(stdout: string | undefined): string | undefined {
  try {
    const result = stdout === undefined ? undefined : parseScriptResult(stdout);
    return result?.status === 'failed' ? result.stderrTail : undefined;
  } catch {
    return undefined;
  }
}

function finishStep(job: Job, step: JobStep, update: CommandStatusUpdate): RestoreTransitionResult {
  const stderrTail = tail(scriptStderrTail(update.stdoutTail) ?? update.stderrTail ?? '');
  // The reporting clock (the host's, SSM's) may run behind the one that sent the step: a step never finishes
  // before it was sent, nor a job before it was created.
  const at = later(later(job.createdAt, step.startedAt ?? job.createdAt), update.at);
  const durationMs = step.startedAt ? Math.max(0, at.getTime() - step.startedAt.getTime()) : undefined;
  const finished = {
    ...step,
    finishedAt: at,
    lastEventAt: later(step.lastEventAt, update.at),
    commandStatus: update.status,
    ...(durationMs === undefined ? {} : { durationMs }),
    ...(stderrTail === '' ? {} : { stderrTail }),
  };
  let parsed: ReturnType<typeof parseScriptResult>;
  try {
    parsed = update.stdoutTail === undefined ? undefined : parseScriptResult(update.stdoutTail);
  } catch (error) {
    return failStep(job, finished, `its result line is unreadable (${(error as Error).message})`, at);
  }
  if (update.status !== 'Success' || parsed?.status === 'failed') {
    const why =
      update.status === 'Success'
        ? `its script reported failure at ${parsed?.status === 'failed' ? parsed.step : 'an unknown step'}`
        : describeCommandFailure(update.status);
    return failStep(job, finished, why, at);
  }
  const result = parsed?.status === 'success' ? parsed.data : undefined;
  const succeeded: JobStep = { ...finished, state: 'success', ...(result === undefined ? {} : { result }) };
  const advanced = replaceStep(job, step.name, succeeded);
  if (step.name === RESUME_ARCHIVING_STEP) return completeWithArchiving(advanced, succeeded, at);
  if (step.name !== 'verify') {
    return { job: advanced, transition: { kind: 'step-succeeded', step: step.name as RestoreStepName } };
  }
  const verified = completeWithVerification(advanced, succeeded, at);
  if (verified.transition.kind !== 'completed' || !advanced.steps.some((s) => s.name === RESUME_ARCHIVING_STEP)) {
    return verified;
  }
  // Verified with archive_mode off; the job ends once archiving is back on and the new timeline is archived.
  const { finishedAt: _finishedAt, ...running } = verified.job;
  return { job: { ...running, state: 'running' }, transition: { kind: 'step-succeeded', step: 'verify' } };
}

/** resume-archiving succeeded: the restore is done, with archiving on and the new timeline in the archive. */
function completeWithArchiving(job: Job, step: JobStep, at: Date): RestoreTransitionResult {
  const data = (step.result ?? {}) as Record<string, unknown>;
  const previous = restorePayload(job).outcome;
  if (!previous) return failStep(job, { ...step, state: 'running' }, 'verify recorded no outcome', at);
  const archived = typeof data.lastArchived === 'string' ? data.lastArchived : 'unknown';
  const outcome: RestoreOutcome = {
    ...previous,
    archiveMode: 'on',
    ...restoreTimes(job, at),
    archiving: {
      timeline: typeof data.timeline === 'number' ? data.timeline : previous.timeline,
      queued: typeof data.queued === 'number' ? data.queued : 0,
      lastArchived: archived,
    },
  };
  return {
    job: succeed(job, outcome, at),
    transition: { kind: 'completed', outcome },
  };
}

function describeCommandFailure(status: CommandStatus): string {
  switch (status) {
    case 'TimedOut':
      return 'the command timed out on the host';
    case 'Cancelled':
    case 'Terminated':
      return `the command was ${status.toLowerCase()}`;
    case 'Undeliverable':
      return 'the command could not be delivered (instance stopped, not managed by SSM, or gone)';
    default:
      return 'the command failed on the host';
  }
}

/** What S3 and WAL-G print when an object a fetch needs is not in the bucket: no retry brings it back. */
const OBJECT_MISSING = /NoSuchKey|object not found|ObjectNotFound|does not exist|status code: 404/i;

function failStep(
  job: Job,
  step: JobStep,
  why: string,
  at: Date,
  checks?: readonly RestoreCheck[],
): RestoreTransitionResult {
  const lastLine = (step.stderrTail ?? '')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .at(-1);
  const host = job.host ? ` on ${job.host}` : '';
  const stderr = step.stderrTail ?? '';
  const hint = stderr.includes(TARGET_NOT_REACHED_MESSAGE)
    ? '; the archive holds no commit after the target (the primary was idle or had not archived it yet): `--to latest` restores everything the archive holds, or choose an earlier time'
    : step.name === 'fetch-backup' && OBJECT_MISSING.test(stderr)
      ? `; an object of the backup is missing from the bucket, so a resume cannot help: run \`walcat sync --cluster ${job.cluster}\` (the backup then shows missing-data), plan the restore again from another backup (\`walcat restore plan\`) and start a new job (the old data directory is kept aside)`
      : '; fix the cause, then resume the job (each step is safe to run again; the old data directory is kept aside)';
  const failure: RestoreFailure = {
    step: step.name as RestoreStepName,
    message: `restore job ${job.id}: step ${step.name} failed${host}: ${why}${lastLine ? `: ${lastLine.trim()}` : ''}${hint}`,
    ...(step.stderrTail ? { stderrTail: step.stderrTail } : {}),
    at,
    ...(checks === undefined ? {} : { checks }),
  };
  const failed = replaceStep(job, step.name, { ...step, state: 'failed' });
  const { outcome: _outcome, ...payload } = restorePayload(failed);
  return {
    job: { ...failed, state: 'failed', restore: { ...payload, failure }, finishedAt: at },
    transition: { kind: 'failed', failure },
  };
}

/**
 * Checks what verify read against what was asked: the server answering is the copy on the job's data directory,
 * promoted onto a new timeline (or paused in recovery), the target reached (last replayed commit not after a time
 * target, last replayed LSN at or past an LSN target), archiving off, pg_amcheck clean, the SQL check passed.
 */
function completeWithVerification(job: Job, step: JobStep, at: Date): RestoreTransitionResult {
  const data = (step.result ?? {}) as Record<string, unknown>;
  const checks: RestoreCheck[] = [];
  const add = (name: RestoreCheck['name'], ok: boolean | undefined, detail: string) =>
    checks.push({ name, status: ok === undefined ? 'skipped' : ok ? 'passed' : 'failed', detail });
  const inRecovery = data.inRecovery === true;
  const timeline = typeof data.timeline === 'number' ? data.timeline : 0;
  const lastReplay = typeof data.lastReplayTimestamp === 'string' ? data.lastReplayTimestamp : undefined;
  const lastReplayLsn = typeof data.lastReplayLsn === 'string' ? data.lastReplayLsn : undefined;
  const dataDirectory = typeof data.dataDirectory === 'string' ? data.dataDirectory : undefined;
  const port = typeof data.port === 'number' ? data.port : undefined;
  const request = restoreRequest(job);
  const pgData = request.hostSettings.pgData.replace(/(.)\/+$/u, '$1');
  if (dataDirectory !== undefined) {
    add(
      'server',
      dataDirectory.replace(/(.)\/+$/u, '$1') === pgData,
      dataDirectory.replace(/(.)\/+$/u, '$1') === pgData
        ? `the restored copy on ${pgData}, port ${port ?? 'unknown'}`
        : `verify reached the server of ${dataDirectory} (port ${port ?? 'unknown'}), not the restored copy on ${pgData}`,
    );
  }
  const expectPaused = request.action === 'pause' && request.target.kind !== 'latest';
  add(
    'recovery',
    expectPaused === inRecovery,
    expectPaused === inRecovery
      ? inRecovery
        ? 'paused in recovery at the target'
        : 'promoted'
      : expectPaused
        ? 'the server is not paused in recovery'
        : 'the server is still in recovery',
  );
  const baseTimeline = timelineOfBackupName(request.baseBackup);
  if (!expectPaused && baseTimeline !== undefined) {
    add(
      'timeline',
      timeline > baseTimeline,
      timeline > baseTimeline
        ? `timeline ${timeline}, new after ${baseTimeline}`
        : `the server is on timeline ${timeline}, not on a new timeline after ${baseTimeline}`,
    );
  } else {
    add('timeline', undefined, `timeline ${timeline}`);
  }
  addTargetCheck(request.target, lastReplay, lastReplayLsn, inRecovery || !expectPaused, add);
  if (typeof data.archiveMode === 'string') {
    add(
      'archive-mode',
      data.archiveMode === 'off',
      data.archiveMode === 'off'
        ? 'archive_mode off'
        : `archive_mode is ${data.archiveMode}, so the copy could archive into the live cluster's archive`,
    );
  }
  const amcheck = readAmcheck(data.amcheck);
  if (request.amcheck === true) {
    add(
      'amcheck',
      amcheck?.status === 'skipped' ? undefined : amcheck?.status === 'passed',
      amcheck === undefined
        ? 'pg_amcheck did not report'
        : amcheck.status === 'passed'
          ? 'pg_amcheck found no corruption in any database'
          : amcheck.status === 'skipped'
            ? 'not run on a copy paused in recovery (pg_amcheck needs to install its extension)'
            : `pg_amcheck exited with ${amcheck.exitCode} (corruption or an error; see the step's stderr)`,
    );
  }
  const check = readCheck(data.check);
  if (check) {
    add(
      'check-sql',
      check.passed,
      check.passed
        ? `returned ${JSON.stringify(check.firstValue)}`
        : `the SQL check returned ${JSON.stringify(check.firstValue)}`,
    );
  }
  const problems = checks.filter((candidate) => candidate.status === 'failed').map((candidate) => candidate.detail);
  if (problems.length > 0) {
    return failStep(job, { ...step, state: 'running' }, `verification found that ${problems.join('; ')}`, at, checks);
  }
  const outcome: RestoreOutcome = {
    inRecovery,
    timeline,
    ...restoreTimes(job, at),
    ...(lastReplay === undefined ? {} : { lastReplayTimestamp: lastReplay }),
    ...(lastReplayLsn === undefined ? {} : { lastReplayLsn }),
    ...(typeof data.archiveMode === 'string' ? { archiveMode: data.archiveMode } : {}),
    ...(port === undefined ? {} : { port }),
    ...(dataDirectory === undefined ? {} : { dataDirectory }),
    ...(check ? { check } : {}),
    checks,
  };
  return {
    job: succeed(job, outcome, at),
    transition: { kind: 'completed', outcome },
  };
}

function addTargetCheck(
  target: RestoreTarget,
  lastReplay: string | undefined,
  lastReplayLsn: string | undefined,
  recoveryEnded: boolean,
  add: (name: RestoreCheck['name'], ok: boolean | undefined, detail: string) => void,
): void {
  switch (target.kind) {
    case 'time': {
      const replayed = lastReplay === undefined ? Number.NaN : Date.parse(lastReplay);
      if (!Number.isFinite(replayed)) {
        add('target', undefined, 'no commit was replayed, so the last commit cannot be compared with the target');
        return;
      }
      const ok = replayed <= target.time.getTime();
      add(
        'target',
        ok,
        ok
          ? `last replayed commit ${lastReplay} at or before the target ${target.time.toISOString()}`
          : `the last replayed commit (${lastReplay}) is after the target ${target.time.toISOString()}`,
      );
      return;
    }
    case 'lsn': {
      const replayed = lastReplayLsn === undefined ? undefined : parseLsnOrUndefined(lastReplayLsn);
      if (replayed === undefined) {
        add('target', undefined, 'the server reported no last replayed LSN');
        return;
      }
      const ok = replayed >= target.lsn;
      add(
        'target',
        ok,
        ok
          ? `replayed to ${lastReplayLsn}, at or past the target ${formatLsn(target.lsn)}`
          : `replay stopped at ${lastReplayLsn}, before the target ${formatLsn(target.lsn)}`,
      );
      return;
    }
    default:
      add(
        'target',
        recoveryEnded ? true : undefined,
        `${formatRestoreTarget(target)}: PostgreSQL ended recovery there${lastReplayLsn ? ` (last replayed ${lastReplayLsn})` : ''}`,
      );
  }
}

function parseLsnOrUndefined(text: string): bigint | undefined {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/u.exec(text);
  return match ? (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`) : undefined;
}

function readAmcheck(value: unknown): { status: string; exitCode: number } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  return {
    status: typeof record.status === 'string' ? record.status : 'failed',
    exitCode: typeof record.exitCode === 'number' ? record.exitCode : -1,
  };
}

function readCheck(value: unknown): RestoreOutcome['check'] {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const encoded = typeof record.firstValueBase64 === 'string' ? record.firstValueBase64 : '';
  return { passed: record.passed === true, firstValue: decodeBase64(encoded) };
}

function decodeBase64(text: string): string {
  try {
    const binary = atob(text);
    return new TextDecoder().decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
  } catch {
    return '';
  }
}

function timelineOfBackupName(name: string): number | undefined {
  const match = /^base_([0-9A-F]{8})/u.exec(name);
  return match ? Number.parseInt(match[1] as string, 16) : undefined;
}

/**
 * Restarts a failed job at its failed step (steps are idempotent on the host; the moved-aside data directory is
 * untouched). Succeeded steps are not run again.
 *
 * @throws RestoreJobStateError when the job is not failed.
 */
export function resumeRestoreJob(job: Job, now: Date): Job {
  if (job.state !== 'failed') {
    throw new RestoreJobStateError(
      `restore job ${job.id} is ${job.state === 'success' ? 'succeeded' : job.state}; only a failed job can be resumed (see walcat restore status ${job.id})`,
    );
  }
  const { finishedAt: _finishedAt, ...rest } = job;
  const { failure: _failure, ...payload } = restorePayload(job);
  return touch({ ...rest, state: 'running', restore: payload }, now, {
    steps: job.steps.map((step) => (step.state === 'failed' ? { ...step, state: 'pending' } : step)),
  });
}

/**
 * The watchdog's view of a job: the in-flight step when no update arrived for `quietMs` (poll its invocation), and
 * whether it has run longer than its timeout (then {@link timeOutStep}).
 */
export function stuckStep(
  job: Job,
  now: Date,
  quietMs: number,
): { readonly step: JobStep; readonly overdue: boolean } | undefined {
  const step = stepInProgress(job);
  if (!step || job.state !== 'running') return undefined;
  const lastHeard = step.lastEventAt ?? step.startedAt ?? job.lastUpdateAt;
  if (now.getTime() - lastHeard.getTime() < quietMs) return undefined;
  const started = step.startedAt ?? job.lastUpdateAt;
  const overdue = now.getTime() - started.getTime() > stepTimeoutSeconds(job, step.name as RestoreStepName) * 1000;
  return { step, overdue };
}

/** Fails the in-flight step as timed out (the watchdog found it overdue and the host never answered). */
export function timeOutStep(job: Job, now: Date): RestoreTransitionResult {
  const step = stepInProgress(job);
  if (!step?.commandId) return ignored(job, 'no step in flight');
  return applyCommandUpdate(job, {
    commandId: step.commandId,
    status: 'TimedOut',
    at: now,
    stderrTail: `walcat watchdog: no final status after ${stepTimeoutSeconds(job, step.name as RestoreStepName)} s`,
  });
}

function ignored(job: Job, why: string): RestoreTransitionResult {
  return { job, transition: { kind: 'ignored', why } };
}

/** The job succeeded at `at` with what verify (and resume-archiving) found. */
function succeed(job: Job, outcome: RestoreOutcome, at: Date): Job {
  return { ...job, state: 'success', restore: { ...restorePayload(job), outcome }, finishedAt: at };
}

function replaceStep(job: Job, name: string, step: JobStep): Job {
  return { ...job, steps: job.steps.map((candidate) => (candidate.name === name ? step : candidate)) };
}

function touch(job: Job, now: Date, changes: Partial<Job>): Job {
  return { ...job, ...changes, lastUpdateAt: later(job.lastUpdateAt, now), version: job.version + 1 };
}

function later(a: Date | undefined, b: Date): Date {
  return a && a.getTime() > b.getTime() ? a : b;
}

/** The last lines of stderr, with anything that looks like a credential masked (output-tail.ts). */
function tail(text: string): string {
  return redactedTail(text.replace(/\s+$/u, '').split('\n').slice(-STDERR_TAIL_LINES).join('\n'));
}
