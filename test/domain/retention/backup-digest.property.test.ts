/**
 * Retention's backup digest holds what a decision reads of each backup: a record read back from its entry decides
 * exactly as the record it was made from, and every name belongs to exactly one chunk however the chunks were split.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeBaseBackup } from '../../../lib/domain/backup/base-backup-codec.ts';
import type { BackupRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import { InvalidInputError } from '../../../lib/domain/errors.ts';
import {
  BACKUP_DIGEST_CHUNK_TARGET,
  type BackupDigestChunk,
  backupDigestChunkOf,
  backupDigestEntry,
  backupDigestEntryName,
  backupDigestRanges,
  backupDigestRebuildReason,
  isUnheldBackupEntry,
  recordFromBackupDigestEntry,
  splitBackupDigestChunk,
} from '../../../lib/domain/retention/backup-digest.ts';
import { decideRetention, type RetentionDecision } from '../../../lib/domain/retention/retention-plan.ts';
import { catalogArbitrary, policyArbitrary } from './retention-arbitraries.ts';
import { CLUSTER, HOUR, SIZE } from './retention-fixtures.ts';

const SCOPE = { id: CLUSTER, storage: { prefix: 'orders-main/' } };
const sentinelKeyOf = (name: string) => `orders-main/basebackups_005/${name}_backup_stop_sentinel.json`;

/** What the catalog adds to a record that retention never reads, and what makes a record unreadable. */
const dressing = fc.record({
  metadata: fc.boolean(),
  payload: fc.boolean(),
  otherSentinelKey: fc.boolean(),
  signOfLifeAfterMs: fc.option(fc.integer({ min: 0, max: 30 * HOUR }), { nil: undefined }),
  unreadable: fc.option(fc.constantFrom('no-parent', 'declares-parent', 'garbage', 'huge'), { nil: undefined }),
  sentinelGone: fc.integer({ min: 0, max: 9 }).map((value) => value === 0),
  userData: fc.option(fc.oneof(fc.constant({ team: 'orders' }), fc.constant(123_456_789_012_345_678n)), {
    nil: undefined,
  }),
});

type Dressing = typeof dressing extends fc.Arbitrary<infer T> ? T : never;

/** A catalog record as a store reads it, from the arbitrary's bare record and its dressing. */
function dressed(record: BackupRecord, dress: Dressing, parent: string | undefined): BackupRecord {
  const key = dress.otherSentinelKey ? `elsewhere/${record.name}.json` : sentinelKeyOf(record.name);
  const observedAt = new Date(record.updatedAt.getTime() + 1);
  let result: BackupRecord = {
    ...record,
    ...(record.status === 'incomplete'
      ? {}
      : {
          sentinel: {
            key,
            present: !dress.sentinelGone,
            sequencer: '00000000000000A1',
            etag: '"abc"',
            text: '{"LSN":1}',
            observedAt,
          },
        }),
    ...(dress.metadata
      ? { metadata: { key: `${record.name}/metadata.json`, present: true, text: '{"x":1}', observedAt } }
      : {}),
    ...(dress.payload
      ? { payload: { 'tar_partitions/part_1.tar.lz4': { kind: 'tar-partition', present: true, size: 9, observedAt } } }
      : {}),
    ...(dress.signOfLifeAfterMs === undefined
      ? {}
      : { lastSignOfLifeAt: new Date(record.firstSeenAt.getTime() + dress.signOfLifeAfterMs) }),
    sequencer: '00000000000000A1',
  };
  if (dress.userData !== undefined && result.backup !== undefined) {
    result = { ...result, backup: { ...result.backup, userData: dress.userData as never } };
  }
  if (dress.unreadable !== undefined && record.status === 'complete') {
    const text =
      dress.unreadable === 'declares-parent' && parent !== undefined
        ? `{"DeltaFrom":"${parent}","LSN":"bad"}`
        : dress.unreadable === 'huge'
          ? `{"pad":"${'x'.repeat(5000)}"}`
          : dress.unreadable === 'garbage'
            ? '{not json'
            : '{"LSN":"bad"}';
    const { backup: _backup, ...rest } = result;
    result = {
      ...rest,
      status: 'unreadable',
      problem: 'sentinel LSN "bad" is not a number',
      sentinel: { key, present: true, text, observedAt },
    };
  }
  return result;
}

