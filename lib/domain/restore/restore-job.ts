/**
 * A restore job as a pure state machine. Each step is one host command (SSM Run Command or the local transport);
 * the job moves forward only on command status updates, which arrive as EventBridge status-change events
 * (at-least-once, in any order) or from the watchdog polling a quiet command. The rules that make that safe:
 *
 * - an update names a command id; updates for a command the job no longer waits for (an earlier attempt, another
 *   job) change nothing;
 * - a step's status only moves forward (`pending` → `dispatched` → `running` → `succeeded` | `failed`): a late
 *   `InProgress` after `Success`, or a second `Success`, is a no-op;
 * - a failed step stops the job with the host's stderr tail; every step is idempotent on the host
 *   (restore-scripts.ts), so {@link resumeRestoreJob} simply runs the failed step again;
 * - at most one step is in flight: the next command is dispatched only after the previous one succeeded.
 */
import type { ClusterId, HostSettings } from '../cluster.ts';
import { InvalidInputError, WalcatError } from '../errors.ts';
import { parseScriptResult } from '../host/host-script.ts';
import { type CommandStatus, type CommandStatusUpdate, isTerminalStatus } from '../jobs/command-status.ts';
import type { Job, JobState, JobStepState } from '../jobs/job.ts';
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
import { formatRestoreTarget, type RestoreTarget, restoreTargetFromText } from './restore-target.ts';

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

export type RestoreJobKind = 'restore' | 'drill';
export type RestoreJobStatus = 'running' | 'failed' | 'succeeded';
export type RestoreStepStatus = 'pending' | 'dispatched' | 'running' | 'succeeded' | 'failed';

export interface RestoreStep {
  readonly name: RestoreStepName;
  readonly status: RestoreStepStatus;
  readonly attempts: number;
  /** Command of the current attempt. */
  readonly commandId?: string;
  /** Commands of earlier attempts: their late events are ignored. */
  readonly previousCommandIds: readonly string[];
  readonly dispatchedAt?: Date;
  readonly finishedAt?: Date;
  /** finishedAt - dispatchedAt of the last attempt. */
  readonly durationMs?: number;
  readonly lastEventAt?: Date;
  readonly commandStatus?: CommandStatus;
  readonly stderrTail?: string;
  /** `data` of the step script's result line. */
  readonly result?: unknown;
}

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

export interface RestoreJob {
  readonly jobId: string;
  readonly cluster: ClusterId;
  readonly kind: RestoreJobKind;
  readonly status: RestoreJobStatus;
  readonly request: RestoreRequest;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly finishedAt?: Date;
  /** The instance the steps run on, once known (the first status update names it for tag targets). */
  readonly instanceId?: string;
  readonly steps: readonly RestoreStep[];
  readonly failure?: RestoreFailure;
  readonly outcome?: RestoreOutcome;
  /** The thaw that had to finish before the job could start. */
  readonly thaw?: RestoreJobThaw;
  /** Increases on every change; stores use it for optimistic concurrency. */
  readonly version: number;
}

/** What applying an update did, so the caller knows whether to dispatch, notify or do nothing. */
export type RestoreTransition =
  | { readonly kind: 'ignored'; readonly why: string }
  | { readonly kind: 'progressed' }
  | { readonly kind: 'step-succeeded'; readonly step: RestoreStepName }
  | { readonly kind: 'failed'; readonly failure: RestoreFailure }
  | { readonly kind: 'completed'; readonly outcome: RestoreOutcome };

export interface RestoreTransitionResult {
  readonly job: RestoreJob;
  readonly transition: RestoreTransition;
}

/** A restore job that cannot do what was asked (resume a running job, dispatch while a step is in flight). */
export class RestoreJobStateError extends WalcatError {
  override readonly name: string = 'RestoreJobStateError';
}

const JOB_ID = /^[a-z0-9][a-z0-9-]{0,63}$/u;
const STDERR_TAIL_LINES = 20;

