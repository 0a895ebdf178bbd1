import { Metrics } from '@aws-lambda-powertools/metrics';
import { createCatalogSyncHandler } from '../lib/handlers/catalog-sync-handler.ts';
import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';

const adapters = deployedAdapterSet();
export const handler = createCatalogSyncHandler(
  adapters.sync(),
  adapters.config,
  functionLogger('catalog-sync'),
  new Metrics({ namespace: 'walcat', serviceName: 'walcat-catalog-sync' }),
);
