import type { Logger } from '@aws-lambda-powertools/logger';
import { parseRestoreOrchestratorInput } from '../adapters/events/restore-orchestrator-events.ts';
import { type OrchestratorDeps, orchestrateRestore } from '../use-cases/orchestrate-restore.ts';
import { lambdaHandler } from './lambda-chain.ts';

/**
 * The restore orchestrator: start and resume requests (Lambda invoke) begin or continue a restore; the job tracker
 * advances it step by step and watches it. Refusals are logged and answered, never retried; transient errors are
 * thrown so the caller (or Lambda's asynchronous retry) tries again.
 */
export function createRestoreOrchestratorHandler(deps: OrchestratorDeps, logger: Logger) {
  return lambdaHandler(logger, async (event: unknown) => {
    const input = parseRestoreOrchestratorInput(event);
    const outcome = await orchestrateRestore(deps, input);
    if (outcome.kind === 'refused')
      logger.warn('restore request refused', { input: input.kind, reason: outcome.reason });
    else logger.info('restore orchestrated', { input: input.kind, ...outcome });
    return outcome;
  });
}
