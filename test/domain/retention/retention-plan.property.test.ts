import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BackupRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import { backupFinishedAt, isCompleteBackup } from '../../../lib/domain/continuity/pitr-chain-base.ts';
import { UnsafePlanError } from '../../../lib/domain/errors.ts';
import { calendarPeriods } from '../../../lib/domain/retention/calendar-period.ts';
import {
  EmptyRetentionPolicyError,
  WouldDeleteAllBackupsError,
} from '../../../lib/domain/retention/retention-errors.ts';
import {
  consistencyRange,
  type KeyedRetentionPlan,
  planRetention,
} from '../../../lib/domain/retention/retention-plan.ts';
import type { RetentionWalObject } from '../../../lib/domain/retention/wal-retention.ts';
import { parseWalFileName } from '../../../lib/domain/wal/wal-segment.ts';
import { catalogArbitrary, policyArbitrary } from './retention-arbitraries.ts';
import { CLUSTER, policyOf, SIZE } from './retention-fixtures.ts';

type Outcome = { plan: KeyedRetentionPlan } | { refused: UnsafePlanError };

function plan(
  catalog: { backups: BackupRecord[]; wal: RetentionWalObject[]; now: Date },
  policy = policyOf({}),
): Outcome {
  try {
    return {
      plan: planRetention({ cluster: CLUSTER, ...catalog, policy, walSegmentSize: SIZE, planId: 'prop' }),
    };
  } catch (error) {
    if (error instanceof UnsafePlanError) return { refused: error };
    throw error;
  }
}

const live = (backups: readonly BackupRecord[]) =>
  backups.filter((record) => record.status === 'complete' || record.status === 'incomplete');

