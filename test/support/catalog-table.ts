/**
 * The catalog table for the DynamoDB store tests: dynalite with a table made by the product's own `ensureTable` (the
 * keys, indexes and TTL `walcat init` gives a table), so every store is tested on the table it runs on. A table as an
 * older walcat made it (keys only) is here too, for the tests of what `ensureTable` adds.
 *
 * @example
 * const catalog = await startCatalogTable();
 * const store = new DynamoDbJobStore({ client: catalog.client, tableName: catalog.tableName });
 * await catalog.close();
 */
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { DynamoDbJobStore } from '../../lib/adapters/dynamodb/dynamodb-job-store.ts';
import { createBackupInterpreter } from '../../lib/domain/catalog/backup-interpreter.ts';
import { type DynaliteHandle, startDynalite } from './dynalite.ts';

export interface CatalogTableFixture {
  readonly ddb: DynaliteHandle;
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Another table of the same shape on the same dynalite, for a test that needs an empty one. */
  newTable(): Promise<string>;
  close(): Promise<void>;
}

/** Makes `tableName` as `walcat init` does, through the catalog store's `ensureTable`. */
export async function ensureCatalogTable(client: DynamoDBDocumentClient, tableName: string): Promise<void> {
  await new DynamoDbCatalogStore({ client, tableName, interpret: createBackupInterpreter([]) }).ensureTable();
}

/** A table as walcat made it before it had indexes or TTL: the `pk`/`sk` keys only. */
export async function createKeysOnlyTable(raw: DynamoDBClient, tableName: string): Promise<void> {
  await raw.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
}

export async function startCatalogTable(tableName = 'walcat-store-test'): Promise<CatalogTableFixture> {
  const ddb = await startDynalite();
  await ensureCatalogTable(ddb.client, tableName);
  let tables = 0;
  return {
    ddb,
    client: ddb.client,
    tableName,
    async newTable() {
      const name = `${tableName}-${++tables}`;
      await ensureCatalogTable(ddb.client, name);
      return name;
    },
    close: () => ddb.close(),
  };
}

/** A job store on a new table of its own, so a test starts with no jobs and no locks. */
export async function freshJobStore(catalog: CatalogTableFixture): Promise<DynamoDbJobStore> {
  return new DynamoDbJobStore({ client: catalog.client, tableName: await catalog.newTable() });
}
