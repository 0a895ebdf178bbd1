import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { createRestoreOrchestratorHandler } from '../lib/handlers/restore-orchestrator-handler.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';
import { createSqsAdapters } from '../lib/wiring/sqs-adapters.ts';
import { createSsmAdapters } from '../lib/wiring/ssm-adapters.ts';

export const handler = createRestoreOrchestratorHandler(
  deployedAdapterSet({ ssm: createSsmAdapters, sqs: createSqsAdapters }).orchestrator(),
  functionLogger('restore-orchestrator'),
);
