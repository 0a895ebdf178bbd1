import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployedFunctionRoles } from '../../../lib/adapters/aws/cloudformation-function-roles.ts';
import { MOTO_ACCOUNT, MOTO_CREDENTIALS, MOTO_REGION, type MotoHandle, startMoto } from '../../support/moto.ts';

const role = {
  Type: 'AWS::IAM::Role',
  Properties: {
    AssumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
    },
  },
};

describe('deployedFunctionRoles against moto_server', () => {
  let moto: MotoHandle;
  let cfn: CloudFormationClient;
  let iam: IAMClient;
  beforeAll(async () => {
    moto = await startMoto();
    const options = { region: MOTO_REGION, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS };
    cfn = new CloudFormationClient(options);
    iam = new IAMClient(options);
    await cfn.send(
      new CreateStackCommand({
        StackName: 'walcat-prod',
        TemplateBody: JSON.stringify({
          Resources: { CatalogIngestRole: role, RetentionRole: role, WalWatchRole: role },
        }),
        Capabilities: ['CAPABILITY_IAM'],
      }),
    );
  }, 60_000);
  afterAll(async () => {
    cfn?.destroy();
    iam?.destroy();
    await moto?.close();
  });

  it('names the checked functions’ roles by ARN, leaving out the ones the stack lacks', async () => {
    const roles = await deployedFunctionRoles(cfn, 'walcat-prod');
    expect(Object.keys(roles).sort()).toEqual(['catalogIngest', 'retention']);
    const name = roles.catalogIngest?.split('/').pop() ?? '';
    expect(roles.catalogIngest).toBe(`arn:aws:iam::${MOTO_ACCOUNT}:role/${name}`);
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: name }));
    expect(Role?.Arn).toBe(roles.catalogIngest);
  });
});