/**
 * A new restore job: every step pending.
 *
 * @example createRestoreJob({ jobId: 'r-1', cluster, kind: 'restore', request, now }).steps[0].name === 'preflight'
 */
export function createRestoreJob(input: {
  readonly jobId: string;
  readonly cluster: ClusterId;
  readonly kind: RestoreJobKind;
  readonly request: RestoreRequest;
  readonly now: Date;
  readonly thaw?: RestoreJobThaw;
}): RestoreJob {
  if (!JOB_ID.test(input.jobId)) {
    throw new InvalidInputError(`restore job id ${JSON.stringify(input.jobId)} must match [a-z0-9][a-z0-9-]*`);
  }
  const request = input.request;
  const promotes = request.action === 'promote' || request.target.kind === 'latest';
  if (request.resumeArchiving === true && (!request.inPlace || !promotes)) {
    throw new InvalidInputError(
      `restore job ${input.jobId}: --resume-archiving applies only to an in-place restore that promotes (a copy elsewhere must not archive into the cluster's archive); drop --resume-archiving${request.inPlace ? ' or --pause' : ''}`,
    );
  }
  const names = restoreStepNames(request);
  const job: RestoreJob = {
    jobId: input.jobId,
    cluster: input.cluster,
    kind: input.kind,
    status: 'running',
    request: input.request,
    createdAt: input.now,
    updatedAt: input.now,
    ...(input.request.host.kind === 'instance' ? { instanceId: input.request.host.instanceId } : {}),
    steps: names.map((name) => ({ name, status: 'pending', attempts: 0, previousCommandIds: [] })),
    ...(input.thaw === undefined ? {} : { thaw: input.thaw }),
    version: 0,
  };
  // Building every script once up front refuses a bad path, backup name or setting before anything runs.
  for (const step of names) buildRestoreStepScript(step, scriptInput(job));
  return job;
}

/** The restore time of a job verified at `at`: its own steps plus the thaw before it, which is its own figure too. */
function restoreTimes(job: RestoreJob, at: Date): Pick<RestoreOutcome, 'restoreMs' | 'thawMs'> {
  const stepsMs = Math.max(0, at.getTime() - job.createdAt.getTime());
  if (job.thaw === undefined) return { restoreMs: stepsMs };
  const thawMs = Math.round(job.thaw.seconds * 1000);
  return { restoreMs: stepsMs + thawMs, thawMs };
}

/** The steps of a restore: the eight of every restore, then resume-archiving when asked for. */
export function restoreStepNames(request: RestoreRequest): readonly RestoreStepName[] {
  return request.resumeArchiving === true ? [...RESTORE_STEPS, RESUME_ARCHIVING_STEP] : RESTORE_STEPS;
}

