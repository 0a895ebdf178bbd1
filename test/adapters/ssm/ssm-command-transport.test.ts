import {
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  SendCommandCommand,
  SSMClient,
  SSMServiceException,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SsmCommandTransport } from '../../../lib/adapters/ssm/ssm-command-transport.ts';
import { InvalidInputError, TransientError } from '../../../lib/domain/errors.ts';
import { wrapForPosixShell } from '../../../lib/domain/host/host-script.ts';

const ssm = mockClient(SSMClient);
afterEach(() => ssm.reset());

const client = () =>
  new SSMClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
const SCRIPT = '#!/bin/bash\necho hi\n';

function serviceError(name: string, status = 400): SSMServiceException {
  return new SSMServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: name,
  });
}

describe('SsmCommandTransport.send', () => {
  it('sends AWS-RunShellScript to the tag group with the wrapped script, execution timeout, output and limits', async () => {
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-1' } });
    const transport = new SsmCommandTransport({ client: client() });
    const result = await transport.send({
      targets: { tagKey: 'walcat:cluster', tagValue: 'orders-main' },
      script: SCRIPT,
      timeoutSeconds: 21_600,
      comment: `walcat backup-push orders-main job ${'x'.repeat(120)}`,
      outputS3: { bucket: 'acme-ssm-output', prefix: 'walcat/orders-main/' },
      cloudWatchLogGroup: '/walcat/host-commands',
    });
    expect(result).toEqual({ commandId: 'cmd-1' });
    const calls = ssm.commandCalls(SendCommandCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      DocumentName: 'AWS-RunShellScript',
      Targets: [{ Key: 'tag:walcat:cluster', Values: ['orders-main'] }],
      Parameters: { commands: [wrapForPosixShell(SCRIPT)], executionTimeout: ['21600'] },
      TimeoutSeconds: 600,
      Comment: `walcat backup-push orders-main job ${'x'.repeat(120)}`.slice(0, 100),
      MaxConcurrency: '100%',
      MaxErrors: '0',
      OutputS3BucketName: 'acme-ssm-output',
      OutputS3KeyPrefix: 'walcat/orders-main/',
      CloudWatchOutputConfig: { CloudWatchOutputEnabled: true, CloudWatchLogGroupName: '/walcat/host-commands' },
    });
  });

  it('targets named instances with InstanceIds and no Targets', async () => {
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-2' } });
    await new SsmCommandTransport({ client: client() }).send({
      targets: { instanceIds: ['i-0abc', 'i-0def'] },
      script: SCRIPT,
      timeoutSeconds: 60,
      comment: 'probe',
    });
    const input = ssm.commandCalls(SendCommandCommand)[0]?.args[0].input;
    expect(input?.InstanceIds).toEqual(['i-0abc', 'i-0def']);
    expect(input?.Targets).toBeUndefined();
  });

  it('turns throttling and client timeouts into TransientError', async () => {
    const transport = new SsmCommandTransport({ client: client() });
    const request = { targets: { tagKey: 'k', tagValue: 'v' }, script: SCRIPT, timeoutSeconds: 60, comment: 'c' };
    ssm.on(SendCommandCommand).rejects(serviceError('ThrottlingException'));
    await expect(transport.send(request)).rejects.toBeInstanceOf(TransientError);
    ssm.on(SendCommandCommand).rejects(Object.assign(new Error('socket timed out'), { name: 'TimeoutError' }));
    await expect(transport.send(request)).rejects.toBeInstanceOf(TransientError);
    ssm.on(SendCommandCommand).rejects(serviceError('InternalServerError', 500));
    await expect(transport.send(request)).rejects.toBeInstanceOf(TransientError);
  });

  it('turns InvalidInstanceId into InvalidInputError naming the instances and the fix', async () => {
    ssm.on(SendCommandCommand).rejects(serviceError('InvalidInstanceId'));
    const sent = new SsmCommandTransport({ client: client() }).send({
      targets: { instanceIds: ['i-0gone'] },
      script: SCRIPT,
      timeoutSeconds: 60,
      comment: 'c',
    });
    await expect(sent).rejects.toBeInstanceOf(InvalidInputError);
    await expect(sent).rejects.toThrow(/i-0gone.*not managed by Systems Manager.*SSM agent is offline/u);
  });

  it('refuses an execution timeout outside 1..172800 s before calling SSM', async () => {
    const transport = new SsmCommandTransport({ client: client() });
    const base = { targets: { tagKey: 'k', tagValue: 'v' }, script: SCRIPT, comment: 'c' };
    await expect(transport.send({ ...base, timeoutSeconds: 0 })).rejects.toThrow(/outside SSM's 1\.\.172800/u);
    await expect(transport.send({ ...base, timeoutSeconds: 172_801 })).rejects.toBeInstanceOf(InvalidInputError);
    expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0);
  });
});

