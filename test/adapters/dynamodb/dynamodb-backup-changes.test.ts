/**
 * Backup items in the change index (dynalite, a table made by the store's own ensureTable): every write that changes
 * a backup stamps it under the cluster's backup key, a write that changes nothing stamps nothing, and continuity's
 * change read of the cluster never sees a backup.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupSk, clusterPk } from '../../../lib/adapters/dynamodb/catalog-keys.ts';
import { DynamoDbCatalogStore } from '../../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { createBackupInterpreter } from '../../../lib/domain/catalog/backup-interpreter.ts';
import type { BackupChange } from '../../../lib/domain/catalog/catalog-change.ts';
import type { ClusterConfig } from '../../../lib/domain/cluster.ts';
import { type CatalogTableFixture, startCatalogTable } from '../../support/catalog-table.ts';
import { testConfig } from '../../use-cases/catalog-test-setup.ts';

const cluster = testConfig().clusters[0] as ClusterConfig;
const START = Date.parse('2026-12-01T00:00:00Z');

let table: CatalogTableFixture;
beforeAll(async () => {
  table = await startCatalogTable();
});
afterAll(async () => {
  await table?.close();
});

const nameOf = (n: number) => `base_0000000100000000000000${n.toString(16).toUpperCase().padStart(2, '0')}`;

function sentinelSeen(n: number, sequencer: number, at: Date): BackupChange {
  return {
    type: 'source-observed',
    origin: 'event',
    cluster: cluster.id,
    name: nameOf(n),
    source: 'sentinel',
    observation: {
      key: `orders-main/basebackups_005/${nameOf(n)}_backup_stop_sentinel.json`,
      sequencer: sequencer.toString(16).padStart(16, '0'),
      present: true,
      text: `{"LSN":${n * 16777216 + 40},"FinishLSN":${n * 16777216 + 4096}}`,
      observedAt: at,
    },
  };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('backup writes in the change index', () => {
  it('are stamped under the backups key, only when they change the item, and never reach continuity', async () => {
    const clock = { now: START };
    const tableName = await table.newTable();
    const catalog = new DynamoDbCatalogStore({
      client: table.client,
      tableName,
      interpret: createBackupInterpreter([cluster]),
      now: () => new Date(clock.now),
    });
    await catalog.applyBackupChanges([
      sentinelSeen(0x20, 1, new Date(clock.now)),
      sentinelSeen(0x30, 2, new Date(clock.now)),
    ]);
    const firstStamp = new Date(clock.now).toISOString();
    expect((await collect(catalog.listBackupChanges(cluster.id, firstStamp))).sort()).toEqual([
      nameOf(0x20),
      nameOf(0x30),
    ]);
    // The WAL change read of the cluster (what continuity reads) holds no backup.
    expect(await collect(catalog.listWalChanges(cluster.id, undefined))).toEqual([]);

    // The same event again (SQS delivers at least once): nothing changes, nothing is stamped.
    clock.now += 60_000;
    const later = new Date(clock.now).toISOString();
    await catalog.applyBackupChanges([sentinelSeen(0x20, 1, new Date(START))]);
    expect(await collect(catalog.listBackupChanges(cluster.id, later))).toEqual([]);

    // Retention's expiry is a change: stamped at its write.
    await catalog.applyBackupChanges([
      { type: 'expired', cluster: cluster.id, name: nameOf(0x30), expiredAt: new Date(clock.now) },
    ]);
    expect(await collect(catalog.listBackupChanges(cluster.id, later))).toEqual([nameOf(0x30)]);
    const item = await table.client.send(
      new GetCommand({ TableName: tableName, Key: { pk: clusterPk(cluster.id), sk: backupSk(nameOf(0x30)) } }),
    );
    expect(item.Item).toMatchObject({ changesOf: `BACKUPS#${cluster.id}`, changedAt: later });
    // The stamp is bookkeeping, not a field of the record.
    const record = await catalog.getBackup(cluster.id, nameOf(0x30));
    expect(record).toBeDefined();
    expect(Object.keys(record ?? {})).not.toContain('changedAt');
    expect(Object.keys(record ?? {})).not.toContain('changesOf');
  });

  it('ranges of backups are read by name, the upper end left out', async () => {
    const tableName = await table.newTable();
    const catalog = new DynamoDbCatalogStore({
      client: table.client,
      tableName,
      interpret: createBackupInterpreter([cluster]),
    });
    await catalog.applyBackupChanges([0x10, 0x11, 0x12, 0x13].map((n, i) => sentinelSeen(n, i + 1, new Date(START))));
    const names = async (from: string, to: string | undefined) =>
      (await catalog.listBackupsInRange(cluster.id, from, to)).map((record) => record.name);
    expect(await names('', undefined)).toEqual([0x10, 0x11, 0x12, 0x13].map(nameOf));
    expect(await names(nameOf(0x11), nameOf(0x13))).toEqual([nameOf(0x11), nameOf(0x12)]);
    expect(await names(nameOf(0x12), undefined)).toEqual([nameOf(0x12), nameOf(0x13)]);
    expect(await names('', nameOf(0x10))).toEqual([]);
  });
});
