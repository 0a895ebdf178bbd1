import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { createRetentionHandler } from '../lib/handlers/retention-handler.ts';
import { deployedDispatch } from '../lib/wiring/deployed-dispatch.ts';
import { createSqsAdapters } from '../lib/wiring/sqs-adapters.ts';

// The daily tick only enqueues; a cluster's run imports the S3 and DynamoDB adapters it plans and deletes with.
const dispatch = deployedDispatch(createSqsAdapters);
export const handler = createRetentionHandler(
  async () => {
    const { createS3Adapters } = await import('../lib/wiring/s3-adapters.ts');
    return (await dispatch.adapterSet({ s3: createS3Adapters })).retention();
  },
  dispatch.config,
  functionLogger('retention'),
  dispatch.clusterRuns,
);
