/**
 * The one way walcat's stores talk to the catalog table (`pk`/`sk`, docs/catalog-table.md): paged queries, batch
 * reads and writes that resend what DynamoDB left unprocessed (with capped, jittered backoff), and conditional
 * writes whose failed condition is an answer (`false`), not an exception. Every store under this folder builds on
 * it, so paging, backoff and conflict detection are written once.
 */
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { TransientError } from '../../domain/errors.ts';

export type Item = Record<string, unknown>;
export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

/** A condition on the stored item (DynamoDB condition expression with its placeholders). */
export interface Condition {
  readonly expression: string;
  readonly values?: Readonly<Record<string, unknown>>;
  readonly names?: Readonly<Record<string, string>>;
}

/** A global secondary index to query instead of the table: its name and key attributes. */
export interface TableIndex {
  readonly name: string;
  readonly hashKey: string;
  readonly rangeKey: string;
}

export interface TableQuery {
  /** The partition: the table's `pk`, or the index's hash key when `index` is given. */
  readonly pk: string;
  readonly index?: TableIndex;
  /** Only sort keys beginning with this. */
  readonly skPrefix?: string;
  /** Only sort keys in this inclusive range (instead of a prefix). */
  readonly skBetween?: readonly [string, string];
  readonly filter?: Condition;
  /** Newest (largest sort key) first when false. Default true. */
  readonly forward?: boolean;
  readonly consistent?: boolean;
  /** Items per page requested (DynamoDB's `Limit`); paging continues until the range ends. */
  readonly pageSize?: number;
}

export interface SingleTableOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Rounds of resending unprocessed batch items before giving up with a TransientError (default 8). */
  readonly maxBatchAttempts?: number;
}

/** DynamoDB's limits per BatchWriteItem and BatchGetItem request. */
export const WRITE_BATCH = 25;
export const GET_BATCH = 100;

/** True for the error a failed condition raises (a concurrent writer got there first, or the item exists). */
export function isConditionFailure(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: string }).name === 'ConditionalCheckFailedException'
  );
}

