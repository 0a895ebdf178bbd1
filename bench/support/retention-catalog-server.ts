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
import { backupSk, walSk } from '../../lib/adapters/dynamodb/catalog-keys.ts';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { encodeStoredInterpretation } from '../../lib/adapters/dynamodb/stored-interpretation.ts';
import { createBackupInterpreter } from '../../lib/domain/catalog/backup-interpreter.ts';
import type { BackupChange, BackupInterpreter, WalObjectChange } from '../../lib/domain/catalog/catalog-change.ts';
import { timelineId } from '../../lib/domain/wal/timeline.ts';
import { type SegmentNumber, segmentNumber, walFileName } from '../../lib/domain/wal/wal-segment.ts';
import {
  RETENTION_BENCH_CLUSTER,
  RETENTION_BENCH_NOW,
  RETENTION_BENCH_TABLE,
  type RetentionBenchBackup,
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

const sequencer = (n: number): string => n.toString(16).toUpperCase().padStart(16, '0');

/** The two events of a backup (metadata.json, then its sentinel), with sequencers 2n+1 and 2n+2. */
function backupChanges(backup: RetentionBenchBackup, n: number): BackupChange[] {
  return (
    [
      ['metadata', backup.metadataKey, backup.metadata, 2 * n + 1],
      ['sentinel', backup.sentinelKey, backup.sentinel, 2 * n + 2],
    ] as const
  ).map(([source, key, text, number]) => ({
    type: 'source-observed',
    origin: 'event',
    cluster: RETENTION_BENCH_CLUSTER.id,
    name: backup.name,
    source,
    observation: {
      key,
      sequencer: sequencer(number),
      present: true,
      etag: `etag-${number}`,
      text,
      observedAt: backup.finishTime,
    },
  }));
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
      sequencer: S(sequencer(number)),
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
    sequencer: sequencer(index + 1),
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
  }

  query(input: QueryInput): Record<string, unknown> {
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
  await seeder.applyBackupChanges(backupChanges(firstBackup, 0));
  const backupTemplate = wireItem(seeding.recorded.splice(0)[0] as Item);
  const items: WireItem[] = [backupTemplate];
  let n = 1;
  for (const backup of backups) items.push(backupItemLike(backupTemplate, backup, n++, interpret));
  await seeder.applyWalChanges([walChange(benchSegment(hours, segmentsPerHour, 0))]);
  const written = seeding.recorded.splice(0);
  const walTemplate = wireItem(written.find((item) => item.itemType === 'wal') as Item);
  for (const item of written) items.push(wireItem(item));
  const walItems = hours * segmentsPerHour;
  for (let index = 1; index < walItems; index++) {
    items.push(walItemLike(walTemplate, benchSegment(hours, segmentsPerHour, index)));
  }
  table.load(items);
  items.length = 0;
  const backupItems = hours;
  const seedMs = Date.now() - started;

  let requests = 0;
  const server = createServer((incoming, response) => {
    if (incoming.method === 'GET' && incoming.url === '/stats') {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ requests }));
      return;
    }
    readBody(incoming)
      .then((body) => {
        requests++;
        const target = String(incoming.headers['x-amz-target'] ?? '');
        if (!target.endsWith('.Query')) throw new Error(`the benchmark's table answers Query only, not ${target}`);
        const answer = Buffer.from(JSON.stringify(table.query(JSON.parse(body.toString('utf8')) as QueryInput)));
        response.writeHead(200, {
          'content-type': 'application/x-amz-json-1.0',
          'content-length': answer.length,
          'x-amzn-requestid': `bench-${requests}`,
        });
        response.end(answer);
      })
      .catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        const answer = JSON.stringify({ __type: 'com.amazon.coral.validate#ValidationException', message });
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
