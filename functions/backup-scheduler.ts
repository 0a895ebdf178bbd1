import { createBackupSchedulerHandler } from '../lib/handlers/backup-scheduler-handler.ts';
import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { deployedDispatch } from '../lib/wiring/deployed-dispatch.ts';
import { createSqsAdapters } from '../lib/wiring/sqs-adapters.ts';

// The one-minute tick only enqueues the due clusters; a cluster's run imports the SSM and DynamoDB adapters it
// dispatches the backup with.
const dispatch = deployedDispatch(createSqsAdapters);
export const handler = createBackupSchedulerHandler(
  async () => {
    const { createSsmAdapters } = await import('../lib/wiring/ssm-adapters.ts');
    return (await dispatch.adapterSet({ ssm: createSsmAdapters })).backup();
  },
  dispatch.config,
  functionLogger('backup-scheduler'),
  dispatch.clusterRuns,
);