/** The inputs of the step scripts, from the stored request. */
export function scriptInput(job: RestoreJob): RestoreScriptInput {
  const request = job.request;
  return {
    jobId: job.jobId,
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

/** The step the job waits for (dispatched or running), if any. */
export function stepInFlight(job: RestoreJob): RestoreStep | undefined {
  return job.steps.find((step) => step.status === 'dispatched' || step.status === 'running');
}

/**
 * The next command to send: the first pending step, when the job runs and nothing is in flight.
 *
 * @example nextRestoreCommand(createRestoreJob(...))?.step === 'preflight'
 */
export function nextRestoreCommand(
  job: RestoreJob,
): { readonly step: RestoreStepName; readonly script: string; readonly timeoutSeconds: number } | undefined {
  if (job.status !== 'running' || stepInFlight(job)) return undefined;
  const step = job.steps.find((candidate) => candidate.status === 'pending');
  if (!step) return undefined;
  return {
    step: step.name,
    script: buildRestoreStepScript(step.name, scriptInput(job)),
    timeoutSeconds: stepTimeoutSeconds(job, step.name),
  };
}

/**
 * How long one step may run before it counts as timed out (also the SSM execution timeout). backup-fetch gets an
 * hour plus time for the backup at 20 MB/s; wait-recovery the requested recovery timeout plus a margin.
 */
export function stepTimeoutSeconds(job: RestoreJob, step: RestoreStepName): number {
  switch (step) {
    case 'fetch-backup':
      return 3600 + Math.ceil((job.request.requiredBytes ?? 0) / 20_000_000);
    case 'wait-recovery':
      return job.request.recoveryTimeoutSeconds + 300;
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
 * Records that `step`'s command was sent.
 *
 * @throws RestoreJobStateError when the step is not the next pending one (a second dispatcher lost a race).
 */
export function markStepDispatched(job: RestoreJob, step: RestoreStepName, commandId: string, now: Date): RestoreJob {
  const next = nextRestoreCommand(job);
  if (next?.step !== step) {
    throw new RestoreJobStateError(
      `restore job ${job.jobId}: step ${step} is not the next step to dispatch (${next?.step ?? 'none is'}); another dispatcher already sent it`,
    );
  }
  return touch(job, now, {
    steps: job.steps.map((candidate) =>
      candidate.name === step
        ? {
            ...candidate,
            status: 'dispatched',
            attempts: candidate.attempts + 1,
            commandId,
            previousCommandIds: candidate.commandId
              ? [...candidate.previousCommandIds, candidate.commandId]
              : candidate.previousCommandIds,
            dispatchedAt: now,
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
 * ignored (the transition says why); a step's status never moves backwards.
 *
 * @example applyCommandUpdate(job, { commandId: 'c-1', status: 'InProgress', at }).transition.kind === 'progressed'
 */
export function applyCommandUpdate(job: RestoreJob, update: CommandStatusUpdate): RestoreTransitionResult {
  const step = job.steps.find((candidate) => candidate.commandId === update.commandId);
  if (!step) {
    const earlier = job.steps.some((candidate) => candidate.previousCommandIds.includes(update.commandId));
    return ignored(job, earlier ? 'update for an earlier attempt' : 'command is not part of this job');
  }
  if (step.status === 'succeeded' || step.status === 'failed') {
    return ignored(job, `step ${step.name} already ${step.status}`);
  }
  if (job.status !== 'running') return ignored(job, `job already ${job.status}`);
  const instance = job.instanceId ?? update.instanceId;
  const base = { ...(instance === undefined ? {} : { instanceId: instance }) };
  if (!isTerminalStatus(update.status)) {
    const status: RestoreStepStatus =
      update.status === 'InProgress' || step.status === 'running' ? 'running' : 'dispatched';
    const changed = status !== step.status || instance !== job.instanceId;
    const updated = replaceStep(job, step.name, {
      ...step,
      status,
      commandStatus: status !== step.status ? update.status : step.commandStatus,
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

function finishStep(job: RestoreJob, step: RestoreStep, update: CommandStatusUpdate): RestoreTransitionResult {
  const stderrTail = tail(scriptStderrTail(update.stdoutTail) ?? update.stderrTail ?? '');
  // The reporting clock (the host's, SSM's) may run behind the one that sent the step: a step never finishes
  // before it was sent, nor a job before it was created.
  const at = later(later(job.createdAt, step.dispatchedAt ?? job.createdAt), update.at);
  const durationMs = step.dispatchedAt ? Math.max(0, at.getTime() - step.dispatchedAt.getTime()) : undefined;
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
  const succeeded: RestoreStep = { ...finished, status: 'succeeded', ...(result === undefined ? {} : { result }) };
  const advanced = replaceStep(job, step.name, succeeded);
  if (step.name === RESUME_ARCHIVING_STEP) return completeWithArchiving(advanced, succeeded, at);
  if (step.name !== 'verify') return { job: advanced, transition: { kind: 'step-succeeded', step: step.name } };
  const verified = completeWithVerification(advanced, succeeded, at);
  if (verified.transition.kind !== 'completed' || !advanced.steps.some((s) => s.name === RESUME_ARCHIVING_STEP)) {
    return verified;
  }
  // Verified with archive_mode off; the job ends once archiving is back on and the new timeline is archived.
  const { finishedAt: _finishedAt, ...running } = verified.job;
  return { job: { ...running, status: 'running' }, transition: { kind: 'step-succeeded', step: 'verify' } };
}

/** resume-archiving succeeded: the restore is done, with archiving on and the new timeline in the archive. */
function completeWithArchiving(job: RestoreJob, step: RestoreStep, at: Date): RestoreTransitionResult {
  const data = (step.result ?? {}) as Record<string, unknown>;
  const previous = job.outcome;
  if (!previous) return failStep(job, { ...step, status: 'running' }, 'verify recorded no outcome', at);
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
    job: { ...job, status: 'succeeded', outcome, finishedAt: at },
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
  job: RestoreJob,
  step: RestoreStep,
  why: string,
  at: Date,
  checks?: readonly RestoreCheck[],
): RestoreTransitionResult {
  const lastLine = (step.stderrTail ?? '')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .at(-1);
  const host = job.instanceId ? ` on ${job.instanceId}` : '';
  const stderr = step.stderrTail ?? '';
  const hint = stderr.includes(TARGET_NOT_REACHED_MESSAGE)
    ? '; the archive holds no commit after the target (the primary was idle or had not archived it yet): `--to latest` restores everything the archive holds, or choose an earlier time'
    : step.name === 'fetch-backup' && OBJECT_MISSING.test(stderr)
      ? `; an object of the backup is missing from the bucket, so a resume cannot help: run \`walcat sync --cluster ${job.cluster}\` (the backup then shows missing-data), plan the restore again from another backup (\`walcat restore plan\`) and start a new job (the old data directory is kept aside)`
      : '; fix the cause, then resume the job (each step is safe to run again; the old data directory is kept aside)';
  const failure: RestoreFailure = {
    step: step.name,
    message: `restore job ${job.jobId}: step ${step.name} failed${host}: ${why}${lastLine ? `: ${lastLine.trim()}` : ''}${hint}`,
    ...(step.stderrTail ? { stderrTail: step.stderrTail } : {}),
    at,
    ...(checks === undefined ? {} : { checks }),
  };
  const failed = replaceStep(job, step.name, { ...step, status: 'failed' });
  return {
    job: { ...failed, status: 'failed', failure, finishedAt: at },
    transition: { kind: 'failed', failure },
  };
}

/**
 * Checks what verify read against what was asked: the server answering is the copy on the job's data directory,
 * promoted onto a new timeline (or paused in recovery), the target reached (last replayed commit not after a time
 * target, last replayed LSN at or past an LSN target), archiving off, pg_amcheck clean, the SQL check passed.
 */
function completeWithVerification(job: RestoreJob, step: RestoreStep, at: Date): RestoreTransitionResult {
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
  const request = job.request;
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
    return failStep(job, { ...step, status: 'running' }, `verification found that ${problems.join('; ')}`, at, checks);
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
    job: { ...job, status: 'succeeded', outcome, finishedAt: at },
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
export function resumeRestoreJob(job: RestoreJob, now: Date): RestoreJob {
  if (job.status !== 'failed') {
    throw new RestoreJobStateError(
      `restore job ${job.jobId} is ${job.status}; only a failed job can be resumed (see walcat restore status ${job.jobId})`,
    );
  }
  const { failure: _failure, finishedAt: _finishedAt, ...rest } = job;
  return touch({ ...rest, status: 'running' } as RestoreJob, now, {
    steps: job.steps.map((step) => (step.status === 'failed' ? { ...step, status: 'pending' } : step)),
  });
}

/**
 * The watchdog's view of a job: the in-flight step when no update arrived for `quietMs` (poll its invocation), and
 * whether it has run longer than its timeout (then {@link timeOutStep}).
 */
export function stuckStep(
  job: RestoreJob,
  now: Date,
  quietMs: number,
): { readonly step: RestoreStep; readonly overdue: boolean } | undefined {
  const step = stepInFlight(job);
  if (!step || job.status !== 'running') return undefined;
  const lastHeard = step.lastEventAt ?? step.dispatchedAt ?? job.updatedAt;
  if (now.getTime() - lastHeard.getTime() < quietMs) return undefined;
  const started = step.dispatchedAt ?? job.updatedAt;
  const overdue = now.getTime() - started.getTime() > stepTimeoutSeconds(job, step.name) * 1000;
  return { step, overdue };
}

/** Fails the in-flight step as timed out (the watchdog found it overdue and the host never answered). */
export function timeOutStep(job: RestoreJob, now: Date): RestoreTransitionResult {
  const step = stepInFlight(job);
  if (!step?.commandId) return ignored(job, 'no step in flight');
  return applyCommandUpdate(job, {
    commandId: step.commandId,
    status: 'TimedOut',
    at: now,
    stderrTail: `walcat watchdog: no final status after ${stepTimeoutSeconds(job, step.name)} s`,
  });
}

function ignored(job: RestoreJob, why: string): RestoreTransitionResult {
  return { job, transition: { kind: 'ignored', why } };
}

function replaceStep(job: RestoreJob, name: RestoreStepName, step: RestoreStep): RestoreJob {
  return { ...job, steps: job.steps.map((candidate) => (candidate.name === name ? step : candidate)) };
}

function touch(job: RestoreJob, now: Date, changes: Partial<RestoreJob>): RestoreJob {
  return { ...job, ...changes, updatedAt: later(job.updatedAt, now) ?? now, version: job.version + 1 };
}

function later(a: Date | undefined, b: Date): Date {
  return a && a.getTime() > b.getTime() ? a : b;
}

/** The last lines of stderr, with anything that looks like a credential masked (output-tail.ts). */
function tail(text: string): string {
  return redactedTail(text.replace(/\s+$/u, '').split('\n').slice(-STDERR_TAIL_LINES).join('\n'));
}

/** The stored JSON form of a job (dates as ISO strings, the target as kind + text). */
export interface RestoreJobJson {
  readonly [key: string]: unknown;
}

/**
 * Serializes a job for the catalog: plain JSON, no bigint, dates as ISO-8601.
 *
 * @example restoreJobFromJson(restoreJobToJson(job)) // deep-equals job
 */
export function restoreJobToJson(job: RestoreJob): RestoreJobJson {
  const { request, ...rest } = job;
  const { target, ...requestRest } = request;
  return JSON.parse(
    JSON.stringify({
      ...rest,
      request: { ...requestRest, target: { kind: target.kind, value: formatRestoreTarget(target) } },
    }),
  ) as RestoreJobJson;
}

const DATE_FIELDS = ['createdAt', 'updatedAt', 'finishedAt', 'dispatchedAt', 'lastEventAt', 'at'];

/**
 * Reads a job written by {@link restoreJobToJson}.
 *
 * @throws InvalidInputError when the item is not a restore job.
 */
export function restoreJobFromJson(json: unknown): RestoreJob {
  if (typeof json !== 'object' || json === null) throw new InvalidInputError('restore job item is not an object');
  const record = json as Record<string, unknown>;
  const request = record.request as Record<string, unknown> | undefined;
  const target = request?.target as { kind?: unknown; value?: unknown } | undefined;
  if (
    typeof record.jobId !== 'string' ||
    !request ||
    typeof target?.kind !== 'string' ||
    !Array.isArray(record.steps)
  ) {
    throw new InvalidInputError(`restore job item ${JSON.stringify(record.jobId)} lacks jobId, request or steps`);
  }
  const revived = reviveDates(record) as Record<string, unknown>;
  return {
    ...revived,
    request: {
      ...(revived.request as Record<string, unknown>),
      target: restoreTargetFromText(target.kind as RestoreTarget['kind'], String(target.value ?? '')),
    },
  } as unknown as RestoreJob;
}

function reviveDates(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => reviveDates(item));
  if (typeof value === 'string' && DATE_FIELDS.includes(key)) return new Date(value);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, reviveDates(inner, name)]));
  }
  return value;
}

const STEP_STATE: Readonly<Record<RestoreStepStatus, JobStepState>> = {
  pending: 'pending',
  dispatched: 'queued',
  running: 'running',
  succeeded: 'success',
  failed: 'failed',
};
const JOB_STATE: Readonly<Record<RestoreJobStatus, JobState>> = {
  running: 'running',
  failed: 'failed',
  succeeded: 'success',
};
const inverse = <K extends string, V extends string>(table: Readonly<Record<K, V>>): Partial<Record<V, K>> =>
  Object.fromEntries(Object.entries(table).map(([key, value]) => [value, key]));
const STEP_STATUS = inverse(STEP_STATE);
const JOB_STATUS = inverse(JOB_STATE);

/**
 * A restore or drill as a job: its steps in order, started when created (its restore time counts from there), the
 * instance it runs on as its host, and its request and findings as the kind's payload.
 *
 * @example jobOfRestore(createRestoreJob({ jobId: 'r-1', kind: 'drill', ... })) // { id: 'r-1', type: 'drill', state: 'running', ... }
 */
export function jobOfRestore(job: RestoreJob): Job {
  const { jobId, kind, status, updatedAt, instanceId, request, failure, outcome, thaw, steps, ...common } = job;
  return {
    ...common,
    id: jobId,
    type: kind,
    state: JOB_STATE[status],
    startedAt: job.createdAt,
    lastUpdateAt: updatedAt,
    ...(instanceId === undefined ? {} : { host: instanceId }),
    invocations: {},
    steps: steps.map(({ status: stepStatus, dispatchedAt, ...step }) => ({
      ...step,
      state: STEP_STATE[stepStatus],
      invocations: {},
      ...(dispatchedAt === undefined ? {} : { startedAt: dispatchedAt }),
    })),
    restore: { request, ...(failure && { failure }), ...(outcome && { outcome }), ...(thaw && { thaw }) },
  };
}

/**
 * The restore state machine's view of a restore or drill job (the inverse of {@link jobOfRestore}).
 *
 * @throws InvalidInputError when the job is not a restore or drill.
 */
export function restoreJobOf(job: Job): RestoreJob {
  const status = JOB_STATUS[job.state];
  if (job.restore === undefined || (job.type !== 'restore' && job.type !== 'drill') || status === undefined) {
    throw new InvalidInputError(`job ${job.id} (${job.type}, ${job.state}) is not a restore or drill`);
  }
  const { request, ...found } = job.restore;
  return {
    jobId: job.id,
    cluster: job.cluster,
    kind: job.type,
    status,
    request,
    createdAt: job.createdAt,
    updatedAt: job.lastUpdateAt,
    ...(job.finishedAt === undefined ? {} : { finishedAt: job.finishedAt }),
    ...(job.host === undefined ? {} : { instanceId: job.host }),
    // A restore's steps are only ever in the states its own machine gave them (jobOfRestore).
    steps: job.steps.map(
      ({ state, startedAt, invocations: _invocations, host: _host, outcome: _outcome, ...step }) => ({
        ...step,
        name: step.name as RestoreStepName,
        status: STEP_STATUS[state] as RestoreStepStatus,
        attempts: step.attempts ?? 0,
        previousCommandIds: step.previousCommandIds ?? [],
        ...(startedAt === undefined ? {} : { dispatchedAt: startedAt }),
      }),
    ),
    ...found,
    version: job.version,
  };
}