/** Capped exponential backoff with full jitter, as AWS recommends for unprocessed batch items. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  return Math.min(2000, 50 * 2 ** attempt) * random();
}

export class SingleTable {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #maxBatchAttempts: number;

  constructor(options: SingleTableOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#maxBatchAttempts = options.maxBatchAttempts ?? 8;
  }

  /** One item, strongly consistent unless asked otherwise. */
  async get(key: ItemKey, options: { readonly consistent?: boolean } = {}): Promise<Item | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keyOf(key), ConsistentRead: options.consistent ?? true }),
    );
    return result.Item;
  }

  /** Writes the item unconditionally. */
  async put(item: Item): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  /**
   * Writes the item if the stored one meets `condition`. Returns false when it does not (a conflict): the caller
   * decides whether to reload and retry or to report the other writer.
   */
  async putIf(item: Item, condition: Condition): Promise<boolean> {
    return conditional(() =>
      this.client.send(new PutCommand({ TableName: this.tableName, Item: item, ...conditionInput(condition) })),
    );
  }

  /** Writes the item only if no item has its key. */
  async putIfAbsent(item: Item): Promise<boolean> {
    return this.putIf(item, { expression: 'attribute_not_exists(pk)' });
  }

  /**
   * Writes the item only if the stored one still has `version = expected` (optimistic concurrency); the item
   * carries its own new version.
   */
  async putIfVersion(item: Item, expected: number): Promise<boolean> {
    return this.putIf(item, { expression: 'version = :expectedVersion', values: { ':expectedVersion': expected } });
  }

  /** UpdateItem with an optional condition; false when the condition failed. */
  async update(
    key: ItemKey,
    update: { readonly expression: string; readonly values?: Item; readonly names?: Record<string, string> },
    condition?: Condition,
  ): Promise<boolean> {
    const values = { ...(update.values ?? {}), ...(condition?.values ?? {}) };
    const names = { ...(update.names ?? {}), ...(condition?.names ?? {}) };
    return conditional(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(key),
          UpdateExpression: update.expression,
          ...(condition === undefined ? {} : { ConditionExpression: condition.expression }),
          ...(Object.keys(values).length === 0 ? {} : { ExpressionAttributeValues: values }),
          ...(Object.keys(names).length === 0 ? {} : { ExpressionAttributeNames: names }),
        }),
      ),
    );
  }

  /** Deletes the item (if `condition` holds); false when the condition failed. */
  async delete(key: ItemKey, condition?: Condition): Promise<boolean> {
    return conditional(() =>
      this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keyOf(key),
          ...(condition === undefined ? {} : conditionInput(condition)),
        }),
      ),
    );
  }

  /** Every item of a partition (or a sort-key range of it), page after page, in sort-key order. */
  async *query(query: TableQuery): AsyncGenerator<Item> {
    const values: Record<string, unknown> = { ':pk': query.pk, ...(query.filter?.values ?? {}) };
    const names: Record<string, string> = { ...(query.filter?.names ?? {}) };
    let hash = 'pk';
    let range = 'sk';
    if (query.index !== undefined) {
      hash = '#indexHash';
      names[hash] = query.index.hashKey;
      // DynamoDB refuses a name the expressions do not use.
      if (query.skBetween !== undefined || query.skPrefix !== undefined) {
        range = '#indexRange';
        names[range] = query.index.rangeKey;
      }
    }
    let keyCondition = `${hash} = :pk`;
    if (query.skBetween !== undefined) {
      keyCondition += ` AND ${range} BETWEEN :skFrom AND :skTo`;
      values[':skFrom'] = query.skBetween[0];
      values[':skTo'] = query.skBetween[1];
    } else if (query.skPrefix !== undefined) {
      keyCondition += ` AND begins_with(${range}, :skPrefix)`;
      values[':skPrefix'] = query.skPrefix;
    }
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          ...(query.index === undefined ? {} : { IndexName: query.index.name }),
          KeyConditionExpression: keyCondition,
          ExpressionAttributeValues: values,
          ...(query.filter === undefined ? {} : { FilterExpression: query.filter.expression }),
          ...(Object.keys(names).length === 0 ? {} : { ExpressionAttributeNames: names }),
          ...(query.forward === false ? { ScanIndexForward: false } : {}),
          ...(query.consistent === true ? { ConsistentRead: true } : {}),
          ...(query.pageSize === undefined ? {} : { Limit: query.pageSize }),
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      for (const item of page.Items ?? []) yield item;
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  /** Reads many items in requests of 100, resending unprocessed keys; items not stored are absent from the answer. */
  async batchGet(keys: readonly ItemKey[], options: { readonly consistent?: boolean } = {}): Promise<Item[]> {
    const items: Item[] = [];
    for (let offset = 0; offset < keys.length; offset += GET_BATCH) {
      let pending: Item[] = keys.slice(offset, offset + GET_BATCH).map(keyOf);
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > this.#maxBatchAttempts) throw this.#stillUnprocessed(pending.length, 'reads');
        const output = await this.client.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: { Keys: pending, ...(options.consistent === false ? {} : { ConsistentRead: true }) },
            },
          }),
        );
        items.push(...(output.Responses?.[this.tableName] ?? []));
        pending = output.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
        if (pending.length > 0) await this.#sleep(backoffMs(attempt));
      }
    }
    return items;
  }

  /** Puts and deletes in requests of 25, resending what DynamoDB left unprocessed with backoff. */
  async batchWrite(writes: { readonly puts?: readonly Item[]; readonly deletes?: readonly ItemKey[] }): Promise<void> {
    const requests: Item[] = [
      ...(writes.puts ?? []).map((item) => ({ PutRequest: { Item: item } })),
      ...(writes.deletes ?? []).map((key) => ({ DeleteRequest: { Key: keyOf(key) } })),
    ];
    for (let offset = 0; offset < requests.length; offset += WRITE_BATCH) {
      let pending = requests.slice(offset, offset + WRITE_BATCH);
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > this.#maxBatchAttempts) throw this.#stillUnprocessed(pending.length, 'writes');
        const output = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: pending as never } }),
        );
        pending = (output.UnprocessedItems?.[this.tableName] ?? []) as Item[];
        if (pending.length > 0) await this.#sleep(backoffMs(attempt));
      }
    }
  }

  #stillUnprocessed(count: number, what: string): TransientError {
    return new TransientError(
      `DynamoDB table ${this.tableName}: ${count} batch ${what} still unprocessed after ${this.#maxBatchAttempts} attempts (throttled); the run is retried`,
    );
  }
}

/** The answer of a table whose index is still being built, or of an emulator that cannot add one (dynalite). */
export function isMissingIndex(error: unknown): boolean {
  const { name, message } = error as { name?: string; message?: string };
  return (
    (name === 'ValidationException' || name === 'ResourceNotFoundException') &&
    /specified index|invalid index/i.test(message ?? '')
  );
}

function keyOf(key: ItemKey | Item): Item {
  return { pk: key.pk, sk: key.sk };
}

function conditionInput(condition: Condition): Item {
  return {
    ConditionExpression: condition.expression,
    ...(condition.values === undefined ? {} : { ExpressionAttributeValues: condition.values }),
    ...(condition.names === undefined ? {} : { ExpressionAttributeNames: condition.names }),
  };
}

async function conditional(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
