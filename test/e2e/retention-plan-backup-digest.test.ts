/**
 * A daily retention plan reads the backups that changed, not every backup item (s3rver + dynalite, the real plan
 * use case): once a plan has stored the cluster's backup digest, the next plan reads from the cluster's partition
 * only the chunk of backups a change fell in, and makes exactly the plan a read of every backup makes.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { DynamoDbPlanStore } from '../../lib/adapters/dynamodb/dynamodb-plan-store.ts';
import { createBackupInterpreter } from '../../lib/domain/catalog/backup-interpreter.ts';
import type { BackupChange } from '../../lib/domain/catalog/catalog-change.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import { BACKUP_DIGEST_CHUNK_TARGET } from '../../lib/domain/retention/backup-digest.ts';
import type { CatalogStore } from '../../lib/ports/catalog-store.ts';
import { planClusterRetention } from '../../lib/use-cases/plan-retention.ts';
import { type CatalogServices, startCatalogServices } from '../use-cases/catalog-test-setup.ts';
import { retentionTestConfig, segName } from '../use-cases/retention-test-bucket.ts';

const ROOT = 'backup-digest-plan';
// Keeps every backup: the plan deletes nothing, so it lists no backup's objects in the bucket.
const config = retentionTestConfig(ROOT, '{ keepLast: 5000, pitrWindow: 1d, applyGrace: 6h, timezone: UTC }');
const cluster = config.clusters[0] as ClusterConfig;
/** More than two chunks' worth, so the digest is split and a new backup falls in the last, short chunk. */
const BACKUPS = 2 * BACKUP_DIGEST_CHUNK_TARGET + 76;
const MINUTE = 60_000;
const SIZE = Number(cluster.walSegmentSize);

let services: CatalogServices;
beforeAll(async () => {
  services = await startCatalogServices(config);
});
afterAll(async () => {
  await services?.close();
});

/** A document client that counts the backup items Queries of the table return (the change index's keys aside). */
function countingBackupReads(client: DynamoDBDocumentClient): {
  client: DynamoDBDocumentClient;
  backupItems: () => number;
} {
  let backupItems = 0;
  const counting = new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return async (command: { input?: { IndexName?: string } }, ...rest: []) => {
        const output = await (target.send as (...args: unknown[]) => Promise<{ Items?: { sk?: unknown }[] }>)(
          command,
          ...rest,
        );
        if (command.input?.IndexName !== undefined) return output;
        for (const item of output.Items ?? []) if (String(item.sk).startsWith('BACKUP#')) backupItems++;
        return output;
      };
    },
  });
  return { client: counting, backupItems: () => backupItems };
}

const nameOf = (index: number) => `base_${segName(0x10 + 2 * index)}`;

function sentinelSeen(index: number, at: Date): BackupChange {
  const start = (0x10 + 2 * index) * SIZE + 40;
  const time = new Date(Date.parse('2026-01-01T00:00:00Z') + index * 3_600_000).toISOString();
  return {
    type: 'source-observed',
    origin: 'event',
    cluster: cluster.id,
    name: nameOf(index),
    source: 'sentinel',
    observation: {
      key: `${cluster.storage.prefix}basebackups_005/${nameOf(index)}_backup_stop_sentinel.json`,
      sequencer: (index + 1).toString(16).padStart(16, '0'),
      present: true,
      text: `{"LSN":${start},"FinishLSN":${start + SIZE},"SystemIdentifier":7321456789012345678,"CompressedSize":1024,"StartTime":"${time}","FinishTime":"${time}","IsPermanent":false}`,
      observedAt: at,
    },
  };
}

describe('a retention plan after the first', () => {
  it('reads only the changed chunk of backups and plans as a read of every backup does', async () => {
    let clock = new Date('2026-06-01T00:00:00Z');
    const counted = countingBackupReads(services.ddb.client);
    const catalog = new DynamoDbCatalogStore({
      client: counted.client,
      tableName: ROOT,
      interpret: createBackupInterpreter(config.clusters),
      now: () => clock,
    });
    await catalog.ensureTable();
    await catalog.applyBackupChanges(Array.from({ length: BACKUPS }, (_, index) => sentinelSeen(index, clock)));
    const deps = {
      catalog,
      objects: services.objects,
      plans: new DynamoDbPlanStore({ client: services.ddb.client, tableName: ROOT }),
      planIdSuffix: () => 'b4ck',
    };
    clock = new Date(clock.getTime() + 10 * MINUTE);
    const first = await planClusterRetention(deps, cluster, clock, { store: false });
    expect(first.backupDigest).toMatchObject({ mode: 'built', backupsRead: BACKUPS, chunksWritten: 3 });
    expect(first.plan.keep).toHaveLength(BACKUPS);

    // A day later, one more backup arrived (in the last chunk, after the 2 × 512 of the first two).
    clock = new Date(clock.getTime() + 24 * 60 * MINUTE);
    await catalog.applyBackupChanges([sentinelSeen(BACKUPS, clock)]);
    clock = new Date(clock.getTime() + 10 * MINUTE);
    const before = counted.backupItems();
    const second = await planClusterRetention(deps, cluster, clock, { store: false });
    const backupItemsRead = counted.backupItems() - before;
    expect(second.backupDigest).toEqual({
      mode: 'updated',
      changesRead: 1,
      chunksReread: 1,
      backupsRead: 77,
      chunksWritten: 1,
    });
    // The last chunk's 77 items; a read of every backup reads all 1,101.
    expect(backupItemsRead).toBe(77);

    // The same plan as over every backup read from its item (a catalog that keeps no backup digest).
    const withoutDigest = new Proxy(catalog, {
      get: (target, property) => {
        if (property === 'retentionBackupDigest') return undefined;
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as CatalogStore;
    const full = await planClusterRetention({ ...deps, catalog: withoutDigest }, cluster, clock, { store: false });
    expect(full.backupDigest).toBeUndefined();
    expect(second.plan).toEqual(full.plan);
    expect(second.plan.keep).toHaveLength(BACKUPS + 1);
  }, 240_000);
});
