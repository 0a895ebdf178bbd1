import { createArchiverProbeHandler } from '../lib/handlers/archiver-probe-handler.ts';
import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';

const adapters = deployedAdapterSet();
export const handler = createArchiverProbeHandler(
  adapters.probe(),
  functionLogger('archiver-probe'),
  adapters.clusterRuns(),
);
