/**
 * A small SSM-compatible endpoint of the local stack, so the ordinary CLI in a second terminal (`walcat --local
 * backup`, `jobs`) drives this machine through its real SSM adapters: the AWS SDK's JSON protocol for the
 * operations walcat uses, backed by the stack's local shell transport.
 *
 * | operation | answered from |
 * |---|---|
 * | SendCommand (AWS-RunShellScript) | the local shell transport, targets by instance id or `tag:<key>` |
 * | GetCommandInvocation, ListCommandInvocations | the transport's invocations |
 * | DescribeInstanceInformation (`tag:<key>` filter) | the local instances, always Online |
 * | GetParameter | the local Slack receiver's URL, whatever the name (there are no real secrets locally) |
 *
 * Commands sent here run in the stack's process tree, and the stack's job tracker sees their status events, so a
 * job the CLI created is followed to its end exactly like one the scheduler created.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { LocalInstance, LocalShellTransport } from '../adapters/local/local-shell-transport.ts';
import { InvalidInputError } from '../domain/errors.ts';
import type { CommandInvocation, CommandTargets } from '../ports/command-transport.ts';
import { listenOnLoopback } from './loopback-listener.ts';

export interface LocalSsmEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

class SsmFault extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

interface SendCommandBody {
  readonly DocumentName?: string;
  readonly InstanceIds?: readonly string[];
  readonly Targets?: readonly { readonly Key?: string; readonly Values?: readonly string[] }[];
  readonly Parameters?: { readonly commands?: readonly string[]; readonly executionTimeout?: readonly string[] };
  readonly Comment?: string;
}

const MAX_BODY_BYTES = 1024 * 1024;
const seconds = (date: Date | undefined): number | undefined =>
  date === undefined ? undefined : date.getTime() / 1000;

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new SsmFault('ValidationException', 'request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

function targetsOf(body: SendCommandBody): CommandTargets {
  if (body.InstanceIds && body.InstanceIds.length > 0) return { instanceIds: body.InstanceIds };
  const target = body.Targets?.[0];
  const key = target?.Key ?? '';
  const value = target?.Values?.[0];
  if (!key.startsWith('tag:') || value === undefined || (body.Targets?.length ?? 0) !== 1) {
    throw new SsmFault('InvalidParameters', 'the local SSM endpoint targets instance ids or one tag:<key> target');
  }
  return { tagKey: key.slice('tag:'.length), tagValue: value };
}

function invocationJson(invocation: CommandInvocation) {
  return {
    CommandId: invocation.commandId,
    InstanceId: invocation.instanceId,
    Status: invocation.status,
    StatusDetails: invocation.statusDetails ?? invocation.status,
    ResponseCode: invocation.exitCode,
    StandardOutputContent: invocation.stdoutTail,
    StandardErrorContent: invocation.stderrTail,
    DocumentName: 'AWS-RunShellScript',
    ...(invocation.startedAt ? { ExecutionStartDateTime: invocation.startedAt.toISOString() } : {}),
    ...(invocation.finishedAt ? { ExecutionEndDateTime: invocation.finishedAt.toISOString() } : {}),
  };
}

export async function startLocalSsmEndpoint(options: {
  readonly port: number;
  readonly transport: LocalShellTransport;
  readonly instances: readonly LocalInstance[];
  /** What GetParameter answers (the local Slack receiver's URL). */
  readonly parameterValue: () => string;
}): Promise<LocalSsmEndpoint> {
  const { transport } = options;
  const operations: Record<string, (body: Record<string, unknown>) => Promise<unknown>> = {
    async SendCommand(raw) {
      const body = raw as SendCommandBody;
      if (body.DocumentName !== 'AWS-RunShellScript') {
        throw new SsmFault('InvalidDocument', `document ${String(body.DocumentName)} is not AWS-RunShellScript`);
      }
      const script = body.Parameters?.commands?.join('\n');
      if (!script) throw new SsmFault('InvalidParameters', 'Parameters.commands is empty');
      const timeoutSeconds = Number(body.Parameters?.executionTimeout?.[0] ?? 3600);
      const targets = targetsOf(body);
      // The command is already wrapped for a POSIX shell (wrapForPosixShell); the transport wraps it once more,
      // which runs the same script.
      let commandId: string;
      try {
        ({ commandId } = await transport.send({ targets, script, timeoutSeconds, comment: body.Comment ?? '' }));
      } catch (error) {
        if (error instanceof InvalidInputError) throw new SsmFault('InvalidInstanceId', error.message);
        throw error;
      }
      return {
        Command: {
          CommandId: commandId,
          DocumentName: body.DocumentName,
          Comment: body.Comment ?? '',
          Status: 'Pending',
          RequestedDateTime: seconds(new Date()),
          ...('instanceIds' in targets
            ? { InstanceIds: targets.instanceIds }
            : { Targets: [{ Key: `tag:${targets.tagKey}`, Values: [targets.tagValue] }] }),
        },
      };
    },
    async GetCommandInvocation(body) {
      const invocation = await transport.getInvocation(String(body.CommandId), String(body.InstanceId));
      if (!invocation) throw new SsmFault('InvocationDoesNotExist', 'no such command invocation');
      return invocationJson(invocation);
    },
    async ListCommandInvocations(body) {
      const invocations = await transport.listInvocations(String(body.CommandId));
      return { CommandInvocations: invocations.map(invocationJson) };
    },
    async DescribeInstanceInformation(body) {
      const filters = (body.Filters ?? []) as readonly { Key?: string; Values?: readonly string[] }[];
      const matches = options.instances.filter((instance) =>
        filters.every((filter) => {
          const key = filter.Key ?? '';
          if (!key.startsWith('tag:')) return true;
          const value = instance.tags[key.slice('tag:'.length)];
          return value !== undefined && (filter.Values ?? []).includes(value);
        }),
      );
      return {
        InstanceInformationList: matches.map((instance) => ({
          InstanceId: instance.instanceId,
          PingStatus: 'Online',
          PlatformType: 'Linux',
          ResourceType: 'ManagedInstance',
          ComputerName: 'walcat-local',
        })),
      };
    },
    async GetParameter(body) {
      return {
        Parameter: { Name: String(body.Name), Type: 'SecureString', Value: options.parameterValue(), Version: 1 },
      };
    },
  };

  const respond = (response: ServerResponse, status: number, body: unknown, errorType?: string) => {
    response.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    });
    response.end(JSON.stringify(body));
  };

  const server = createServer((request, response) => {
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = operations[target.replace(/^AmazonSSM\./, '')];
    if (request.method !== 'POST' || !operation) {
      respond(
        response,
        400,
        { __type: 'UnknownOperationException', message: `${target} is not served locally` },
        'UnknownOperationException',
      );
      return;
    }
    readJson(request)
      .then(operation)
      .then((body) => respond(response, 200, body))
      .catch((error: unknown) => {
        const fault =
          error instanceof SsmFault
            ? error
            : new SsmFault('InternalServerError', error instanceof Error ? error.message : 'internal error', 500);
        respond(response, fault.status, { __type: fault.type, message: fault.message }, fault.type);
      });
  });
  const { port, close } = await listenOnLoopback(server, options.port);
  return {
    url: `http://127.0.0.1:${port}`,
    close,
  };
}
