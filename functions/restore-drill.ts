import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { createRestoreDrillHandler } from '../lib/handlers/restore-drill-handler.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';

const adapters = deployedAdapterSet();
export const handler = createRestoreDrillHandler(
  adapters.drill(),
  functionLogger('restore-drill'),
  adapters.clusterRuns(),
);
