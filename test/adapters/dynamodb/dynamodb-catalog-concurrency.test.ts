/**
 * Concurrent writers of one catalog: each writer has its own DynamoDB client (as separate Lambda invocations have),
 * and its reads return before the other writer's writes land. Whatever the interleaving, the stored state must be
 * the pure reducer's state for the same events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCatalogStore } from '../../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import type { BackupChange, BackupInterpreter, WalObjectChange } from '../../../lib/domain/catalog/catalog-change.ts';
import type { WalObjectRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import type { ClusterId } from '../../../lib/domain/cluster.ts';
import { lsnFromInteger } from '../../../lib/domain/wal/lsn.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber } from '../../../lib/domain/wal/wal-segment.ts';
import { type DynaliteHandle, startDynalite } from '../../support/dynalite.ts';
import { type JitterOptions, jitteryDocumentClient } from '../../support/jittery-dynamodb.ts';

const cluster = 'orders-main' as ClusterId;
const at = (second: number) => new Date(Date.UTC(2026, 10, 20, 12, 0, second));
const interpret: BackupInterpreter = (_c, name, _sentinel, metadata) => ({
  backup: {
    name,
    kind: 'full',
    timeline: timelineId(1),
    startLsn: lsnFromInteger(0),
    finishLsn: lsnFromInteger(16),
    startSegment: { timeline: timelineId(1), segNo: segmentNumber(1) },
    permanent: metadata?.text === 'permanent',
  },
});

let ddb: DynaliteHandle;
let tables = 0;
beforeAll(async () => {
  ddb = await startDynalite();
});
afterAll(() => ddb.close());

/** Two stores on one new table, each with its own client: reads answer at once, writes wait `writeDelayMs`. */
async function twoWriters(jitter: JitterOptions): Promise<[DynamoDbCatalogStore, DynamoDbCatalogStore]> {
  const tableName = `concurrent-${++tables}`;
  const make = () =>
    new DynamoDbCatalogStore({ client: jitteryDocumentClient(ddb.endpoint, jitter), tableName, interpret });
  const first = make();
  await first.ensureTable();
  return [first, make()];
}

const WRITES_WAIT = { delayMs: { BatchWrite: 40, Put: 40, Update: 40 } };

const segment = (sequence: number, present: boolean): WalObjectChange => ({
  origin: 'event',
  record: {
    cluster,
    key: 'orders-main/wal_005/0000000100000000000000A3.br',
    kind: 'segment',
    timeline: timelineId(1),
    segNo: segmentNumber(0xa3),
    compression: 'brotli',
    size: present ? 16 : 0,
    ...(present ? { etag: `e${sequence}` } : {}),
    uploadedAt: at(sequence),
    sequencer: `00000000000000000${sequence}`,
    deleted: !present,
    ...(present ? {} : { deletedAt: at(sequence) }),
  },
});

const source = (name: string, kind: 'sentinel' | 'metadata', text: string): BackupChange => ({
  type: 'source-observed',
  origin: 'event',
  cluster,
  name,
  source: kind,
  observation: { key: `${name}/${kind}`, present: true, text, etag: kind, sequencer: '0001', observedAt: at(5) },
});

async function storedSegment(store: DynamoDbCatalogStore): Promise<WalObjectRecord | undefined> {
  for await (const record of store.listWalObjects(cluster, timelineId(1), {}, { includeDeleted: true })) return record;
  return undefined;
}

describe('concurrent catalog writers against dynalite', () => {
  it('keeps the newer event of a new key when an older one is written by another invocation at the same time', async () => {
    const [a, b] = await twoWriters(WRITES_WAIT);
    // The removal (newer) and the creation (older) of one segment, handled by two invocations at once.
    await Promise.all([a.applyWalChanges([segment(2, false)]), b.applyWalChanges([segment(1, true)])]);
    expect(await storedSegment(a)).toMatchObject({ deleted: true, sequencer: '000000000000000002' });
  });

  it('keeps the newer event of a key that already exists', async () => {
    const [a, b] = await twoWriters(WRITES_WAIT);
    await a.applyWalChanges([segment(1, true)]);
    await Promise.all([a.applyWalChanges([segment(3, false)]), b.applyWalChanges([segment(2, true)])]);
    expect(await storedSegment(a)).toMatchObject({ deleted: true, sequencer: '000000000000000003' });
  });

  it('keeps both the sentinel and the metadata.json of a backup observed by two invocations at once', async () => {
    for (let run = 0; run < 5; run++) {
      const [a, b] = await twoWriters(WRITES_WAIT);
      const name = `base_00000001000000000000000${run}`;
      await Promise.all([
        a.applyBackupChanges([source(name, 'sentinel', 'ok')]),
        b.applyBackupChanges([source(name, 'metadata', 'permanent')]),
      ]);
      const record = await a.getBackup(cluster, name);
      expect(record).toMatchObject({ status: 'complete', backup: { permanent: true } });
      expect(record?.sentinel?.present).toBe(true);
      expect(record?.metadata?.present).toBe(true);
    }
  });
});
