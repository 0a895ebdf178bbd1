import { EmfContinuityMetrics } from '../lib/adapters/metrics/emf-continuity-metrics.ts';
import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { createWalWatchHandler } from '../lib/handlers/wal-watch-handler.ts';
import { latestArchiverSignal } from '../lib/use-cases/archiver-signal.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';
import { createSqsAdapters } from '../lib/wiring/sqs-adapters.ts';

const adapters = deployedAdapterSet({
  sqs: createSqsAdapters,
  metrics: new EmfContinuityMetrics({ namespace: 'walcat' }),
  archiverSignal: latestArchiverSignal,
});
export const handler = createWalWatchHandler(
  adapters.watchWal(),
  adapters.config,
  functionLogger('wal-watch'),
  adapters.clusterRuns(),
);
