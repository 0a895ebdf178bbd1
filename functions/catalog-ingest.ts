import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { parseIngestInvocation } from '../lib/adapters/events/s3-notification-events.ts';
import { historyTextOrUndefined } from '../lib/domain/wal/history-file-content.ts';
import { type IngestDependencies, ingestObjectEvents } from '../lib/use-cases/ingest-object-events.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';

/**
 * S3 object events into the catalog. Accepts an SQS batch of S3 notifications (answering with partial batch
 * failures so only records that hit a transient error are redelivered), a direct S3 notification, or an
 * EventBridge `Object Created` / `Object Deleted` event (those throw on a transient error so Lambda retries).
 */
export function createCatalogIngestHandler(deps: IngestDependencies, logger: Logger, metrics: Metrics) {
  return middy(async (event: unknown): Promise<SQSBatchResponse | { ingested: number; skipped: number }> => {
    const records = parseIngestInvocation(event);
    const outcome = await ingestObjectEvents(deps, records);
    for (const skipped of outcome.skipped) logger.warn('event skipped', { ...skipped });
    for (const failure of outcome.transientErrors) {
      logger.error('record failed and will be retried', { recordId: failure.recordId, error: failure.error as Error });
    }
    metrics.addMetric('EventsIngested', MetricUnit.Count, outcome.ingested);
    metrics.addMetric('EventsSkipped', MetricUnit.Count, outcome.skipped.length);
    metrics.addMetric('EventsStale', MetricUnit.Count, outcome.stale);
    metrics.addMetric('RecordsFailed', MetricUnit.Count, outcome.failedRecordIds.length);
    const fromSqs = (event as { Records?: { eventSource?: string }[] }).Records?.[0]?.eventSource === 'aws:sqs';
    if (fromSqs) return { batchItemFailures: outcome.failedRecordIds.map((id) => ({ itemIdentifier: id })) };
    if (outcome.transientErrors.length > 0) throw outcome.transientErrors[0]?.error;
    return { ingested: outcome.ingested, skipped: outcome.skipped.length };
  }).use(logMetrics(metrics));
}

function buildDefault() {
  const adapters = deployedAdapterSet();
  const deps: IngestDependencies = {
    catalog: adapters.catalog(),
    objects: adapters.objectStore(),
    decompress: historyTextOrUndefined,
    clusters: adapters.config.clusters,
  };
  return createCatalogIngestHandler(
    deps,
    new Logger({ serviceName: 'walcat-catalog-ingest' }),
    new Metrics({ namespace: 'walcat', serviceName: 'walcat-catalog-ingest' }),
  );
}

let built: ReturnType<typeof buildDefault> | undefined;
/** Built on the first invocation (once per container), so importing the module for tests reads no config. */
export const handler = (event: unknown, context: Context) => {
  built ??= buildDefault();
  return built(event, context);
};
