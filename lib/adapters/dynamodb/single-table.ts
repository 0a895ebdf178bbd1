/**
 * The one way walcat's stores talk to the catalog table (`pk`/`sk`, docs/catalog-table.md): paged queries, batch
 * reads and writes that resend what DynamoDB left unprocessed (with capped, jittered backoff, several requests in
 * flight), and conditional writes whose failed condition is an answer (`false`), not an exception. Every store under this folder builds on it, so paging, backoff and conflict detection are
 * written once. Two hooks see every request: its operation name, and the capacity units it consumed (what
 * on-demand capacity bills), which the catalog's request counts and the ingest benchmark are made of.
 */
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
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
  /** Only sort keys from this one on (instead of a prefix or a range). */
  readonly skAtLeast?: string;
  /**
   * Only sort keys up to this one (instead of a prefix or a range): an open lower end, since DynamoDB refuses an
   * empty string as a key value and so a BETWEEN from ''.
   */
  readonly skAtMost?: string;
  readonly filter?: Condition;
  /** Newest (largest sort key) first when false. Default true. */
  readonly forward?: boolean;
  readonly consistent?: boolean;
  /** Items per page requested (DynamoDB's `Limit`); paging continues until the range ends. */
  readonly pageSize?: number;
  /** Only these top-level attributes of each item (a ProjectionExpression); every attribute when absent. */
  readonly projection?: readonly string[];
}

/** How unprocessed batch items are resent: this many requests at most, capped exponential backoff between. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 2000 };

export type CapacityKind = 'read' | 'write';

export interface SingleTableOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Resending unprocessed batch items; after `maxAttempts` requests a TransientError (default DEFAULT_RETRY). */
  readonly retry?: RetryPolicy;
  /** Batch requests (of 25 writes or 100 reads) in flight at once for one call (default 4). */
  readonly parallelBatches?: number;
  /** Called once per request sent, with DynamoDB's operation name (`Query`, `BatchWriteItem`, ...). */
  readonly onRequest?: (operation: string) => void;
  /**
   * Called with the capacity units each request consumed. When set, every request asks DynamoDB for them; where
   * DynamoDB reports none (a failed condition) the units are estimated as DynamoDB bills them: one per started KB
   * of the item.
   */
  readonly onCapacity?: (kind: CapacityKind, units: number) => void;
}

/** DynamoDB's limits per BatchWriteItem and BatchGetItem request. */
export const WRITE_BATCH = 25;
export const GET_BATCH = 100;
const DEFAULT_PARALLEL_BATCHES = 4;

/** A put written only if the stored item meets its condition. */
export interface ConditionalPut {
  readonly item: Item;
  readonly condition: Condition;
}

/** True for the error a failed condition raises (a concurrent writer got there first, or the item exists). */
export function isConditionFailure(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: string }).name === 'ConditionalCheckFailedException'
  );
}

/**
 * Capped exponential backoff with full jitter, as AWS recommends for unprocessed batch items: the wait after the
 * `attempt`-th request (1 for the first).
 */
export function backoffMs(
  attempt: number,
  random: () => number = Math.random,
  policy: RetryPolicy = DEFAULT_RETRY,
): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt) * random();
}

/** Write units DynamoDB bills for one write of the item: one per started KB. */
export function itemUnits(item: Item): number {
  return Math.max(1, Math.ceil(JSON.stringify(item).length / 1024));
}

/** Runs `work` on every item, at most `limit` at once, in order of the items. */
export async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/** An UpdateItem's update expression with its placeholders. */
export type Update = {
  readonly expression: string;
  readonly values?: Item;
  readonly names?: Record<string, string>;
};

/** DynamoDB's limit of writes in one TransactWriteItems request. */
export const TRANSACTION_WRITES = 100;

/** One write of a transaction: a conditional put of a whole item, or an update of some attributes of one. */
export type TransactionWrite =
  | { readonly put: ConditionalPut }
  | { readonly update: { readonly key: ItemKey; readonly update: Update; readonly condition?: Condition } };

/**
 * How a TransactWriteItems request ended: every write made ('written'), nothing made because the endpoint has no
 * transactions ('unsupported'), or cancelled, with per write (in request order) whether its own condition failed
 * or it was cancelled for another reason (another write's condition, a conflict with a concurrent transaction on the
 * item, throttling) and may be sent again as it is.
 */
export type TransactionOutcome = 'written' | 'unsupported' | readonly ('condition-failed' | 'retry')[];
type ReturnCapacity = { ReturnConsumedCapacity?: 'TOTAL' };

