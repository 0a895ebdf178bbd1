import { createJobTrackerHandler } from '../lib/handlers/job-tracker-handler.ts';
import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';

const adapters = deployedAdapterSet();
export const handler = createJobTrackerHandler(
  adapters.tracker(),
  functionLogger('job-tracker'),
  adapters.clusterRuns(),
);
