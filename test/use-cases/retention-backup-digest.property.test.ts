/**
 * Retention's backup digest kept in the catalog table (dynalite, the real DynamoDB store and its change index):
 * after any sequence of backup arrivals, rewrites, removals, expiries and plans, some of them at once, the backups a
 * plan reads from the digest are the catalog's backups as retention reads them, and so are those it leaves stored;
 * a damaged digest is rebuilt from the catalog instead of being read.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import {
  backupDigestChunkSk,
  backupDigestPk,
} from '../../lib/adapters/dynamodb/dynamodb-retention-backup-digest-store.ts';
import { createBackupInterpreter } from '../../lib/domain/catalog/backup-interpreter.ts';
import type { BackupChange } from '../../lib/domain/catalog/catalog-change.ts';
import type { BackupRecord } from '../../lib/domain/catalog/catalog-records.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import { recordFromBackupDigestEntry } from '../../lib/domain/retention/backup-digest.ts';
import { timelineId } from '../../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../../lib/domain/wal/wal-segment.ts';
import { retentionBackups } from '../../lib/use-cases/retention-backup-digest.ts';
import { type CatalogTableFixture, startCatalogTable } from '../support/catalog-table.ts';
import { testConfig } from './catalog-test-setup.ts';

const cluster = testConfig().clusters[0] as ClusterConfig;
const START = Date.parse('2026-12-01T00:00:00Z');
const MINUTE = 60_000;
/** Small chunks, so a few dozen backups are split, re-split and spread over several chunks. */
const CHUNK_TARGET = 3;
/** The names the steps pick from: each is written, rewritten, removed and expired in turn. */
const NAMES = 24;

let table: CatalogTableFixture;
beforeAll(async () => {
  table = await startCatalogTable();
});
afterAll(async () => {
  await table?.close();
});

async function newCatalog(clock: { now: number }): Promise<{ catalog: DynamoDbCatalogStore; tableName: string }> {
  const tableName = await table.newTable();
  const catalog = new DynamoDbCatalogStore({
    client: table.client,
    tableName,
    interpret: createBackupInterpreter([cluster]),
    now: () => new Date(clock.now),
  });
  return { catalog, tableName };
}

const nameOf = (index: number): string =>
  `base_${walFileName({ timeline: timelineId(1), segNo: segmentNumber(0x10 + 4 * index) }, cluster.walSegmentSize)}`;

/** A WAL-G sentinel of backup `index`, or (unreadable) one whose LSN is not a number. */
function sentinelText(index: number, unreadable: boolean, permanent: boolean): string {
  const size = cluster.walSegmentSize;
  const start = (0x10 + 4 * index) * size + 40;
  const finish = start + size;
  const at = new Date(START + index * 3_600_000).toISOString();
  return unreadable
    ? `{"LSN":"bad","DeltaFrom":"${nameOf(Math.max(0, index - 1))}"}`
    : `{"LSN":${start},"FinishLSN":${finish},"PgVersion":150010,"SystemIdentifier":7321456789012345678,"CompressedSize":1024,"StartTime":"${at}","FinishTime":"${at}","IsPermanent":${permanent}}`;
}

type Step =
  | { readonly kind: 'sentinel'; readonly picks: number[]; readonly unreadable: boolean; readonly permanent: boolean }
  | { readonly kind: 'remove'; readonly picks: number[] }
  | { readonly kind: 'payload'; readonly picks: number[] }
  | { readonly kind: 'expire'; readonly picks: number[] }
  | { readonly kind: 'plan'; readonly together: 1 | 2; readonly quietMinutes: number }
  | { readonly kind: 'wait'; readonly minutes: number };

