import { type CloudFormationClient, DescribeStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import type { FunctionRoles } from '../../domain/deployment/function-role-access.ts';

/** The logical ids the packaged template gives the roles of the functions doctor checks. */
const ROLE_LOGICAL_IDS = {
  catalogIngest: 'CatalogIngestRole',
  alertDispatch: 'AlertDispatchRole',
  retention: 'RetentionRole',
} as const;

/**
 * The role ARNs of a deployed walcat stack's checked functions. The template's roles have no path, so a role's ARN
 * is its physical name in the stack's account (read from the stack id).
 */
export async function deployedFunctionRoles(client: CloudFormationClient, stackName: string): Promise<FunctionRoles> {
  const { StackResources = [] } = await client.send(new DescribeStackResourcesCommand({ StackName: stackName }));
  const roles: Partial<Record<keyof typeof ROLE_LOGICAL_IDS, string>> = {};
  for (const [fn, logicalId] of Object.entries(ROLE_LOGICAL_IDS) as [keyof typeof ROLE_LOGICAL_IDS, string][]) {
    const resource = StackResources.find((r) => r.LogicalResourceId === logicalId);
    const account = resource?.StackId?.split(':')[4];
    if (resource?.PhysicalResourceId && account) {
      roles[fn] = `arn:aws:iam::${account}:role/${resource.PhysicalResourceId}`;
    }
  }
  return roles;
}
