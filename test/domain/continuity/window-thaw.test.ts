/**
 * The restorable window separates what restores now from what needs a thaw first: objects in GLACIER, DEEP_ARCHIVE
 * or an archive tier of INTELLIGENT_TIERING answer GetObject with InvalidObjectState until RestoreObject, so a
 * restore into such a part waits hours for the thaw before its fetch can start.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BackupRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import type { FrozenWalRun } from '../../../lib/domain/continuity/frozen-wal.ts';
import { restorableWindows, thawNeed, windowJson } from '../../../lib/domain/continuity/restorable-window.ts';
import { DEFAULT_WAL_SEGMENT_SIZE } from '../../../lib/domain/wal/segment-size.ts';
import { type TimelineId, timelineId } from '../../../lib/domain/wal/timeline.ts';
import { type SegmentNumber, segmentNumber } from '../../../lib/domain/wal/wal-segment.ts';
import { backupRecord, policy, presentSegments } from './continuity-fixtures.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const MINUTE = 60_000;
const HEAD = 100;
// Segments 1..HEAD on timeline 1, segment n uploaded at T0 + n minutes.
const T0 = new Date(NOW.getTime() - 200 * MINUTE);
const at = (segNo: number): Date => new Date(T0.getTime() + segNo * MINUTE);
const iso = (segNo: number): string => at(segNo).toISOString();
const common = { policy: policy(), walSegmentSize: DEFAULT_WAL_SEGMENT_SIZE, uploadGraceMs: 5 * MINUTE, now: NOW };
const TL1 = timelineId(1);

/** A backup whose one tar partition is in `storageClass` (thawed until `thawedUntil` when given). */
function withTar(record: BackupRecord, storageClass?: string, thawedUntil?: Date): BackupRecord {
  return {
    ...record,
    payload: {
      'tar_partitions/part_1.tar.lz4': {
        kind: 'tar-partition',
        present: true,
        size: 1024,
        observedAt: record.updatedAt,
        ...(storageClass === undefined ? {} : { storageClass }),
        ...(thawedUntil === undefined ? {} : { thawedUntil }),
      },
    },
  };
}

/** All segments present, with the runs cut where a frozen run starts (as the catalog read cuts them). */
function presentWith(frozen: readonly FrozenWalRun[]) {
  const breaks = new Map<TimelineId, Set<SegmentNumber>>([
    [TL1, new Set(frozen.map((run) => segmentNumber(run.fromSegNo)))],
  ]);
  return presentSegments([{ timeline: 1, from: 1, to: HEAD, firstAt: at(1), stepMs: MINUTE }], breaks);
}

const first = backupRecord({ startSegNo: 10, finishSegNo: 12, finishTime: at(12), name: 'first' });
const second = backupRecord({ startSegNo: 60, finishSegNo: 61, finishTime: at(61), name: 'second' });

