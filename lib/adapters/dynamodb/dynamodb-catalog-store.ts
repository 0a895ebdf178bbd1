import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { compareBackupRecords } from '../../domain/catalog/backup-order.ts';
import {
  type BackupChange,
  type BackupInterpreter,
  deriveBackupRecord,
  mergeBackup,
  mergeWalObject,
  type WalObjectChange,
} from '../../domain/catalog/catalog-change.ts';
import { ClusterStateConflictError } from '../../domain/catalog/catalog-errors.ts';
import type {
  BackupRecord,
  BackupSourceObject,
  WalObjectKind,
  WalObjectRecord,
} from '../../domain/catalog/catalog-records.ts';
import type { ClusterId } from '../../domain/cluster.ts';
import { TransientError } from '../../domain/errors.ts';
import type { Compression } from '../../domain/layout/storage-object.ts';
import { parseTimelineHex, type TimelineId } from '../../domain/wal/timeline.ts';
import type { SegmentNumber } from '../../domain/wal/wal-segment.ts';
import type {
  ApplyOutcome,
  CatalogStore,
  ClusterState,
  ClusterStateUpdate,
  SegmentRange,
} from '../../ports/catalog-store.ts';
import {
  BACKUP_SK_PREFIX,
  backupSk,
  clusterPk,
  HISTORY_SK_PREFIX,
  historySk,
  STATE_SK,
  segNoSortKey,
  TIMELINE_SK_PREFIX,
  timelineSk,
  walPk,
  walSk,
} from './catalog-keys.ts';

type Item = Record<string, unknown>;
interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

/** DynamoDB limits: BatchWriteItem takes 25 requests, BatchGetItem 100 keys. */
const WRITE_BATCH = 25;
const READ_BATCH = 100;
const PARALLEL_REQUESTS = 4;

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}
/** Unprocessed items are retried with capped exponential backoff and full jitter. */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 2000 };

export interface DynamoDbCatalogStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Reads backups from their sentinel and metadata texts (see createBackupInterpreter). */
  readonly interpret: BackupInterpreter;
  readonly retry?: RetryPolicy;
  readonly sleep?: (ms: number) => Promise<void>;
}

const keyId = (key: ItemKey): string => `${key.pk}\u0000${key.sk}`;
const fileNameOf = (key: string): string => key.slice(key.lastIndexOf('/') + 1);

function walItemKey(record: WalObjectRecord): ItemKey {
  if (record.kind === 'history' || record.segNo === undefined) {
    return { pk: clusterPk(record.cluster), sk: historySk(record.timeline, fileNameOf(record.key)) };
  }
  return { pk: walPk(record.cluster, record.timeline), sk: walSk(record.segNo, fileNameOf(record.key)) };
}

const iso = (date: Date | undefined): string | undefined => date?.toISOString();
const date = (text: unknown): Date | undefined => (typeof text === 'string' ? new Date(text) : undefined);

function walToItem(record: WalObjectRecord): Item {
  return {
    ...walItemKey(record),
    itemType: 'wal',
    cluster: record.cluster,
    key: record.key,
    kind: record.kind,
    timeline: record.timeline,
    segNo: record.segNo,
    compression: record.compression,
    size: record.size,
    etag: record.etag,
    uploadedAt: iso(record.uploadedAt),
    sequencer: record.sequencer,
    deleted: record.deleted,
    deletedAt: iso(record.deletedAt),
    content: record.content,
  };
}

function walFromItem(item: Item): WalObjectRecord {
  const optional = <T>(name: string, value: T | undefined) => (value === undefined ? {} : { [name]: value });
  return {
    cluster: item.cluster as ClusterId,
    key: item.key as string,
    kind: item.kind as WalObjectKind,
    timeline: item.timeline as TimelineId,
    ...optional('segNo', item.segNo as SegmentNumber | undefined),
    ...optional('compression', item.compression as Compression | undefined),
    size: item.size as number,
    ...optional('etag', item.etag as string | undefined),
    uploadedAt: date(item.uploadedAt) ?? new Date(0),
    ...optional('sequencer', item.sequencer as string | undefined),
    deleted: item.deleted === true,
    ...optional('deletedAt', date(item.deletedAt)),
    ...optional('content', item.content as string | undefined),
  };
}

function sourceToItem(source: BackupSourceObject | undefined): Item | undefined {
  if (source === undefined) return undefined;
  return { ...source, observedAt: source.observedAt.toISOString() };
}

function sourceFromItem(item: unknown): BackupSourceObject | undefined {
  if (item === undefined || item === null) return undefined;
  const source = item as Item;
  return { ...(source as unknown as BackupSourceObject), observedAt: date(source.observedAt) ?? new Date(0) };
}

