import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { parseIngestInvocation } from '../../lib/adapters/events/s3-notification-events.ts';
import type { ClusterId } from '../../lib/domain/cluster.ts';
import { formatLsn } from '../../lib/domain/wal/lsn.ts';
import { ingestObjectEvents } from '../../lib/use-cases/ingest-object-events.ts';
import { syncCatalog } from '../../lib/use-cases/sync-catalog.ts';
import type { S3EventShape } from '../support/s3rver.ts';
import { BUCKET, type CatalogServices, fixture, readers, startCatalogServices } from './catalog-test-setup.ts';

const cluster = 'orders-main' as ClusterId;
let services: CatalogServices;
let events: S3EventShape[];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const segment = (n: number) => `wal_005/00000001000000000000${n.toString(16).toUpperCase().padStart(4, '0')}.br`;
const sentinel = (name: string) => `basebackups_005/${name}_backup_stop_sentinel.json`;
const metadata = (name: string) => `basebackups_005/${name}/metadata.json`;
const B1 = 'base_000000010000000000000003';
const B2 = 'base_000000010000000000000010';

/** A realistic history: segments, an overwrite, deletions, two backups, one deleted, one re-marked. */
async function writeHistory(): Promise<S3EventShape[]> {
  const before = services.s3.events().length;
  const put = (key: string, body: string) => services.objects.putObject(BUCKET, `orders-main/${key}`, body);
  const remove = (key: string) =>
    services.s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `orders-main/${key}` }));
  for (let n = 1; n <= 40; n++) await put(segment(n), `segment ${n}`);
  // Complete backups: a data tar, pg_control, and at least the compressed size their metadata states (13 bytes).
  const small = (text: string) => text.replace('401236719', '13');
  for (const name of [B1, B2]) {
    await put(`basebackups_005/${name}/tar_partitions/part_001.tar.br`, 'tar');
    await put(`basebackups_005/${name}/tar_partitions/pg_control.tar.br`, 'pg_control');
  }
  await put(metadata(B1), small(fixture('metadata-full.json')));
  await put(sentinel(B1), small(fixture('sentinel-v2-full.json')));
  await put(metadata(B2), small(fixture('metadata-full.json').replace('"is_permanent":true', '"is_permanent":false')));
  await put(sentinel(B2), small(fixture('sentinel-v2-full.json')));
  await put('basebackups_005/base_000000010000000000000020/tar_partitions/part_001.tar.br', 'in progress');
  // s3rver's sequencer is the millisecond clock: keep events of one key in different milliseconds.
  await sleep(3);
  await put(segment(7), 'segment 7 pushed again');
  await put(metadata(B2), small(fixture('metadata-full.json')));
  for (let n = 1; n <= 5; n++) await remove(segment(n));
  await remove(sentinel(B1));
  return services.s3.events().slice(before);
}

async function ingest(catalog: DynamoDbCatalogStore, delivered: readonly S3EventShape[]): Promise<void> {
  const outcome = await ingestObjectEvents(
    { ...readers(services), catalog, clusters: services.config.clusters },
    delivered.flatMap((event) => parseIngestInvocation(event)),
  );
  expect(outcome.failedRecordIds).toEqual([]);
}

/** What `walcat backups` and `walcat wal` report, plus every live object's size and ETag. */
async function view(catalog: DynamoDbCatalogStore) {
  const wal: string[] = [];
  for (const timeline of await catalog.listTimelines(cluster)) {
    for await (const record of catalog.listWalObjects(cluster, timeline))
      wal.push(`${record.key} ${record.size} ${record.etag}`);
  }
  const backups = (await catalog.listBackups(cluster)).map((record) => ({
    name: record.name,
    status: record.status,
    permanent: record.backup?.permanent,
    finishLsn: record.backup ? formatLsn(record.backup.finishLsn) : undefined,
  }));
  return { wal, backups };
}

beforeAll(async () => {
  services = await startCatalogServices();
  events = await writeHistory();
});
afterAll(async () => {
  await services.close();
});

