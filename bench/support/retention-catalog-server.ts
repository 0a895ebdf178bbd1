/**
 * The catalog of a long-lived busy cluster, in a process of its own, answering DynamoDB's Query over HTTP: what the
 * retention-planning benchmark reads through the real `DynamoDbCatalogStore`.
 *
 *   node --import tsx bench/support/retention-catalog-server.ts HOURS SEGMENTS_PER_HOUR
 *
 * prints one JSON line `{ "endpoint", "tableName", "walItems", "backupItems", "seedMs" }` when the table is filled,
 * then serves until its standard input closes. `GET /stats` answers the requests served so far.
 *
 * What it holds: HOURS hourly WAL-G backups (sentinel and metadata.json as WAL-G writes them) and SEGMENTS_PER_HOUR
 * WAL segments per hour on timeline 1. The real store writes the first backup and the first segment through a
 * client that records each item instead of sending it; every other item is that item with its own names, times
 * and texts.
 *
 * Why not dynalite: at this size it is the benchmark. Seeding 960,000 items into it took 500 s of the machine and
 * its Query pages cost hundreds of milliseconds of its own CPU each (LevelDB in memory, JSON per item), where
 * DynamoDB answers a page in milliseconds on its own servers; measured so, the figure would be dynalite's. This
 * table answers the reads the store sends (Query on `pk` with the single-table module's sort-key conditions, 1 MB
 * pages by dynalite's item-size rule, `Limit`, `ExclusiveStartKey`, both directions, projections of top-level
 * attributes) from items held sorted in memory, and refuses any other request.
 *
 * The retention digests' partitions (WAL and backups) are written too (their chunks' PutItem and their heads'
 * UpdateItem, as the digest stores send them), and the `changes` index answers what the digests' updates read.
 * `POST /append-wal?segments=N&changedAt=ISO` adds WAL after the last segment as written then, `POST
 * /append-backups?count=N&changedAt=ISO` the next N hourly backups; `POST /drop-digest` forgets both digests.
 *
 * Why a process of its own: the table's memory and CPU are DynamoDB's, not walcat's; in the benchmark's process
 * both would be counted as walcat's.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import {
  backupSk,
  CHANGED_AT,
  CHANGES_INDEX,
  CHANGES_OF,
  CHANGES_PROJECTION,
  walSk,
} from '../../lib/adapters/dynamodb/catalog-keys.ts';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import {
  BACKUP_DIGEST_HEAD_SK,
  backupDigestPk,
} from '../../lib/adapters/dynamodb/dynamodb-retention-backup-digest-store.ts';
import { DIGEST_HEAD_SK, digestPk } from '../../lib/adapters/dynamodb/dynamodb-retention-digest-store.ts';
import { encodeStoredInterpretation } from '../../lib/adapters/dynamodb/stored-interpretation.ts';
import { createBackupInterpreter } from '../../lib/domain/catalog/backup-interpreter.ts';
import type { BackupInterpreter, WalObjectChange } from '../../lib/domain/catalog/catalog-change.ts';
import { timelineId } from '../../lib/domain/wal/timeline.ts';
import { type SegmentNumber, segmentNumber, walFileName } from '../../lib/domain/wal/wal-segment.ts';
import {
  benchSequencer,
  RETENTION_BENCH_CLUSTER,
  RETENTION_BENCH_NOW,
  RETENTION_BENCH_TABLE,
  type RetentionBenchBackup,
  retentionBenchBackupChanges,
  retentionBenchBackups,
} from './retention-catalog.ts';

type Sent = Parameters<DynamoDBDocumentClient['send']>[0];
type Item = Record<string, unknown>;

/**
 * The item an UpdateItem of a new key writes: `SET #a = :a, ...` on a condition that is only
 * `attribute_not_exists(...)` terms, alone or first of an OR (nothing stored yet), as the store's field-wise backup
 * write sends it.
 */
