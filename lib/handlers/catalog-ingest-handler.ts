import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { SQSBatchResponse } from 'aws-lambda';
import { parseIngestInvocation } from '../adapters/events/s3-notification-events.ts';
import { type IngestDependencies, ingestObjectEvents } from '../use-cases/ingest-object-events.ts';
import { lambdaHandler } from './lambda-chain.ts';

/**
 * S3 object events into the catalog. Accepts an SQS batch of S3 notifications (answering with partial batch
 * failures so only records that hit a transient error are redelivered), a direct S3 notification, or an
 * EventBridge `Object Created` / `Object Deleted` event (those throw on a transient error so Lambda retries).
 */
export function createCatalogIngestHandler(deps: IngestDependencies, logger: Logger, metrics: Metrics) {
  return lambdaHandler(
    logger,
    async (event: unknown): Promise<SQSBatchResponse | { ingested: number; skipped: number }> => {
      const records = parseIngestInvocation(event);
      const outcome = await ingestObjectEvents(deps, records);
      for (const skipped of outcome.skipped) logger.warn('event skipped', { ...skipped });
      for (const failure of outcome.transientErrors) {
        logger.error('record failed and will be retried', {
          recordId: failure.recordId,
          error: failure.error as Error,
        });
      }
      metrics.addMetric('EventsIngested', MetricUnit.Count, outcome.ingested);
      metrics.addMetric('EventsSkipped', MetricUnit.Count, outcome.skipped.length);
      metrics.addMetric('EventsStale', MetricUnit.Count, outcome.stale);
      metrics.addMetric('RecordsFailed', MetricUnit.Count, outcome.failedRecordIds.length);
      const fromSqs = (event as { Records?: { eventSource?: string }[] }).Records?.[0]?.eventSource === 'aws:sqs';
      if (fromSqs) return { batchItemFailures: outcome.failedRecordIds.map((id) => ({ itemIdentifier: id })) };
      if (outcome.transientErrors.length > 0) throw outcome.transientErrors[0]?.error;
      return { ingested: outcome.ingested, skipped: outcome.skipped.length };
    },
    { use: [logMetrics(metrics)] },
  );
}
