import { createJobTrackerHandler } from '../lib/handlers/job-tracker-handler.ts';
import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';
import { createSqsAdapters } from '../lib/wiring/sqs-adapters.ts';
import { createSsmAdapters } from '../lib/wiring/ssm-adapters.ts';

const adapters = deployedAdapterSet({ ssm: createSsmAdapters, sqs: createSqsAdapters });
export const handler = createJobTrackerHandler(
  adapters.tracker(),
  functionLogger('job-tracker'),
  adapters.clusterRuns(),
);
