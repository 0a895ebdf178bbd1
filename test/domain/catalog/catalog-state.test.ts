import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BaseBackup } from '../../../lib/domain/backup/base-backup.ts';
import type { BackupInterpreter } from '../../../lib/domain/catalog/catalog-change.ts';
import type { BackupRecord, BackupSourceObject, WalObjectRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import {
  applyEventsToCatalogState,
  type CatalogChange,
  type CatalogState,
  EMPTY_CATALOG_STATE,
} from '../../../lib/domain/catalog/catalog-state.ts';
import type { ClusterId } from '../../../lib/domain/cluster.ts';
import { lsnFromInteger } from '../../../lib/domain/wal/lsn.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber } from '../../../lib/domain/wal/wal-segment.ts';

const cluster = 'orders-main' as ClusterId;
const at = (seconds: number): Date => new Date(Date.UTC(2026, 10, 20, 12, 0, seconds));

/** Sentinel text `bad` is malformed; metadata text `permanent` marks the backup permanent. */
const interpret: BackupInterpreter = (_cluster, name, sentinel, metadata) => {
  if (sentinel.text === 'bad') return { problem: `sentinel of ${name} is malformed` };
  const backup: BaseBackup = {
    name,
    kind: 'full',
    timeline: timelineId(1),
    startLsn: lsnFromInteger(0),
    finishLsn: lsnFromInteger(16),
    startSegment: { timeline: timelineId(1), segNo: segmentNumber(1) },
    permanent: metadata?.text === 'permanent',
  };
  return { backup };
};

/** A sequencer for step `n` of one key; extra trailing zeros never change its order (right-padding rule). */
const sequencer = (n: number, trailingZeros: number): string =>
  n.toString(16).toUpperCase().padStart(16, '0') + '0'.repeat(trailingZeros);

/** The full history of one WAL key: alternating create/remove with increasing sequencers. */
const walKeyHistory = (key: string, steps: readonly { present: boolean; size: number; pad: number }[]) =>
  steps.map(
    (step, index): CatalogChange => ({
      type: 'wal',
      change: {
        origin: 'event',
        record: {
          cluster,
          key,
          kind: 'segment',
          timeline: timelineId(1),
          segNo: segmentNumber(1),
          size: step.present ? step.size : 0,
          ...(step.present ? { etag: `etag-${index}` } : {}),
          uploadedAt: at(index),
          sequencer: sequencer(index + 1, step.pad),
          deleted: !step.present,
          ...(step.present ? {} : { deletedAt: at(index) }),
        },
      },
    }),
  );

const backupHistory = (
  name: string,
  sentinelSteps: readonly { present: boolean; text: string; pad: number }[],
  metadataSteps: readonly { present: boolean; text: string; pad: number }[],
  payloadTimes: readonly number[],
): CatalogChange[] => [
  ...(['sentinel', 'metadata'] as const).flatMap((source) =>
    (source === 'sentinel' ? sentinelSteps : metadataSteps).map(
      (step, index): CatalogChange => ({
        type: 'backup',
        change: {
          type: 'source-observed',
          origin: 'event',
          cluster,
          name,
          source,
          observation: {
            key: `basebackups_005/${name}/${source}`,
            present: step.present,
            sequencer: sequencer(index + 1, step.pad),
            ...(step.present ? { text: step.text, etag: `${source}-${index}` } : {}),
            observedAt: at(10 + index),
          },
        },
      }),
    ),
  ),
  ...payloadTimes.map(
    (second): CatalogChange => ({
      type: 'backup',
      change: { type: 'payload-seen', cluster, name, observedAt: at(second) },
    }),
  ),
];

const step = <T>(extra: fc.Arbitrary<T>) =>
  fc.record({ present: fc.boolean(), pad: fc.integer({ min: 0, max: 3 }), value: extra });

const historyArbitrary = fc
  .record({
    wal: fc.array(fc.array(step(fc.nat(100)), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }),
    backups: fc.array(
      fc.record({
        sentinel: fc.array(step(fc.constantFrom('ok', 'bad')), { maxLength: 3 }),
        metadata: fc.array(step(fc.constantFrom('permanent', 'plain')), { maxLength: 3 }),
        payload: fc.array(fc.integer({ min: 0, max: 59 }), { maxLength: 3 }),
      }),
      { maxLength: 3 },
    ),
  })
  .map(({ wal, backups }) => [
    ...wal.flatMap((steps, index) =>
      walKeyHistory(
        `wal_005/key-${index}`,
        steps.map((s) => ({ present: s.present, size: s.value, pad: s.pad })),
      ),
    ),
    ...backups.flatMap((b, index) =>
      backupHistory(
        `base_${index}`,
        b.sentinel.map((s) => ({ present: s.present, text: s.value, pad: s.pad })),
        b.metadata.map((s) => ({ present: s.present, text: s.value, pad: s.pad })),
        b.payload,
      ),
    ),
  ]);

/** `updatedAt` records when the catalog last wrote the item, which legitimately depends on arrival order. */
const comparable = (state: CatalogState) => ({
  wal: [...state.wal.entries()].sort(([a], [b]) => a.localeCompare(b)),
  backups: [...state.backups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, record]): [string, Omit<BackupRecord, 'updatedAt'>] => {
      const { updatedAt: _updatedAt, ...rest } = record;
      return [id, rest];
    }),
});

