import {
  type IAMClient,
  SimulatePrincipalPolicyCommand,
  type SimulatePrincipalPolicyCommandOutput,
} from '@aws-sdk/client-iam';
import {
  PermissionSimulationUnavailableError,
  type PermissionSimulator,
  type SimulatedDecision,
} from '../../ports/permission-simulator.ts';

const errorName = (error: unknown): string => (error as { name?: string }).name ?? '';
const statusOf = (error: unknown): number | undefined =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/**
 * Why no simulation can be had from this error, or `undefined` when the error is something else (throttling, a
 * network fault) that the caller should see as it is.
 */
function unavailableReason(error: unknown): string | undefined {
  const name = errorName(error);
  const status = statusOf(error);
  if (name === 'AccessDenied' || name === 'AccessDeniedException' || status === 403) {
    return 'access denied to iam:SimulatePrincipalPolicy';
  }
  if (name === 'NoSuchEntity' || name === 'NoSuchEntityException') return 'IAM does not know the role';
  // Emulators answer an action they lack with 404/501, a "not implemented"/"invalid action" error, or (moto) a 500
  // whose body is an HTML error page rather than IAM's XML: no IAM answered. A real IAM 500 parses and stays transient.
  const message = (error as { message?: string }).message ?? '';
  if (
    (/XML parse error/.test(message) && /<html/i.test(message)) ||
    status === 404 ||
    status === 501 ||
    /NotImplemented|InvalidAction|UnknownOperation/i.test(name) ||
    /not (yet )?implemented/i.test(message)
  ) {
    return 'the IAM endpoint does not implement SimulatePrincipalPolicy';
  }
  return undefined;
}

/** The PermissionSimulator port over IAM's SimulatePrincipalPolicy (reads the role's policies; changes nothing). */
export class IamPermissionSimulator implements PermissionSimulator {
  readonly #client: IAMClient;

  constructor(client: IAMClient) {
    this.#client = client;
  }

  async simulate(
    roleArn: string,
    actions: readonly string[],
    resources: readonly string[],
  ): Promise<SimulatedDecision[]> {
    const decisions: SimulatedDecision[] = [];
    let marker: string | undefined;
    do {
      let page: SimulatePrincipalPolicyCommandOutput;
      try {
        page = await this.#client.send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: roleArn,
            ActionNames: [...actions],
            ResourceArns: [...resources],
            ...(marker === undefined ? {} : { Marker: marker }),
          }),
        );
      } catch (error) {
        const reason = unavailableReason(error);
        if (reason !== undefined) throw new PermissionSimulationUnavailableError(reason, { cause: error });
        throw error;
      }
      for (const result of page.EvaluationResults ?? []) {
        const decision = result.EvalDecision ?? 'unknown';
        decisions.push({
          action: result.EvalActionName ?? '',
          resource: result.EvalResourceName ?? '*',
          allowed: decision === 'allowed',
          decision,
        });
      }
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker !== undefined);
    return decisions;
  }
}
