import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type StorageClass } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCatalogStore } from '../../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { parseIngestInvocation } from '../../../lib/adapters/events/s3-notification-events.ts';
import { S3ObjectStore } from '../../../lib/adapters/s3/s3-object-store.ts';
import { parseRestoreHeader, S3ObjectThaw } from '../../../lib/adapters/s3/s3-object-thaw.ts';
import { parseWalcatConfig } from '../../../lib/config/config.ts';
import { createBackupInterpreter } from '../../../lib/domain/catalog/backup-interpreter.ts';
import type { WalObjectRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import type { ClusterConfig } from '../../../lib/domain/cluster.ts';
import { historyTextOrUndefined } from '../../../lib/domain/wal/history-file-content.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { ingestObjectEvents } from '../../../lib/use-cases/ingest-object-events.ts';
import { syncCatalog } from '../../../lib/use-cases/sync-catalog.ts';
import { type DynaliteHandle, startDynalite } from '../../support/dynalite.ts';
import { type MotoHandle, startMoto } from '../../support/moto.ts';

const BUCKET = 'frozen-pg-backups';
const config = parseWalcatConfig(
  [
    'catalogTable: walcat-storage-classes',
    'clusters:',
    '  - id: orders-main',
    `    storage: s3://${BUCKET}/orders-main`,
    '    layout: wal-g',
    '    alerts: {}',
  ].join('\n'),
  'storage class test config',
);
const cluster = config.clusters[0] as ClusterConfig;
const WAL = (n: number) => `orders-main/wal_005/00000001000000000000000${n}.lz4`;
const PART = 'orders-main/basebackups_005/base_000000010000000000000002/tar_partitions/part_001.tar.lz4';

let moto: MotoHandle;
let ddb: DynaliteHandle;
let catalog: DynamoDbCatalogStore;
const objects = () => new S3ObjectStore(moto.s3);

async function put(key: string, storageClass?: StorageClass): Promise<void> {
  await moto.s3.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: key,
      Body: 'x'.repeat(64),
      ...(storageClass ? { StorageClass: storageClass } : {}),
    }),
  );
}

async function walRecords(): Promise<Map<string, WalObjectRecord>> {
  const records = new Map<string, WalObjectRecord>();
  for await (const record of catalog.listWalObjects(cluster.id, timelineId(1))) records.set(record.key, record);
  return records;
}

beforeAll(async () => {
  [moto, ddb] = await Promise.all([startMoto(), startDynalite()]);
  catalog = new DynamoDbCatalogStore({
    client: ddb.client,
    tableName: 'storage-classes',
    interpret: createBackupInterpreter(config.clusters),
  });
  await catalog.ensureTable();
  await moto.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await put(WAL(1));
  await put(WAL(2), 'GLACIER');
  await put(WAL(3), 'STANDARD_IA');
  await put(PART, 'DEEP_ARCHIVE');
}, 60_000);
afterAll(async () => {
  await Promise.all([moto?.close(), ddb?.close()]);
});

describe('storage classes against moto', () => {
  it('a full sync records each object class from the listing (STANDARD as absent)', async () => {
    await syncCatalog({ catalog, objects: objects(), decompress: historyTextOrUndefined }, cluster, {
      now: new Date(),
    });
    const wal = await walRecords();
    expect([WAL(1), WAL(2), WAL(3)].map((key) => wal.get(key)?.storageClass)).toEqual([
      undefined,
      'GLACIER',
      'STANDARD_IA',
    ]);
    const backup = await catalog.getBackup(cluster.id, 'base_000000010000000000000002');
    expect(backup?.payload?.['tar_partitions/part_001.tar.lz4']?.storageClass).toBe('DEEP_ARCHIVE');
  });

  it('a lifecycle transition event moves a catalogued segment to its new class; a later sync agrees', async () => {
    const records = parseIngestInvocation({
      Records: [
        {
          eventVersion: '2.3',
          eventSource: 'aws:s3',
          eventName: 'LifecycleTransition',
          eventTime: new Date(Date.now() + 60_000).toISOString(),
          s3: { bucket: { name: BUCKET }, object: { key: encodeURIComponent(WAL(1)), size: 64 } },
          lifecycleEventData: { transitionEventData: { destinationStorageClass: 'GLACIER' } },
        },
      ],
    });
    const outcome = await ingestObjectEvents(
      { catalog, clusters: config.clusters, objects: objects(), decompress: historyTextOrUndefined },
      records,
    );
    expect(outcome.skipped).toEqual([]);
    expect((await walRecords()).get(WAL(1))?.storageClass).toBe('GLACIER');
  });

  it('thaws a GLACIER object: frozen, RestoreObject, then readable with the expiry S3 gives', async () => {
    const thaw = new S3ObjectThaw(moto.s3);
    await expect(moto.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: WAL(2) }))).rejects.toMatchObject({
      name: 'InvalidObjectState',
    });
    expect(await thaw.thawState(BUCKET, WAL(2))).toEqual({ state: 'frozen', storageClass: 'GLACIER' });
    expect(await thaw.thawState(BUCKET, WAL(3))).toEqual({ state: 'readable' });
    expect(await thaw.thawState(BUCKET, 'orders-main/wal_005/missing')).toEqual({ state: 'missing' });
    await thaw.requestThaw(BUCKET, WAL(2), { days: 2, tier: 'Standard', storageClass: 'GLACIER' });
    const state = await thaw.thawState(BUCKET, WAL(2));
    expect(state.state).toBe('readable');
    expect(state.state === 'readable' && state.until ? state.until.getTime() : 0).toBeGreaterThan(Date.now());
    const body = await moto.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: WAL(2) }));
    expect(await body.Body?.transformToString()).toBe('x'.repeat(64));
  });

  it('reads the x-amz-restore header S3 documents', () => {
    expect(parseRestoreHeader('ongoing-request="true"')).toEqual({ ongoing: true });
    expect(parseRestoreHeader('ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"')).toEqual({
      ongoing: false,
      expiry: new Date('2012-12-21T00:00:00Z'),
    });
  });
});
