import { brotliCompressSync } from 'node:zlib';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { parseIngestInvocation } from '../../lib/adapters/events/s3-notification-events.ts';
import { eligibleBackups } from '../../lib/domain/catalog/backup-eligibility.ts';
import { createBackupInterpreter } from '../../lib/domain/catalog/backup-interpreter.ts';
import type { ClusterId } from '../../lib/domain/cluster.ts';
import { timelineId } from '../../lib/domain/wal/timeline.ts';
import { ingestObjectEvents } from '../../lib/use-cases/ingest-object-events.ts';
import { jitteryDocumentClient } from '../support/jittery-dynamodb.ts';
import type { S3EventShape } from '../support/s3rver.ts';
import { BUCKET, type CatalogServices, fixture, readers, startCatalogServices } from './catalog-test-setup.ts';

const cluster = 'orders-main' as ClusterId;
const FULL = 'base_0000000100000000000000A3';
let services: CatalogServices;

beforeAll(async () => {
  services = await startCatalogServices();
});
afterAll(async () => {
  await services.close();
});

/** Writes objects to s3rver and returns the notifications it emitted for them. */
async function put(entries: readonly [key: string, body: string | Uint8Array][]): Promise<S3EventShape[]> {
  const before = services.s3.events().length;
  for (const [key, body] of entries) await services.objects.putObject(BUCKET, `orders-main/${key}`, body);
  return services.s3.events().slice(before);
}

const ingest = async (catalog: Awaited<ReturnType<CatalogServices['newCatalog']>>, events: readonly unknown[]) =>
  ingestObjectEvents(
    { ...readers(services), catalog, clusters: services.config.clusters },
    events.flatMap((event) => parseIngestInvocation(event)),
  );

describe('ingestObjectEvents with s3rver events into dynalite', () => {
  it('catalogs WAL, history text and a complete backup from the emulator events', async () => {
    const catalog = await services.newCatalog();
    const events = await put([
      ['wal_005/0000000100000000000000A3.br', 'segment-a3'],
      ['wal_005/0000000100000000000000A4.br', 'segment-a4'],
      ['wal_005/00000002.history.br', brotliCompressSync(Buffer.from('1\t0/A4000000\tno recovery target specified\n'))],
      [`basebackups_005/${FULL}/tar_partitions/part_001.tar.br`, 'tar'],
      [`basebackups_005/${FULL}/tar_partitions/pg_control.tar.br`, 'pg_control'],
      // A complete backup holds at least the compressed size its metadata states.
      [`basebackups_005/${FULL}/metadata.json`, fixture('metadata-full.json').replace('401236719', '13')],
      [
        `basebackups_005/${FULL}_backup_stop_sentinel.json`,
        fixture('sentinel-v2-full.json').replace('401236719', '13'),
      ],
    ]);
    const outcome = await ingest(catalog, events);
    expect(outcome.failedRecordIds).toEqual([]);
    expect(outcome.skipped).toEqual([]);

    const wal = [];
    for await (const record of catalog.listWalObjects(cluster, timelineId(1))) wal.push(record.key);
    expect(wal).toEqual([
      'orders-main/wal_005/0000000100000000000000A3.br',
      'orders-main/wal_005/0000000100000000000000A4.br',
    ]);
    expect(await catalog.listTimelines(cluster)).toEqual([1, 2]);
    const [history] = await catalog.listHistoryFiles(cluster);
    expect(history?.content).toBe('1\t0/A4000000\tno recovery target specified\n');
    const backup = await catalog.getBackup(cluster, FULL);
    expect(backup?.status).toBe('complete');
    expect(backup?.backup?.permanent).toBe(true);
    expect(backup?.backup?.systemIdentifier).toBe(7321456789012345678n);
  });

  it('ignores duplicates and reordering: a late create never revives a removed segment', async () => {
    const catalog = await services.newCatalog();
    const created = await put([['wal_005/0000000100000000000000B0.br', 'x']]);
    const before = services.s3.events().length;
    await services.s3.client.send(
      new (await import('@aws-sdk/client-s3')).DeleteObjectCommand({
        Bucket: BUCKET,
        Key: 'orders-main/wal_005/0000000100000000000000B0.br',
      }),
    );
    const removed = services.s3.events().slice(before);
    expect(removed).toHaveLength(1);
    const first = await ingest(catalog, [...removed, ...created, ...created]);
    expect(first.stale).toBe(2);
    const live = [];
    for await (const record of catalog.listWalObjects(cluster, timelineId(1))) live.push(record);
    expect(live).toEqual([]);
    const all = [];
    for await (const record of catalog.listWalObjects(cluster, timelineId(1), {}, { includeDeleted: true }))
      all.push(record);
    expect(all.map((r) => r.deleted)).toEqual([true]);
  });

  it('records a malformed or truncated sentinel as unreadable with the problem, and skips foreign keys', async () => {
    const catalog = await services.newCatalog();
    const truncated = fixture('sentinel-v2-full.json').slice(0, 40);
    const events = await put([
      ['basebackups_005/base_000000010000000000000010_backup_stop_sentinel.json', truncated],
      ['basebackups_005/base_000000010000000000000011_backup_stop_sentinel.json', '{"LSN":"not a number"}'],
      ['wal_005/not-a-wal-name.br', 'x'],
    ]);
    const foreign = {
      Records: [
        {
          ...(events[0]?.Records[0] as object),
          s3: { ...events[0]?.Records[0]?.s3, bucket: { name: 'someone-elses' } },
        },
      ],
    };
    const outcome = await ingest(catalog, [...events, foreign]);
    expect(outcome.failedRecordIds).toEqual([]);
    expect(outcome.skipped.map((s) => s.key).sort()).toEqual([
      `s3://${BUCKET}/orders-main/wal_005/not-a-wal-name.br`,
      's3://someone-elses/orders-main/basebackups_005/base_000000010000000000000010_backup_stop_sentinel.json',
    ]);
    for (const name of ['base_000000010000000000000010', 'base_000000010000000000000011']) {
      const record = await catalog.getBackup(cluster, name);
      expect(record?.status).toBe('unreadable');
      expect(record?.problem).toMatch(/sentinel/i);
    }
  });

  it('decodes URL-encoded keys (space as +, %2B, unicode) before resolving the cluster', async () => {
    const spaced = testPrefixConfig();
    const catalog = await services.newCatalog();
    const key = 'team a+b/ü/wal_005/0000000100000000000000C1.br';
    await services.objects.putObject(BUCKET, key, 'x');
    const encoded = encodeURIComponent(key).replaceAll('%2F', '/').replaceAll('%20', '+');
    const notification = {
      Records: [
        {
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Put',
          eventTime: '2026-11-20T12:00:00.000Z',
          s3: { bucket: { name: BUCKET }, object: { key: encoded, size: 1, eTag: 'abc', sequencer: '00AA' } },
        },
      ],
    };
    const outcome = await ingestObjectEvents(
      { ...readers(services), catalog, clusters: spaced.clusters },
      parseIngestInvocation(notification),
    );
    expect(outcome.skipped).toEqual([]);
    const [record] = await (async () => {
      const out = [];
      for await (const r of catalog.listWalObjects('team' as ClusterId, timelineId(1))) out.push(r);
      return out;
    })();
    expect(record?.key).toBe(key);
  });

  it('keeps the sentinel and the metadata.json of a backup ingested by two invocations at once', async () => {
    const tableName = `concurrent-ingest-${Date.now()}`;
    // Each invocation has its own client; its reads answer at once, its writes wait, so both read before either writes.
    const invocation = () =>
      new DynamoDbCatalogStore({
        client: jitteryDocumentClient(services.ddb.endpoint, { delayMs: { BatchWrite: 30, Put: 30, Update: 30 } }),
        tableName,
        interpret: createBackupInterpreter(services.config.clusters),
      });
    const [first, second] = [invocation(), invocation()];
    await first.ensureTable();
    const name = 'base_0000000100000000000000D0';
    const metadataEvents = await put([[`basebackups_005/${name}/metadata.json`, fixture('metadata-full.json')]]);
    const sentinelEvents = await put([
      [`basebackups_005/${name}_backup_stop_sentinel.json`, fixture('sentinel-v2-full.json')],
    ]);
    const outcomes = await Promise.all([ingest(first, sentinelEvents), ingest(second, metadataEvents)]);
    expect(outcomes.flatMap((o) => o.failedRecordIds)).toEqual([]);
    const record = await first.getBackup(cluster, name);
    expect(record?.status).toBe('complete');
    expect(record?.sentinel?.present).toBe(true);
    expect(record?.metadata?.sequencer).toBeDefined();
  });
});

