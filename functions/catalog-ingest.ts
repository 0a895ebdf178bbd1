import { Metrics } from '@aws-lambda-powertools/metrics';
import { historyTextOrUndefined } from '../lib/domain/wal/history-file-content.ts';
import { createCatalogIngestHandler } from '../lib/handlers/catalog-ingest-handler.ts';
import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';
import { createS3Adapters } from '../lib/wiring/s3-adapters.ts';

export const handler = createCatalogIngestHandler(
  deployedAdapterSet({ decompress: historyTextOrUndefined, s3: createS3Adapters }).ingest(),
  functionLogger('catalog-ingest'),
  new Metrics({ namespace: 'walcat', serviceName: 'walcat-catalog-ingest' }),
);
