import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { SQSBatchItemFailure, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { WalcatConfig } from '../domain/cluster.ts';
import type { SyncPartLedger } from '../ports/sync-part-ledger.ts';
import type { SyncDependencies } from '../use-cases/sync-catalog.ts';
import { syncClusterPart } from '../use-cases/sync-cluster-parts.ts';
import { lambdaHandler } from './lambda-chain.ts';
import { parseSyncPart } from './sync-part-message.ts';

/**
 * One key range of a split cluster sync per message of the part queue: lists and reconciles that range, records the
 * part in the ledger and, when it was the last, commits the cluster's sync mark. A failed part is reported for
 * redelivery alone; a message that can never run is logged and dropped.
 */
export function createCatalogSyncPartHandler(
  deps: SyncDependencies & { readonly ledger: SyncPartLedger },
  config: WalcatConfig,
  logger: Logger,
  metrics: Metrics,
) {
  return lambdaHandler(
    logger,
    async (event: { readonly Records: readonly SQSRecord[] }): Promise<SQSBatchResponse> => {
      const batchItemFailures: SQSBatchItemFailure[] = [];
      for (const record of event.Records ?? []) {
        const parsed = parseSyncPart(record.body, config.clusters);
        if ('problem' in parsed) {
          logger.error('sync part dropped', { messageId: record.messageId, problem: parsed.problem });
          continue;
        }
        const { cluster, request } = parsed;
        try {
          const outcome = await syncClusterPart(deps, cluster, request);
          logger.info('sync part done', {
            syncId: request.syncId,
            part: request.part,
            parts: request.parts,
            ...outcome,
          });
          if (outcome.kind === 'synced') {
            metrics.addMetric('SyncAdded', MetricUnit.Count, outcome.added);
            metrics.addMetric('SyncMarkedGone', MetricUnit.Count, outcome.removed);
          }
        } catch (error) {
          batchItemFailures.push({ itemIdentifier: record.messageId });
          logger.error('sync part failed', { cluster: cluster.id, part: request.part, error: error as Error });
        }
      }
      return { batchItemFailures };
    },
    { use: [logMetrics(metrics)] },
  );
}
