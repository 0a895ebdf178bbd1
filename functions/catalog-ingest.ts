import { Metrics } from '@aws-lambda-powertools/metrics';
import { historyTextOrUndefined } from '../lib/domain/wal/history-file-content.ts';
import { createCatalogIngestHandler } from '../lib/handlers/catalog-ingest-handler.ts';
import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';
import { createS3AdaptersOnDemand } from '../lib/wiring/s3-adapters-on-demand.ts';

// A WAL segment's event reads no object: the S3 client is imported by the first sentinel or history file.
export const handler = createCatalogIngestHandler(
  deployedAdapterSet({ decompress: historyTextOrUndefined, s3: createS3AdaptersOnDemand }).ingest(),
  functionLogger('catalog-ingest'),
  new Metrics({ namespace: 'walcat', serviceName: 'walcat-catalog-ingest' }),
);
