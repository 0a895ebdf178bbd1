import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { parseIngestInvocation } from '../../lib/adapters/events/s3-notification-events.ts';
import type { ClusterConfig, ClusterId } from '../../lib/domain/cluster.ts';
import { ingestObjectEvents } from '../../lib/use-cases/ingest-object-events.ts';
import { syncCatalog } from '../../lib/use-cases/sync-catalog.ts';
import { planClusterSyncs, splitClusterKeyRanges, syncClusterPart } from '../../lib/use-cases/sync-cluster-parts.ts';
import type { S3EventShape } from '../support/s3rver.ts';
import { BUCKET, type CatalogServices, fixture, readers, startCatalogServices } from './catalog-test-setup.ts';

const cluster = 'orders-main' as ClusterId;
let services: CatalogServices;
let config: ClusterConfig;
let events: S3EventShape[];
const segment = (n: number) => `wal_005/00000001000000000000${n.toString(16).toUpperCase().padStart(4, '0')}.br`;
const B1 = 'base_000000010000000000000003';

beforeAll(async () => {
  services = await startCatalogServices();
  config = services.config.clusters[0] as ClusterConfig;
  const before = services.s3.events().length;
  const put = (key: string, body: string) => services.objects.putObject(BUCKET, `orders-main/${key}`, body);
  for (let n = 1; n <= 60; n++) await put(segment(n), `segment ${n}`);
  await put(`basebackups_005/${B1}/tar_partitions/part_001.tar.br`, 'tar');
  await put(`basebackups_005/${B1}/metadata.json`, fixture('metadata-full.json'));
  await put(`basebackups_005/${B1}_backup_stop_sentinel.json`, fixture('sentinel-v2-full.json'));
  for (const n of [10, 30, 50]) {
    await services.s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `orders-main/${segment(n)}` }));
  }
  events = services.s3.events().slice(before);
});
afterAll(() => services.close());

async function ingest(catalog: DynamoDbCatalogStore, delivered: readonly S3EventShape[]) {
  const outcome = await ingestObjectEvents(
    { ...readers(services), catalog, clusters: services.config.clusters },
    delivered.flatMap((event) => parseIngestInvocation(event)),
  );
  expect(outcome.failedRecordIds).toEqual([]);
}

async function view(catalog: DynamoDbCatalogStore) {
  const wal: string[] = [];
  for await (const record of catalog.listWalObjects(cluster, 1 as never, {}, { includeDeleted: true })) {
    wal.push(`${record.key} ${record.deleted}`);
  }
  const backups = (await catalog.listBackups(cluster)).map((b) => `${b.name} ${b.status}`);
  return { wal, backups };
}

describe('splitClusterKeyRanges', () => {
  it('tiles the root into contiguous ranges of about equal segment counts', () => {
    const ranges = splitClusterKeyRanges(config, [{ timeline: 1, first: 1, last: 100 }], 4);
    expect(ranges).toHaveLength(4);
    expect(ranges[0]?.after).toBe('');
    expect(ranges.at(-1)?.until).toBeUndefined();
    for (let index = 1; index < ranges.length; index++) expect(ranges[index]?.after).toBe(ranges[index - 1]?.until);
    expect(ranges[0]?.until).toBe('orders-main/wal_005/000000010000000000000019~');
    expect(splitClusterKeyRanges(config, [{ timeline: 1, first: 1, last: 2 }], 4)).toEqual([{ after: '' }]);
  });
});

describe('syncClusterPart against s3rver and dynalite', () => {
  it('syncs key-range parts in any order into the catalog of one full sync, committing the mark once all finished', async () => {
    const reference = await services.newCatalog();
    await ingest(
      reference,
      events.filter((_, index) => index % 4 !== 1),
    );
    await syncCatalog({ ...readers(services), catalog: reference }, config, { now: new Date() });

    const catalog = await services.newCatalog();
    // A catalog that missed every fourth event, the deletions among them.
    await ingest(
      catalog,
      events.filter((_, index) => index % 4 !== 1),
    );
    const plannedAt = new Date();
    const requests = await planClusterSyncs(catalog, [config], { now: plannedAt, segmentsPerPart: 20 });
    expect(requests.length).toBe(3);
    const committed: boolean[] = [];
    for (const request of [requests[2], requests[0], requests[1], requests[0]]) {
      if (request === undefined) throw new Error('plan has fewer parts than expected');
      const outcome = await syncClusterPart({ ...readers(services), catalog, ledger: catalog }, config, request, {
        concurrency: 2,
      });
      committed.push(outcome.committed);
      const state = await catalog.getClusterState(cluster);
      expect(state.lastFullSyncAt).toEqual(outcome.committed ? plannedAt : undefined);
    }
    expect(committed).toEqual([false, false, true, true]);
    expect(await view(catalog)).toEqual(await view(reference));
  });
});