const picks = fc.array(fc.nat({ max: NAMES - 1 }), { minLength: 1, maxLength: 8 });
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('sentinel' as const),
      picks,
      unreadable: fc.integer({ min: 0, max: 5 }).map((value) => value === 0),
      permanent: fc.integer({ min: 0, max: 5 }).map((value) => value === 0),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), picks }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('payload' as const), picks }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const), picks }) },
  {
    weight: 2,
    // Often after a quiet spell longer than the change read's overlap: the next update must then find every later
    // change in the index.
    arbitrary: fc.record({
      kind: fc.constant('plan' as const),
      together: fc.constantFrom(1 as const, 2 as const),
      quietMinutes: fc.constantFrom(0, 10),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), minutes: fc.integer({ min: 5, max: 90 }) }) },
);

/** What retention reads of a record (what the digest keeps). */
function retentionView(record: BackupRecord): unknown {
  const { metadata: _metadata, payload: _payload, sentinel, ...rest } = record;
  const text = sentinel?.present && record.backup === undefined ? sentinel.text : undefined;
  return {
    ...rest,
    ...(sentinel ? { sentinel: { key: sentinel.key, present: sentinel.present, ...(text ? { text } : {}) } } : {}),
  };
}
const views = (records: readonly BackupRecord[]) => records.map(retentionView);

