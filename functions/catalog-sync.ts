import { Metrics } from '@aws-lambda-powertools/metrics';
import { createCatalogSyncHandler } from '../lib/handlers/catalog-sync-handler.ts';
import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { deployedDispatch } from '../lib/wiring/deployed-dispatch.ts';
import { createSqsAdapters } from '../lib/wiring/sqs-adapters.ts';

// The tick only enqueues; a cluster's run imports the S3 and DynamoDB adapters and the history decompressors.
const dispatch = deployedDispatch(createSqsAdapters);
export const handler = createCatalogSyncHandler(
  async () => {
    const [{ historyTextOrUndefined }, { createS3Adapters }] = await Promise.all([
      import('../lib/domain/wal/history-file-content.ts'),
      import('../lib/wiring/s3-adapters.ts'),
    ]);
    return (await dispatch.adapterSet({ decompress: historyTextOrUndefined, s3: createS3Adapters })).sync();
  },
  dispatch.config,
  functionLogger('catalog-sync'),
  new Metrics({ namespace: 'walcat', serviceName: 'walcat-catalog-sync' }),
  dispatch.clusterRuns,
);