function itemOfFreshUpdate(command: UpdateCommand): Item | undefined {
  const { Key, UpdateExpression, ConditionExpression, ExpressionAttributeNames, ExpressionAttributeValues } =
    command.input;
  if (Key === undefined || UpdateExpression === undefined || !UpdateExpression.startsWith('SET ')) return undefined;
  if (UpdateExpression.includes(' REMOVE ')) return undefined;
  const conditions = (ConditionExpression ?? '').split(' AND ');
  const fresh = (term: string) =>
    term === '' || term.startsWith('attribute_not_exists(') || term.startsWith('(attribute_not_exists(');
  if (!conditions.every(fresh)) return undefined;
  const item: Item = { ...Key };
  for (const assignment of UpdateExpression.slice(4).split(', ')) {
    const [name, value] = assignment.split(' = ') as [string, string];
    item[ExpressionAttributeNames?.[name] ?? name] = ExpressionAttributeValues?.[value];
  }
  return item;
}

/**
 * The client the store seeds an empty table through: every read answers "nothing stored" (the table is empty), and
 * every write (an "if absent" PutItem, a field-wise UpdateItem of a new key, the BatchWriteItem of timeline markers)
 * is recorded as the item it leaves; any other request is refused.
 */
function recordingCreates(): { client: DynamoDBDocumentClient; recorded: Item[] } {
  const recorded: Item[] = [];
  const send = async (command: Sent) => {
    if (command instanceof BatchGetCommand) return { Responses: {}, UnprocessedKeys: {}, $metadata: {} };
    if (command instanceof PutCommand && command.input.ConditionExpression === 'attribute_not_exists(pk)') {
      recorded.push(command.input.Item as Item);
      return { $metadata: {} };
    }
    if (command instanceof UpdateCommand) {
      const item = itemOfFreshUpdate(command);
      if (item !== undefined) {
        recorded.push(item);
        return { Attributes: item, $metadata: {} };
      }
    }
    if (command instanceof BatchWriteCommand) {
      for (const requests of Object.values(command.input.RequestItems ?? {})) {
        for (const request of requests) {
          if (request.PutRequest?.Item === undefined) throw new Error('seeding writes no deletions');
          recorded.push(request.PutRequest.Item as Item);
        }
      }
      return { UnprocessedItems: {}, $metadata: {} };
    }
    throw new Error(`seeding an empty table sends no ${command.constructor.name}`);
  };
  return { client: { send } as unknown as DynamoDBDocumentClient, recorded };
}

const S = (value: string): WireValue => ({ S: value });

/**
 * The item the store wrote for the first backup (in wire form), with another backup's name, times, keys and texts,
 * and the interpretation of its own texts that the store writes beside them (at the template's source revisions).
 */
function backupItemLike(
  template: WireItem,
  backup: RetentionBenchBackup,
  n: number,
  interpret: BackupInterpreter,
): WireItem {
  const at = S(backup.finishTime.toISOString());
  const source = (of: WireValue | undefined, key: string, text: string, number: number): WireValue => ({
    M: {
      ...(of?.M as WireItem),
      key: S(key),
      sequencer: S(benchSequencer(number)),
      etag: S(`etag-${number}`),
      text: S(text),
      observedAt: at,
    },
  });
  const observed = (key: string, text: string) => ({ key, present: true, text, observedAt: backup.finishTime });
  const cluster = RETENTION_BENCH_CLUSTER.id;
  const { backup: read } = interpret(
    cluster,
    backup.name,
    observed(backup.sentinelKey, backup.sentinel),
    observed(backup.metadataKey, backup.metadata),
  );
  const revision = (name: string): number => Number((template[`rev_${name}`] as { N?: string } | undefined)?.N ?? 0);
  const interpretation =
    read === undefined
      ? undefined
      : encodeStoredInterpretation(read, backup.name, interpret.basisOf?.(cluster) ?? '', {
          sentinel: revision('sentinel'),
          metadata: revision('metadata'),
        });
  if (interpretation === undefined || template.interpretation === undefined) {
    throw new Error(`the store kept no interpretation of ${backup.name}: the items would not be what it writes`);
  }
  return {
    ...template,
    interpretation: S(interpretation),
    sk: S(backupSk(backup.name)),
    name: S(backup.name),
    firstSeenAt: at,
    updatedAt: at,
    // Stamped as written when its sentinel arrived, like the WAL.
    changedAt: at,
    sentinel: source(template.sentinel, backup.sentinelKey, backup.sentinel, 2 * n + 2),
    metadata: source(template.metadata, backup.metadataKey, backup.metadata, 2 * n + 1),
  };
}