describe('planRetention over random catalogs and policies', () => {
  it('refuses only an empty policy or a cluster without a complete backup', () => {
    fc.assert(
      fc.property(catalogArbitrary, policyArbitrary, (catalog, policy) => {
        const outcome = plan(catalog, policy);
        if ('refused' in outcome) {
          const empty =
            policy.keepLast + policy.keepDaily + policy.keepWeekly + policy.keepMonthly + policy.keepYearly === 0 &&
            policy.pitrWindowMs === 0;
          const noComplete = !catalog.backups.some(isCompleteBackup);
          expect(
            (outcome.refused instanceof EmptyRetentionPolicyError && empty) ||
              (outcome.refused instanceof WouldDeleteAllBackupsError && noComplete),
          ).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('partitions the live backups into keep and delete, and gives every kept backup a reason', () => {
    fc.assert(
      fc.property(catalogArbitrary, policyArbitrary, (catalog, policy) => {
        const outcome = plan(catalog, policy);
        if (!('plan' in outcome)) return;
        const kept = outcome.plan.keep.map((backup) => backup.name);
        const deleted = outcome.plan.delete.backups.map((backup) => backup.name);
        expect([...kept, ...deleted].sort()).toEqual(
          live(catalog.backups)
            .map((backup) => backup.name)
            .sort(),
        );
        expect(new Set([...kept, ...deleted]).size).toBe(kept.length + deleted.length);
        for (const backup of outcome.plan.keep) expect(backup.reasons.length).toBeGreaterThan(0);
        for (const backup of outcome.plan.delete.backups) expect(backup.reason).not.toBe('');
      }),
      { numRuns: 300 },
    );
  });

  it('never deletes a permanent backup, the newest, one inside the window, or a delta ancestor of a kept backup', () => {
    fc.assert(
      fc.property(catalogArbitrary, policyArbitrary, (catalog, policy) => {
        const outcome = plan(catalog, policy);
        if (!('plan' in outcome)) return;
        const deleted = new Set(outcome.plan.delete.backups.map((backup) => backup.name));
        const byName = new Map(catalog.backups.map((record) => [record.name, record]));
        const complete = catalog.backups.filter(isCompleteBackup);
        const newest = Math.max(...complete.map((record) => backupFinishedAt(record).getTime()));
        const windowStart = catalog.now.getTime() - policy.pitrWindowMs;
        for (const record of complete) {
          const at = backupFinishedAt(record).getTime();
          if (record.backup.permanent || at === newest) expect(deleted.has(record.name)).toBe(false);
          if (policy.pitrWindowMs > 0 && at >= windowStart) expect(deleted.has(record.name)).toBe(false);
        }
        for (const kept of outcome.plan.keep) {
          for (
            let parent = byName.get(kept.name)?.backup?.deltaFrom;
            parent;
            parent = byName.get(parent)?.backup?.deltaFrom
          ) {
            expect(deleted.has(parent)).toBe(false);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the WAL every kept backup needs, the whole chain of the window, and every .history file', () => {
    fc.assert(
      fc.property(catalogArbitrary, policyArbitrary, (catalog, policy) => {
        const outcome = plan(catalog, policy);
        if (!('plan' in outcome)) return;
        const deletedKeys = new Set(outcome.plan.delete.walKeys);
        const byName = new Map(catalog.backups.map((record) => [record.name, record]));
        const chainBase = byName.get(outcome.plan.chainBase);
        if (chainBase === undefined || !isCompleteBackup(chainBase)) throw new Error('chain base is not a backup');
        const chainFrom = consistencyRange(chainBase, SIZE).fromSegNo;
        const needed = outcome.plan.keep.flatMap((kept) => {
          const record = byName.get(kept.name);
          return record && isCompleteBackup(record) ? [consistencyRange(record, SIZE)] : [];
        });
        for (const object of catalog.wal) {
          if (!deletedKeys.has(object.key)) continue;
          expect(object.kind).not.toBe('history');
          expect(object.segNo).toBeDefined();
          const segNo = object.segNo as number;
          expect(segNo).toBeLessThan(chainFrom);
          for (const range of needed) {
            const inside =
              range.timeline === object.timeline && segNo >= range.fromSegNo && segNo <= (range.toSegNo as number);
            expect(inside).toBe(false);
          }
        }
        for (const kept of outcome.plan.keep.filter((backup) => backup.status === 'incomplete')) {
          const start = catalog.wal.find((object) => object.key.includes(kept.name.slice(5, 29)));
          if (start) expect(deletedKeys.has(start.key)).toBe(false);
        }
        expect(deletedKeys.size).toBe(outcome.plan.delete.walKeys.length);
        // Ranges are runs of consecutive segments: disjoint, counted inclusively, covering every deleted object.
        const ranges = outcome.plan.delete.wal.map((range) => ({
          ...range,
          fromSegNo: parseWalFileName(range.from, SIZE).segNo,
          toSegNo: parseWalFileName(range.to, SIZE).segNo,
        }));
        for (const range of ranges) expect(range.count).toBe(range.toSegNo - range.fromSegNo + 1);
        for (const [index, range] of ranges.entries()) {
          const next = ranges[index + 1];
          if (next && next.timeline === range.timeline) expect(next.fromSegNo).toBeGreaterThan(range.toSegNo + 1);
        }
        for (const object of catalog.wal.filter((candidate) => deletedKeys.has(candidate.key))) {
          const segNo = object.segNo as number;
          const covering = ranges.filter(
            (range) => range.timeline === object.timeline && segNo >= range.fromSegNo && segNo <= range.toSegNo,
          );
          expect(covering).toHaveLength(1);
        }
        const ranged = outcome.plan.delete.wal.reduce((sum, range) => sum + range.objects, 0);
        expect(ranged).toBe(deletedKeys.size);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps, for each tier reason, the newest complete backup of that period', () => {
    fc.assert(
      fc.property(catalogArbitrary, policyArbitrary, (catalog, policy) => {
        const outcome = plan(catalog, policy);
        if (!('plan' in outcome)) return;
        const complete = catalog.backups.filter(isCompleteBackup);
        const periodKey = { daily: 'day', weekly: 'week', monthly: 'month', yearly: 'year' } as const;
        for (const kept of outcome.plan.keep) {
          for (const reason of kept.reasons) {
            const match = /^(daily|weekly|monthly|yearly) (\S+)$/.exec(reason);
            if (!match) continue;
            const tier = match[1] as keyof typeof periodKey;
            const inPeriod = complete.filter(
              (record) => calendarPeriods(backupFinishedAt(record), policy.timezone)[periodKey[tier]] === match[2],
            );
            const newestInPeriod = inPeriod.reduce((a, b) =>
              backupFinishedAt(b).getTime() > backupFinishedAt(a).getTime() ||
              (backupFinishedAt(b).getTime() === backupFinishedAt(a).getTime() && b.name > a.name)
                ? b
                : a,
            );
            expect(newestInPeriod.name).toBe(kept.name);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
