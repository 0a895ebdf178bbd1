import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { parseRestoreOrchestratorInput } from '../lib/adapters/events/restore-orchestrator-events.ts';
import { newRestoreJobId } from '../lib/domain/restore/restore-job-id.ts';
import { type OrchestratorDeps, orchestrateRestore } from '../lib/use-cases/orchestrate-restore.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';

/**
 * The restore orchestrator: SSM status-change events (EventBridge) advance restore jobs step by step; start and
 * resume requests (Lambda invoke) begin or continue one; the watchdog schedule polls jobs that went quiet. Refusals
 * are logged and answered, never retried; transient errors are thrown so EventBridge retries the event.
 */
export function createRestoreOrchestratorHandler(deps: OrchestratorDeps, logger: Logger) {
  return middy(async (event: unknown) => {
    const input = parseRestoreOrchestratorInput(event);
    const outcome = await orchestrateRestore(deps, input);
    if (outcome.kind === 'refused')
      logger.warn('restore request refused', { input: input.kind, reason: outcome.reason });
    else logger.info('restore orchestrated', { input: input.kind, ...outcome });
    return outcome;
  });
}

function buildDefault() {
  const deps = deployedAdapterSet().restore();
  return createRestoreOrchestratorHandler(
    { ...deps, newJobId: () => newRestoreJobId('restore', new Date(), Math.random) },
    new Logger({ serviceName: 'walcat-restore-orchestrator' }),
  );
}

let built: ReturnType<typeof buildDefault> | undefined;
/** Built on the first invocation (once per container), so importing the module for tests reads no config. */
export const handler = (event: unknown, context: Context) => {
  built ??= buildDefault();
  return built(event, context);
};
