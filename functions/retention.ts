import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { createRetentionHandler } from '../lib/handlers/retention-handler.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';

const adapters = deployedAdapterSet();
export const handler = createRetentionHandler(
  adapters.retention(),
  adapters.config,
  functionLogger('retention'),
  adapters.clusterRuns(),
);
