import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupSk, clusterPk } from '../../../lib/adapters/dynamodb/catalog-keys.ts';
import { DynamoDbCatalogStore } from '../../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import {
  decodeStoredInterpretation,
  encodeStoredInterpretation,
} from '../../../lib/adapters/dynamodb/stored-interpretation.ts';
import { readBaseBackup } from '../../../lib/domain/backup/read-base-backup.ts';
import { createBackupInterpreter } from '../../../lib/domain/catalog/backup-interpreter.ts';
import type { BackupChange, BackupInterpreter } from '../../../lib/domain/catalog/catalog-change.ts';
import type { BackupRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import type { ClusterConfig, ClusterId } from '../../../lib/domain/cluster.ts';
import { DEFAULT_WAL_SEGMENT_SIZE } from '../../../lib/domain/wal/segment-size.ts';
import { type DynaliteHandle, startDynalite } from '../../support/dynalite.ts';

const cluster = 'orders-main' as ClusterId;
const CLUSTER: ClusterConfig = {
  id: cluster,
  storage: { bucket: 'pg-backups', prefix: 'orders-main/' },
  layout: 'wal-g',
  walSegmentSize: DEFAULT_WAL_SEGMENT_SIZE,
  retention: {
    keepLast: 2,
    keepDaily: 7,
    keepWeekly: 4,
    keepMonthly: 12,
    keepYearly: 3,
    pitrWindowMs: 0,
    timezone: 'UTC',
    incompleteGraceMs: 3_600_000,
    applyGraceMs: 3_600_000,
  },
  alerts: { archiveLagMaxMs: 600_000, backupMaxAgeMs: 93_600_000, uploadGraceMs: 300_000 },
};
const SEGMENT = Number(DEFAULT_WAL_SEGMENT_SIZE);

/** The interpreter as walcat builds it, counting its calls. */
function countingInterpreter(config: ClusterConfig): { interpret: BackupInterpreter; calls: () => number } {
  const real = createBackupInterpreter([config]);
  let calls = 0;
  const interpret: BackupInterpreter = Object.assign(
    (...args: Parameters<BackupInterpreter>) => {
      calls++;
      return real(...args);
    },
    { basisOf: real.basisOf },
  );
  return { interpret, calls: () => calls };
}

/** The same interpreter without a basis: every read interprets the texts, as before interpretations were kept. */
function rereading(config: ClusterConfig): BackupInterpreter {
  const real = createBackupInterpreter([config]);
  return (...args) => real(...args);
}

/** Records with their key order, bigints and Dates spelled out: equal only when the two reads built the same thing. */
const exactly = (records: readonly BackupRecord[]): string =>
  JSON.stringify(records, function spell(this: Record<string, unknown>, key, value: unknown) {
    const raw = this[key];
    if (typeof raw === 'bigint') return `bigint:${raw}`;
    if (raw instanceof Date) return `date:${raw.getTime()}`;
    return value;
  });

const nameOf = (index: number): string =>
  `base_00000001${index.toString(16).toUpperCase().padStart(8, '0')}${(index * 3).toString(16).toUpperCase().padStart(8, '0')}`;

const userData = fc.oneof(
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
  fc.constant({ big: '__BIG__' }),
  fc.constant({ nested: ['__BIG__', 1.5, -0] }),
);

/** WAL-G's two documents of a backup, well formed or not, with the numbers and times that make them differ. */
const documents = fc.record({
  startLsn: fc.integer({ min: 0, max: 2 ** 40 }),
  length: fc.integer({ min: 0, max: 3 * SEGMENT }),
  start: fc.integer({ min: 1_600_000_000, max: 1_900_000_000 }),
  duration: fc.integer({ min: -60, max: 7_200 }),
  permanent: fc.boolean(),
  sentinelPermanent: fc.option(fc.boolean(), { nil: undefined }),
  systemIdentifier: fc.bigInt({ min: 1n, max: 2n ** 63n }),
  userData,
  delta: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
  malformed: fc.constantFrom('none', 'none', 'none', 'sentinel-json', 'metadata-type', 'no-finish'),
  withMetadata: fc.boolean(),
});
type Documents = typeof documents extends fc.Arbitrary<infer T> ? T : never;

function sentinelText(doc: Documents): string {
  if (doc.malformed === 'sentinel-json') return '{"LSN": 12,';
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
  const fields: string[] = [`"LSN":${doc.startLsn}`];
  if (doc.malformed !== 'no-finish') fields.push(`"FinishLSN":${doc.startLsn + doc.length}`, '"Version":2');
  fields.push(`"SystemIdentifier":${doc.systemIdentifier}`, `"StartTime":"${iso(doc.start)}"`);
  fields.push(`"FinishTime":"${iso(doc.start + doc.duration)}"`, '"Hostname":"pg-1"', '"PgVersion":150010');
  if (doc.sentinelPermanent !== undefined) fields.push(`"IsPermanent":${doc.sentinelPermanent}`);
  if (doc.delta !== undefined) {
    fields.push(`"DeltaFrom":"${nameOf(doc.delta)}"`, `"DeltaFullName":"${nameOf(0)}"`, '"DeltaCount":1');
    fields.push(`"DeltaLSN":${doc.startLsn}`);
  }
  return `{${fields.join(',')}}`;
}

function metadataText(doc: Documents): string {
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
  const user = JSON.stringify(doc.userData).replaceAll('"__BIG__"', '123456789012345678901234567890');
  return `{"start_time":"${iso(doc.start)}","finish_time":"${iso(doc.start + doc.duration)}","hostname":"pg-1","data_dir":"/var/lib/pg","pg_version":150010,"start_lsn":${doc.startLsn},"finish_lsn":${doc.startLsn + doc.length},"is_permanent":${doc.malformed === 'metadata-type' ? '"yes"' : doc.permanent},"system_identifier":${doc.systemIdentifier},"uncompressed_size":${doc.length},"compressed_size":${Math.floor(doc.length / 3)},"user_data":${user}}`;
}

/** Events of one backup's sentinel and metadata.json (some removals), in sequencer order. */
const backupEvents = fc
  .record({
    index: fc.integer({ min: 1, max: 6 }),
    versions: fc.array(documents, { minLength: 1, maxLength: 3 }),
    removeSentinel: fc.boolean(),
  })
  .map(({ index, versions, removeSentinel }) => {
    const name = nameOf(index);
    const folder = `orders-main/basebackups_005/${name}`;
    const changes: BackupChange[] = [];
    let sequence = 0;
    const observe = (source: 'sentinel' | 'metadata', text: string | undefined): void => {
      sequence++;
      changes.push({
        type: 'source-observed',
        origin: 'event',
        cluster,
        name,
        source,
        observation: {
          key: source === 'sentinel' ? `${folder}_backup_stop_sentinel.json` : `${folder}/metadata.json`,
          sequencer: `${index.toString(16).padStart(4, '0')}${sequence.toString(16).padStart(12, '0')}`,
          present: text !== undefined,
          ...(text === undefined ? {} : { text, etag: `etag-${sequence}` }),
          observedAt: new Date(Date.UTC(2026, 10, 20, 12, 0, sequence)),
        },
      });
    };
    for (const version of versions) {
      if (version.withMetadata) observe('metadata', metadataText(version));
      observe('sentinel', sentinelText(version));
    }
    if (removeSentinel) observe('sentinel', undefined);
    return changes;
  });

/** One well-formed backup, for the examples. */
const doc: Documents = {
  startLsn: 5 * SEGMENT + 40,
  length: SEGMENT,
  start: 1_790_000_000,
  duration: 600,
  permanent: false,
  sentinelPermanent: undefined,
  systemIdentifier: 7321456789012345678n,
  userData: null,
  delta: undefined,
  malformed: 'none',
  withMetadata: true,
};
const name = nameOf(1);
const folder = `orders-main/basebackups_005/${name}`;
const source = (which: 'sentinel' | 'metadata', text: string, sequencer: string): BackupChange => ({
  type: 'source-observed',
  origin: 'event',
  cluster,
  name,
  source: which,
  observation: {
    key: which === 'sentinel' ? `${folder}_backup_stop_sentinel.json` : `${folder}/metadata.json`,
    sequencer,
    present: true,
    text,
    observedAt: new Date('2026-11-20T12:00:00Z'),
  },
});

let ddb: DynaliteHandle;
let tables = 0;
beforeAll(async () => {
  ddb = await startDynalite();
});
afterAll(() => ddb.close());

async function storesOnOneTable(
  written: BackupInterpreter,
  read: BackupInterpreter,
): Promise<{ writer: DynamoDbCatalogStore; reader: DynamoDbCatalogStore; tableName: string }> {
  const tableName = `interpretation-${++tables}`;
  const writer = new DynamoDbCatalogStore({ client: ddb.client, tableName, interpret: written });
  await writer.ensureTable();
  const reader = new DynamoDbCatalogStore({ client: ddb.client, tableName, interpret: read });
  return { writer, reader, tableName };
}

describe('backup interpretations kept in the catalog item', () => {
  it('read back exactly the records that interpreting the texts again gives, without interpreting them', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(backupEvents, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 4 }),
        async (events, batches) => {
          const counting = countingInterpreter(CLUSTER);
          const { writer, reader } = await storesOnOneTable(counting.interpret, rereading(CLUSTER));
          const changes = events.flat();
          const size = Math.ceil(changes.length / batches);
          for (let from = 0; from < changes.length; from += size) {
            await writer.applyBackupChanges(changes.slice(from, from + size));
          }
          const before = counting.calls();
          const kept = await writer.listBackups(cluster);
          const interpretedOnRead = counting.calls() - before;
          const reinterpreted = await reader.listBackups(cluster);
          expect(exactly(kept)).toBe(exactly(reinterpreted));
          expect(kept).toStrictEqual(reinterpreted);
          // Only sources that read into no backup (or into one the encoding cannot hold exactly) are parsed again.
          const basis = counting.interpret.basisOf?.(cluster) ?? '';
          const unkept = kept.filter(
            (record) =>
              record.sentinel?.present === true &&
              (record.backup === undefined ||
                encodeStoredInterpretation(record.backup, record.name, basis, { sentinel: 0, metadata: 0 }) ===
                  undefined),
          ).length;
          expect(interpretedOnRead).toBeLessThanOrEqual(unkept);
        },
      ),
      { numRuns: 25 },
    );
  }, 300_000);

  it('interprets the texts again when a source changed behind the interpretation (a racing or older writer)', async () => {
    const counting = countingInterpreter(CLUSTER);
    const { writer, tableName } = await storesOnOneTable(counting.interpret, rereading(CLUSTER));
    await writer.applyBackupChanges([
      source('metadata', metadataText(doc), '01'),
      source('sentinel', sentinelText(doc), '02'),
    ]);
    expect((await writer.getBackup(cluster, name))?.backup?.permanent).toBe(false);
    // What a writer that raced this one (or one that keeps no interpretation) can leave: a newer metadata.json with
    // its revision raised, and the interpretation of the older one still beside it.
    const permanent = metadataText({ ...doc, permanent: true });
    await ddb.client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: clusterPk(cluster), sk: backupSk(name) },
        UpdateExpression: 'SET #m.#t = :text, #r = #r + :one',
        ExpressionAttributeNames: { '#m': 'metadata', '#t': 'text', '#r': 'rev_metadata' },
        ExpressionAttributeValues: { ':text': permanent, ':one': 1 },
      }),
    );
    const [record] = await writer.listBackups(cluster);
    expect(record?.metadata?.text).toBe(permanent);
    expect(record?.backup?.permanent).toBe(true);
  }, 60_000);

  it('interprets the texts again under another basis (the cluster moved to another segment size)', async () => {
    const written = countingInterpreter(CLUSTER);
    const bigger: ClusterConfig = { ...CLUSTER, walSegmentSize: (SEGMENT * 4) as ClusterConfig['walSegmentSize'] };
    const { writer, tableName } = await storesOnOneTable(written.interpret, rereading(bigger));
    await writer.applyBackupChanges([
      source('metadata', metadataText(doc), '01'),
      source('sentinel', sentinelText(doc), '02'),
    ]);
    const before = await writer.listBackups(cluster);
    const now = new DynamoDbCatalogStore({
      client: ddb.client,
      tableName,
      interpret: countingInterpreter(bigger).interpret,
    });
    const again = new DynamoDbCatalogStore({ client: ddb.client, tableName, interpret: rereading(bigger) });
    expect(exactly(await now.listBackups(cluster))).not.toBe(exactly(before));
    expect(exactly(await now.listBackups(cluster))).toBe(exactly(await again.listBackups(cluster)));
  }, 60_000);
});