/** Backup items store the observed sources; the record is derived on read so a better interpreter heals old rows. */
function backupToItem(record: BackupRecord): Item {
  return {
    pk: clusterPk(record.cluster),
    sk: backupSk(record.name),
    itemType: 'backup',
    cluster: record.cluster,
    name: record.name,
    status: record.status,
    problem: record.problem,
    firstSeenAt: iso(record.firstSeenAt),
    updatedAt: iso(record.updatedAt),
    expiredAt: iso(record.expiredAt),
    sentinel: sourceToItem(record.sentinel),
    metadata: sourceToItem(record.metadata),
  };
}

function backupFromItem(item: Item, interpret: BackupInterpreter): BackupRecord {
  const sentinel = sourceFromItem(item.sentinel);
  const metadata = sourceFromItem(item.metadata);
  const expiredAt = date(item.expiredAt);
  return deriveBackupRecord(
    {
      cluster: item.cluster as ClusterId,
      name: item.name as string,
      firstSeenAt: date(item.firstSeenAt) ?? new Date(0),
      updatedAt: date(item.updatedAt) ?? new Date(0),
      ...(sentinel ? { sentinel } : {}),
      ...(metadata ? { metadata } : {}),
      ...(expiredAt ? { expiredAt } : {}),
    },
    interpret,
  );
}

/** JSON for the opaque `verifiedCursor`: bigints (LSNs) and dates survive the round trip. */
const encodeOpaque = (value: unknown): string =>
  JSON.stringify(value, function replace(this: Record<string, unknown>, key, v) {
    const raw = this[key];
    if (typeof raw === 'bigint') return { $bigint: raw.toString() };
    if (raw instanceof Date) return { $date: raw.toISOString() };
    return v;
  });
const decodeOpaque = (text: string): unknown =>
  JSON.parse(text, (_key, value) => {
    if (value && typeof value === 'object' && typeof value.$bigint === 'string') return BigInt(value.$bigint);
    if (value && typeof value === 'object' && typeof value.$date === 'string') return new Date(value.$date);
    return value;
  });

async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
};

/**
 * The catalog in one DynamoDB table (docs/catalog-table.md). Event batches cost one BatchGetItem per 100 distinct
 * keys (to read stored sequencers) plus one BatchWriteItem per 25 changed items.
 */