interface BenchSegment {
  readonly segNo: SegmentNumber;
  readonly name: string;
  readonly uploadedAt: Date;
  readonly etag: string;
  readonly sequencer: string;
}

function benchSegment(hours: number, segmentsPerHour: number, index: number): BenchSegment {
  const segNo = segmentNumber(0x100 + index);
  const first = RETENTION_BENCH_NOW.getTime() - hours * 3_600_000;
  return {
    segNo,
    name: `${walFileName({ timeline: timelineId(1), segNo }, RETENTION_BENCH_CLUSTER.walSegmentSize)}.lz4`,
    uploadedAt: new Date(first + Math.floor((index * 3_600_000) / segmentsPerHour)),
    etag: `"${index.toString(16).padStart(32, '0')}"`,
    sequencer: benchSequencer(index + 1),
  };
}

function walChange(segment: BenchSegment): WalObjectChange {
  return {
    origin: 'event',
    record: {
      cluster: RETENTION_BENCH_CLUSTER.id,
      key: `${RETENTION_BENCH_CLUSTER.storage.prefix}wal_005/${segment.name}`,
      kind: 'segment',
      timeline: timelineId(1),
      segNo: segment.segNo,
      compression: 'lz4',
      size: 5_000_000,
      etag: segment.etag,
      uploadedAt: segment.uploadedAt,
      sequencer: segment.sequencer,
      deleted: false,
    },
  };
}

/**
 * The item the store wrote for the first segment (in wire form), with another segment's number, name, time, ETag
 * and sequencer.
 */
function walItemLike(template: WireItem, segment: BenchSegment): WireItem {
  return {
    ...template,
    sk: S(walSk(segment.segNo, segment.name)),
    key: S(`${RETENTION_BENCH_CLUSTER.storage.prefix}wal_005/${segment.name}`),
    segNo: { N: String(segment.segNo) },
    etag: S(segment.etag),
    uploadedAt: S(segment.uploadedAt.toISOString()),
    sequencer: S(segment.sequencer),
    // Stamped as written when it was uploaded: the change index holds a past of writes, not one instant.
    changedAt: S(segment.uploadedAt.toISOString()),
  };
}

/** DynamoDB's wire form of one attribute value. */
type WireValue = Record<string, unknown>;
type WireItem = Record<string, WireValue>;

interface QueryInput {
  readonly TableName: string;
  readonly KeyConditionExpression: string;
  readonly ExpressionAttributeValues?: Record<string, { S?: string }>;
  readonly ExpressionAttributeNames?: Record<string, string>;
  readonly ProjectionExpression?: string;
  readonly ExclusiveStartKey?: { sk?: { S?: string } };
  readonly ScanIndexForward?: boolean;
  readonly Limit?: number;
  readonly IndexName?: string;
  readonly FilterExpression?: string;
}

const dynaliteDb = createRequire(import.meta.url)('dynalite/db') as {
  itemSize(item: WireItem, compress: boolean, addMetaSize: boolean, rangeKey: string): number;
};
const PAGE_BYTES = 1024 * 1024;

/** An item's place in the `changes` index: its stamp, then its table key (DynamoDB orders equal stamps so too). */
const changeKey = (changedAt: string, item: WireItem): string =>
  `${changedAt}\u0000${String(item.pk?.S ?? '')}\u0000${String(item.sk?.S ?? '')}`;

