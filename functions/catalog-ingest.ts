import { Metrics } from '@aws-lambda-powertools/metrics';
import { createCatalogIngestHandler } from '../lib/handlers/catalog-ingest-handler.ts';
import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';

export const handler = createCatalogIngestHandler(
  deployedAdapterSet().ingest(),
  functionLogger('catalog-ingest'),
  new Metrics({ namespace: 'walcat', serviceName: 'walcat-catalog-ingest' }),
);