export class DynamoDbCatalogStore implements CatalogStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #interpret: BackupInterpreter;
  readonly #retry: RetryPolicy;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #knownTimelines = new Set<string>();
  readonly #counts: Record<string, number> = {};

  constructor(options: DynamoDbCatalogStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#interpret = options.interpret;
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** DynamoDB requests sent, by operation (the ingest benchmark reports requests per 1,000 events). */
  get requestCounts(): Readonly<Record<string, number>> {
    return this.#counts;
  }

  get requestCount(): number {
    return Object.values(this.#counts).reduce((sum, n) => sum + n, 0);
  }

  #count(operation: string): void {
    this.#counts[operation] = (this.#counts[operation] ?? 0) + 1;
  }

  async ensureTable(): Promise<void> {
    const raw = this.#client as unknown as DynamoDBClient;
    try {
      this.#count('DescribeTable');
      await raw.send(new DescribeTableCommand({ TableName: this.#table }));
      return;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    try {
      this.#count('CreateTable');
      await raw.send(
        new CreateTableCommand({
          TableName: this.#table,
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
    } catch (error) {
      // Another process created it between our DescribeTable and CreateTable.
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    const deadline = Date.now() + 60_000;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      this.#count('DescribeTable');
      const described = await raw.send(new DescribeTableCommand({ TableName: this.#table }));
      if (described.Table?.TableStatus === 'ACTIVE') return;
      await this.#sleep(Math.min(1000, 20 * 2 ** attempt));
    }
    throw new TransientError(`DynamoDB table ${this.#table} did not become ACTIVE within 60 s; run walcat init again`);
  }

  async applyWalChanges(changes: readonly WalObjectChange[]): Promise<ApplyOutcome> {
    return this.#apply(
      changes,
      (change) => walItemKey(change.record),
      (item) => (item ? walFromItem(item) : undefined),
      mergeWalObject,
      walToItem,
      (records) => this.#timelineMarkers(records),
    );
  }

  async applyBackupChanges(changes: readonly BackupChange[]): Promise<ApplyOutcome> {
    const interpret = this.#interpret;
    return this.#apply(
      changes,
      (change) => ({ pk: clusterPk(change.cluster), sk: backupSk(change.name) }),
      (item) => (item ? backupFromItem(item, interpret) : undefined),
      (stored, change) => mergeBackup(stored, change, interpret),
      backupToItem,
      () => [],
    );
  }

  /** Read the stored items of all keys, fold the changes per key with the domain merge, write what changed. */
  async #apply<C, R>(
    changes: readonly C[],
    keyOf: (change: C) => ItemKey,
    fromItem: (item: Item | undefined) => R | undefined,
    merge: (stored: R | undefined, change: C) => R | undefined,
    toItem: (record: R) => Item,
    extraItems: (written: readonly R[]) => Item[],
  ): Promise<ApplyOutcome> {
    const byKey = new Map<string, { key: ItemKey; changes: C[] }>();
    for (const change of changes) {
      const key = keyOf(change);
      const group = byKey.get(keyId(key)) ?? { key, changes: [] };
      group.changes.push(change);
      byKey.set(keyId(key), group);
    }
    const stored = await this.#batchGet([...byKey.values()].map((group) => group.key));
    let applied = 0;
    let stale = 0;
    const written: R[] = [];
    for (const [id, group] of byKey) {
      let current = fromItem(stored.get(id));
      let dirty = false;
      for (const change of group.changes) {
        const merged = merge(current, change);
        if (merged === undefined) {
          stale++;
        } else {
          applied++;
          current = merged;
          dirty = true;
        }
      }
      if (dirty && current !== undefined) written.push(current);
    }
    const extras = extraItems(written);
    await this.#batchWrite([...written.map(toItem), ...extras]);
    // Only a marker that reached the table may be skipped next time: a write that failed is redelivered to this
    // same (warm) container, which must then write the marker again.
    for (const item of extras)
      if (item.itemType === 'timeline') this.#knownTimelines.add(keyId(item as unknown as ItemKey));
    return { applied, stale };
  }

  #timelineMarkers(records: readonly WalObjectRecord[]): Item[] {
    const markers: Item[] = [];
    const added = new Set<string>();
    for (const record of records) {
      const marker = { pk: clusterPk(record.cluster), sk: timelineSk(record.timeline) };
      if (this.#knownTimelines.has(keyId(marker)) || added.has(keyId(marker))) continue;
      added.add(keyId(marker));
      markers.push({ ...marker, itemType: 'timeline', cluster: record.cluster, timeline: record.timeline });
    }
    return markers;
  }

  async #backoff(attempt: number, what: string): Promise<void> {
    if (attempt + 1 >= this.#retry.maxAttempts) {
      throw new TransientError(
        `DynamoDB table ${this.#table}: ${what} still unprocessed after ${this.#retry.maxAttempts} attempts (throttled); the batch is retried by the platform`,
      );
    }
    const ceiling = Math.min(this.#retry.maxDelayMs, this.#retry.baseDelayMs * 2 ** attempt);
    await this.#sleep(Math.random() * ceiling);
  }

  async #batchGet(keys: readonly ItemKey[]): Promise<Map<string, Item>> {
    const found = new Map<string, Item>();
    await inParallel(chunks(keys, READ_BATCH), PARALLEL_REQUESTS, async (chunk) => {
      let pending: Item[] = chunk.map((key) => ({ pk: key.pk, sk: key.sk }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await this.#backoff(attempt - 1, `${pending.length} reads`);
        this.#count('BatchGetItem');
        const response = await this.#client.send(
          new BatchGetCommand({ RequestItems: { [this.#table]: { Keys: pending } } }),
        );
        for (const item of response.Responses?.[this.#table] ?? []) found.set(keyId(item as unknown as ItemKey), item);
        pending = (response.UnprocessedKeys?.[this.#table]?.Keys ?? []) as Item[];
      }
    });
    return found;
  }

  async #batchWrite(items: readonly Item[]): Promise<void> {
    await inParallel(chunks(items, WRITE_BATCH), PARALLEL_REQUESTS, async (chunk) => {
      let pending = chunk.map((item) => ({ PutRequest: { Item: item } }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await this.#backoff(attempt - 1, `${pending.length} writes`);
        this.#count('BatchWriteItem');
        const response = await this.#client.send(new BatchWriteCommand({ RequestItems: { [this.#table]: pending } }));
        pending = (response.UnprocessedItems?.[this.#table] ?? []) as typeof pending;
      }
    });
  }

  async *#query(input: Omit<QueryCommandInput, 'TableName'>): AsyncIterable<Item> {
    let exclusiveStartKey: Record<string, unknown> | undefined;
    do {
      this.#count('Query');
      const response = await this.#client.send(
        new QueryCommand({
          ...input,
          TableName: this.#table,
          ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
        }),
      );
      yield* (response.Items ?? []) as Item[];
      exclusiveStartKey = response.LastEvaluatedKey;
    } while (exclusiveStartKey !== undefined);
  }

  async #queryPrefix(pk: string, prefix: string): Promise<Item[]> {
    const items: Item[] = [];
    for await (const item of this.#query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
    })) {
      items.push(item);
    }
    return items;
  }

  async listBackups(cluster: ClusterId): Promise<BackupRecord[]> {
    const items = await this.#queryPrefix(clusterPk(cluster), BACKUP_SK_PREFIX);
    return items.map((item) => backupFromItem(item, this.#interpret)).sort(compareBackupRecords);
  }

  async getBackup(cluster: ClusterId, name: string): Promise<BackupRecord | undefined> {
    this.#count('GetItem');
    const response = await this.#client.send(
      new GetCommand({ TableName: this.#table, Key: { pk: clusterPk(cluster), sk: backupSk(name) } }),
    );
    return response.Item ? backupFromItem(response.Item, this.#interpret) : undefined;
  }

  async listTimelines(cluster: ClusterId): Promise<TimelineId[]> {
    const items = await this.#queryPrefix(clusterPk(cluster), TIMELINE_SK_PREFIX);
    return items.map((item) => parseTimelineHex((item.sk as string).slice(TIMELINE_SK_PREFIX.length)));
  }

  async *listWalObjects(
    cluster: ClusterId,
    timeline: TimelineId,
    range: SegmentRange = {},
    options: { readonly includeDeleted?: boolean } = {},
  ): AsyncIterable<WalObjectRecord> {
    // Sort keys are `<12 hex segNo>#<file name>`; '$' sorts right after '#', closing the upper segment.
    const from = range.fromSegNo === undefined ? '' : segNoSortKey(range.fromSegNo);
    const to = `${range.toSegNo === undefined ? 'FFFFFFFFFFFF' : segNoSortKey(range.toSegNo)}$`;
    for await (const item of this.#query({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': walPk(cluster, timeline), ':from': from, ':to': to },
    })) {
      if (options.includeDeleted || item.deleted !== true) yield walFromItem(item);
    }
  }

  async latestWalObject(cluster: ClusterId, timeline: TimelineId): Promise<WalObjectRecord | undefined> {
    for await (const item of this.#query({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': walPk(cluster, timeline) },
      ScanIndexForward: false,
      Limit: 50,
    })) {
      if (item.deleted !== true) return walFromItem(item);
    }
    return undefined;
  }

  async listHistoryFiles(cluster: ClusterId): Promise<WalObjectRecord[]> {
    const items = await this.#queryPrefix(clusterPk(cluster), HISTORY_SK_PREFIX);
    return items.map(walFromItem);
  }

  async getClusterState(cluster: ClusterId): Promise<ClusterState> {
    this.#count('GetItem');
    const response = await this.#client.send(
      new GetCommand({ TableName: this.#table, Key: { pk: clusterPk(cluster), sk: STATE_SK } }),
    );
    return stateFromItem(cluster, response.Item);
  }

  async updateClusterState(
    cluster: ClusterId,
    update: ClusterStateUpdate,
    expectedVersion?: number,
  ): Promise<ClusterState> {
    const sets = ['#version = if_not_exists(#version, :zero) + :one', '#itemType = :type', '#cluster = :cluster'];
    const names: Record<string, string> = { '#version': 'version', '#itemType': 'itemType', '#cluster': 'cluster' };
    const values: Record<string, unknown> = { ':zero': 0, ':one': 1, ':type': 'cluster-state', ':cluster': cluster };
    if (update.lastFullSyncAt !== undefined) {
      sets.push('#lastFullSyncAt = :lastFullSyncAt');
      names['#lastFullSyncAt'] = 'lastFullSyncAt';
      values[':lastFullSyncAt'] = update.lastFullSyncAt.toISOString();
    }
    if (update.verifiedCursor !== undefined) {
      sets.push('#verifiedCursor = :verifiedCursor');
      names['#verifiedCursor'] = 'verifiedCursor';
      values[':verifiedCursor'] = encodeOpaque(update.verifiedCursor);
    }
    if (expectedVersion !== undefined) values[':expected'] = expectedVersion;
    this.#count('UpdateItem');
    try {
      const response = await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: clusterPk(cluster), sk: STATE_SK },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ...(expectedVersion === undefined
            ? {}
            : {
                ConditionExpression:
                  expectedVersion === 0
                    ? 'attribute_not_exists(version) OR version = :expected'
                    : 'version = :expected',
              }),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return stateFromItem(cluster, response.Attributes);
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') {
        throw new ClusterStateConflictError(cluster, expectedVersion ?? 0, { cause: error });
      }
      throw error;
    }
  }
}

function stateFromItem(cluster: ClusterId, item: Item | undefined): ClusterState {
  if (item === undefined) return { cluster, version: 0 };
  const lastFullSyncAt = date(item.lastFullSyncAt);
  return {
    cluster,
    version: (item.version as number | undefined) ?? 0,
    ...(lastFullSyncAt ? { lastFullSyncAt } : {}),
    ...(typeof item.verifiedCursor === 'string' ? { verifiedCursor: decodeOpaque(item.verifiedCursor) } : {}),
  };
}
