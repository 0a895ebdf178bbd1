import type { BackupRecord } from '../catalog/catalog-records.ts';
import type { ClusterId, RetentionPolicy } from '../cluster.ts';
import { backupFinishedAt, type CompleteBackupRecord, isCompleteBackup } from '../continuity/pitr-chain-base.ts';
import { UnsafePlanError } from '../errors.ts';
import { planRetention } from '../retention/retention-plan.ts';
import type { WalSegmentSize } from '../wal/segment-size.ts';

const DAY_MS = 86_400_000;

/** The tier a kept backup is kept longest by; ordered from shortest-lived to longest-lived. */
export const PROMISE_TIERS = [
  'delta-ancestor',
  'newest',
  'last',
  'pitr-window',
  'daily',
  'weekly',
  'monthly',
  'yearly',
  'permanent',
  'unmanaged',
] as const;
export type PromiseTier = (typeof PROMISE_TIERS)[number];

/** A complete backup walcat promises to keep now, and the tier that keeps it longest. */
export interface PromisedBackup {
  readonly record: CompleteBackupRecord;
  readonly name: string;
  readonly finishedAt: Date;
  readonly tier: PromiseTier;
}

/** How long retention keeps the backups of one tier at most (`Infinity` for permanent ones). */
export interface TierLifetime {
  readonly tier: PromiseTier;
  readonly lifetimeMs: number;
  /** `monthly backups for up to 12 months`. */
  readonly words: string;
}

/** What walcat promises to keep of one cluster, now. */
export interface RetentionPromises {
  /** False without a retention policy: walcat then deletes nothing, so every complete backup is kept (`unmanaged`). */
  readonly managed: boolean;
  /** Oldest first. */
  readonly kept: readonly PromisedBackup[];
  /** Promise-level lifetimes, for conflicts that no backup shows yet (a young cluster). */
  readonly lifetimes: readonly TierLifetime[];
  /** The backup the PITR window's WAL starts from; absent without a window or a complete backup. */
  readonly chainBase?: PromisedBackup;
  readonly pitrWindowMs: number;
}

function tierOfReason(reason: string): PromiseTier {
  const word = reason.split(' ')[0] as string;
  if (word === 'delta-ancestor') return 'delta-ancestor';
  return (PROMISE_TIERS as readonly string[]).includes(word) ? (word as PromiseTier) : 'newest';
}

const rank = (tier: PromiseTier): number => PROMISE_TIERS.indexOf(tier);

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** Upper bounds of how long each configured tier keeps a backup (a calendar month counts 31 days, a year 366). */
function tierLifetimes(policy: RetentionPolicy, hasPermanent: boolean): TierLifetime[] {
  const lifetimes: TierLifetime[] = [];
  const add = (tier: PromiseTier, count: number, days: number, unit: string): void => {
    if (count > 0)
      lifetimes.push({
        tier,
        lifetimeMs: count * days * DAY_MS,
        words: `${tier} backups for up to ${plural(count, unit)}`,
      });
  };
  add('daily', policy.keepDaily, 1, 'day');
  add('weekly', policy.keepWeekly, 7, 'week');
  add('monthly', policy.keepMonthly, 31, 'month');
  add('yearly', policy.keepYearly, 366, 'year');
  if (hasPermanent)
    lifetimes.push({ tier: 'permanent', lifetimeMs: Number.POSITIVE_INFINITY, words: 'permanent backups for ever' });
  return lifetimes;
}

/**
 * What walcat's retention keeps of a cluster now, per backup with the tier that keeps it longest, plus the tiers'
 * lifetimes. The kept set is the retention plan's own (one definition of "kept"); a plan retention would refuse
 * deletes nothing, so then every complete backup is kept. Without a policy every complete backup is kept.
 *
 * @example retentionPromises({ cluster, backups, policy: { ...p, keepMonthly: 12 }, now, walSegmentSize }).kept[0].tier // 'monthly'
 */
export function retentionPromises(input: {
  readonly cluster: ClusterId;
  readonly backups: readonly BackupRecord[];
  readonly policy?: RetentionPolicy;
  readonly walSegmentSize: WalSegmentSize;
  readonly now: Date;
}): RetentionPromises {
  const complete = input.backups
    .filter(isCompleteBackup)
    .map((record) => ({ record, name: record.name, finishedAt: backupFinishedAt(record) }))
    .sort((a, b) => a.finishedAt.getTime() - b.finishedAt.getTime() || (a.name < b.name ? -1 : 1));
  const { policy } = input;
  if (policy === undefined) {
    return {
      managed: false,
      kept: complete.map((backup) => ({ ...backup, tier: 'unmanaged' as const })),
      lifetimes: [
        { tier: 'unmanaged', lifetimeMs: Number.POSITIVE_INFINITY, words: 'every backup (no retention policy)' },
      ],
      pitrWindowMs: 0,
    };
  }
  const hasPermanent = complete.some((backup) => backup.record.backup.permanent);
  const lifetimes = tierLifetimes(policy, hasPermanent);
  if (complete.length === 0) return { managed: true, kept: [], lifetimes, pitrWindowMs: policy.pitrWindowMs };
  let reasons: ReadonlyMap<string, readonly string[]>;
  let chainBaseName: string | undefined;
  try {
    const plan = planRetention({
      cluster: input.cluster,
      backups: input.backups,
      wal: [],
      policy,
      walSegmentSize: input.walSegmentSize,
      now: input.now,
      planId: 'lifecycle-check',
    });
    reasons = new Map(plan.keep.map((kept) => [kept.name, kept.reasons]));
    chainBaseName = policy.pitrWindowMs > 0 ? plan.chainBase : undefined;
  } catch (error) {
    if (!(error instanceof UnsafePlanError)) throw error;
    // A refused plan deletes nothing: everything stays, as if every backup were kept by the newest tier.
    reasons = new Map(complete.map((backup) => [backup.name, ['newest']]));
  }
  const kept: PromisedBackup[] = [];
  for (const backup of complete) {
    const list = reasons.get(backup.name);
    if (list === undefined) continue;
    const tier = list.map(tierOfReason).reduce((a, b) => (rank(b) > rank(a) ? b : a), 'delta-ancestor' as PromiseTier);
    kept.push({ ...backup, tier });
  }
  const chainBase = kept.find((backup) => backup.name === chainBaseName);
  return {
    managed: true,
    kept,
    lifetimes,
    ...(chainBase ? { chainBase } : {}),
    pitrWindowMs: policy.pitrWindowMs,
  };
}
