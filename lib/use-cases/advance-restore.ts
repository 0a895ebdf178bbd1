import { type CommandStatusUpdate, isTerminalStatus } from '../domain/jobs/command-status.ts';
import type { Job } from '../domain/jobs/job.ts';
import {
  applyCommandUpdate,
  nextRestoreCommand,
  type RestoreTransition,
  stuckStep,
  timeOutStep,
} from '../domain/restore/restore-job.ts';
import type { CommandInvocation } from '../ports/command-transport.ts';
import { JobConflictError } from '../ports/job-store.ts';
import { dispatchNextStep, notifyRestore, type RestoreDeps, releaseRestoreLock } from './restore-dependencies.ts';

/** Attempts when a concurrent handler saved the same job first (duplicate events handled in parallel). */
const MAX_CONFLICT_RETRIES = 5;

export interface AdvanceOutcome {
  /** `unknown-command`: no restore job sent this command (another feature's command): not an error. */
  readonly kind: 'unknown-command' | 'applied';
  readonly job?: Job;
  readonly transition?: RestoreTransition;
}

/**
 * Applies one command status change (an SSM status-change event or the local transport's event) to the restore
 * job that sent the command, then sends the next step or reports the end. Terminal statuses carry no output in
 * events, so the invocation's stdout and stderr are read from the transport first. Safe under duplicates, any
 * order and concurrent handlers (optimistic saves, reload and reapply on conflict).
 */
export async function advanceRestore(
  deps: RestoreDeps,
  update: CommandStatusUpdate,
  /** The job already read for this command (the job tracker's one lookup); reloaded after a conflict. */
  found?: Job,
): Promise<AdvanceOutcome> {
  let complete: CommandStatusUpdate | undefined;
  for (let attempt = 0; ; attempt++) {
    const job = attempt === 0 && found !== undefined ? found : await deps.jobs.findByCommandId(update.commandId);
    if (!job) return { kind: 'unknown-command' };
    complete ??= await withOutput(deps, update, job);
    try {
      return await applyAndContinue(deps, job, complete);
    } catch (error) {
      if (!(error instanceof JobConflictError) || attempt >= MAX_CONFLICT_RETRIES) throw error;
    }
  }
}

/** Command-level events name no instance: the job knows which one its steps run on. */
async function withOutput(deps: RestoreDeps, update: CommandStatusUpdate, job: Job): Promise<CommandStatusUpdate> {
  const instanceId = update.instanceId ?? job.host;
  if (!isTerminalStatus(update.status) || update.stdoutTail !== undefined || instanceId === undefined) return update;
  const invocation = await deps.transport.getInvocation(update.commandId, instanceId);
  if (!invocation || !isTerminalStatus(invocation.status)) return update;
  return fromInvocation(invocation, update.at);
}

function fromInvocation(invocation: CommandInvocation, fallbackAt: Date): CommandStatusUpdate {
  return {
    commandId: invocation.commandId,
    instanceId: invocation.instanceId,
    status: invocation.status,
    at: invocation.finishedAt ?? fallbackAt,
    exitCode: invocation.exitCode,
    stdoutTail: invocation.stdoutTail,
    stderrTail: invocation.stderrTail,
  };
}

async function applyAndContinue(deps: RestoreDeps, job: Job, update: CommandStatusUpdate): Promise<AdvanceOutcome> {
  const { job: next, transition } = applyCommandUpdate(job, update);
  if (transition.kind === 'ignored') return { kind: 'applied', job, transition };
  await deps.jobs.save(next, job.version);
  let current = next;
  if (transition.kind === 'step-succeeded') current = await dispatchAndCatchUp(deps, next);
  if (transition.kind === 'failed' || transition.kind === 'completed') await releaseRestoreLock(deps, next);
  if (transition.kind === 'failed') await notifyRestore(deps, next, 'failed');
  if (transition.kind === 'completed') await notifyRestore(deps, next, 'ready');
  return { kind: 'applied', job: current, transition };
}

/**
 * Sends the job's next step, then looks once at the command it sent (see {@link catchUpOnSentStep}). Every sender of
 * a step goes through here or through that look: the start, a step's end, resume and the watchdog.
 */
export async function dispatchAndCatchUp(deps: RestoreDeps, job: Job): Promise<Job> {
  return catchUpOnSentStep(deps, job, await dispatchNextStep(deps, job));
}

/**
 * Looks once at the command of the step `dispatched` sent (after `before`) and applies its end if it is already
 * there. Sending a step and storing its command id are two writes, so a step that ends quickly can report its end
 * before its id is stored: its event finds no job and is dropped. On a loaded machine that gap outlasts any fixed
 * wait, so no handler waits and looks again; looking after the save closes the gap whatever the timing: the end is
 * applied either here or by its event, and the other sees a duplicate. Costs one GetCommandInvocation per step.
 */
export async function catchUpOnSentStep(deps: RestoreDeps, before: Job, dispatched: Job): Promise<Job> {
  const next = nextRestoreCommand(before);
  const commandId = next === undefined ? undefined : dispatched.steps.find((s) => s.name === next.step)?.commandId;
  if (commandId === undefined || dispatched.host === undefined || dispatched === before) return dispatched;
  const invocation = await deps.transport.getInvocation(commandId, dispatched.host);
  if (invocation === undefined || !isTerminalStatus(invocation.status)) return dispatched;
  const outcome = await advanceRestore(deps, fromInvocation(invocation, deps.now()));
  return (outcome.kind === 'applied' ? outcome.job : undefined) ?? dispatched;
}

export interface WatchdogOutcome {
  readonly polled: number;
  readonly timedOut: number;
  readonly advanced: number;
}

/**
 * The watchdog's look at one running restore or drill, counted into `counts`: a step quiet for `quietMs` is polled
 * (GetCommandInvocation) and the answer applied like an event; a step past its timeout whose command is still not
 * final is failed as timed out; a step whose dispatch was lost is sent.
 */
export async function reviewRestoreJob(
  deps: RestoreDeps,
  job: Job,
  quietMs: number,
  counts: { polled: number; timedOut: number; advanced: number },
): Promise<void> {
  // A step succeeded (or the job was created) but sending the next command failed, e.g. SendCommand throttled:
  // nothing is in flight, so no event will ever come and the event's redelivery is ignored as a duplicate.
  // Once the job has been quiet for `quietMs` (no handler is about to send it), send the step from here.
  if (nextRestoreCommand(job) && deps.now().getTime() - job.lastUpdateAt.getTime() >= quietMs) {
    await dispatchAndCatchUp(deps, job);
    counts.advanced++;
    return;
  }
  const stuck = stuckStep(job, deps.now(), quietMs);
  if (!stuck?.step.commandId) return;
  counts.polled++;
  const invocation =
    job.host === undefined ? undefined : await deps.transport.getInvocation(stuck.step.commandId, job.host);
  if (invocation && isTerminalStatus(invocation.status)) {
    const outcome = await advanceRestore(deps, fromInvocation(invocation, deps.now()));
    if (outcome.transition?.kind !== 'ignored') counts.advanced++;
    return;
  }
  if (stuck.overdue) {
    const { job: failed, transition } = timeOutStep(job, deps.now());
    if (transition.kind === 'failed') {
      await deps.jobs.save(failed, job.version);
      await releaseRestoreLock(deps, failed);
      await notifyRestore(deps, failed, 'failed');
      counts.timedOut++;
    }
  }
}
