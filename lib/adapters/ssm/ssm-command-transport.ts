/**
 * CommandTransport on SSM Run Command: SendCommand with the `AWS-RunShellScript` document, tag or instance targets,
 * an execution timeout on the host, full output to S3 or CloudWatch Logs, and GetCommandInvocation /
 * ListCommandInvocations to read results back. Throttling, 5xx and client timeouts become TransientError (the
 * caller's platform retries); an instance SSM cannot reach becomes InvalidInputError with the fix.
 */
import {
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  paginateListCommandInvocations,
  type CommandInvocation as SdkCommandInvocation,
  SendCommandCommand,
  type SendCommandCommandInput,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { InvalidInputError, TransientError } from '../../domain/errors.ts';
import { wrapForPosixShell } from '../../domain/host/host-script.ts';
import { type CommandStatus, parseCommandStatus } from '../../domain/jobs/command-status.ts';
import type { CommandInvocation, CommandTransport, SendCommandRequest } from '../../ports/command-transport.ts';

export const RUN_SHELL_SCRIPT_DOCUMENT = 'AWS-RunShellScript';
/** SSM's maximum execution timeout for RunShellScript (48 h). */
export const MAX_EXECUTION_TIMEOUT_SECONDS = 172_800;
const MAX_COMMENT_LENGTH = 100;

export interface SsmCommandTransportOptions {
  readonly client: SSMClient;
  /**
   * How long SSM waits for a host to pick the command up before giving up on it (`TimeoutSeconds`: delivery, not
   * execution). Default 600 s.
   */
  readonly deliveryTimeoutSeconds?: number;
  /** `MaxConcurrency`: default `100%` (standbys skip at once; the tag group is small). */
  readonly maxConcurrency?: string;
  /** `MaxErrors`: default `0`, stop sending to further hosts after the first failure. */
  readonly maxErrors?: string;
}

const THROTTLING_NAMES = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'TooManyUpdates']);
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

function errorName(error: unknown): string {
  return typeof error === 'object' && error !== null && 'name' in error
    ? String((error as { name: unknown }).name)
    : '';
}

function isTransient(error: unknown): boolean {
  const name = errorName(error);
  if (THROTTLING_NAMES.has(name) || TIMEOUT_NAMES.has(name)) return true;
  const meta = (error as { $metadata?: { httpStatusCode?: number }; $retryable?: unknown }) ?? {};
  return (meta.$metadata?.httpStatusCode ?? 0) >= 500 || meta.$retryable !== undefined;
}

export class SsmCommandTransport implements CommandTransport {
  readonly #client: SSMClient;
  readonly #deliveryTimeout: number;
  readonly #maxConcurrency: string;
  readonly #maxErrors: string;

  constructor(options: SsmCommandTransportOptions) {
    this.#client = options.client;
    this.#deliveryTimeout = options.deliveryTimeoutSeconds ?? 600;
    this.#maxConcurrency = options.maxConcurrency ?? '100%';
    this.#maxErrors = options.maxErrors ?? '0';
  }

  /** The exact SendCommand input for a request (exposed so tests and reviewers can see it). */
  sendCommandInput(request: SendCommandRequest): SendCommandCommandInput {
    const timeout = Math.trunc(request.timeoutSeconds);
    if (!(timeout >= 1 && timeout <= MAX_EXECUTION_TIMEOUT_SECONDS)) {
      throw new InvalidInputError(
        `command timeout ${request.timeoutSeconds} s is outside SSM's 1..${MAX_EXECUTION_TIMEOUT_SECONDS} s range`,
      );
    }
    const targeting =
      'instanceIds' in request.targets
        ? { InstanceIds: [...request.targets.instanceIds] }
        : { Targets: [{ Key: `tag:${request.targets.tagKey}`, Values: [request.targets.tagValue] }] };
    return {
      DocumentName: RUN_SHELL_SCRIPT_DOCUMENT,
      ...targeting,
      Parameters: { commands: [wrapForPosixShell(request.script)], executionTimeout: [String(timeout)] },
      TimeoutSeconds: this.#deliveryTimeout,
      Comment: request.comment.slice(0, MAX_COMMENT_LENGTH),
      MaxConcurrency: this.#maxConcurrency,
      MaxErrors: this.#maxErrors,
      ...(request.outputS3
        ? { OutputS3BucketName: request.outputS3.bucket, OutputS3KeyPrefix: request.outputS3.prefix }
        : {}),
      ...(request.cloudWatchLogGroup
        ? {
            CloudWatchOutputConfig: {
              CloudWatchOutputEnabled: true,
              CloudWatchLogGroupName: request.cloudWatchLogGroup,
            },
          }
        : {}),
    };
  }

