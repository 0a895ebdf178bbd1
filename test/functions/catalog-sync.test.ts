import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, ScheduledEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterId } from '../../lib/domain/cluster.ts';
import { createCatalogSyncHandler } from '../../lib/handlers/catalog-sync-handler.ts';
import type { ClusterRun } from '../../lib/ports/cluster-run-queue.ts';
import { SAMPLE_BACKUP, SAMPLE_BUCKET, SAMPLE_OBJECTS } from '../../scripts/capture-s3-events.ts';
import { type CatalogServices, readers, startCatalogServices, testConfig } from '../use-cases/catalog-test-setup.ts';

const event = JSON.parse(
  readFileSync(new URL('../../events/catalog-sync-schedule.json', import.meta.url), 'utf8'),
) as ScheduledEvent;
let services: CatalogServices;

beforeAll(async () => {
  services = await startCatalogServices(testConfig('walcat-test', 'orders-main', SAMPLE_BUCKET));
  for (const [key, body] of SAMPLE_OBJECTS) await services.objects.putObject(SAMPLE_BUCKET, key, body);
});
afterAll(() => services.close());

describe('catalog-sync handler on the sample schedule event', () => {
  it('reconciles every cluster at the event time', async () => {
    const catalog = await services.newCatalog();
    const handler = createCatalogSyncHandler(
      { ...readers(services), catalog },
      services.config,
      new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
      new Metrics({ namespace: 'walcat-test', serviceName: 'test' }),
    );
    expect(await handler(event, {} as Context)).toEqual({ clusters: 1, failed: 0 });
    const cluster = 'orders-main' as ClusterId;
    expect((await catalog.getBackup(cluster, SAMPLE_BACKUP))?.status).toBe('complete');
    expect((await catalog.getClusterState(cluster)).lastFullSyncAt).toEqual(new Date(event.time));
  });
});

describe('catalog-sync fans out one cluster per invocation', () => {
  const silent = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const metrics = () => new Metrics({ namespace: 'walcat-test', serviceName: 'test' });
  const cluster = 'orders-main' as ClusterId;

  it('the tick only enqueues a run per cluster; the run syncs that cluster at the tick time', async () => {
    const catalog = await services.newCatalog();
    const queued: ClusterRun[] = [];
    const queue = { enqueue: async (runs: readonly ClusterRun[]) => void queued.push(...runs) };
    const handler = createCatalogSyncHandler(
      { ...readers(services), catalog },
      services.config,
      silent,
      metrics(),
      queue,
    );

    expect(await handler(event, {} as Context)).toEqual({ enqueued: 1 });
    expect(queued).toEqual([{ cluster: 'orders-main', time: new Date(event.time).toISOString() }]);
    // The tick itself synced nothing.
    expect(await catalog.getBackup(cluster, SAMPLE_BACKUP)).toBeUndefined();
    expect((await catalog.getClusterState(cluster)).lastFullSyncAt).toBeUndefined();

    const delivery = {
      Records: queued.map(
        (run, index) => ({ messageId: `m${index}`, body: JSON.stringify(run), eventSource: 'aws:sqs' }) as SQSRecord,
      ),
    };
    expect(await handler(delivery as never, {} as Context)).toEqual({ batchItemFailures: [], ran: 1, dropped: 0 });
    expect((await catalog.getBackup(cluster, SAMPLE_BACKUP))?.status).toBe('complete');
    expect((await catalog.getClusterState(cluster)).lastFullSyncAt).toEqual(new Date(event.time));
  });

  it('drops a run for a cluster no longer configured without failing the batch', async () => {
    const catalog = await services.newCatalog();
    const handler = createCatalogSyncHandler({ ...readers(services), catalog }, services.config, silent, metrics());
    const stale = { messageId: 'gone', body: JSON.stringify({ cluster: 'removed', time: event.time }) };
    expect(await handler({ Records: [{ ...stale, eventSource: 'aws:sqs' }] } as never, {} as Context)).toEqual({
      batchItemFailures: [],
      ran: 0,
      dropped: 1,
    });
  });
});
