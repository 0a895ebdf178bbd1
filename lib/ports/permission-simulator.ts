/** One action on one resource, as IAM's policy simulator decided it for a principal. */
export interface SimulatedDecision {
  readonly action: string;
  readonly resource: string;
  readonly allowed: boolean;
  /** IAM's word for the decision (`allowed`, `implicitDeny`, `explicitDeny`). */
  readonly decision: string;
}

/** The simulation itself could not be made (no iam:SimulatePrincipalPolicy, or an emulator without the call). */
export class PermissionSimulationUnavailableError extends Error {
  override readonly name = 'PermissionSimulationUnavailableError';
}

/** Asks IAM whether a role may do actions on resources, without doing them. */
export interface PermissionSimulator {
  /**
   * One decision per action and resource. Throws PermissionSimulationUnavailableError when no answer can be had;
   * other errors are transient or unexpected.
   */
  simulate(roleArn: string, actions: readonly string[], resources: readonly string[]): Promise<SimulatedDecision[]>;
}
