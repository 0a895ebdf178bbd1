import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { createRestoreDrillHandler } from '../lib/handlers/restore-drill-handler.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';

const adapters = deployedAdapterSet();
// An invocation lasts minutes and a thaw hours: a drill that needs one is refused here, naming `walcat drill`.
export const handler = createRestoreDrillHandler(
  { ...adapters.drill(), waitForThaw: false },
  functionLogger('restore-drill'),
  adapters.clusterRuns(),
);