describe('the backups a retention plan reads from its digest', () => {
  it('are, at every plan and afterwards, the catalog backups as retention reads them', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const clock = { now: START };
        const { catalog } = await newCatalog(clock);
        let sequencer = 1;
        const observe = (index: number, present: boolean, text: string): BackupChange => ({
          type: 'source-observed',
          origin: 'event',
          cluster: cluster.id,
          name: nameOf(index),
          source: 'sentinel',
          observation: {
            key: `orders-main/basebackups_005/${nameOf(index)}_backup_stop_sentinel.json`,
            sequencer: (sequencer++).toString(16).padStart(16, '0'),
            present,
            ...(present ? { text } : {}),
            observedAt: new Date(clock.now),
          },
        });
        for (const next of [...steps, { kind: 'plan', together: 1, quietMinutes: 0 } as const]) {
          clock.now += MINUTE;
          const at = new Date(clock.now);
          const unique = 'picks' in next ? [...new Set(next.picks)] : [];
          if (next.kind === 'wait') clock.now += next.minutes * MINUTE;
          else if (next.kind === 'sentinel') {
            await catalog.applyBackupChanges(
              unique.map((index) => observe(index, true, sentinelText(index, next.unreadable, next.permanent))),
            );
          } else if (next.kind === 'remove') {
            await catalog.applyBackupChanges(unique.map((index) => observe(index, false, '')));
          } else if (next.kind === 'payload') {
            await catalog.applyBackupChanges(
              unique.map((index) => ({
                type: 'payload-seen',
                cluster: cluster.id,
                name: nameOf(index),
                observedAt: at,
              })),
            );
          } else if (next.kind === 'expire') {
            await catalog.applyBackupChanges(
              unique.map((index) => ({ type: 'expired', cluster: cluster.id, name: nameOf(index), expiredAt: at })),
            );
          } else {
            clock.now += next.quietMinutes * MINUTE;
            const expected = views(await catalog.listBackups(cluster.id));
            const read = await Promise.all(
              Array.from({ length: next.together }, () =>
                retentionBackups(catalog, cluster, new Date(clock.now), { chunkTarget: CHUNK_TARGET }),
              ),
            );
            for (const backups of read) {
              expect(backups.refresh).toBeDefined();
              expect(views(backups.records)).toEqual(expected);
            }
          }
        }
        // What is left stored, read by the next plan with nothing new: still the catalog's, and only updated.
        clock.now += MINUTE;
        const expected = views(await catalog.listBackups(cluster.id));
        const next = await retentionBackups(catalog, cluster, new Date(clock.now), { chunkTarget: CHUNK_TARGET });
        expect(next.refresh?.mode).toBe('updated');
        expect(views(next.records)).toEqual(expected);
        const stored = await catalog.retentionBackupDigest.read(cluster.id);
        const inChunks = stored.chunks
          .flatMap((chunk) => chunk.entries)
          .map((entry) => recordFromBackupDigestEntry(entry, cluster))
          .filter((record) => record !== undefined);
        // Stored chunks may overlap after concurrent splits; each name's own range holds it (the domain's tests).
        const names = new Set(inChunks.map((record) => record.name));
        expect([...names].sort()).toEqual((await catalog.listBackups(cluster.id)).map((record) => record.name).sort());
      }),
      { numRuns: 25 },
    );
  }, 300_000);

  it('reads again only the chunk a changed backup falls in, and plans from the rest as stored', async () => {
    const clock = { now: START };
    const { catalog } = await newCatalog(clock);
    await catalog.applyBackupChanges(
      Array.from({ length: 20 }, (_, index) => ({
        type: 'source-observed' as const,
        origin: 'event' as const,
        cluster: cluster.id,
        name: nameOf(index),
        source: 'sentinel' as const,
        observation: {
          key: `orders-main/basebackups_005/${nameOf(index)}_backup_stop_sentinel.json`,
          sequencer: (index + 1).toString(16).padStart(16, '0'),
          present: true,
          text: sentinelText(index, false, false),
          observedAt: new Date(clock.now),
        },
      })),
    );
    clock.now += 10 * MINUTE;
    const first = await retentionBackups(catalog, cluster, new Date(clock.now), { chunkTarget: CHUNK_TARGET });
    expect(first.refresh).toMatchObject({ mode: 'built', backupsRead: 20, chunksWritten: 7 });
    clock.now += 60 * MINUTE;
    await catalog.applyBackupChanges([
      { type: 'expired', cluster: cluster.id, name: nameOf(19), expiredAt: new Date(clock.now) },
    ]);
    clock.now += 10 * MINUTE;
    const second = await retentionBackups(catalog, cluster, new Date(clock.now), { chunkTarget: CHUNK_TARGET });
    // The last chunk holds backups 18 and 19: the one change, that chunk read again, nothing else.
    expect(second.refresh).toEqual({
      mode: 'updated',
      changesRead: 1,
      chunksReread: 1,
      backupsRead: 2,
      chunksWritten: 1,
    });
    expect(second.records.find((record) => record.name === nameOf(19))?.expiredAt).toEqual(
      new Date(clock.now - 10 * MINUTE),
    );
    expect(views(second.records)).toEqual(views(await catalog.listBackups(cluster.id)));
  }, 60_000);

  it('rebuilds a digest with a damaged chunk from the catalog instead of reading it', async () => {
    const clock = { now: START };
    const { catalog, tableName } = await newCatalog(clock);
    await catalog.applyBackupChanges([
      {
        type: 'source-observed',
        origin: 'event',
        cluster: cluster.id,
        name: nameOf(0),
        source: 'sentinel',
        observation: {
          key: `orders-main/basebackups_005/${nameOf(0)}_backup_stop_sentinel.json`,
          sequencer: '0000000000000001',
          present: true,
          text: sentinelText(0, false, false),
          observedAt: new Date(clock.now),
        },
      },
    ]);
    clock.now += MINUTE;
    await retentionBackups(catalog, cluster, new Date(clock.now));
    await table.client.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: backupDigestPk(cluster.id),
          sk: backupDigestChunkSk(''),
          data: new Uint8Array([1, 2, 3]),
          count: 1,
          readAt: new Date(clock.now).toISOString(),
        },
      }),
    );
    clock.now += 2 * MINUTE;
    const next = await retentionBackups(catalog, cluster, new Date(clock.now));
    expect(next.refresh).toMatchObject({ mode: 'built', backupsRead: 1 });
    expect(next.refresh?.mode === 'built' && next.refresh.reason).toMatch(
      /unreadable backup digest items: CHUNK#: its data is not compressed JSON/,
    );
    expect(views(next.records)).toEqual(views(await catalog.listBackups(cluster.id)));
  }, 60_000);
});