/** Index of the first sort key at or after `sk` (or after it, with `after`). */
function lowerBound(sorted: readonly string[], sk: string, after = false): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const at = sorted[middle] as string;
    if (at < sk || (after && at === sk)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * One table's items held sorted by (pk, sk), answering Query as DynamoDB does for the key conditions the single-table
 * module sends (`pk = :pk` alone, with `begins_with`, `BETWEEN`, `<=` or `>=` on `sk`): pages of at most 1 MB of
 * items (dynalite's size rule) or `Limit` items, `LastEvaluatedKey`, `ExclusiveStartKey`, either direction, and a
 * projection of top-level attributes. Anything else is refused, so a read the benchmark does not know cannot pass
 * unnoticed.
 */
class SortedTable {
  readonly #partitions = new Map<string, { sks: string[]; items: WireItem[] }>();
  /** The `changes` index: per `changesOf`, items by `changedAt` (then table key), as projected. */
  readonly #changes = new Map<string, { keys: string[]; items: WireItem[] }>();

  #indexChanges(items: readonly WireItem[]): void {
    const byOwner = new Map<string, [string, WireItem][]>();
    for (const item of items) {
      const owner = item[CHANGES_OF]?.S;
      const at = item[CHANGED_AT]?.S;
      if (typeof owner !== 'string' || typeof at !== 'string') continue;
      const projected: WireItem = {};
      for (const name of ['pk', 'sk', CHANGES_OF, CHANGED_AT, ...CHANGES_PROJECTION]) {
        if (item[name] !== undefined) projected[name] = item[name] as WireValue;
      }
      const entry: [string, WireItem] = [changeKey(at, item), projected];
      const list = byOwner.get(owner);
      if (list) list.push(entry);
      else byOwner.set(owner, [entry]);
    }
    for (const [owner, list] of byOwner) {
      const index = this.#changes.get(owner) ?? { keys: [], items: [] };
      const merged: [string, WireItem][] = index.keys.map((key, at) => [key, index.items[at] as WireItem]);
      for (const entry of list) merged.push(entry);
      if (merged.some((entry, at) => at > 0 && (merged[at - 1] as [string, WireItem])[0] >= entry[0])) {
        merged.sort((a, b) => (a[0] < b[0] ? -1 : 1));
      }
      this.#changes.set(owner, { keys: merged.map(([key]) => key), items: merged.map(([, item]) => item) });
    }
  }

  /** Stores one item (a put replaces the one with its key). */
  put(item: WireItem): void {
    const pk = item.pk?.S as string;
    const sk = item.sk?.S as string;
    const partition = this.#partitions.get(pk) ?? { sks: [], items: [] };
    this.#partitions.set(pk, partition);
    const at = lowerBound(partition.sks, sk);
    if (partition.sks[at] === sk) partition.items[at] = item;
    else {
      partition.sks.splice(at, 0, sk);
      partition.items.splice(at, 0, item);
    }
  }

  get(pk: string, sk: string): WireItem | undefined {
    const partition = this.#partitions.get(pk);
    if (partition === undefined) return undefined;
    const at = lowerBound(partition.sks, sk);
    return partition.sks[at] === sk ? partition.items[at] : undefined;
  }

  /** Forgets a partition (the benchmark's digest, between its rounds). */
  drop(pk: string): void {
    this.#partitions.delete(pk);
  }

  load(items: readonly WireItem[]): void {
    const byPk = new Map<string, WireItem[]>();
    for (const item of items) {
      const pk = item.pk?.S as string;
      const list = byPk.get(pk);
      if (list) list.push(item);
      else byPk.set(pk, [item]);
    }
    for (const [pk, list] of byPk) {
      const merged = [...(this.#partitions.get(pk)?.items ?? []), ...list];
      const skOf = (item: WireItem) => item.sk?.S as string;
      // Items mostly come in key order already: sorting 876,000 items by comparator is seconds of set-up.
      if (merged.some((item, index) => index > 0 && skOf(merged[index - 1] as WireItem) >= skOf(item)))
        merged.sort((a, b) => (skOf(a) < skOf(b) ? -1 : 1));
      this.#partitions.set(pk, { sks: merged.map((item) => item.sk?.S as string), items: merged });
    }
    this.#indexChanges(items);
  }

  /** A Query of the `changes` index: `#indexHash = :pk`, optionally `AND #indexRange >= :skFrom`. */
  #queryChanges(input: QueryInput): Record<string, unknown> {
    const names = input.ExpressionAttributeNames ?? {};
    const values = input.ExpressionAttributeValues ?? {};
    if (
      names['#indexHash'] !== CHANGES_OF ||
      input.FilterExpression !== undefined ||
      input.ScanIndexForward === false
    ) {
      throw new Error(`unknown Query of the changes index (${input.KeyConditionExpression})`);
    }
    const index = this.#changes.get(values[':pk']?.S ?? '') ?? { keys: [], items: [] };
    let from = 0;
    if (input.KeyConditionExpression === '#indexHash = :pk AND #indexRange >= :skFrom') {
      from = lowerBound(index.keys, values[':skFrom']?.S ?? '');
    } else if (input.KeyConditionExpression !== '#indexHash = :pk') {
      throw new Error(`unknown key condition ${input.KeyConditionExpression}`);
    }
    const start = input.ExclusiveStartKey as WireItem | undefined;
    if (start !== undefined) {
      from = Math.max(from, lowerBound(index.keys, changeKey(String(start[CHANGED_AT]?.S ?? ''), start), true));
    }
    const page: WireItem[] = [];
    let bytes = 0;
    let at = from;
    for (; at < index.keys.length && bytes < PAGE_BYTES; at++) {
      const item = index.items[at] as WireItem;
      page.push(item);
      bytes += dynaliteDb.itemSize(item, true, true, 'sk');
    }
    const last = page.at(-1);
    return {
      Count: page.length,
      Items: page,
      ScannedCount: page.length,
      ...(at < index.keys.length && last
        ? {
            LastEvaluatedKey: {
              pk: last.pk,
              sk: last.sk,
              [CHANGES_OF]: last[CHANGES_OF],
              [CHANGED_AT]: last[CHANGED_AT],
            },
          }
        : {}),
    };
  }

  query(input: QueryInput): Record<string, unknown> {
    if (input.IndexName === CHANGES_INDEX) return this.#queryChanges(input);
    if (input.IndexName !== undefined || input.FilterExpression !== undefined) {
      throw new Error(
        `the benchmark's table answers no index or filter Query (${input.IndexName ?? input.FilterExpression})`,
      );
    }
    const values = input.ExpressionAttributeValues ?? {};
    const text = (name: string): string => {
      const value = values[name]?.S;
      if (value === undefined) throw new Error(`Query value ${name} is not a string`);
      return value;
    };
    const condition = input.KeyConditionExpression;
    const match = /^pk = :pk(?: AND (.*))?$/.exec(condition);
    if (match === null) throw new Error(`unknown key condition ${condition}`);
    const partition = this.#partitions.get(text(':pk')) ?? { sks: [], items: [] };
    let from = 0;
    let to = partition.sks.length;
    const range = match[1];
    if (range === 'begins_with(sk, :skPrefix)') {
      const prefix = text(':skPrefix');
      from = lowerBound(partition.sks, prefix);
      to = lowerBound(partition.sks, `${prefix}\uffff`);
    } else if (range === 'sk BETWEEN :skFrom AND :skTo') {
      from = lowerBound(partition.sks, text(':skFrom'));
      to = lowerBound(partition.sks, text(':skTo'), true);
    } else if (range === 'sk <= :skTo') to = lowerBound(partition.sks, text(':skTo'), true);
    else if (range === 'sk >= :skFrom') from = lowerBound(partition.sks, text(':skFrom'));
    else if (range !== undefined) throw new Error(`unknown key condition ${condition}`);
    const forward = input.ScanIndexForward !== false;
    const start = input.ExclusiveStartKey?.sk?.S;
    if (start !== undefined) {
      if (forward) from = Math.max(from, lowerBound(partition.sks, start, true));
      else to = Math.min(to, lowerBound(partition.sks, start));
    }
    const limit = input.Limit ?? Number.POSITIVE_INFINITY;
    const page: WireItem[] = [];
    let bytes = 0;
    let more = false;
    for (let index = forward ? from : to - 1; forward ? index < to : index >= from; index += forward ? 1 : -1) {
      if (page.length >= limit || bytes >= PAGE_BYTES) {
        more = true;
        break;
      }
      const item = partition.items[index] as WireItem;
      page.push(item);
      bytes += dynaliteDb.itemSize(item, true, true, 'sk');
    }
    // DynamoDB ends a page at the limit with a LastEvaluatedKey even when nothing follows; so does dynalite.
    if (!more && (page.length >= limit || bytes >= PAGE_BYTES) && page.length > 0) more = true;
    const last = page.at(-1);
    const names = input.ExpressionAttributeNames ?? {};
    const projected = input.ProjectionExpression?.split(',').map((path) => names[path.trim()] ?? path.trim());
    const items =
      projected === undefined
        ? page
        : page.map((item) => {
            const out: WireItem = {};
            for (const name of projected) if (item[name] !== undefined) out[name] = item[name] as WireValue;
            return out;
          });
    return {
      Count: items.length,
      Items: items,
      ScannedCount: items.length,
      ...(more && last ? { LastEvaluatedKey: { pk: last.pk, sk: last.sk } } : {}),
    };
  }
}

class ConditionFailed extends Error {}

/**
 * A PutItem of a retention digest chunk, on the condition the digest store sends: written unless the stored chunk
 * came from a later read.
 */
function putDigestChunk(table: SortedTable, input: Record<string, unknown>): Record<string, unknown> {
  const item = input.Item as WireItem;
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, WireValue>;
  const pk = String(item.pk?.S ?? '');
  if (
    (pk !== digestPk(RETENTION_BENCH_CLUSTER.id) && pk !== backupDigestPk(RETENTION_BENCH_CLUSTER.id)) ||
    input.ConditionExpression !== 'attribute_not_exists(pk) OR attribute_not_exists(readAt) OR readAt <= :readAt'
  ) {
    throw new Error(
      `the benchmark's table takes PutItem of digest chunks only (${pk}, ${String(input.ConditionExpression)})`,
    );
  }
  const stored = table.get(pk, String(item.sk?.S ?? ''));
  const storedAt = stored?.readAt?.S;
  if (typeof storedAt === 'string' && storedAt > String(values[':readAt']?.S)) throw new ConditionFailed('condition');
  table.put(item);
  return {};
}

/** The UpdateItem of a retention digest head: `SET a = :a, ... ADD version :one`, perhaps on `version = :expectedVersion`. */
function updateDigestHead(table: SortedTable, input: Record<string, unknown>): Record<string, unknown> {
  const key = input.Key as WireItem;
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, WireValue>;
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const pk = String(key.pk?.S ?? '');
  const expression = String(input.UpdateExpression ?? '');
  const match = /^SET (.*) ADD version :one$/.exec(expression);
  const head =
    (pk === digestPk(RETENTION_BENCH_CLUSTER.id) && key.sk?.S === DIGEST_HEAD_SK) ||
    (pk === backupDigestPk(RETENTION_BENCH_CLUSTER.id) && key.sk?.S === BACKUP_DIGEST_HEAD_SK);
  if (!head || match === null) {
    throw new Error(`the benchmark's table takes UpdateItem of the digests' heads only (${pk}, ${expression})`);
  }
  const stored = table.get(pk, String(key.sk?.S));
  const version = Number(stored?.version?.N ?? 0);
  if (input.ConditionExpression !== undefined) {
    if (input.ConditionExpression !== 'version = :expectedVersion') {
      throw new Error(`unknown condition ${String(input.ConditionExpression)}`);
    }
    if (stored === undefined || String(version) !== values[':expectedVersion']?.N)
      throw new ConditionFailed('condition');
  }
  const item: WireItem = { ...(stored ?? {}), pk: key.pk as WireValue, sk: key.sk as WireValue };
  for (const assignment of (match[1] as string).split(', ')) {
    const [name, value] = assignment.split(' = ') as [string, string];
    item[names[name] ?? name] = values[value] as WireValue;
  }
  item.version = { N: String(version + Number(values[':one']?.N ?? 1)) };
  table.put(item);
  return { Attributes: item };
}

/** The wire form of a plain item, as the document client sends it (undefined attributes left out). */
function wireItem(item: Item): WireItem {
  return marshall(item, { removeUndefinedValues: true }) as unknown as WireItem;
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    stream.on('data', (part: Buffer) => parts.push(part));
    stream.on('end', () => resolve(Buffer.concat(parts)));
    stream.on('error', reject);
  });
}