describe('SsmCommandTransport invocations', () => {
  it('reads an invocation with exit code, output tails and times; absent invocations are undefined', async () => {
    ssm.on(GetCommandInvocationCommand, { CommandId: 'cmd-1', InstanceId: 'i-1' }).resolves({
      Status: 'Failed',
      StatusDetails: 'Failed',
      ResponseCode: 12,
      StandardOutputContent: 'WALCAT_RESULT {"status":"failed"}\n',
      StandardErrorContent: 'wal-g: upload failed\n',
      ExecutionStartDateTime: '2026-11-21T01:00:01.000Z',
      ExecutionEndDateTime: '2026-11-21T01:02:15.000Z',
    });
    ssm
      .on(GetCommandInvocationCommand, { CommandId: 'cmd-1', InstanceId: 'i-2' })
      .rejects(serviceError('InvocationDoesNotExist'));
    const transport = new SsmCommandTransport({ client: client() });
    expect(await transport.getInvocation('cmd-1', 'i-1')).toEqual({
      commandId: 'cmd-1',
      instanceId: 'i-1',
      status: 'Failed',
      statusDetails: 'Failed',
      exitCode: 12,
      stdoutTail: 'WALCAT_RESULT {"status":"failed"}\n',
      stderrTail: 'wal-g: upload failed\n',
      startedAt: new Date('2026-11-21T01:00:01.000Z'),
      finishedAt: new Date('2026-11-21T01:02:15.000Z'),
    });
    expect(await transport.getInvocation('cmd-1', 'i-2')).toBeUndefined();
  });

  it('maps SSM timeouts: status TimedOut, and a throttled read is TransientError', async () => {
    ssm
      .on(GetCommandInvocationCommand)
      .resolvesOnce({ Status: 'TimedOut', StatusDetails: 'ExecutionTimedOut', ResponseCode: -1 });
    const transport = new SsmCommandTransport({ client: client() });
    expect(await transport.getInvocation('c', 'i')).toMatchObject({
      status: 'TimedOut',
      statusDetails: 'ExecutionTimedOut',
      exitCode: -1,
    });
    ssm.on(GetCommandInvocationCommand).rejects(serviceError('ThrottlingException'));
    await expect(transport.getInvocation('c', 'i')).rejects.toBeInstanceOf(TransientError);
  });

  it('lists every invocation across pages, each with its output', async () => {
    ssm
      .on(ListCommandInvocationsCommand)
      .resolvesOnce({ CommandInvocations: [{ InstanceId: 'i-1', Status: 'Success' }], NextToken: 't' })
      .resolvesOnce({ CommandInvocations: [{ InstanceId: 'i-2', Status: 'Success' }] });
    ssm.on(GetCommandInvocationCommand).callsFake((input: { InstanceId: string }) => ({
      Status: 'Success',
      ResponseCode: 0,
      StandardOutputContent: `out ${input.InstanceId}`,
      StandardErrorContent: '',
    }));
    const listed = await new SsmCommandTransport({ client: client() }).listInvocations('cmd-1');
    expect(listed.map((invocation) => [invocation.instanceId, invocation.stdoutTail])).toEqual([
      ['i-1', 'out i-1'],
      ['i-2', 'out i-2'],
    ]);
  });
});
