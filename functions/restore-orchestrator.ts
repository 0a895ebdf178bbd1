import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { createRestoreOrchestratorHandler } from '../lib/handlers/restore-orchestrator-handler.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';

export const handler = createRestoreOrchestratorHandler(
  deployedAdapterSet().orchestrator(),
  functionLogger('restore-orchestrator'),
);
