import { InvalidInputError } from '../domain/errors.ts';
import { RestoreJobStateError } from '../domain/restore/restore-job.ts';
import type { RestoreOrchestratorInput } from '../domain/restore/restore-orchestrator-input.ts';
import { RestoreTargetUnreachableError } from '../domain/restore/restore-plan.ts';
import { RestoreLockedError } from '../ports/job-store.ts';
import { clusterOf, type RestoreDeps } from './restore-dependencies.ts';
import { resumeRestore, startRestore } from './start-restore.ts';

export interface OrchestratorDeps extends RestoreDeps {
  readonly newJobId: () => string;
}

/** What one invocation did, for the log line and the function's response. */
export type OrchestratorOutcome =
  | { readonly kind: 'started'; readonly jobId: string }
  | { readonly kind: 'resumed'; readonly jobId: string }
  | { readonly kind: 'refused'; readonly reason: string };

/**
 * The restore orchestrator's one entry: a request starts or resumes a job (the job tracker advances it from there
 * and watches it). Refusals (bad request, unreachable target, unknown cluster) are outcomes, not errors: retrying
 * cannot change them. Transient errors propagate so the platform retries.
 */
export async function orchestrateRestore(
  deps: OrchestratorDeps,
  input: RestoreOrchestratorInput,
): Promise<OrchestratorOutcome> {
  try {
    switch (input.kind) {
      case 'start': {
        const message = input.request;
        const cluster = clusterOf(deps, message.cluster);
        if (!cluster) throw new InvalidInputError(`cluster ${JSON.stringify(message.cluster)} is not configured`);
        const { job } = await startRestore(deps, {
          cluster,
          target: message.target,
          inPlace: message.inPlace,
          action: message.action,
          jobId: deps.newJobId(),
          ...(message.host ? { host: message.host } : {}),
          ...(message.checkSql === undefined ? {} : { checkSql: message.checkSql }),
          ...(message.pgData === undefined ? {} : { hostOverrides: { pgData: message.pgData } }),
          ...(message.settings === undefined ? {} : { extraSettings: message.settings }),
          ...(message.resumeArchiving === true ? { resumeArchiving: true } : {}),
        });
        return { kind: 'started', jobId: job.id };
      }
      case 'resume': {
        const cluster = clusterOf(deps, input.cluster);
        if (!cluster) throw new InvalidInputError(`cluster ${JSON.stringify(input.cluster)} is not configured`);
        const job = await resumeRestore(deps, cluster, input.jobId);
        return { kind: 'resumed', jobId: job.id };
      }
      case 'invalid':
        return { kind: 'refused', reason: input.reason };
    }
  } catch (error) {
    if (
      error instanceof InvalidInputError ||
      error instanceof RestoreTargetUnreachableError ||
      error instanceof RestoreJobStateError ||
      error instanceof RestoreLockedError
    ) {
      return { kind: 'refused', reason: error.message };
    }
    throw error;
  }
}
