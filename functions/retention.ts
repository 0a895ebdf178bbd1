import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { createRetentionHandler } from '../lib/handlers/retention-handler.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';
import { createS3Adapters } from '../lib/wiring/s3-adapters.ts';
import { createSqsAdapters } from '../lib/wiring/sqs-adapters.ts';

const adapters = deployedAdapterSet({ s3: createS3Adapters, sqs: createSqsAdapters });
export const handler = createRetentionHandler(
  adapters.retention(),
  adapters.config,
  functionLogger('retention'),
  adapters.clusterRuns(),
);
