import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BackupRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import type { RetentionPolicy } from '../../../lib/domain/cluster.ts';
import { type CalendarPeriods, calendarPeriods } from '../../../lib/domain/retention/calendar-period.ts';
import { decideRetention } from '../../../lib/domain/retention/retention-plan.ts';
import { backupRecord, CLUSTER, DAY, HOUR, policyOf, SIZE } from './retention-fixtures.ts';

/**
 * The calendar tiers as the documentation states them, computed the plain way: every backup's periods looked up in
 * the zone one by one, the backups sorted newest first, and per tier the newest backup of each of its N most recent
 * periods with a backup. The decision, which shares period lookups between backups of a day and fills the tiers in
 * one pass, must keep and supersede exactly the same backups for the same reasons.
 */
const TIERS = [
  ['daily', 'day', 'keepDaily'],
  ['weekly', 'week', 'keepWeekly'],
  ['monthly', 'month', 'keepMonthly'],
  ['yearly', 'year', 'keepYearly'],
] as const satisfies readonly (readonly [string, keyof CalendarPeriods, keyof RetentionPolicy])[];

interface Dated {
  readonly name: string;
  readonly at: number;
}

function referenceTiers(backups: readonly Dated[], policy: RetentionPolicy): Map<string, string[]> {
  const newestFirst = [...backups].sort((a, b) => b.at - a.at || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
  const reasons = new Map<string, string[]>(backups.map((backup) => [backup.name, []]));
  newestFirst.slice(0, policy.keepLast).forEach((backup, index) => {
    reasons.get(backup.name)?.push(`last ${index + 1}`);
  });
  for (const [tier, period, count] of TIERS) {
    const newestOfPeriod = new Map<string, string>();
    for (const backup of newestFirst) {
      const key = calendarPeriods(new Date(backup.at), policy.timezone)[period];
      if (!newestOfPeriod.has(key)) newestOfPeriod.set(key, backup.name);
    }
    for (const [key, name] of [...newestOfPeriod].slice(0, policy[count] as number)) {
      reasons.get(name)?.push(`${tier} ${key}`);
    }
  }
  return reasons;
}

/** Whoever keeps a period of the deleted backup, finest tier first, as the plan states it. */
function referenceDeletionReason(at: number, policy: RetentionPolicy, tiers: Map<string, string[]>): string {
  const periods = calendarPeriods(new Date(at), policy.timezone);
  for (const [tier, period] of TIERS) {
    const reason = `${tier} ${periods[period]}`;
    for (const [name, list] of tiers) if (list.includes(reason)) return `superseded by ${name} (${reason})`;
  }
  return 'older than every tier and the pitr window';
}

const TIER_REASON = /^(last \d+|(daily|weekly|monthly|yearly) \S+)$/;

/** Instants near daylight saving changes and year ends, where a backup's local day, week or year is easy to get wrong. */
const ANCHORS = [
  '2026-03-28T18:00:00Z',
  '2026-10-24T18:00:00Z',
  '2026-12-27T12:00:00Z',
  '2027-03-13T20:00:00Z',
  '2026-04-04T10:00:00Z',
].map(Date.parse);

const historyArbitrary = fc.record({
  anchor: fc.constantFrom(...ANCHORS),
  steps: fc.array(
    fc.oneof(
      fc.constant(0),
      fc.constant(HOUR),
      fc.integer({ min: 1, max: 6 }).map((hours) => hours * HOUR),
      fc.integer({ min: 1, max: 4 * DAY }),
      fc.integer({ min: 20 * DAY, max: 200 * DAY }),
    ),
    { minLength: 1, maxLength: 150 },
  ),
  permanentEvery: fc.integer({ min: 0, max: 9 }),
  zone: fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Pacific/Auckland', 'Asia/Tokyo'),
  counts: fc.tuple(fc.nat({ max: 3 }), fc.nat({ max: 10 }), fc.nat({ max: 6 }), fc.nat({ max: 5 }), fc.nat({ max: 3 })),
  pitrWindowMs: fc.constantFrom(0, 6 * HOUR, 2 * DAY),
});

describe('the calendar tiers of a decision against the plain reference', () => {
  it('keep and supersede the same backups for the same reasons, on random histories in zones with DST', () => {
    fc.assert(
      fc.property(historyArbitrary, ({ anchor, steps, permanentEvery, zone, counts, pitrWindowMs }) => {
        const [keepLast, keepDaily, keepWeekly, keepMonthly, keepYearly] = counts;
        const policy = policyOf({
          keepLast,
          keepDaily: keepLast + keepDaily + keepWeekly + keepMonthly + keepYearly === 0 ? 1 : keepDaily,
          keepWeekly,
          keepMonthly,
          keepYearly,
          pitrWindowMs,
          timezone: zone,
        });
        let at = anchor;
        const backups: BackupRecord[] = steps.map((step, index) => {
          at += step;
          return backupRecord({
            startSegNo: 16 + index * 2,
            finishedAt: new Date(at),
            permanent: permanentEvery > 0 && index % (permanentEvery + 3) === 0,
          });
        });
        const now = new Date(at + HOUR);
        const dated = backups.map((record) => ({
          name: record.name,
          at: (record.backup as NonNullable<BackupRecord['backup']>).finishTime?.getTime() as number,
        }));
        const expected = referenceTiers(dated, policy);

        const decision = decideRetention({ cluster: CLUSTER, backups, policy, walSegmentSize: SIZE, now, planId: 'p' });
        for (const kept of decision.keep) {
          expect(
            kept.reasons.filter((reason) => TIER_REASON.test(reason)),
            kept.name,
          ).toEqual(expected.get(kept.name));
        }
        const atOf = new Map(dated.map((backup) => [backup.name, backup.at]));
        for (const deleted of decision.deleted) {
          expect(expected.get(deleted.name), deleted.name).toEqual([]);
          expect(deleted.reason, deleted.name).toBe(
            referenceDeletionReason(atOf.get(deleted.name) as number, policy, expected),
          );
        }
        expect(decision.keep.length + decision.deleted.length).toBe(backups.length);
      }),
      { numRuns: 400 },
    );
  });
});
