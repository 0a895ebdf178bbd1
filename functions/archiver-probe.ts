import { createArchiverProbeHandler } from '../lib/handlers/archiver-probe-handler.ts';
import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { deployedDispatch } from '../lib/wiring/deployed-dispatch.ts';
import { createSqsAdapters } from '../lib/wiring/sqs-adapters.ts';

// The one-minute tick only enqueues the due clusters; a cluster's probe imports the SSM and DynamoDB adapters.
const dispatch = deployedDispatch(createSqsAdapters);
export const handler = createArchiverProbeHandler(
  {
    clusters: dispatch.config.clusters,
    load: async () => {
      const { createSsmAdapters } = await import('../lib/wiring/ssm-adapters.ts');
      return (await dispatch.adapterSet({ ssm: createSsmAdapters })).probe();
    },
  },
  functionLogger('archiver-probe'),
  dispatch.clusterRuns,
);
