import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { createRestoreDrillHandler } from '../lib/handlers/restore-drill-handler.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';
import { createSqsAdapters } from '../lib/wiring/sqs-adapters.ts';
import { createSsmAdapters } from '../lib/wiring/ssm-adapters.ts';

const adapters = deployedAdapterSet({ ssm: createSsmAdapters, sqs: createSqsAdapters });
// An invocation lasts minutes and a thaw hours: a drill that needs one is refused here, naming `walcat drill`.
export const handler = createRestoreDrillHandler(
  { ...adapters.drill(), waitForThaw: false },
  functionLogger('restore-drill'),
  adapters.clusterRuns(),
);
