/** Shared setup of the catalog tests: one cluster config, real s3rver and dynalite, the real adapters. */
import { readFileSync } from 'node:fs';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { S3ObjectStore } from '../../lib/adapters/s3/s3-object-store.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import { createBackupInterpreter } from '../../lib/domain/catalog/backup-interpreter.ts';
import type { WalcatConfig } from '../../lib/domain/cluster.ts';
import { historyTextOrUndefined } from '../../lib/domain/wal/history-file-content.ts';
import { type DynaliteHandle, startDynalite } from '../support/dynalite.ts';
import { type S3rverHandle, startS3rver } from '../support/s3rver.ts';

export const BUCKET = 'pg-backups';

export function testConfig(table = 'walcat-test', prefix = 'orders-main', bucket = BUCKET): WalcatConfig {
  return parseWalcatConfig(
    [
      `catalogTable: ${table}`,
      'clusters:',
      '  - id: orders-main',
      `    storage: s3://${bucket}/${prefix}`,
      '    layout: wal-g',
      '    retention: { keepLast: 2, pitrWindow: 7d }',
      '    alerts: {}',
    ].join('\n'),
    'catalog test config',
  );
}

export const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/walg/${name}`, import.meta.url), 'utf8');

export interface CatalogServices {
  readonly s3: S3rverHandle;
  readonly ddb: DynaliteHandle;
  readonly config: WalcatConfig;
  readonly objects: S3ObjectStore;
  newCatalog(table?: string): Promise<DynamoDbCatalogStore>;
  close(): Promise<void>;
}

export async function startCatalogServices(config: WalcatConfig = testConfig()): Promise<CatalogServices> {
  const buckets = [...new Set([BUCKET, ...config.clusters.map((c) => c.storage.bucket)])];
  const [s3, ddb] = await Promise.all([startS3rver({ buckets }), startDynalite()]);
  const objects = new S3ObjectStore(s3.client);
  let tables = 0;
  return {
    s3,
    ddb,
    config,
    objects,
    async newCatalog(table = `catalog-${++tables}`) {
      const store = new DynamoDbCatalogStore({
        client: ddb.client,
        tableName: table,
        interpret: createBackupInterpreter(config.clusters),
      });
      await store.ensureTable();
      return store;
    },
    async close() {
      await Promise.all([s3.close(), ddb.close()]);
    },
  };
}

export const readers = (services: CatalogServices) => ({
  objects: services.objects,
  decompress: historyTextOrUndefined,
});