const scenario = fc
  .record({ catalog: catalogArbitrary, policy: policyArbitrary, dressings: fc.array(dressing, { maxLength: 25 }) })
  .map(({ catalog, policy, dressings }) => {
    const backups = catalog.backups.map((record, index) =>
      dressed(record, dressings[index] ?? dressings[0] ?? dress0, catalog.backups[index - 1]?.name),
    );
    return { backups, policy, now: catalog.now };
  });
const dress0: Dressing = {
  metadata: false,
  payload: false,
  otherSentinelKey: false,
  signOfLifeAfterMs: undefined,
  unreadable: undefined,
  sentinelGone: false,
  userData: undefined,
};

/** The records a digest gives back: each from its entry, or (an entry that says so) the catalog's own. */
const throughDigest = (backups: readonly BackupRecord[]): BackupRecord[] =>
  backups.map((record) => {
    const entry = JSON.parse(JSON.stringify(backupDigestEntry(record, SCOPE)));
    return recordFromBackupDigestEntry(entry, SCOPE) ?? record;
  });

/** A decision without its input (the records themselves), or the error it refused with. */
function outcome(decide: () => RetentionDecision): unknown {
  try {
    const { input: _input, base, ...rest } = decide();
    return { ...rest, base: base.name };
  } catch (error) {
    return { refused: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

describe('a record read back from its digest entry', () => {
  it('decides exactly as the record it was made from', () => {
    fc.assert(
      fc.property(scenario, ({ backups, policy, now }) => {
        const decide = (records: readonly BackupRecord[]) => () =>
          decideRetention({ cluster: CLUSTER, backups: records, policy, walSegmentSize: SIZE, now, planId: 'p' });
        expect(outcome(decide(throughDigest(backups)))).toEqual(outcome(decide(backups)));
      }),
      { numRuns: 300 },
    );
  });

  it('is the record without what retention never reads (metadata.json, payload, sentinel ETag and texts)', () => {
    fc.assert(
      fc.property(scenario, ({ backups }) => {
        for (const record of backups) {
          const entry = backupDigestEntry(record, SCOPE);
          const back = recordFromBackupDigestEntry(JSON.parse(JSON.stringify(entry)), SCOPE);
          if (back === undefined) {
            // Only what the encoding cannot hold exactly is left to the catalog.
            expect(isUnheldBackupEntry(entry)).toBe(true);
            const unencodable =
              record.backup !== undefined && encodeBaseBackup(record.backup, record.name) === undefined;
            expect(unencodable || (record.sentinel?.text?.length ?? 0) > 4096).toBe(true);
            continue;
          }
          const { metadata: _m, payload: _p, sentinel, ...rest } = record;
          const text = sentinel?.present && record.backup === undefined ? sentinel.text : undefined;
          expect(back).toEqual({
            ...rest,
            ...(sentinel
              ? {
                  sentinel: {
                    key: sentinel.key,
                    present: sentinel.present,
                    ...(text === undefined ? {} : { text }),
                    observedAt: record.updatedAt,
                  },
                }
              : {}),
          });
        }
      }),
      { numRuns: 200 },
    );
  });

  it('keeps the usual sentinel key out of the entry and gives it back', () => {
    fc.assert(
      fc.property(scenario, ({ backups }) => {
        for (const original of backups) {
          const entry = backupDigestEntry(original, SCOPE);
          if (isUnheldBackupEntry(entry) || original.sentinel === undefined) continue;
          const usual = original.sentinel.key === sentinelKeyOf(original.name);
          expect((entry[8] as unknown[])[0]).toBe(usual ? null : original.sentinel.key);
          expect(recordFromBackupDigestEntry(entry, SCOPE)?.sentinel?.key).toBe(original.sentinel.key);
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('a damaged entry', () => {
  const good = backupDigestEntry(
    {
      cluster: CLUSTER,
      name: 'base_000000010000000000000010',
      status: 'incomplete',
      firstSeenAt: new Date(0),
      updatedAt: new Date(0),
    },
    SCOPE,
  );
  it.each([
    ['no array', 'x', /is not an array starting with a name/],
    ['a short entry', ['base_1', 1, 2], /has 3 fields, not 10/],
    ['an unknown status', ['base_1', 9, ...good.slice(2)], /status 9 is unknown/],
    ['a time that is text', ['base_1', good[1], 'yesterday', ...good.slice(3)], /field 2 is no time/],
    ['a sentinel of the wrong shape', [...good.slice(0, 8), ['k'], null], /sentinel is not \[key, present, text\]/],
    ['a backup that is no backup', [...good.slice(0, 9), ['mask']], /backup is not an encoded backup/],
  ])('%s is refused by name, never read as a record', (_what, entry, message) => {
    expect(() => recordFromBackupDigestEntry(entry as never, SCOPE)).toThrow(InvalidInputError);
    expect(() => recordFromBackupDigestEntry(entry as never, SCOPE)).toThrow(message);
  });
});

describe('chunk ranges', () => {
  const names = fc.uniqueArray(
    fc.integer({ min: 1, max: 999 }).map((n) => `base_${String(n).padStart(4, '0')}`),
    { minLength: 1, maxLength: 60 },
  );
  const entryOf = (name: string) => [name, 0];

  it('give every name to exactly one chunk, the one chunkOf finds, whatever splits overlap', () => {
    fc.assert(
      fc.property(names, fc.array(fc.nat(), { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 6 }), (all, a, b) => {
        const sorted = [...all].sort();
        // Two planners split the same range at different points: both sets of chunks were stored.
        const split = (cuts: number[]): BackupDigestChunk[] => {
          const points = [...new Set(cuts.map((cut) => cut % sorted.length))].sort((x, y) => x - y);
          const firsts = ['', ...points.filter((point) => point > 0).map((point) => sorted[point] as string)];
          // Each chunk as a read of its range to the end wrote it (the ranges after it not yet split off).
          return firsts.map((first) => ({ first, entries: sorted.filter((name) => name >= first).map(entryOf) }));
        };
        const chunks = backupDigestRanges([...split(a), ...split(b).filter((chunk) => chunk.first !== '')]);
        const owners = sorted.map((name) => chunks.filter((chunk) => chunk.entries.some((e) => e[0] === name)));
        for (const [index, name] of sorted.entries()) {
          expect(owners[index]).toHaveLength(1);
          expect(chunks[backupDigestChunkOf(chunks, name)]).toBe(owners[index]?.[0]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('are split into chunks of the target once more than twice as many', () => {
    const entries = Array.from({ length: 2 * BACKUP_DIGEST_CHUNK_TARGET + 1 }, (_, index) =>
      entryOf(`base_${String(index).padStart(6, '0')}`),
    );
    expect(splitBackupDigestChunk('', entries.slice(0, -1))).toHaveLength(1);
    const parts = splitBackupDigestChunk('', entries);
    expect(parts.map((part) => part.entries.length)).toEqual([
      BACKUP_DIGEST_CHUNK_TARGET,
      BACKUP_DIGEST_CHUNK_TARGET,
      1,
    ]);
    expect(parts.map((part) => part.first)).toEqual([
      '',
      backupDigestEntryName(entries[BACKUP_DIGEST_CHUNK_TARGET]),
      backupDigestEntryName(entries[2 * BACKUP_DIGEST_CHUNK_TARGET]),
    ]);
  });
});

describe('a stored digest head', () => {
  const now = new Date('2026-12-01T00:00:00Z');
  const head = { basis: 'b', builtAt: '2026-11-30T00:00:00.000Z', changesThrough: '2026-11-30T12:00:00.000Z' };
  it('is updated while its basis holds and it is less than a week old', () => {
    expect(backupDigestRebuildReason(head, 'b', now)).toBeUndefined();
  });
  it('is rebuilt when absent, of another basis, a week old, or with stamps that are no times', () => {
    expect(backupDigestRebuildReason(undefined, 'b', now)).toBe('no backup digest stored');
    expect(backupDigestRebuildReason(head, 'c', now)).toMatch(/made under b, the cluster now reads c/);
    expect(backupDigestRebuildReason({ ...head, builtAt: '2026-11-24T00:00:00.000Z' }, 'b', now)).toBe(
      'weekly rebuild',
    );
    expect(backupDigestRebuildReason({ ...head, builtAt: 'soon' }, 'b', now)).toMatch(/build stamp "soon"/);
    expect(backupDigestRebuildReason({ ...head, changesThrough: 'x' }, 'b', now)).toMatch(/change stamp "x"/);
  });
});
