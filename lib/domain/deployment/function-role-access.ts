import type { DoctorCheck } from '../bucket/bucket-checks.ts';
import type { ClusterConfig } from '../cluster.ts';

/** The deployed functions whose roles the doctor checks, by what they must reach for a cluster. */
export type CheckedFunction = 'catalogIngest' | 'alertDispatch' | 'retention';

/** The role ARN of each deployed function the doctor can check (a missing one is not checked). */
export type FunctionRoles = Readonly<Partial<Record<CheckedFunction, string>>>;

/** What one function's role must be allowed to do for one cluster: a doctor check named `role-<function>`. */
export interface RoleRequirement {
  readonly check: string;
  readonly fn: CheckedFunction;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

/** Every object under the cluster's prefix, as an S3 object ARN. */
export const prefixObjectsArn = (cluster: ClusterConfig): string =>
  `arn:aws:s3:::${cluster.storage.bucket}/${cluster.storage.prefix}*`;

/** `/walcat/slack/orders` as an SSM parameter ARN in the role's own region and account. */
function parameterArn(name: string, roleArn: string, region: string): string {
  const account = roleArn.split(':')[4] ?? '';
  return `arn:aws:ssm:${region}:${account}:parameter${name.startsWith('/') ? name : `/${name}`}`;
}

/**
 * What each function's role needs for this cluster, for the roles known: the ingest role reads the prefix (and
 * decrypts with the configured key), the alert dispatcher reads the Slack parameter (when the cluster names one),
 * retention deletes objects and their versions and reads their Object Lock retention.
 *
 * @example roleRequirements(cluster, { catalogIngest: 'arn:aws:iam::1:role/ingest' }, 'eu-west-1')[0].actions // ['s3:GetObject']
 */
export function roleRequirements(cluster: ClusterConfig, roles: FunctionRoles, region: string): RoleRequirement[] {
  const objects = prefixObjectsArn(cluster);
  const requirements: RoleRequirement[] = [];
  if (roles.catalogIngest) {
    requirements.push({ check: 'role-ingest', fn: 'catalogIngest', actions: ['s3:GetObject'], resources: [objects] });
    if (cluster.storage.kmsKeyArn) {
      requirements.push({
        check: 'role-ingest-kms',
        fn: 'catalogIngest',
        actions: ['kms:Decrypt'],
        resources: [cluster.storage.kmsKeyArn],
      });
    }
  }
  const slack = cluster.alerts.slackWebhookParameter;
  if (roles.alertDispatch && slack) {
    requirements.push({
      check: 'role-alert-dispatch',
      fn: 'alertDispatch',
      actions: ['ssm:GetParameter'],
      resources: [parameterArn(slack, roles.alertDispatch, region)],
    });
  }
  if (roles.retention) {
    requirements.push({
      check: 'role-retention',
      fn: 'retention',
      actions: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:GetObjectRetention'],
      resources: [objects],
    });
  }
  return requirements;
}

/** What IAM answered for a requirement, or why it could not be asked. */
export type RoleSimulation =
  | { readonly denied: readonly { readonly action: string; readonly resource: string; readonly decision: string }[] }
  | { readonly unavailable: string };

/**
 * The doctor check for one requirement. A simulation that could not be made is a warning saying "not checked" and
 * why, never ok: an unanswered question about access is not an answer.
 *
 * @example roleAccessCheck(req, 'arn:aws:iam::1:role/ingest', { denied: [] }).status // 'ok'
 */
export function roleAccessCheck(
  requirement: RoleRequirement,
  roleArn: string,
  simulation: RoleSimulation,
): DoctorCheck {
  const what = `${requirement.actions.join(', ')} on ${requirement.resources.join(', ')}`;
  const simulate = `aws iam simulate-principal-policy --policy-source-arn ${roleArn} --action-names ${requirement.actions.join(' ')} --resource-arns ${requirement.resources.join(' ')}`;
  if ('unavailable' in simulation) {
    return {
      check: requirement.check,
      status: 'warn',
      detail: `not checked: role ${roleArn} may need ${what}, but IAM's policy simulator could not be asked (${simulation.unavailable})`,
      fix: `grant the caller iam:SimulatePrincipalPolicy on ${roleArn}, or check by hand: ${simulate}`,
    };
  }
  if (simulation.denied.length === 0) {
    return { check: requirement.check, status: 'ok', detail: `role ${roleArn} may ${what}`, fix: '' };
  }
  const missing = simulation.denied.map((d) => `${d.action} on ${d.resource} (${d.decision})`).join(', ');
  return {
    check: requirement.check,
    status: 'fail',
    detail: `role ${roleArn} lacks ${missing}`,
    fix: `redeploy walcat with this cluster in its config (npx serverless deploy) so the role's policy covers it${requirement.actions.includes('kms:Decrypt') ? ', and let the role use the key in its key policy' : ''}; then check with: ${simulate}`,
  };
}