describe('restorable window and thawing', () => {
  it('needs no thaw when nothing is frozen: one part, the whole range', () => {
    const report = restorableWindows({
      ...common,
      backups: [withTar(first), withTar(second)],
      histories: [],
      present: presentWith([]),
    });
    expect(windowJson(report).ranges).toEqual([
      {
        timeline: 1,
        from: iso(12),
        to: iso(HEAD),
        baseBackup: 'first',
        needsThaw: 'no',
        parts: [{ from: iso(12), to: iso(HEAD), baseBackup: 'first', thaw: null }],
      },
    ]);
  });

  it('marks the stretch only a DEEP_ARCHIVE backup reaches as needing a thaw, and restores after the readable one', () => {
    const report = restorableWindows({
      ...common,
      backups: [withTar(first, 'DEEP_ARCHIVE'), withTar(second)],
      histories: [],
      present: presentWith([]),
    });
    expect(windowJson(report).ranges).toEqual([
      {
        timeline: 1,
        from: iso(12),
        to: iso(HEAD),
        baseBackup: 'first',
        needsThaw: 'partly',
        parts: [
          { from: iso(12), to: iso(61), baseBackup: 'first', thaw: { storageClasses: ['DEEP_ARCHIVE'] } },
          { from: iso(61), to: iso(HEAD), baseBackup: 'second', thaw: null },
        ],
      },
    ]);
  });

  it('ends the readable stretch at the segment before the first frozen WAL segment', () => {
    const frozen: FrozenWalRun[] = [{ timeline: TL1, fromSegNo: 30, toSegNo: 50, storageClass: 'GLACIER' }];
    const report = restorableWindows({
      ...common,
      backups: [withTar(first), withTar(second)],
      histories: [],
      present: presentWith(frozen),
      frozenWal: frozen,
    });
    expect(windowJson(report).ranges[0]?.parts).toEqual([
      { from: iso(12), to: iso(29), baseBackup: 'first', thaw: null },
      { from: iso(29), to: iso(61), baseBackup: 'first', thaw: { storageClasses: ['GLACIER'] } },
      { from: iso(61), to: iso(HEAD), baseBackup: 'second', thaw: null },
    ]);
  });

  it('needs a thaw everywhere when the backups and all WAL are in archive tiers', () => {
    const frozen: FrozenWalRun[] = [
      { timeline: TL1, fromSegNo: 1, toSegNo: HEAD, storageClass: 'INTELLIGENT_TIERING/ARCHIVE_ACCESS' },
    ];
    const report = restorableWindows({
      ...common,
      backups: [withTar(first, 'GLACIER'), withTar(second, 'DEEP_ARCHIVE')],
      histories: [],
      present: presentWith(frozen),
      frozenWal: frozen,
    });
    const range = windowJson(report).ranges[0];
    expect(range?.needsThaw).toBe('yes');
    expect(range?.parts).toEqual([
      {
        from: iso(12),
        to: iso(61),
        baseBackup: 'first',
        thaw: { storageClasses: ['GLACIER', 'INTELLIGENT_TIERING/ARCHIVE_ACCESS'] },
      },
      {
        from: iso(61),
        to: iso(HEAD),
        baseBackup: 'second',
        thaw: { storageClasses: ['DEEP_ARCHIVE', 'INTELLIGENT_TIERING/ARCHIVE_ACCESS'] },
      },
    ]);
  });

  it('counts a thawed copy that is still readable as readable, and one that expired as frozen', () => {
    const tomorrow = new Date(NOW.getTime() + 86_400_000);
    const yesterday = new Date(NOW.getTime() - 86_400_000);
    const frozen: FrozenWalRun[] = [
      { timeline: TL1, fromSegNo: 1, toSegNo: HEAD, storageClass: 'GLACIER', thawedUntilMs: tomorrow.getTime() },
    ];
    const thawed = restorableWindows({
      ...common,
      backups: [withTar(first, 'GLACIER', tomorrow)],
      histories: [],
      present: presentWith(frozen),
      frozenWal: frozen,
    });
    expect(thawed.ranges.map(thawNeed)).toEqual(['no']);
    const expired = restorableWindows({
      ...common,
      backups: [withTar(first, 'GLACIER', yesterday)],
      histories: [],
      present: presentWith([]),
    });
    expect(expired.ranges.map(thawNeed)).toEqual(['yes']);
  });

  const caseArbitrary = fc.record({
    backups: fc.uniqueArray(
      fc.record({
        start: fc.integer({ min: 2, max: 90 }),
        span: fc.integer({ min: 1, max: 4 }),
        storageClass: fc.constantFrom(undefined, undefined, 'GLACIER', 'DEEP_ARCHIVE', 'GLACIER_IR'),
      }),
      { minLength: 1, maxLength: 6, selector: (backup) => backup.start },
    ),
    frozen: fc.array(
      fc.record({
        from: fc.integer({ min: 1, max: HEAD }),
        length: fc.integer({ min: 1, max: 30 }),
        storageClass: fc.constantFrom('GLACIER', 'DEEP_ARCHIVE', 'INTELLIGENT_TIERING/DEEP_ARCHIVE_ACCESS'),
      }),
      { maxLength: 4 },
    ),
  });

  it('cuts every range into parts that are sound and tight about thawing (property)', () => {
    fc.assert(
      fc.property(caseArbitrary, ({ backups, frozen }) => {
        const specs = backups.map((spec) => ({ ...spec, finish: Math.min(HEAD, spec.start + spec.span - 1) }));
        const records = specs.map((spec) =>
          withTar(
            backupRecord({
              startSegNo: spec.start,
              finishSegNo: spec.finish,
              finishTime: at(spec.finish),
              name: `b${spec.start}`,
            }),
            spec.storageClass,
          ),
        );
        // Disjoint frozen runs, as a catalog read builds them (the first class over a segment wins).
        const classOf = new Map<number, string>();
        for (const run of frozen) {
          for (let segNo = run.from; segNo <= Math.min(HEAD, run.from + run.length - 1); segNo++) {
            if (!classOf.has(segNo)) classOf.set(segNo, run.storageClass);
          }
        }
        const runs: FrozenWalRun[] = [];
        for (let segNo = 1; segNo <= HEAD; segNo++) {
          const storageClass = classOf.get(segNo);
          if (storageClass === undefined) continue;
          const tail = runs.at(-1);
          if (tail !== undefined && tail.toSegNo === segNo - 1 && tail.storageClass === storageClass) {
            runs[runs.length - 1] = { ...tail, toSegNo: segNo };
          } else {
            runs.push({ timeline: TL1, fromSegNo: segNo, toSegNo: segNo, storageClass });
          }
        }
        const input = { ...common, backups: records, histories: [], present: presentWith(runs) };
        const plain = restorableWindows({ ...input, backups: records.map((record) => withTar(record)) });
        const report = restorableWindows({ ...input, frozenWal: runs });
        // The ranges themselves do not depend on storage classes.
        const shape = (r: typeof report) => r.ranges.map(({ parts: _parts, ...range }) => range);
        expect(shape(report)).toEqual(shape(plain));
        for (const range of plain.ranges) expect(thawNeed(range)).toBe('no');

        const frozenBackup = (name: string) =>
          ['GLACIER', 'DEEP_ARCHIVE'].includes(specs.find((spec) => `b${spec.start}` === name)?.storageClass ?? '');
        const specOf = (name: string) => specs.find((spec) => `b${spec.start}` === name);
        // The segment a restore to `ms` must read up to: the first uploaded at or after it.
        const needsUpTo = (ms: number) => Math.min(HEAD, Math.ceil((ms - T0.getTime()) / MINUTE));
        const frozenIn = (from: number, to: number) => {
          for (let segNo = from; segNo <= to; segNo++) if (classOf.has(segNo)) return true;
          return false;
        };
        for (const range of report.ranges) {
          expect(range.parts[0]?.from).toEqual(range.from);
          expect(range.parts.at(-1)?.to).toEqual(range.to);
          range.parts.forEach((part, index) => {
            expect(part.from.getTime()).toBeLessThanOrEqual(part.to.getTime());
            if (index > 0) expect(part.from).toEqual(range.parts[index - 1]?.to);
            const base = specOf(part.baseBackup);
            expect(base).toBeDefined();
            if (base === undefined) return;
            expect(at(base.finish).getTime()).toBeLessThanOrEqual(part.from.getTime());
            if (part.thaw === undefined) {
              // Sound: a restore to any instant of the part reads nothing frozen.
              expect(frozenBackup(part.baseBackup), `${part.baseBackup} is frozen`).toBe(false);
              expect(
                frozenIn(base.start, needsUpTo(part.to.getTime())),
                `WAL frozen in ${part.baseBackup}'s part`,
              ).toBe(false);
            } else {
              expect(part.thaw.storageClasses.length).toBeGreaterThan(0);
              // Tight: inside the part no backup restores without a thaw.
              if (part.from.getTime() === part.to.getTime()) return;
              const middle = (part.from.getTime() + part.to.getTime()) / 2;
              for (const spec of specs) {
                if (at(spec.finish).getTime() > middle) continue;
                const blocked = frozenBackup(`b${spec.start}`) || frozenIn(spec.start, needsUpTo(middle));
                expect(blocked, `b${spec.start} restores ${new Date(middle).toISOString()} without a thaw`).toBe(true);
              }
            }
          });
        }
      }),
      { numRuns: 500 },
    );
  });
});