describe('applyEventsToCatalogState', () => {
  it('ends in the same state for any interleaving and duplication of the same events', () => {
    fc.assert(
      fc.property(
        historyArbitrary.chain((changes) =>
          fc.tuple(
            fc.constant(changes),
            fc.shuffledSubarray(changes, { minLength: changes.length, maxLength: changes.length }),
            fc.subarray(changes),
            fc.integer({ min: 1, max: 3 }),
          ),
        ),
        ([inOrder, shuffled, duplicates, batches]) => {
          const expected = applyEventsToCatalogState(EMPTY_CATALOG_STATE, inOrder, interpret);
          // Delivered in several batches, reordered, with some events twice.
          const delivered = [...shuffled, ...duplicates];
          let state = EMPTY_CATALOG_STATE;
          const size = Math.ceil(delivered.length / batches);
          for (let start = 0; start < delivered.length; start += size) {
            state = applyEventsToCatalogState(state, delivered.slice(start, start + size), interpret);
          }
          expect(comparable(state)).toEqual(comparable(expected));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps the newest event of a key: a late create never revives a removed segment', () => {
    const [created, removed] = walKeyHistory('wal_005/000000010000000000000001.br', [
      { present: true, size: 16, pad: 0 },
      { present: false, size: 0, pad: 2 },
    ]) as [CatalogChange, CatalogChange];
    const state = applyEventsToCatalogState(EMPTY_CATALOG_STATE, [removed, created, created], interpret);
    const record = [...state.wal.values()][0] as WalObjectRecord;
    expect(record.deleted).toBe(true);
    expect(record.sequencer).toBe(`${'2'.padStart(16, '0')}00`);
  });

  it('derives backup status from sentinel and payload: complete, unreadable with a problem, incomplete, deleted', () => {
    const changes = [
      ...backupHistory(
        'base_ok',
        [{ present: true, text: 'ok', pad: 0 }],
        [{ present: true, text: 'permanent', pad: 0 }],
        [5],
      ),
      ...backupHistory('base_bad', [{ present: true, text: 'bad', pad: 0 }], [], []),
      ...backupHistory('base_payload_only', [], [], [3, 1]),
      ...backupHistory(
        'base_gone',
        [
          { present: true, text: 'ok', pad: 0 },
          { present: false, text: '', pad: 0 },
        ],
        [],
        [],
      ),
    ];
    const state = applyEventsToCatalogState(EMPTY_CATALOG_STATE, changes.reverse(), interpret);
    const byName = (name: string) => state.backups.get(`${cluster} ${name}`);
    expect(byName('base_ok')).toMatchObject({ status: 'complete', backup: { permanent: true }, firstSeenAt: at(5) });
    expect(byName('base_bad')).toMatchObject({ status: 'unreadable', problem: 'sentinel of base_bad is malformed' });
    expect(byName('base_bad')?.backup).toBeUndefined();
    expect(byName('base_payload_only')).toMatchObject({ status: 'incomplete', firstSeenAt: at(1) });
    expect(byName('base_gone')?.status).toBe('deleted');
  });

  it('applies a reconcile change only while the stored record is still the one the sync compared with', () => {
    const [created] = walKeyHistory('k', [{ present: true, size: 16, pad: 0 }]) as [CatalogChange];
    const record = (created.change as { record: WalObjectRecord }).record;
    const tombstone: WalObjectRecord = { ...record, deleted: true, deletedAt: at(30) };
    const base = applyEventsToCatalogState(EMPTY_CATALOG_STATE, [created], interpret);
    const healed = applyEventsToCatalogState(
      base,
      [{ type: 'wal', change: { origin: 'reconcile', record: tombstone, basis: record } }],
      interpret,
    );
    expect([...healed.wal.values()][0]?.deleted).toBe(true);
    const outdated = applyEventsToCatalogState(
      base,
      [{ type: 'wal', change: { origin: 'reconcile', record: tombstone, basis: undefined } }],
      interpret,
    );
    expect([...outdated.wal.values()][0]?.deleted).toBe(false);
  });

  it('orders events against a sync listing: a late create never beats a sync tombstone, a re-create does', () => {
    const key = 'wal_005/000000010000000000000009.br';
    const [created] = walKeyHistory(key, [{ present: true, size: 16, pad: 0 }]) as [CatalogChange];
    const event = (created.change as { record: WalObjectRecord }).record;
    // The sync itself added the object (no sequencer), then found it gone at second 40; the delete event was lost.
    const { sequencer: _sequencer, ...listed } = event;
    const added: WalObjectRecord = { ...listed, listing: { at: at(30), lastModified: at(0) } };
    const tombstone: WalObjectRecord = { ...added, deleted: true, deletedAt: at(40), listing: { at: at(40) } };
    const synced = applyEventsToCatalogState(
      EMPTY_CATALOG_STATE,
      [
        { type: 'wal', change: { origin: 'reconcile', record: added, basis: undefined } },
        { type: 'wal', change: { origin: 'reconcile', record: tombstone, basis: added } },
      ],
      interpret,
    );
    const late = applyEventsToCatalogState(synced, [created], interpret);
    expect([...late.wal.values()][0]).toMatchObject({ deleted: true, deletedAt: at(40) });
    const recreated = { ...event, etag: 'etag-new', uploadedAt: at(50), sequencer: sequencer(9, 0) };
    const after = applyEventsToCatalogState(
      synced,
      [{ type: 'wal', change: { origin: 'event', record: recreated } }],
      interpret,
    );
    expect([...after.wal.values()][0]).toMatchObject({ deleted: false, etag: 'etag-new' });
  });

  it('orders backup source events against a sync listing the same way', () => {
    const name = 'base_late';
    const [sentinelCreated] = backupHistory(name, [{ present: true, text: 'ok', pad: 0 }], [], []) as [CatalogChange];
    const observation = (sentinelCreated.change as { observation: BackupSourceObject }).observation;
    const { sequencer: _s, ...unsequenced } = observation;
    const gone: BackupSourceObject = {
      key: observation.key,
      present: false,
      observedAt: at(40),
      listing: { at: at(40) },
    };
    const synced = applyEventsToCatalogState(
      EMPTY_CATALOG_STATE,
      [
        {
          type: 'backup',
          change: {
            type: 'source-observed',
            origin: 'reconcile',
            cluster,
            name,
            source: 'sentinel',
            basis: undefined,
            observation: { ...unsequenced, listing: { at: at(20), lastModified: at(9) } },
          },
        },
      ],
      interpret,
    );
    const stored = synced.backups.get(`${cluster} ${name}`)?.sentinel;
    const removed = applyEventsToCatalogState(
      synced,
      [
        {
          type: 'backup',
          change: {
            type: 'source-observed',
            origin: 'reconcile',
            cluster,
            name,
            source: 'sentinel',
            basis: stored,
            observation: gone,
          },
        },
      ],
      interpret,
    );
    const late = applyEventsToCatalogState(removed, [sentinelCreated], interpret);
    expect(late.backups.get(`${cluster} ${name}`)?.status).toBe('deleted');
  });
});