async function main(): Promise<void> {
  const hours = Number(process.argv[2]);
  const segmentsPerHour = Number(process.argv[3]);
  if (!(hours > 0 && segmentsPerHour > 0))
    throw new Error('usage: retention-catalog-server.ts HOURS SEGMENTS_PER_HOUR');
  const started = Date.now();
  const interpret = createBackupInterpreter([RETENTION_BENCH_CLUSTER]);
  const tableName = RETENTION_BENCH_TABLE;
  const table = new SortedTable();
  const seeding = recordingCreates();
  const now = () => RETENTION_BENCH_NOW;
  const seeder = new DynamoDbCatalogStore({ client: seeding.client, tableName, interpret, now });
  // The real store writes the first backup and the first segment (and the timeline's marker); every other item is
  // the same item with its own names, times and texts: writing 960,000 items through the store (each backup's
  // sentinel interpreted on the way) would be minutes of set-up for the same table.
  const backups = retentionBenchBackups(hours);
  const firstBackup = backups.next().value as RetentionBenchBackup;
  await seeder.applyBackupChanges(retentionBenchBackupChanges(firstBackup, 0));
  const backupTemplate = wireItem(seeding.recorded.splice(0)[0] as Item);
  const items: WireItem[] = [backupTemplate];
  let n = 1;
  for (const backup of backups) items.push(backupItemLike(backupTemplate, backup, n++, interpret));
  await seeder.applyWalChanges([walChange(benchSegment(hours, segmentsPerHour, 0))]);
  const written = seeding.recorded.splice(0);
  const walTemplate = wireItem(written.find((item) => item.itemType === 'wal') as Item);
  for (const item of written) if (item.itemType !== 'wal') items.push(wireItem(item));
  let walItems = hours * segmentsPerHour;
  for (let index = 0; index < walItems; index++) {
    items.push(walItemLike(walTemplate, benchSegment(hours, segmentsPerHour, index)));
  }
  table.load(items);
  items.length = 0;
  let backupItems = hours;
  const seedMs = Date.now() - started;

  let requests = 0;
  const server = createServer((incoming, response) => {
    if (incoming.method === 'GET' && incoming.url === '/stats') {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ requests }));
      return;
    }
    const control = new URL(incoming.url ?? '/', 'http://bench');
    if (incoming.method === 'POST' && control.pathname === '/append-wal') {
      // More WAL after the last segment, as written at `changedAt` (what arrived since the last plan).
      const count = Number(control.searchParams.get('segments'));
      const changedAt = S(String(control.searchParams.get('changedAt')));
      const more: WireItem[] = [];
      for (let index = walItems; index < walItems + count; index++) {
        more.push({ ...walItemLike(walTemplate, benchSegment(hours, segmentsPerHour, index)), changedAt });
      }
      walItems += count;
      table.load(more);
      response.end(JSON.stringify({ walItems }));
      return;
    }
    if (incoming.method === 'POST' && control.pathname === '/drop-digest') {
      table.drop(digestPk(RETENTION_BENCH_CLUSTER.id));
      table.drop(backupDigestPk(RETENTION_BENCH_CLUSTER.id));
      response.end('{}');
      return;
    }
    if (incoming.method === 'POST' && control.pathname === '/append-backups') {
      // The next hours' backups, as written at `changedAt` (what arrived since the last plan).
      const count = Number(control.searchParams.get('count'));
      const changedAt = S(String(control.searchParams.get('changedAt')));
      const more: WireItem[] = [];
      for (const backup of retentionBenchBackups(hours, backupItems, backupItems + count)) {
        more.push({ ...backupItemLike(backupTemplate, backup, backupItems, interpret), changedAt });
        backupItems++;
      }
      table.load(more);
      response.end(JSON.stringify({ backupItems }));
      return;
    }
    readBody(incoming)
      .then((body) => {
        requests++;
        const target = String(incoming.headers['x-amz-target'] ?? '');
        const input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        let result: Record<string, unknown>;
        if (target.endsWith('.Query')) result = table.query(input as unknown as QueryInput);
        else if (target.endsWith('.PutItem')) result = putDigestChunk(table, input);
        else if (target.endsWith('.UpdateItem')) result = updateDigestHead(table, input);
        else throw new Error(`the benchmark's table answers Query and the digest's writes only, not ${target}`);
        const answer = Buffer.from(JSON.stringify(result));
        response.writeHead(200, {
          'content-type': 'application/x-amz-json-1.0',
          'content-length': answer.length,
          'x-amzn-requestid': `bench-${requests}`,
        });
        response.end(answer);
      })
      .catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        const type =
          error instanceof ConditionFailed
            ? 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException'
            : 'com.amazon.coral.validate#ValidationException';
        const answer = JSON.stringify({ __type: type, message });
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(answer);
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server did not report a TCP port');
  process.stdout.write(
    `${JSON.stringify({ endpoint: `http://127.0.0.1:${address.port}`, tableName, walItems, backupItems, seedMs })}\n`,
  );
  process.stdin.resume();
  process.stdin.on('end', () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
