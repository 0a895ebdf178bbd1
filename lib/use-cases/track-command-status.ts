/**
 * The one consumer of command status reports (SSM status-change events, the local transport's events): it finds
 * the job that sent the command, of either kind, with one lookup. A restore or drill job is advanced (its next step
 * sent, lib/use-cases/advance-restore.ts). A host-command job gets the report completed with the invocation's
 * output (exit code, result line, stderr tail) before it is applied, so the job knows which host pushed and which
 * skipped; when it ends, its lock is released, and a failure, a timeout or a backup no host took alerts in Slack
 * with the host and the tail of stderr.
 */
import { type CommandStatusUpdate, isTerminalStatus } from '../domain/jobs/command-status.ts';
import type { Job } from '../domain/jobs/job.ts';
import type { RestoreTransition } from '../domain/restore/restore-job.ts';
import type { CommandTransport } from '../ports/command-transport.ts';
import { advanceRestore } from './advance-restore.ts';
import {
  applyUpdates,
  type HostJobOutcome,
  type HostJobReportDependencies,
  withStart,
} from './apply-host-job-reports.ts';
import type { RestoreDeps } from './restore-dependencies.ts';

export interface TrackCommandDependencies extends HostJobReportDependencies {
  /**
   * What advancing a restore or drill takes (sending its next step). Absent in a door that drives no restores:
   * their commands' reports are then answered as `unknown-command` and left alone.
   */
  readonly restore?: RestoreDeps;
}

export type TrackOutcome =
  | { readonly kind: 'unknown-command'; readonly commandId: string }
  | { readonly kind: 'restore'; readonly job: Job; readonly transition?: RestoreTransition }
  | HostJobOutcome;

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

export async function trackCommandStatus(
  deps: TrackCommandDependencies,
  update: CommandStatusUpdate,
): Promise<TrackOutcome> {
  // A command that ended before its job was stored is not looked for again here: whoever sent it looks at it once
  // after storing it (advance-restore.ts, apply-host-job-reports.ts), so its end is applied there whatever the timing.
  const found = await deps.jobs.findByCommandId(update.commandId);
  if (found === undefined) return { kind: 'unknown-command', commandId: update.commandId };
  if (found.restore !== undefined) {
    if (deps.restore === undefined) return { kind: 'unknown-command', commandId: update.commandId };
    const outcome = await advanceRestore(deps.restore, update, found);
    return {
      kind: 'restore',
      job: outcome.job ?? found,
      ...(outcome.transition === undefined ? {} : { transition: outcome.transition }),
    };
  }
  const updates = await completedUpdates(deps.transport, update);
  return applyUpdates(deps, found, updates);
}
