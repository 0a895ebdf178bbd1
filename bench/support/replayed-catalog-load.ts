/**
 * Fills a catalog table with a synthetic WAL-G bucket at bulk speed: the real ingestion of S3 events
 * (`ingestObjectEvents` through the real `DynamoDbCatalogStore`) runs against the table, but each WAL item's
 * "create if absent" PutItem is recorded instead of sent, and the recorded items go to the table afterwards in bulk
 * (`bulkPut`: the counting dynalite's own BatchWriteItem action, in this process; BatchWriteItem requests of 25
 * over HTTP without it). Everything else (backups, history files, timeline markers, their reads) goes to the table as
 * it comes.
 *
 * Why: dynalite has no transactions, so the store writes each new WAL key with its own conditional PutItem; 100k
 * segments are 100k requests, 754 s at load 19 on the bench machine, more than the whole bench may take, and 4,000
 * BatchWriteItem requests over HTTP still took most of 300 s (SDK serialization, signing and HTTP parsing on both
 * ends of one process). A conditional create of a key nobody else writes lands exactly as a plain put of the same
 * item, so the table ends up item for item what the real ingestion writes (change-index stamps included).
 *
 * @example
 * const loaded = await loadCatalogByReplay({ client, tableName, interpret, objects, bucket, bulkPut: ddb.bulkPut });
 * loaded.walItems // 99,997 at 100k
 */
import { BatchWriteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import type { BackupInterpreter } from '../../lib/domain/catalog/catalog-change.ts';
import type { ObjectEvent } from '../../lib/domain/catalog/object-event.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import { historyTextOrUndefined } from '../../lib/domain/wal/history-file-content.ts';
import type { ObjectStore } from '../../lib/ports/object-store.ts';
import { ingestObjectEvents } from '../../lib/use-cases/ingest-object-events.ts';
import type { BucketObject } from './synthetic-wal-g-bucket.ts';

const WRITE_BATCH = 25;
const IN_FLIGHT = 8;
/** One SQS batch of the deployed ingest function (serverless.yml batchSize 100). */
const EVENTS_PER_BATCH = 100;

export interface ReplayedLoadOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly interpret: BackupInterpreter;
  /** Where ingestion reads sentinels, metadata.json and history files back. */
  readonly objects: ObjectStore;
  readonly bucket: string;
  readonly cluster: ClusterConfig;
  readonly items: readonly BucketObject[];
  /** Writes the recorded WAL items in bulk (the counting dynalite's `bulkPut`); BatchWriteItem over HTTP without. */
  readonly bulkPut?: (tableName: string, items: readonly Record<string, unknown>[]) => Promise<void>;
}

export interface ReplayedLoad {
  /** The store over the loaded table, its clock at the last object's upload time. */
  readonly catalog: DynamoDbCatalogStore;
  readonly walItems: number;
  /** BatchWriteItem requests sent over HTTP for the WAL items (0 when they went through `bulkPut`). */
  readonly batchWriteRequests: number;
  /** Moves the clock that stamps the store's writes (the watchdog's run is stamped at its own time). */
  setClock(at: Date): void;
}

type Sent = Parameters<DynamoDBDocumentClient['send']>[0];

/** A new WAL key's conditional create, which dynalite would otherwise get as one PutItem request per key. */
function isWalCreate(command: Sent): boolean {
  if (!(command instanceof PutCommand)) return false;
  const { Item, ConditionExpression } = (command as PutCommand).input;
  return String(Item?.pk ?? '').startsWith('WAL#') && ConditionExpression === 'attribute_not_exists(pk)';
}

/**
 * The client with every new WAL key's conditional create held back: `recorded` collects the items (to be written in
 * bulk later), each such send answers as a successful PutItem, and every other command goes to the table.
 */
export function recordingWalCreates(real: DynamoDBDocumentClient): {
  readonly client: DynamoDBDocumentClient;
  readonly recorded: Record<string, unknown>[];
} {
  const recorded: Record<string, unknown>[] = [];
  const client = new Proxy(real, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return async (command: Sent) => {
        if (isWalCreate(command)) {
          recorded.push((command as PutCommand).input.Item as Record<string, unknown>);
          return { $metadata: {} };
        }
        return target.send(command as never);
      };
    },
  }) as DynamoDBDocumentClient;
  return { client, recorded };
}

export async function loadCatalogByReplay(options: ReplayedLoadOptions): Promise<ReplayedLoad> {
  const real = options.client;
  const { client: recording, recorded } = recordingWalCreates(real);

  let stamp = new Date(0);
  const now = () => stamp;
  const ingesting = new DynamoDbCatalogStore({
    client: recording,
    tableName: options.tableName,
    interpret: options.interpret,
    now,
  });
  await ingesting.ensureTable();
  const deps = {
    objects: options.objects,
    decompress: historyTextOrUndefined,
    catalog: ingesting,
    clusters: [options.cluster],
  };
  let sequencer = 0;
  const eventOf = (item: BucketObject): ObjectEvent => ({
    bucket: options.bucket,
    key: item.key,
    kind: 'created',
    size: item.body.length,
    etag: item.etag,
    sequencer: (++sequencer).toString(16).toUpperCase().padStart(16, '0'),
    eventTime: item.uploadedAt,
  });
  for (let start = 0; start < options.items.length; start += EVENTS_PER_BATCH) {
    const batch = options.items.slice(start, start + EVENTS_PER_BATCH);
    // Each write is stamped at its object's upload time, as the change index would hold it had it been catalogued live.
    stamp = batch.at(-1)?.uploadedAt ?? stamp;
    const records = batch.map((item, index) => ({ recordId: `${start + index}`, events: [eventOf(item)] }));
    const outcome = await ingestObjectEvents(deps, records);
    if (outcome.failedRecordIds.length > 0)
      throw new Error(`ingest failed: ${String(outcome.transientErrors[0]?.error)}`);
  }

  let batchWriteRequests = 0;
  let next = 0;
  const writer = async () => {
    while (next < recorded.length) {
      let pending = recorded.slice(next, next + WRITE_BATCH).map((Item) => ({ PutRequest: { Item } }));
      next += WRITE_BATCH;
      while (pending.length > 0) {
        batchWriteRequests++;
        const response = await real.send(new BatchWriteCommand({ RequestItems: { [options.tableName]: pending } }));
        pending = (response.UnprocessedItems?.[options.tableName] ?? []) as typeof pending;
      }
    }
  };
  if (options.bulkPut) await options.bulkPut(options.tableName, recorded);
  else await Promise.all(Array.from({ length: IN_FLIGHT }, writer));

  const catalog = new DynamoDbCatalogStore({
    client: real,
    tableName: options.tableName,
    interpret: options.interpret,
    now,
  });
  return {
    catalog,
    walItems: recorded.length,
    batchWriteRequests,
    setClock: (at) => {
      stamp = at;
    },
  };
}
