import { createJobTrackerHandler } from '../lib/handlers/job-tracker-handler.ts';
import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';
import { createSqsAdapters } from '../lib/wiring/sqs-adapters.ts';
import { createSsmAdaptersOnDemand } from '../lib/wiring/ssm-adapters-on-demand.ts';

// The tick, an unknown command and an in-progress status call no SSM: the SSM client is imported by the first
// terminal status, restore step or watchdog poll.
const adapters = deployedAdapterSet({ ssm: createSsmAdaptersOnDemand, sqs: createSqsAdapters });
export const handler = createJobTrackerHandler(
  adapters.tracker(),
  functionLogger('job-tracker'),
  adapters.clusterRuns(),
);
