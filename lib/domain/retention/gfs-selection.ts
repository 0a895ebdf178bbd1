import type { RetentionPolicy } from '../cluster.ts';
import { type CalendarPeriods, calendarPeriods } from './calendar-period.ts';

/** A complete backup as the tiers see it: a name and the instant it became restorable (metadata time). */
export interface GfsCandidate {
  readonly name: string;
  readonly at: Date;
  /** The periods of `at` in the policy's zone, when the caller computed them already. */
  readonly periods?: CalendarPeriods;
}

/** The calendar tiers, finest first. */
export const CALENDAR_TIERS = ['daily', 'weekly', 'monthly', 'yearly'] as const;
export type CalendarTier = (typeof CALENDAR_TIERS)[number];

const PERIOD_OF_TIER: Readonly<Record<CalendarTier, keyof CalendarPeriods>> = {
  daily: 'day',
  weekly: 'week',
  monthly: 'month',
  yearly: 'year',
};

/**
 * How many periods a tier keeps, from the policy.
 *
 * @example tierCount({ ...policy, keepWeekly: 4 }, 'weekly') === 4
 */
export function tierCount(policy: RetentionPolicy, tier: CalendarTier): number {
  switch (tier) {
    case 'daily':
      return policy.keepDaily;
    case 'weekly':
      return policy.keepWeekly;
    case 'monthly':
      return policy.keepMonthly;
    case 'yearly':
      return policy.keepYearly;
  }
}

/**
 * Grandfather-father-son selection with independent (restic-style, overlapping) counting: `last N` keeps the N
 * newest backups; each calendar tier keeps the newest backup of each of its N most recent periods that have a
 * backup. A backup can fill a daily, a weekly, a monthly and a yearly slot at once; empty periods use no slot.
 * `candidates` must be ordered newest first (by metadata time, never S3 LastModified).
 *
 * Returns the reasons per kept name, e.g. `['last 1', 'daily 2026-11-20', 'weekly 2026-W47']`.
 *
 * @example
 * selectGfs([{ name: 'b', at: new Date('2026-11-20T10:00Z') }, { name: 'a', at: new Date('2026-11-20T01:00Z') }],
 *   { ...policy, keepLast: 0, keepDaily: 7 }, 'UTC')
 * // Map { 'b' => ['daily 2026-11-20'] }
 */
export function selectGfs(
  candidates: readonly GfsCandidate[],
  policy: RetentionPolicy,
  timeZone: string,
): Map<string, string[]> {
  return selectGfsOfSorted(
    candidates.length,
    (index) => (candidates[index] as GfsCandidate).name,
    (index) => {
      const candidate = candidates[index] as GfsCandidate;
      return candidate.periods ?? calendarPeriods(candidate.at, timeZone);
    },
    policy,
  );
}

/**
 * {@link selectGfs} over `count` candidates, newest first, read by index: the name of each and its periods, so a
 * caller holding them in its own arrays builds no candidate object per backup. Candidates that share their
 * predecessor's periods object (backups of one local day) are skipped whole: every tier has seen their periods.
 */
export function selectGfsOfSorted(
  count: number,
  nameOf: (index: number) => string,
  periodsOf: (index: number) => CalendarPeriods,
  policy: RetentionPolicy,
): Map<string, string[]> {
  const reasons = new Map<string, string[]>();
  const add = (name: string, reason: string): void => {
    const list = reasons.get(name);
    if (list) list.push(reason);
    else reasons.set(name, [reason]);
  };
  const lastCount = Math.min(policy.keepLast, count);
  for (let i = 0; i < lastCount; i++) add(nameOf(i), `last ${i + 1}`);

  const activeTiers = CALENDAR_TIERS.filter((tier) => tierCount(policy, tier) > 0);
  if (activeTiers.length === 0) return reasons;
  const seen = new Map<CalendarTier, Set<string>>(activeTiers.map((tier) => [tier, new Set<string>()]));
  const open = new Set<CalendarTier>(activeTiers);
  let previous: CalendarPeriods | undefined;
  for (let index = 0; index < count; index++) {
    if (open.size === 0) break;
    const periods = periodsOf(index);
    if (periods === previous) continue;
    previous = periods;
    for (const tier of open) {
      const key = periods[PERIOD_OF_TIER[tier]];
      const periodsOfTier = seen.get(tier) as Set<string>;
      if (periodsOfTier.has(key)) continue;
      // Newest first: the first backup met in a period is the newest of that period.
      periodsOfTier.add(key);
      add(nameOf(index), `${tier} ${key}`);
      if (periodsOfTier.size >= tierCount(policy, tier)) open.delete(tier);
    }
  }
  return reasons;
}
