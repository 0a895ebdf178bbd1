import type { Logger } from '@aws-lambda-powertools/logger';
import { parseRestoreOrchestratorInput } from '../adapters/events/restore-orchestrator-events.ts';
import { type OrchestratorDeps, orchestrateRestore } from '../use-cases/orchestrate-restore.ts';
import { lambdaHandler } from './lambda-chain.ts';

/**
 * The restore orchestrator: SSM status-change events (EventBridge) advance restore jobs step by step; start and
 * resume requests (Lambda invoke) begin or continue one; the watchdog schedule polls jobs that went quiet. Refusals
 * are logged and answered, never retried; transient errors are thrown so EventBridge retries the event.
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
