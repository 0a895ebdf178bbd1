import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backupFinishedAt, isCompleteBackup, pitrChainBase } from '../../../lib/domain/continuity/pitr-chain-base.ts';
import { backupRecord, DAY, policy } from './continuity-fixtures.ts';

const NOW = new Date('2026-11-21T00:00:00Z');
const daysAgo = (days: number): Date => new Date(NOW.getTime() - days * DAY);

describe('pitrChainBase', () => {
  const cases: ReadonlyArray<{
    readonly title: string;
    readonly backups: ReadonlyArray<{ age: number; permanent?: boolean; status?: 'complete' | 'incomplete' }>;
    readonly expected: number | undefined;
  }> = [
    { title: 'no backups', backups: [], expected: undefined },
    { title: 'only an incomplete backup', backups: [{ age: 1, status: 'incomplete' }], expected: undefined },
    {
      title: 'the newest backup finished before the window start covers it',
      backups: [{ age: 30 }, { age: 14 }, { age: 8 }, { age: 6 }, { age: 1 }],
      expected: 8,
    },
    {
      title: 'a backup finished exactly at the window start counts',
      backups: [{ age: 9 }, { age: 7 }, { age: 3 }],
      expected: 7,
    },
    { title: 'all backups inside the window: the oldest', backups: [{ age: 5 }, { age: 3 }, { age: 1 }], expected: 5 },
    {
      title: 'a permanent backup covering the window start is not the base',
      backups: [{ age: 20 }, { age: 8, permanent: true }, { age: 2 }],
      expected: 20,
    },
    {
      title: 'a permanent backup inside the window is not the base either',
      backups: [{ age: 6, permanent: true }, { age: 2 }],
      expected: 2,
    },
    {
      title: 'only permanent backups: the newest, so a broken archiver after it is still noticed',
      backups: [
        { age: 300, permanent: true },
        { age: 40, permanent: true },
      ],
      expected: 40,
    },
    {
      title: 'an incomplete backup never becomes the base',
      backups: [{ age: 10 }, { age: 8, status: 'incomplete' }, { age: 2 }],
      expected: 10,
    },
  ];

  it.each(cases)('$title', ({ backups, expected }) => {
    const records = backups.map((spec, index) =>
      backupRecord({
        startSegNo: index * 10,
        finishSegNo: index * 10 + 1,
        finishTime: daysAgo(spec.age),
        permanent: spec.permanent,
        status: spec.status,
        name: `b-${spec.age}`,
      }),
    );
    expect(pitrChainBase(records, policy(), NOW)?.name).toBe(expected === undefined ? undefined : `b-${expected}`);
  });

  it('does not depend on the order of its input', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ age: fc.integer({ min: 0, max: 400 }), permanent: fc.boolean() }), {
          selector: (spec) => spec.age,
          maxLength: 12,
        }),
        fc.integer({ min: 0, max: 30 }),
        (specs, windowDays) => {
          const records = specs.map((spec, index) =>
            backupRecord({
              startSegNo: index,
              finishSegNo: index,
              finishTime: daysAgo(spec.age),
              permanent: spec.permanent,
              name: `b-${spec.age}`,
            }),
          );
          const rules = policy({ pitrWindowMs: windowDays * DAY });
          const forward = pitrChainBase(records, rules, NOW)?.name;
          expect(pitrChainBase([...records].reverse(), rules, NOW)?.name).toBe(forward);
        },
      ),
    );
  });

  it('picks a base that reaches the window start whenever any non-permanent backup finished before it', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ age: fc.integer({ min: 0, max: 400 }), permanent: fc.boolean() }), {
          selector: (spec) => spec.age,
          minLength: 1,
          maxLength: 12,
        }),
        fc.integer({ min: 0, max: 60 }),
        (specs, windowDays) => {
          const records = specs.map((spec, index) =>
            backupRecord({
              startSegNo: index,
              finishSegNo: index,
              finishTime: daysAgo(spec.age),
              permanent: spec.permanent,
              name: `b-${spec.age}`,
            }),
          );
          const base = pitrChainBase(records, policy({ pitrWindowMs: windowDays * DAY }), NOW);
          expect(base).toBeDefined();
          if (base === undefined || !isCompleteBackup(base)) return;
          const nonPermanent = records.filter((record) => isCompleteBackup(record) && !record.backup?.permanent);
          const windowStart = daysAgo(windowDays).getTime();
          const anyBeforeWindow = nonPermanent.some(
            (record) => (record.backup?.finishTime?.getTime() ?? 0) <= windowStart,
          );
          if (nonPermanent.length > 0) expect(base.backup.permanent).toBe(false);
          if (anyBeforeWindow) {
            expect(backupFinishedAt(base).getTime()).toBeLessThanOrEqual(windowStart);
            // No other non-permanent backup between the base and the window start: the chain is as short as possible.
            const between = nonPermanent.filter((record) => {
              const at = record.backup?.finishTime?.getTime() ?? 0;
              return at > backupFinishedAt(base).getTime() && at <= windowStart;
            });
            expect(between).toEqual([]);
          }
        },
      ),
    );
  });
});
