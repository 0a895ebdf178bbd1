import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { createRestoreDrillHandler } from '../lib/handlers/restore-drill-handler.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';

export const handler = createRestoreDrillHandler(deployedAdapterSet().drill(), functionLogger('restore-drill'));
