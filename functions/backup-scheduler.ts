import { createBackupSchedulerHandler } from '../lib/handlers/backup-scheduler-handler.ts';
import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';

const adapters = deployedAdapterSet();
export const handler = createBackupSchedulerHandler(
  adapters.backup(),
  adapters.config,
  functionLogger('backup-scheduler'),
  adapters.clusterRuns(),
);
