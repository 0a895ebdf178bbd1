/**
 * The catalog table's shape (keys, the two global secondary indexes, TTL on `ttl`) and `ensureCatalogTable`, which
 * `walcat init` and the local stack run: it creates the table, or brings a table made by an older walcat up to it.
 * serverless.yml declares the same table for a deployed stack (a test compares the two).
 */
import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { TransientError } from '../../domain/errors.ts';
import { ACTIVE_INDEX, ACTIVE_OF, CHANGED_AT, CHANGES_INDEX, CHANGES_OF, CHANGES_PROJECTION } from './catalog-keys.ts';

/** The attribute DynamoDB's TTL reads (epoch seconds): tombstones, locks, finished jobs and their lookups. */
export const TTL_ATTRIBUTE = 'ttl';

interface IndexShape {
  readonly attributes: readonly AttributeDefinition[];
  readonly definition: GlobalSecondaryIndex;
}

const CHANGES: IndexShape = {
  attributes: [
    { AttributeName: CHANGES_OF, AttributeType: 'S' },
    { AttributeName: CHANGED_AT, AttributeType: 'S' },
  ],
  definition: {
    IndexName: CHANGES_INDEX,
    KeySchema: [
      { AttributeName: CHANGES_OF, KeyType: 'HASH' },
      { AttributeName: CHANGED_AT, KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: CHANGES_PROJECTION },
  },
};

/** Sparse: only jobs not yet ended carry `activeOf`, so the index holds the active jobs and nothing else. */
const ACTIVE: IndexShape = {
  attributes: [{ AttributeName: ACTIVE_OF, AttributeType: 'S' }],
  definition: {
    IndexName: ACTIVE_INDEX,
    KeySchema: [
      { AttributeName: ACTIVE_OF, KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'KEYS_ONLY' },
  },
};

const INDEXES: readonly IndexShape[] = [CHANGES, ACTIVE];

export interface EnsureTableOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly sleep: (ms: number) => Promise<void>;
  /** Called with each operation sent (the store's request counts). */
  readonly count: (operation: string) => void;
}

/** Creates the catalog table, or adds what an older one lacks (an index, TTL); safe to run again and concurrently. */
export async function ensureCatalogTable(options: EnsureTableOptions): Promise<void> {
  const { client, tableName, count } = options;
  let existing: readonly string[] | undefined;
  try {
    count('DescribeTable');
    const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
    existing = (described.Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName ?? '');
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  if (existing !== undefined) {
    await addMissingIndexes(options, existing);
    await enableTtl(options, true);
    return;
  }
  try {
    count('CreateTable');
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          ...INDEXES.flatMap((index) => index.attributes),
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: INDEXES.map((index) => index.definition),
      }),
    );
  } catch (error) {
    // Another process created it between our DescribeTable and CreateTable.
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  const deadline = Date.now() + 60_000;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    count('DescribeTable');
    const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (described.Table?.TableStatus === 'ACTIVE') return enableTtl(options, false);
    await options.sleep(Math.min(1000, 20 * 2 ** attempt));
  }
  throw new TransientError(`DynamoDB table ${tableName} did not become ACTIVE within 60 s; run walcat init again`);
}

/**
 * A table made by an older walcat gets the indexes it lacks (DynamoDB fills each from the items written since; until
 * it is ACTIVE, reads of it say so). DynamoDB builds one new index at a time, so a table lacking two gets the first
 * now and the second from the next `walcat init`.
 */
async function addMissingIndexes(options: EnsureTableOptions, existing: readonly string[]): Promise<void> {
  const missing = INDEXES.filter((index) => !existing.includes(index.definition.IndexName ?? ''));
  for (const [position, index] of missing.entries()) {
    try {
      await createIndex(options, index);
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (position === 0 || (name !== 'LimitExceededException' && name !== 'ResourceInUseException')) throw error;
      throw new TransientError(
        `DynamoDB table ${options.tableName}: index ${missing[0]?.definition.IndexName} is being built and DynamoDB builds one index at a time, so index ${index.definition.IndexName} is not added yet; run walcat init again once DescribeTable shows the first ACTIVE`,
        { cause: error },
      );
    }
  }
}

async function createIndex(options: EnsureTableOptions, index: IndexShape): Promise<void> {
  const create = (throughput?: { ReadCapacityUnits: number; WriteCapacityUnits: number }) => {
    options.count('UpdateTable');
    return options.client.send(
      new UpdateTableCommand({
        TableName: options.tableName,
        AttributeDefinitions: [...index.attributes],
        GlobalSecondaryIndexUpdates: [
          { Create: { ...index.definition, ...(throughput ? { ProvisionedThroughput: throughput } : {}) } },
        ],
      }),
    );
  };
  try {
    await create();
  } catch (error) {
    // An emulator that predates on-demand indexes (dynalite) wants a throughput, which DynamoDB refuses on-demand.
    const { name, message } = error as { name?: string; message?: string };
    if (name !== 'ValidationException' || !/provisionedThroughput/i.test(message ?? '')) throw error;
    await create({ ReadCapacityUnits: 5, WriteCapacityUnits: 5 });
  }
}

/**
 * Turns on TTL (tombstones, locks and finished jobs expire by it); the deployed table declares it in its resource.
 * On an existing table it is asked first, since turning it on twice is refused.
 */
async function enableTtl(options: EnsureTableOptions, askFirst: boolean): Promise<void> {
  const { client, tableName, count } = options;
  try {
    if (askFirst) {
      count('DescribeTimeToLive');
      const described = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
      const status = described.TimeToLiveDescription?.TimeToLiveStatus;
      if (status === 'ENABLED' || status === 'ENABLING') return;
    }
    count('UpdateTimeToLive');
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  } catch (error) {
    const name = (error as { name?: string }).name;
    // dynalite has no TTL (UnknownOperationException); a table whose TTL is already on says ValidationException.
    if (name !== 'UnknownOperationException' && name !== 'ValidationException') throw error;
  }
}
