import { createJobTrackerHandler } from '../lib/handlers/job-tracker-handler.ts';
import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';

export const handler = createJobTrackerHandler(deployedAdapterSet().tracker(), functionLogger('job-tracker'));