export class SingleTable {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #retry: RetryPolicy;
  readonly #parallelBatches: number;
  readonly #onRequest: ((operation: string) => void) | undefined;
  readonly #onCapacity: ((kind: CapacityKind, units: number) => void) | undefined;
  /** Spread into every request: asks for consumed capacity only when someone listens. */
  readonly #returnCapacity: ReturnCapacity;

  constructor(options: SingleTableOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#parallelBatches = options.parallelBatches ?? DEFAULT_PARALLEL_BATCHES;
    this.#onRequest = options.onRequest;
    this.#onCapacity = options.onCapacity;
    this.#returnCapacity = options.onCapacity === undefined ? {} : { ReturnConsumedCapacity: 'TOTAL' };
  }

  /** One item, strongly consistent unless asked otherwise. */
  async get(key: ItemKey, options: { readonly consistent?: boolean } = {}): Promise<Item | undefined> {
    const result = await this.#send('GetItem', 'read', () =>
      this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: keyOf(key),
          ConsistentRead: options.consistent ?? true,
          ...this.#returnCapacity,
        }),
      ),
    );
    return result.Item;
  }

  /** Writes the item unconditionally. */
  async put(item: Item): Promise<void> {
    await this.#send('PutItem', 'write', () =>
      this.client.send(new PutCommand({ TableName: this.tableName, Item: item, ...this.#returnCapacity })),
    );
  }

  /**
   * Writes the item if the stored one meets `condition`. Returns false when it does not (a conflict): the caller
   * decides whether to reload and retry or to report the other writer.
   */
  async putIf(item: Item, condition: Condition): Promise<boolean> {
    return this.#conditional(itemUnits(item), () =>
      this.#send('PutItem', 'write', () =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: item,
            ...conditionInput(condition),
            ...this.#returnCapacity,
          }),
        ),
      ),
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
  async update(key: ItemKey, update: Update, condition?: Condition): Promise<boolean> {
    return (await this.updateAndRead(key, update, condition)) !== undefined;
  }

  /** UpdateItem with an optional condition, answering the item as it is after the update; undefined on a conflict. */
  async updateAndRead(key: ItemKey, update: Update, condition?: Condition): Promise<Item | undefined> {
    const values = { ...(update.values ?? {}), ...(condition?.values ?? {}) };
    const names = { ...(update.names ?? {}), ...(condition?.names ?? {}) };
    let after: Item | undefined;
    const written = await this.#conditional(itemUnits({ ...keyOf(key), ...values }), async () => {
      const output = await this.#send('UpdateItem', 'write', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keyOf(key),
            UpdateExpression: update.expression,
            ...(condition === undefined ? {} : { ConditionExpression: condition.expression }),
            ...(Object.keys(values).length === 0 ? {} : { ExpressionAttributeValues: values }),
            ...(Object.keys(names).length === 0 ? {} : { ExpressionAttributeNames: names }),
            ReturnValues: 'ALL_NEW',
            ...this.#returnCapacity,
          }),
        ),
      );
      after = output.Attributes ?? keyOf(key);
    });
    return written ? after : undefined;
  }

  /** Deletes the item (if `condition` holds); false when the condition failed. */
  async delete(key: ItemKey, condition?: Condition): Promise<boolean> {
    return this.#conditional(1, () =>
      this.#send('DeleteItem', 'write', () =>
        this.client.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: keyOf(key),
            ...(condition === undefined ? {} : conditionInput(condition)),
            ...this.#returnCapacity,
          }),
        ),
      ),
    );
  }

  /** Every item of a partition (or a sort-key range of it), page after page, in sort-key order. */
  async *query(query: TableQuery): AsyncGenerator<Item> {
    for await (const items of this.queryPages(query)) yield* items;
  }

  /** The items of {@link query}, one response page at a time (empty pages of a filtered query skipped). */
  async *queryPages(query: TableQuery): AsyncGenerator<readonly Item[]> {
    let startKey: Item | undefined;
    do {
      const page = await this.queryPage(query, startKey);
      if (page.items.length > 0) yield page.items;
      startKey = page.lastKey;
    } while (startKey !== undefined);
  }

  /**
   * One response page of {@link query} after `startKey` (from the start when absent), and the key to continue
   * after (absent on the last page): for a caller that reads a range in more than one stream.
   */
  async queryPage(
    query: TableQuery,
    startKey?: Item,
  ): Promise<{ readonly items: readonly Item[]; readonly lastKey?: Item }> {
    const values: Record<string, unknown> = { ':pk': query.pk, ...(query.filter?.values ?? {}) };
    const names: Record<string, string> = { ...(query.filter?.names ?? {}) };
    const ranged =
      query.skBetween !== undefined ||
      query.skPrefix !== undefined ||
      query.skAtLeast !== undefined ||
      query.skAtMost !== undefined;
    let hash = 'pk';
    let range = 'sk';
    if (query.index !== undefined) {
      hash = '#indexHash';
      names[hash] = query.index.hashKey;
      // DynamoDB refuses a name the expressions do not use.
      if (ranged) {
        range = '#indexRange';
        names[range] = query.index.rangeKey;
      }
    }
    // Attribute names are always placeholders: DynamoDB reserves hundreds of words (`size`, `key`, ...).
    const projection = query.projection?.map((attribute, index) => {
      names[`#p${index}`] = attribute;
      return `#p${index}`;
    });
    let keyCondition = `${hash} = :pk`;
    if (query.skBetween !== undefined) {
      keyCondition += ` AND ${range} BETWEEN :skFrom AND :skTo`;
      values[':skFrom'] = query.skBetween[0];
      values[':skTo'] = query.skBetween[1];
    } else if (query.skPrefix !== undefined) {
      keyCondition += ` AND begins_with(${range}, :skPrefix)`;
      values[':skPrefix'] = query.skPrefix;
    } else if (query.skAtLeast !== undefined) {
      keyCondition += ` AND ${range} >= :skFrom`;
      values[':skFrom'] = query.skAtLeast;
    } else if (query.skAtMost !== undefined) {
      keyCondition += ` AND ${range} <= :skTo`;
      values[':skTo'] = query.skAtMost;
    }
    const page = await this.#send('Query', 'read', () =>
      this.client.send(
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
          ...(projection === undefined ? {} : { ProjectionExpression: projection.join(', ') }),
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
          ...this.#returnCapacity,
        }),
      ),
    );
    return {
      items: page.Items ?? [],
      ...(page.LastEvaluatedKey === undefined ? {} : { lastKey: page.LastEvaluatedKey }),
    };
  }

  /**
   * Reads many items in requests of 100 (several in flight), resending unprocessed keys; items not stored are
   * absent from the answer. Strongly consistent unless asked otherwise.
   */
  async batchGet(keys: readonly ItemKey[], options: { readonly consistent?: boolean } = {}): Promise<Item[]> {
    const items: Item[] = [];
    await inParallel(chunks(keys, GET_BATCH), this.#parallelBatches, async (chunk) => {
      let pending: Item[] = chunk.map(keyOf);
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > this.#retry.maxAttempts) throw this.#stillUnprocessed(pending.length, 'reads');
        const output = await this.#send('BatchGetItem', 'read', () =>
          this.client.send(
            new BatchGetCommand({
              RequestItems: {
                [this.tableName]: { Keys: pending, ...(options.consistent === false ? {} : { ConsistentRead: true }) },
              },
              ...this.#returnCapacity,
            }),
          ),
        );
        items.push(...(output.Responses?.[this.tableName] ?? []));
        pending = output.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
        if (pending.length > 0) await this.#sleep(backoffMs(attempt, Math.random, this.#retry));
      }
    });
    return items;
  }

  /** Puts and deletes in requests of 25 (several in flight), resending what DynamoDB left unprocessed with backoff. */
  async batchWrite(writes: { readonly puts?: readonly Item[]; readonly deletes?: readonly ItemKey[] }): Promise<void> {
    const requests: Item[] = [
      ...(writes.puts ?? []).map((item) => ({ PutRequest: { Item: item } })),
      ...(writes.deletes ?? []).map((key) => ({ DeleteRequest: { Key: keyOf(key) } })),
    ];
    await inParallel(chunks(requests, WRITE_BATCH), this.#parallelBatches, async (chunk) => {
      let pending = chunk;
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > this.#retry.maxAttempts) throw this.#stillUnprocessed(pending.length, 'writes');
        const output = await this.#send('BatchWriteItem', 'write', () =>
          this.client.send(
            new BatchWriteCommand({ RequestItems: { [this.tableName]: pending as never }, ...this.#returnCapacity }),
          ),
        );
        pending = (output.UnprocessedItems?.[this.tableName] ?? []) as Item[];
        if (pending.length > 0) await this.#sleep(backoffMs(attempt, Math.random, this.#retry));
      }
    });
  }

  /**
   * One TransactWriteItems request of up to TRANSACTION_WRITES writes, each on its own condition; no two may name
   * the same item. DynamoDB bills two write units per started KB of each item, also when it cancels the request;
   * where it reports no capacity (moto) the units are estimated so. A write DynamoDB refuses as invalid is thrown.
   */
  async transactWrite(writes: readonly TransactionWrite[]): Promise<TransactionOutcome> {
    const estimate = writes.reduce((sum, write) => sum + 2 * transactionWriteUnits(write), 0);
    this.#onRequest?.('TransactWriteItems');
    try {
      const output = await this.client.send(
        new TransactWriteCommand({
          TransactItems: writes.map((write) => this.#transactItem(write)) as never,
          ...this.#returnCapacity,
        }),
      );
      if (!this.#reported('write', output ?? {})) this.#onCapacity?.('write', estimate);
      return 'written';
    } catch (error) {
      const name = (error as { name?: string }).name;
      // dynalite: the operation does not exist there.
      if (name === 'UnknownOperationException') return 'unsupported';
      if (name !== 'TransactionCanceledException') throw error;
      this.#onCapacity?.('write', estimate);
      const reasons = (error as { CancellationReasons?: { Code?: string; Message?: string }[] }).CancellationReasons;
      return writes.map((write, index) => {
        const code = reasons?.[index]?.Code ?? 'None';
        if (code === 'ConditionalCheckFailed') return 'condition-failed';
        if (code === 'ValidationError') {
          const key = 'put' in write ? write.put.item : write.update.key;
          throw new Error(
            `DynamoDB table ${this.tableName}: item ${String(key.pk)} ${String(key.sk)} refused in a transaction: ${reasons?.[index]?.Message ?? code}`,
            { cause: error },
          );
        }
        return 'retry';
      });
    }
  }

  #transactItem(write: TransactionWrite): Item {
    if ('put' in write) {
      return { Put: { TableName: this.tableName, Item: write.put.item, ...conditionInput(write.put.condition) } };
    }
    const { key, update, condition } = write.update;
    const values = { ...(update.values ?? {}), ...(condition?.values ?? {}) };
    const names = { ...(update.names ?? {}), ...(condition?.names ?? {}) };
    return {
      Update: {
        TableName: this.tableName,
        Key: keyOf(key),
        UpdateExpression: update.expression,
        ...(condition === undefined ? {} : { ConditionExpression: condition.expression }),
        ...(Object.keys(values).length === 0 ? {} : { ExpressionAttributeValues: values }),
        ...(Object.keys(names).length === 0 ? {} : { ExpressionAttributeNames: names }),
      },
    };
  }

  /** Sends one request, telling the hooks its operation and the capacity DynamoDB reported for it. */
  async #send<Output extends { ConsumedCapacity?: unknown }>(
    operation: string,
    kind: CapacityKind,
    request: () => Promise<Output>,
  ): Promise<Output> {
    this.#onRequest?.(operation);
    const output = await request();
    // A mocked client may answer nothing at all.
    this.#reported(kind, output ?? {});
    return output;
  }

  /** Tells the capacity hook what DynamoDB reported; false when it reported none. */
  #reported(kind: CapacityKind, output: { ConsumedCapacity?: unknown }): boolean {
    const reported = output.ConsumedCapacity;
    const list = Array.isArray(reported) ? reported : reported === undefined ? [] : [reported];
    for (const entry of list) this.#onCapacity?.(kind, (entry as { CapacityUnits?: number }).CapacityUnits ?? 0);
    return list.length > 0;
  }

  /** Runs a conditional write: true when written, false when its condition failed (billed as a write of `units`). */
  async #conditional(units: number, write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      this.#onCapacity?.('write', units);
      return false;
    }
  }

  #stillUnprocessed(count: number, what: string): TransientError {
    return new TransientError(
      `DynamoDB table ${this.tableName}: ${count} batch ${what} still unprocessed after ${this.#retry.maxAttempts} attempts (throttled); the run is retried`,
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

/** Units of one write of a transaction before doubling: the item's size, or for an update its key and values. */
function transactionWriteUnits(write: TransactionWrite): number {
  if ('put' in write) return itemUnits(write.put.item);
  return itemUnits({ ...keyOf(write.update.key), ...(write.update.update.values ?? {}) });
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