  async send(request: SendCommandRequest): Promise<{ commandId: string }> {
    const input = this.sendCommandInput(request);
    try {
      const output = await this.#client.send(new SendCommandCommand(input));
      const commandId = output.Command?.CommandId;
      if (!commandId) throw new TransientError('SSM SendCommand returned no command id; retry');
      return { commandId };
    } catch (error) {
      throw translateSendError(error, request);
    }
  }

  async getInvocation(commandId: string, instanceId: string): Promise<CommandInvocation | undefined> {
    try {
      const output = await this.#client.send(
        new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }),
      );
      return fromGetOutput(output, commandId, instanceId);
    } catch (error) {
      if (errorName(error) === 'InvocationDoesNotExist') return undefined;
      if (isTransient(error)) {
        throw new TransientError(`SSM GetCommandInvocation ${commandId} on ${instanceId} was throttled or timed out`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  async listInvocations(commandId: string): Promise<readonly CommandInvocation[]> {
    const listed: SdkCommandInvocation[] = [];
    try {
      for await (const page of paginateListCommandInvocations({ client: this.#client }, { CommandId: commandId })) {
        listed.push(...(page.CommandInvocations ?? []));
      }
    } catch (error) {
      if (isTransient(error)) {
        throw new TransientError(`SSM ListCommandInvocations ${commandId} was throttled or timed out`, {
          cause: error,
        });
      }
      throw error;
    }
    const invocations = await Promise.all(
      listed
        .filter((item) => item.InstanceId)
        .map(async (item) => {
          const instanceId = item.InstanceId ?? '';
          return (await this.getInvocation(commandId, instanceId)) ?? fromListed(item, commandId, instanceId);
        }),
    );
    return invocations;
  }
}

function translateSendError(error: unknown, request: SendCommandRequest): Error {
  const name = errorName(error);
  if (name === 'InvalidInstanceId') {
    const targets =
      'instanceIds' in request.targets
        ? `instance(s) ${request.targets.instanceIds.join(', ')}`
        : `instances tagged ${request.targets.tagKey}=${request.targets.tagValue}`;
    return new InvalidInputError(
      `SSM SendCommand refused ${targets}: not running, not managed by Systems Manager, or their SSM agent is ` +
        'offline; check the instance in Fleet Manager and its instance profile (AmazonSSMManagedInstanceCore)',
      { cause: error },
    );
  }
  if (isTransient(error)) {
    return new TransientError(`SSM SendCommand was throttled or timed out (${name}); retry later`, { cause: error });
  }
  if (name === 'InvalidDocument' || name === 'InvalidParameters' || name === 'InvalidOutputFolder') {
    return new InvalidInputError(`SSM SendCommand refused the request (${name}); check the output bucket and prefix`, {
      cause: error,
    });
  }
  return error instanceof Error ? error : new Error(String(error));
}

function status(text: string | undefined): CommandStatus {
  return text === undefined || text === '' ? 'Pending' : parseCommandStatus(text);
}

function time(value: string | Date | undefined): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function fromGetOutput(
  output: GetCommandInvocationCommandOutput,
  commandId: string,
  instanceId: string,
): CommandInvocation {
  const startedAt = time(output.ExecutionStartDateTime);
  const finishedAt = time(output.ExecutionEndDateTime);
  return {
    commandId,
    instanceId,
    status: status(output.Status),
    ...(output.StatusDetails ? { statusDetails: output.StatusDetails } : {}),
    exitCode: output.ResponseCode ?? -1,
    stdoutTail: output.StandardOutputContent ?? '',
    stderrTail: output.StandardErrorContent ?? '',
    ...(startedAt ? { startedAt } : {}),
    ...(finishedAt ? { finishedAt } : {}),
    ...(output.StandardOutputUrl
      ? { outputUrls: { stdout: output.StandardOutputUrl, stderr: output.StandardErrorUrl ?? '' } }
      : {}),
  };
}

function fromListed(item: SdkCommandInvocation, commandId: string, instanceId: string): CommandInvocation {
  return {
    commandId,
    instanceId,
    status: status(item.Status),
    ...(item.StatusDetails ? { statusDetails: item.StatusDetails } : {}),
    exitCode: -1,
    stdoutTail: '',
    stderrTail: '',
  };
}
