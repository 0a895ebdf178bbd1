/**
 * The part of the command transport (SSM Run Command, or the local shell transport) that restores use: send one
 * host script to one target and read an invocation back.
 */
import type { CommandStatus } from '../domain/jobs/command-status.ts';
import type { RestoreHostTarget } from '../domain/restore/restore-job.ts';

export interface RestoreCommandRequest {
  readonly target: RestoreHostTarget;
  readonly script: string;
  /** Execution timeout on the host. */
  readonly timeoutSeconds: number;
  /** Shown in the SSM console next to the command. */
  readonly comment: string;
}

export interface RestoreInvocation {
  readonly status: CommandStatus;
  readonly stdout: string;
  readonly stderr: string;
  readonly instanceId?: string;
  /** When the invocation ended (terminal statuses), else when it was last seen. */
  readonly at?: Date;
}

export interface RestoreCommandTransport {
  /** Managed instances carrying the tag (online ones), so a restore can insist on exactly one. */
  instancesWithTag(tagKey: string, tagValue: string): Promise<readonly string[]>;
  /** Sends the script; the instance id is known at once for instance targets and for the local transport. */
  send(request: RestoreCommandRequest): Promise<{ readonly commandId: string; readonly instanceId?: string }>;
  /** The invocation of a command on an instance; undefined when the transport does not know it (yet). */
  getInvocation(commandId: string, instanceId?: string): Promise<RestoreInvocation | undefined>;
}
