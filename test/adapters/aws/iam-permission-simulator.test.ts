import { CreateRoleCommand, IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IamPermissionSimulator } from '../../../lib/adapters/aws/iam-permission-simulator.ts';
import { PermissionSimulationUnavailableError } from '../../../lib/ports/permission-simulator.ts';
import { MOTO_CREDENTIALS, MOTO_REGION, type MotoHandle, startMoto } from '../../support/moto.ts';

const OBJECTS = 'arn:aws:s3:::acme-pg-backups/orders/*';

describe('IamPermissionSimulator against moto_server', () => {
  let moto: MotoHandle;
  let iam: IAMClient;
  let roleArn: string;
  beforeAll(async () => {
    moto = await startMoto();
    iam = new IAMClient({ region: MOTO_REGION, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS });
    const created = await iam.send(
      new CreateRoleCommand({
        RoleName: 'walcat-catalogIngest',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    roleArn = created.Role?.Arn ?? '';
  }, 60_000);
  afterAll(async () => {
    iam?.destroy();
    await moto?.close();
  });

  // moto (5.x) does not implement SimulatePrincipalPolicy: it answers HTTP 500 with an HTML error page, which the SDK
  // cannot parse. The adapter must say it could not ask, never answer.
  it('reports a simulator the endpoint lacks as unavailable, naming why', async () => {
    const error = await new IamPermissionSimulator(iam).simulate(roleArn, ['s3:GetObject'], [OBJECTS]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PermissionSimulationUnavailableError);
    expect((error as Error).message).toMatch(/does not implement SimulatePrincipalPolicy/);
  });
});

// moto lacks the call, so IAM's answers are injected: the shapes are those of the SimulatePrincipalPolicy response.
describe('IamPermissionSimulator on injected IAM answers', () => {
  const roleArn = 'arn:aws:iam::123456789012:role/walcat-retention';

  it('maps every evaluation result across pages, allowed only when IAM says allowed', async () => {
    const iam = mockClient(IAMClient);
    iam
      .on(SimulatePrincipalPolicyCommand)
      .resolvesOnce({
        EvaluationResults: [{ EvalActionName: 's3:DeleteObject', EvalResourceName: OBJECTS, EvalDecision: 'allowed' }],
        IsTruncated: true,
        Marker: 'm1',
      })
      .resolvesOnce({
        EvaluationResults: [
          { EvalActionName: 's3:GetObjectRetention', EvalResourceName: OBJECTS, EvalDecision: 'implicitDeny' },
        ],
        IsTruncated: false,
      });
    const decisions = await new IamPermissionSimulator(new IAMClient({ region: 'us-east-1' })).simulate(
      roleArn,
      ['s3:DeleteObject', 's3:GetObjectRetention'],
      [OBJECTS],
    );
    expect(decisions).toEqual([
      { action: 's3:DeleteObject', resource: OBJECTS, allowed: true, decision: 'allowed' },
      { action: 's3:GetObjectRetention', resource: OBJECTS, allowed: false, decision: 'implicitDeny' },
    ]);
    expect(iam.commandCalls(SimulatePrincipalPolicyCommand)[1]?.args[0].input.Marker).toBe('m1');
    iam.restore();
  });

  it('turns AccessDenied to the simulator into unavailable, and leaves throttling as it is', async () => {
    const iam = mockClient(IAMClient);
    const denied = Object.assign(new Error('not authorized to perform: iam:SimulatePrincipalPolicy'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'Throttling',
      $metadata: { httpStatusCode: 400 },
    });
    iam.on(SimulatePrincipalPolicyCommand).rejectsOnce(denied).rejectsOnce(throttled);
    const simulator = new IamPermissionSimulator(new IAMClient({ region: 'us-east-1' }));
    await expect(simulator.simulate(roleArn, ['s3:DeleteObject'], [OBJECTS])).rejects.toThrow(
      /access denied to iam:SimulatePrincipalPolicy/,
    );
    await expect(simulator.simulate(roleArn, ['s3:DeleteObject'], [OBJECTS])).rejects.toThrow(/Rate exceeded/);
    iam.restore();
  });
});
