import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { Context, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { parseIngestInvocation } from '../../lib/adapters/events/s3-notification-events.ts';
import type { ClusterConfig, ClusterId } from '../../lib/domain/cluster.ts';
import { createCatalogSyncHandler } from '../../lib/handlers/catalog-sync-handler.ts';
import { createCatalogSyncPartHandler } from '../../lib/handlers/catalog-sync-part-handler.ts';
import type { SyncPartQueue, SyncPartRequest } from '../../lib/ports/sync-part-queue.ts';
import { ingestObjectEvents } from '../../lib/use-cases/ingest-object-events.ts';
import { syncCatalog } from '../../lib/use-cases/sync-catalog.ts';
import { splitClusterKeyRanges } from '../../lib/use-cases/sync-cluster-parts.ts';
import type { S3EventShape } from '../support/s3rver.ts';
import { BUCKET, type CatalogServices, fixture, readers, startCatalogServices } from './catalog-test-setup.ts';

const cluster = 'orders-main' as ClusterId;
let services: CatalogServices;
let config: ClusterConfig;
let events: S3EventShape[];
const segment = (n: number) => `wal_005/00000001000000000000${n.toString(16).toUpperCase().padStart(4, '0')}.br`;
const B1 = 'base_000000010000000000000003';
const silent = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const metrics = () => new Metrics({ namespace: 'walcat-test', serviceName: 'test' });

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

const sqsBatch = (body: unknown, messageId: string): { Records: SQSRecord[] } => ({
  Records: [{ messageId, body: JSON.stringify(body), eventSource: 'aws:sqs' } as SQSRecord],
});

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

describe('a cluster too large for one invocation, through the real handlers on s3rver and dynalite', () => {
  it('the run sends key-range parts; each part is its own invocation; the last commits the one mark; the catalog equals one full sync', async () => {
    const reference = await services.newCatalog();
    await ingest(
      reference,
      events.filter((_, index) => index % 4 !== 1),
    );
    await syncCatalog({ ...readers(services), catalog: reference }, config, { now: new Date() });

    const table = 'split-sync';
    const planner = await services.newCatalog(table);
    // A catalog that missed every fourth event, the deletions among them.
    await ingest(
      planner,
      events.filter((_, index) => index % 4 !== 1),
    );
    const sent: string[] = [];
    const queue: SyncPartQueue = {
      enqueue: async (parts: readonly SyncPartRequest[]) => void sent.push(...parts.map((p) => JSON.stringify(p))),
    };
    const tick = new Date('2026-11-21T06:00:00.000Z');
    const run = createCatalogSyncHandler(
      { ...readers(services), catalog: planner, parts: { queue, ledger: planner } },
      services.config,
      silent,
      metrics(),
      undefined,
      { segmentsPerPart: 20 },
    );
    const runBatch = sqsBatch({ cluster, time: tick.toISOString() }, 'run-1');
    expect(await run(runBatch as never, {} as Context)).toMatchObject({ batchItemFailures: [], ran: 1 });
    // The run itself listed nothing: the missed deletions are still live, and no mark is set.
    expect(await view(planner)).not.toEqual(await view(reference));
    expect((await planner.getClusterState(cluster)).lastFullSyncAt).toBeUndefined();
    expect(sent).toHaveLength(3);
    // A redelivered run of the same tick resends the same parts (the first plan is kept in the ledger).
    expect(await run(sqsBatch({ cluster, time: tick.toISOString() }, 'run-1') as never, {} as Context)).toMatchObject({
      ran: 1,
    });
    expect(sent.slice(3)).toEqual(sent.slice(0, 3));

    // Each part in its own invocation: a fresh adapter set and handler per message, in any order, one duplicated.
    const marks: (Date | undefined)[] = [];
    for (const [index, body] of [sent[2], sent[0], sent[5], sent[1], sent[0]].entries()) {
      const catalog = await services.newCatalog(table);
      const part = createCatalogSyncPartHandler(
        { ...readers(services), catalog, ledger: catalog, clock: () => new Date() },
        services.config,
        silent,
        metrics(),
      );
      const batch = { Records: [{ messageId: `part-${index}`, body, eventSource: 'aws:sqs' } as SQSRecord] };
      expect(await part(batch as never, {} as Context)).toEqual({ batchItemFailures: [] });
      marks.push((await catalog.getClusterState(cluster)).lastFullSyncAt);
    }
    // Parts 2 and 0 (and 2's duplicate) leave the mark unset; part 1 completes the set and commits the tick time.
    expect(marks).toEqual([undefined, undefined, undefined, tick, tick]);
    expect(await view(planner)).toEqual(await view(reference));
  });

  it('a part message that can never run is dropped with the reason; a part of another cluster is not run', async () => {
    const catalog = await services.newCatalog();
    const part = createCatalogSyncPartHandler(
      { ...readers(services), catalog, ledger: catalog },
      services.config,
      silent,
      metrics(),
    );
    const bad = [
      'not json',
      { cluster, syncId: 'x', plannedAt: 'yesterday', part: 0, parts: 1, range: { after: '' } },
      { cluster, syncId: 'x', plannedAt: '2026-11-21T06:00:00Z', part: 2, parts: 2, range: { after: '' } },
      { cluster, syncId: 'x', plannedAt: '2026-11-21T06:00:00Z', part: 0, parts: 2, range: { after: 'b', until: 'a' } },
      { cluster: 'gone', syncId: 'x', plannedAt: '2026-11-21T06:00:00Z', part: 0, parts: 1, range: { after: '' } },
    ];
    for (const [index, body] of bad.entries()) {
      const batch = {
        Records: [{ messageId: `bad-${index}`, body: typeof body === 'string' ? body : JSON.stringify(body) }],
      };
      expect(await part(batch as never, {} as Context)).toEqual({ batchItemFailures: [] });
    }
    expect((await catalog.getClusterState(cluster)).lastFullSyncAt).toBeUndefined();
  });
});
