/**
 * Runs host scripts on database hosts: SSM Run Command in AWS, a local bash in the local stack and tests. Both
 * report progress with the same status vocabulary and the same EventBridge-shaped status-change events.
 */
import type { CommandStatus, SsmStatusChangeEvent } from '../domain/jobs/command-status.ts';

export type { CommandStatus, SsmStatusChangeEvent };

/** Which hosts run the command: every managed instance carrying a tag, or named instances. */
export type CommandTargets =
  | { readonly tagKey: string; readonly tagValue: string }
  | { readonly instanceIds: readonly string[] };

export interface SendCommandRequest {
  readonly targets: CommandTargets;
  /** A host script (lib/domain/host); the transport runs it with bash, whatever shell the host's agent uses. */
  readonly script: string;
  /** Execution timeout on the host (`executionTimeout`); the command is killed after it. */
  readonly timeoutSeconds: number;
  /** Shown next to the command (SSM console, at most 100 characters). */
  readonly comment: string;
  /** Full output to S3 (inline output is truncated by SSM). */
  readonly outputS3?: { readonly bucket: string; readonly prefix: string };
  /** Full output to CloudWatch Logs instead of (or besides) S3. */
  readonly cloudWatchLogGroup?: string;
}

export interface CommandInvocation {
  readonly commandId: string;
  readonly instanceId: string;
  readonly status: CommandStatus;
  /** Finer status (`ExecutionTimedOut`, `DeliveryTimedOut`, ...), when the transport has one. */
  readonly statusDetails?: string;
  /** The script's exit code; -1 while it has none. */
  readonly exitCode: number;
  /** The end of stdout (SSM keeps up to 24,000 characters inline; the result line is the last line). */
  readonly stdoutTail: string;
  /** The end of stderr. */
  readonly stderrTail: string;
  readonly startedAt?: Date;
  readonly finishedAt?: Date;
  /** Where the complete output is, when sent to S3. */
  readonly outputUrls?: { readonly stdout: string; readonly stderr: string };
}

export interface CommandTransport {
  send(request: SendCommandRequest): Promise<{ readonly commandId: string }>;
  /** The invocation on one instance; undefined when it does not exist (yet). */
  getInvocation(commandId: string, instanceId: string): Promise<CommandInvocation | undefined>;
  /** Every invocation of the command, with output. */
  listInvocations(commandId: string): Promise<readonly CommandInvocation[]>;
}
