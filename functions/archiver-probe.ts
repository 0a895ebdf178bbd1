import { createArchiverProbeHandler } from '../lib/handlers/archiver-probe-handler.ts';
import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';
import { createSqsAdapters } from '../lib/wiring/sqs-adapters.ts';
import { createSsmAdapters } from '../lib/wiring/ssm-adapters.ts';

const adapters = deployedAdapterSet({ ssm: createSsmAdapters, sqs: createSqsAdapters });
export const handler = createArchiverProbeHandler(
  adapters.probe(),
  functionLogger('archiver-probe'),
  adapters.clusterRuns(),
);