describe('syncCatalog', () => {
  it('heals a catalog that missed 10% of the events into exactly the catalog of the full stream', async () => {
    const full = await services.newCatalog();
    await ingest(full, events);
    const expected = await view(full);
    expect(expected.backups).toEqual([
      // Oldest first by start segment (from the name), whether or not the metadata is still readable.
      { name: B1, status: 'deleted', permanent: undefined, finishLsn: undefined },
      { name: B2, status: 'complete', permanent: true, finishLsn: '0/A4001F08' },
      { name: 'base_000000010000000000000020', status: 'incomplete', permanent: undefined, finishLsn: undefined },
    ]);
    expect(expected.wal).toHaveLength(35);

    for (const offset of [0, 3, 7]) {
      const lossy = await services.newCatalog();
      await ingest(
        lossy,
        events.filter((_, index) => index % 10 !== offset),
      );
      await syncCatalog({ ...readers(services), catalog: lossy }, services.config.clusters[0] as never, {
        now: new Date('2026-11-21T00:00:00Z'),
        concurrency: 4,
      });
      expect(await view(lossy)).toEqual(expected);
      expect((await lossy.getClusterState(cluster)).lastFullSyncAt).toEqual(new Date('2026-11-21T00:00:00Z'));
    }
  });

  it('rebuilds the catalog from an empty table, and a second sync changes nothing', async () => {
    const full = await services.newCatalog();
    await ingest(full, events);
    const empty = await services.newCatalog();
    const first = await syncCatalog({ ...readers(services), catalog: empty }, services.config.clusters[0] as never, {
      now: new Date('2026-11-21T00:00:00Z'),
    });
    // 35 segments; B1 part, pg_control + metadata (sentinel gone); B2 part, pg_control, metadata, sentinel; one
    // in-progress part.
    expect(first).toMatchObject({ listed: 35 + 3 + 4 + 1, removed: 0 });
    const rebuilt = await view(empty);
    // Without events, a sentinel deleted before the first sync is simply absent: its backup never existed here.
    const expected = await view(full);
    expect(rebuilt.wal).toEqual(expected.wal);
    // A sentinel deleted before the first sync leaves only its payload and metadata.json: an incomplete backup.
    expect(rebuilt.backups).toEqual(expected.backups.map((b) => (b.name === B1 ? { ...b, status: 'incomplete' } : b)));
    const second = await syncCatalog({ ...readers(services), catalog: empty }, services.config.clusters[0] as never, {
      now: new Date('2026-11-21T01:00:00Z'),
    });
    expect(second).toMatchObject({ added: 0, updated: 0, removed: 0, backupDocumentsRead: 0 });
  });

  it('keeps the tombstone a sync wrote when the late create event of the object arrives after it', async () => {
    const catalog = await services.newCatalog();
    const key = 'orders-main/wal_005/000000010000000000000077.br';
    const before = services.s3.events().length;
    await services.objects.putObject(BUCKET, key, 'segment 77');
    const createEvents = services.s3.events().slice(before);
    const cluster0 = services.config.clusters[0] as never;
    // The sync finds the object (its create event is still queued), then finds it gone (its delete event lost).
    await syncCatalog({ ...readers(services), catalog }, cluster0, { now: new Date() });
    await services.s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    await sleep(5);
    await syncCatalog({ ...readers(services), catalog }, cluster0, { now: new Date() });
    await ingest(catalog, createEvents);
    const stored = [];
    for await (const record of catalog.listWalObjects(cluster, 1 as never, {}, { includeDeleted: true })) {
      if (record.key === key) stored.push(record.deleted);
    }
    expect(stored).toEqual([true]);
  });
});

describe('syncCatalog and payload objects', () => {
  it('a data tar deleted while the catalog missed its event makes the backup missing-data at the next sync', async () => {
    const name = 'base_000000010000000000000030';
    const sentinelText = fixture('sentinel-v2-full.json')
      .replace('2734686248', String(0x30000028))
      .replace('2751471368', String(0x31001f08))
      .replace('401236719', '13');
    const put = (key: string, body: string) => services.objects.putObject(BUCKET, `orders-main/${key}`, body);
    const before = services.s3.events().length;
    await put(`basebackups_005/${name}/tar_partitions/part_001.tar.br`, 'tar');
    await put(`basebackups_005/${name}/tar_partitions/pg_control.tar.br`, 'pg_control');
    await put(sentinel(name), sentinelText);
    const catalog = await services.newCatalog();
    await ingest(catalog, services.s3.events().slice(before));
    expect((await catalog.getBackup(cluster, name))?.status).toBe('complete');
    // The removal's event is lost: only the full sync can notice.
    await services.s3.client.send(
      new DeleteObjectCommand({
        Bucket: BUCKET,
        Key: `orders-main/basebackups_005/${name}/tar_partitions/part_001.tar.br`,
      }),
    );
    await syncCatalog({ ...readers(services), catalog }, services.config.clusters[0] as never, {
      now: new Date('2026-11-22T00:00:00Z'),
    });
    const record = await catalog.getBackup(cluster, name);
    expect(record?.status).toBe('unreadable');
    expect(record?.problem).toMatch(/^missing-data: /);
  });
});