describe('the stored interpretation text', () => {
  it('gives back exactly the backup it was made from, or nothing', () => {
    fc.assert(
      fc.property(documents, fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 }), (doc, s, m) => {
        const name = nameOf(3);
        let backup: ReturnType<typeof readBaseBackup>;
        try {
          backup = readBaseBackup({
            name,
            layout: 'wal-g',
            walSegmentSize: DEFAULT_WAL_SEGMENT_SIZE,
            sentinelKey: `${name}_backup_stop_sentinel.json`,
            sentinelText: sentinelText(doc),
            ...(doc.withMetadata ? { metadataKey: `${name}/metadata.json`, metadataText: metadataText(doc) } : {}),
          });
        } catch {
          return;
        }
        const revisions = { sentinel: s, metadata: m };
        const text = encodeStoredInterpretation(backup, name, '1:wal-g:16777216', revisions);
        if (text === undefined) return;
        const decoded = decodeStoredInterpretation(text, name, '1:wal-g:16777216', revisions);
        expect(decoded).toStrictEqual(backup);
        expect(Object.keys(decoded ?? {})).toEqual(Object.keys(backup));
        expect(decodeStoredInterpretation(text, name, '2:wal-g:16777216', revisions)).toBeUndefined();
        expect(decodeStoredInterpretation(text, name, '1:wal-g:16777216', { sentinel: s + 1, metadata: m })).toBe(
          undefined,
        );
        expect(decodeStoredInterpretation(text, name, '1:wal-g:16777216', { sentinel: s, metadata: m + 1 })).toBe(
          undefined,
        );
      }),
      { numRuns: 300 },
    );
  });
});
