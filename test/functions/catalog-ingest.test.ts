import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import type { ClusterId } from '../../lib/domain/cluster.ts';
import { timelineId } from '../../lib/domain/wal/timeline.ts';
import { createCatalogIngestHandler } from '../../lib/handlers/catalog-ingest-handler.ts';
import { SAMPLE_BACKUP, SAMPLE_BUCKET, SAMPLE_OBJECTS } from '../../scripts/capture-s3-events.ts';
import { type CatalogServices, readers, startCatalogServices, testConfig } from '../use-cases/catalog-test-setup.ts';

const sample = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../events/${name}`, import.meta.url), 'utf8'));
const cluster = 'orders-main' as ClusterId;
const context = {} as Context;
let services: CatalogServices;

beforeAll(async () => {
  services = await startCatalogServices(testConfig('walcat-test', 'orders-main', SAMPLE_BUCKET));
  for (const [key, body] of SAMPLE_OBJECTS) {
    if (!key.endsWith('000000010000000000000001.br')) await services.objects.putObject(SAMPLE_BUCKET, key, body);
  }
});
afterAll(() => services.close());

const quietLogger = () => new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const handlerFor = (catalog: DynamoDbCatalogStore) =>
  createCatalogIngestHandler(
    { ...readers(services), catalog, clusters: services.config.clusters },
    quietLogger(),
    new Metrics({ namespace: 'walcat-test', serviceName: 'test' }),
  );

async function liveWal(catalog: DynamoDbCatalogStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const record of catalog.listWalObjects(cluster, timelineId(1))) keys.push(record.key);
  return keys;
}

describe('catalog-ingest handler on the sample events', () => {
  it('applies the SQS batch of real s3rver notifications and reports no failures', async () => {
    const catalog = await services.newCatalog();
    const response = await handlerFor(catalog)(sample('s3-sqs-batch.json'), context);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await liveWal(catalog)).toEqual(['orders-main/wal_005/000000010000000000000002.br']);
    const backup = await catalog.getBackup(cluster, SAMPLE_BACKUP);
    expect(backup?.status).toBe('complete');
    expect(backup?.backup?.permanent).toBe(true);
  });

  it('applies a direct S3 notification', async () => {
    const catalog = await services.newCatalog();
    const response = await handlerFor(catalog)(sample('s3-notification.json'), context);
    expect(response).toEqual({ ingested: 1, skipped: 0 });
    expect(await liveWal(catalog)).toEqual(['orders-main/wal_005/000000010000000000000001.br']);
  });

  it('applies EventBridge Object Created then Object Deleted, in either order', async () => {
    for (const order of [
      ['eventbridge-object-created.json', 'eventbridge-object-deleted.json'],
      ['eventbridge-object-deleted.json', 'eventbridge-object-created.json'],
    ]) {
      const catalog = await services.newCatalog();
      const handler = handlerFor(catalog);
      for (const name of order) await handler(sample(name), context);
      expect(await liveWal(catalog)).toEqual([]);
      const all = [];
      for await (const r of catalog.listWalObjects(cluster, timelineId(1), {}, { includeDeleted: true })) all.push(r);
      expect(all.map((r) => [r.key, r.deleted])).toEqual([['orders-main/wal_005/000000010000000000000003.br', true]]);
    }
  });

  it('reports only the SQS messages that hit a transient error, and skips malformed ones without failing them', async () => {
    const catalog = await services.newCatalog();
    // WAL writes are throttled beyond the retries; backup writes go through.
    const failing = new Proxy(catalog, {
      get(target, property) {
        if (property === 'applyWalChanges') return async () => Promise.reject(new Error('ThrottlingException'));
        const value = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const batch = sample('s3-sqs-batch.json') as { Records: { messageId: string; body: string }[] };
    const withGarbage = {
      Records: [
        ...batch.Records,
        { ...batch.Records[0], messageId: 'garbage', body: '{"Records":[{"eventSource":"aws:s3"}]}' },
      ],
    };
    const response = (await handlerFor(failing)(withGarbage, context)) as {
      batchItemFailures: { itemIdentifier: string }[];
    };
    const walMessages = batch.Records.filter((r) => r.body.includes('wal_005')).map((r) => r.messageId);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(walMessages.sort());
    expect((await catalog.getBackup(cluster, SAMPLE_BACKUP))?.status).toBe('complete');
  });
});