function testPrefixConfig() {
  return {
    clusters: [
      { ...services.config.clusters[0], id: 'team' as ClusterId, storage: { bucket: BUCKET, prefix: 'team a+b/ü/' } },
    ],
  } as unknown as typeof services.config;
}

describe('a backup whose data is gone', () => {
  it('is complete only while its payload is in the bucket: deleting its only data tar makes it missing-data', async () => {
    const catalog = await services.newCatalog();
    const name = 'base_0000000100000000000000C3';
    const sentinelText = fixture('sentinel-v2-full.json')
      .replace('2734686248', String(0xc3000028))
      .replace('2751471368', String(0xc4001f08))
      .replace('401236719', '13');
    const created = await put([
      [`basebackups_005/${name}/tar_partitions/part_001.tar.br`, 'tar'],
      [`basebackups_005/${name}/tar_partitions/pg_control.tar.br`, 'pg_control'],
      [`basebackups_005/${name}_backup_stop_sentinel.json`, sentinelText],
    ]);
    expect((await ingest(catalog, created)).failedRecordIds).toEqual([]);
    expect((await catalog.getBackup(cluster, name))?.status).toBe('complete');

    const before = services.s3.events().length;
    await services.s3.client.send(
      new DeleteObjectCommand({
        Bucket: BUCKET,
        Key: `orders-main/basebackups_005/${name}/tar_partitions/part_001.tar.br`,
      }),
    );
    expect((await ingest(catalog, services.s3.events().slice(before))).failedRecordIds).toEqual([]);
    const record = await catalog.getBackup(cluster, name);
    expect(record?.status).toBe('unreadable');
    expect(record?.problem).toMatch(/^missing-data: tar partition\(s\) tar_partitions\/part_001\.tar\.br of base_/);
    expect(eligibleBackups(await catalog.listBackups(cluster))).toEqual([]);
  });
});
