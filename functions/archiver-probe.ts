import { createArchiverProbeHandler } from '../lib/handlers/archiver-probe-handler.ts';
import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';

export const handler = createArchiverProbeHandler(deployedAdapterSet().probe(), functionLogger('archiver-probe'));
