import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { createRestoreDrillHandler } from '../lib/handlers/restore-drill-handler.ts';
import { deployedDispatch } from '../lib/wiring/deployed-dispatch.ts';
import { createSqsAdapters } from '../lib/wiring/sqs-adapters.ts';

// The one-minute tick only enqueues the due clusters; a cluster's drill imports the SSM and DynamoDB adapters.
const dispatch = deployedDispatch(createSqsAdapters);
export const handler = createRestoreDrillHandler(
  {
    clusters: dispatch.config.clusters,
    load: async () => {
      const { createSsmAdapters } = await import('../lib/wiring/ssm-adapters.ts');
      // An invocation lasts minutes and a thaw hours: a drill that needs one is refused here, naming `walcat drill`.
      return { ...(await dispatch.adapterSet({ ssm: createSsmAdapters })).drill(), waitForThaw: false };
    },
  },
  functionLogger('restore-drill'),
  dispatch.clusterRuns,
);
