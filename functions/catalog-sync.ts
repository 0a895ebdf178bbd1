import { Metrics } from '@aws-lambda-powertools/metrics';
import { historyTextOrUndefined } from '../lib/domain/wal/history-file-content.ts';
import { createCatalogSyncHandler } from '../lib/handlers/catalog-sync-handler.ts';
import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';
import { createS3Adapters } from '../lib/wiring/s3-adapters.ts';
import { createSqsAdapters } from '../lib/wiring/sqs-adapters.ts';

const adapters = deployedAdapterSet({
  decompress: historyTextOrUndefined,
  s3: createS3Adapters,
  sqs: createSqsAdapters,
});
export const handler = createCatalogSyncHandler(
  adapters.sync(),
  adapters.config,
  functionLogger('catalog-sync'),
  new Metrics({ namespace: 'walcat', serviceName: 'walcat-catalog-sync' }),
  adapters.clusterRuns(),
);
