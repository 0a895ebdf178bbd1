/**
 * decideRetention as it was before it was made fast (one sort, arrays instead of maps keyed by record, fewer time
 * zone lookups), with the cluster checks, the calendar, the tiers and the chain base it used, copied verbatim: the
 * oracle the property test compares the real function against, decision by decision. Only the helpers that did not
 * change are imported.
 */

import { FOREIGN_SYSTEM_PROBLEM } from '../../../../lib/domain/catalog/backup-eligibility.ts';
import { compareBackupRecords } from '../../../../lib/domain/catalog/backup-order.ts';
import type { BackupRecord, BackupStatus } from '../../../../lib/domain/catalog/catalog-records.ts';
import type { ClusterId, RetentionPolicy } from '../../../../lib/domain/cluster.ts';
import {
  backupFinishedAt,
  type CompleteBackupRecord,
  isCompleteBackup,
} from '../../../../lib/domain/continuity/pitr-chain-base.ts';
import { InvalidInputError } from '../../../../lib/domain/errors.ts';
import { type CalendarPeriods, calendarPeriods } from '../../../../lib/domain/retention/calendar-period.ts';
import {
  CALENDAR_TIERS,
  type CalendarTier,
  type GfsCandidate,
} from '../../../../lib/domain/retention/gfs-selection.ts';
import {
  EmptyRetentionPolicyError,
  WouldDeleteAllBackupsError,
} from '../../../../lib/domain/retention/retention-errors.ts';
import {
  consistencyRange,
  type DeletedBackup,
  declaredDeltaParent,
  hasUnknownWalRange,
  isLiveBackup as isLive,
  isUnreadableBackup,
  type KeptBackup,
  lastSignOfLife,
  type RetentionDecision,
  type RetentionDecisionInput,
  walFromNameOn,
} from '../../../../lib/domain/retention/retention-plan.ts';
import type { ProtectedWalRange } from '../../../../lib/domain/retention/wal-retention.ts';

type LiveBackup = BackupRecord;

/**
 * The system identifier of the cluster as its backups tell it: the one most complete backups carry; on a tie, the
 * one of the oldest backup (what was in the prefix first). Undefined when no complete backup states one.
 *
 * @example clusterSystemIdentifier(records) // 7321456789012345678n
 */
function clusterSystemIdentifier(records: readonly BackupRecord[]): bigint | undefined {
  const idOf = (record: BackupRecord): bigint | undefined =>
    record.status === 'complete' ? record.backup?.systemIdentifier : undefined;
  const counts = new Map<bigint, number>();
  for (const record of records) {
    const id = idOf(record);
    if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  if (counts.size <= 1) return counts.keys().next().value;
  // Several identifiers: a tie goes to the one whose oldest backup is older, found in one pass rather than by sorting
  // every record (the order reads a pattern off both names at each comparison). Equal records: the first one given.
  const oldest = new Map<bigint, { record: BackupRecord; index: number }>();
  const older = (a: { record: BackupRecord; index: number }, b: { record: BackupRecord; index: number }): boolean =>
    (compareBackupRecords(a.record, b.record) || a.index - b.index) < 0;
  records.forEach((record, index) => {
    const id = idOf(record);
    if (id === undefined) return;
    const known = oldest.get(id);
    if (known === undefined || older({ record, index }, known)) oldest.set(id, { record, index });
  });
  let best: { id: bigint; count: number; oldest: { record: BackupRecord; index: number } } | undefined;
  for (const [id, count] of counts) {
    const first = oldest.get(id) as { record: BackupRecord; index: number };
    if (best === undefined || count > best.count || (count === best.count && older(first, best.oldest))) {
      best = { id, count, oldest: first };
    }
  }
  return best?.id;
}

/**
 * The backup records with the checks that need the whole cluster applied: a complete backup whose system identifier
 * differs from the cluster's ({@link clusterSystemIdentifier}) was pushed by another database into this prefix. It
 * becomes `unreadable` with a problem starting `foreign-system`, so it is never a restore base, never the chain base,
 * never the newest backup and never counted by retention. Idempotent; other records are returned unchanged.
 *
 * @example backupsWithClusterChecks(records).filter((r) => r.status === 'complete') // the eligible backups
 */
function backupsWithClusterChecks(records: readonly BackupRecord[]): BackupRecord[] {
  const clusterId = clusterSystemIdentifier(records);
  if (clusterId === undefined) return [...records];
  const sharing = records.filter(
    (record) => record.status === 'complete' && record.backup?.systemIdentifier === clusterId,
  ).length;
  return records.map((record) => {
    const id = record.status === 'complete' ? record.backup?.systemIdentifier : undefined;
    if (id === undefined || id === clusterId) return record;
    return {
      ...record,
      status: 'unreadable',
      problem: `${FOREIGN_SYSTEM_PROBLEM}: backup ${record.name} has system identifier ${id}, but the cluster's other backups (${sharing}) have ${clusterId}; another database pushed into this prefix. walcat never restores from it and retention never counts it; move it to that database's own prefix`,
    };
  });
}

function byFinishThenName(a: CompleteBackupRecord, b: CompleteBackupRecord): number {
  return (
    backupFinishedAt(a).getTime() - backupFinishedAt(b).getTime() || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
}

/**
 * The base of the point-in-time chain: the backup from whose start every WAL segment up to the newest archived one
 * must exist. A segment missing after it is a real loss; one missing before it is not a gap.
 *
 * Why this backup: retention (walcat's own, and WAL-G's `delete garbage`) keeps all WAL only for the PITR window.
 * Older backups are kept as long-term tiers (daily, weekly, monthly, yearly) or as permanent backups with just the
 * WAL that makes them consistent, so the WAL between them is removed on purpose. The window starts at
 * `now - pitrWindow`; the backup that lets a restore reach that instant is the newest complete, non-permanent backup
 * that finished at or before it. Everything older is a tier backup outside the window, whose thinned WAL must not
 * raise alarms.
 *
 * - When every complete non-permanent backup finished inside the window (a young cluster, or a window longer than
 *   the history), the oldest of them is the base: nothing is thinned after it yet.
 * - Permanent backups are never the base while a non-permanent one exists (WAL-G's `delete garbage` keeps WAL only
 *   from the oldest non-permanent backup on). When only permanent backups exist, the newest of them is the base, so
 *   a broken archiver after it is still noticed without alarming on WAL thinned between the permanent ones.
 * - No complete backup: `undefined` (nothing is restorable; that is its own alert).
 * - No retention policy (walcat deletes nothing of the cluster): the oldest complete non-permanent backup, as
 *   WAL-G's own `delete` keeps every segment from the oldest backup it keeps on.
 *
 * Backups are ordered by finish time (sentinel / metadata.json), ties by name.
 *
 * @example
 * // pitrWindow 7d, now 2026-11-21: weekly backup 2026-11-07, dailies 2026-11-13 .. 2026-11-20
 * pitrChainBase(backups, policy, new Date('2026-11-21T00:00:00Z'))?.name // the 2026-11-13 daily (covers 11-14)
 */
function pitrChainBase(
  backups: readonly BackupRecord[],
  policy: RetentionPolicy | undefined,
  now: Date,
): BackupRecord | undefined {
  // One pass instead of a sort (retention asks this of tens of thousands of backups). Among records equal in finish
  // time and name, the earliest / latest given wins, as a stable sort's first / last would.
  const windowStart = policy === undefined ? undefined : now.getTime() - policy.pitrWindowMs;
  let newestComplete: CompleteBackupRecord | undefined;
  let oldestCandidate: CompleteBackupRecord | undefined;
  let newestCoveringWindowStart: CompleteBackupRecord | undefined;
  for (const record of backups) {
    if (!isCompleteBackup(record)) continue;
    if (newestComplete === undefined || byFinishThenName(record, newestComplete) >= 0) newestComplete = record;
    if (record.backup.permanent) continue;
    if (oldestCandidate === undefined || byFinishThenName(record, oldestCandidate) < 0) oldestCandidate = record;
    if (
      windowStart !== undefined &&
      backupFinishedAt(record).getTime() <= windowStart &&
      (newestCoveringWindowStart === undefined || byFinishThenName(record, newestCoveringWindowStart) >= 0)
    ) {
      newestCoveringWindowStart = record;
    }
  }
  if (oldestCandidate === undefined) return newestComplete;
  return newestCoveringWindowStart ?? oldestCandidate;
}

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();
const wallClockFormatters = new Map<string, Intl.DateTimeFormat>();
/**
 * One formatter per zone, always with an explicit `timeZone`: the machine's zone never decides which day a backup
 * belongs to (a Lambda runs in UTC, a laptop in local time; the plan must not depend on where it is computed).
 */
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  const cached = formatters.get(timeZone);
  if (cached) return cached;
  let formatter: Intl.DateTimeFormat;
  try {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hourCycle: 'h23',
    });
  } catch (error) {
    throw new InvalidInputError(
      `retention timezone ${JSON.stringify(timeZone)} is not an IANA time zone name; use e.g. UTC or Europe/Berlin`,
      { cause: error },
    );
  }
  formatters.set(timeZone, formatter);
  return formatter;
}

/** Like formatterFor, with the time of day: for the zone's UTC offset at an instant. */
function wallClockFormatterFor(timeZone: string): Intl.DateTimeFormat {
  const cached = wallClockFormatters.get(timeZone);
  if (cached) return cached;
  formatterFor(timeZone);
  const formatter = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    hourCycle: 'h23',
  });
  wallClockFormatters.set(timeZone, formatter);
  return formatter;
}

/**
 * The zone's UTC offset at an instant, in milliseconds (wall clock minus UTC, whole seconds).
 *
 * @example utcOffsetMs(new Date('2026-07-01T00:00:00Z'), 'Europe/Berlin') === 7_200_000
 */
export function referenceUtcOffsetMs(instant: Date, timeZone: string): number {
  const fields: Record<string, number> = {};
  for (const part of wallClockFormatterFor(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const wall = Date.UTC(
    fields.year ?? 0,
    (fields.month ?? 1) - 1,
    fields.day ?? 1,
    fields.hour ?? 0,
    fields.minute ?? 0,
    fields.second ?? 0,
  );
  return wall - Math.floor(instant.getTime() / 1000) * 1000;
}

const pad2 = (value: number): string => value.toString().padStart(2, '0');

const pad4 = (value: number): string => value.toString().padStart(4, '0');

/**
 * ISO 8601 week of a calendar date: the week belongs to the year of its Thursday.
 *
 * @example isoWeek(2026, 12, 31) // { weekYear: 2026, week: 53 }
 * @example isoWeek(2027, 1, 1) // { weekYear: 2026, week: 53 }
 */
function isoWeek(year: number, month: number, day: number): { weekYear: number; week: number } {
  const date = Date.UTC(year, month - 1, day);
  const mondayBased = (new Date(date).getUTCDay() + 6) % 7;
  const thursday = date + (3 - mondayBased) * DAY_MS;
  const weekYear = new Date(thursday).getUTCFullYear();
  const week = 1 + Math.floor((thursday - Date.UTC(weekYear, 0, 1)) / (7 * DAY_MS));
  return { weekYear, week };
}

function periodsAtOffset(ms: number, offsetMs: number): CalendarPeriods {
  const local = new Date(ms + offsetMs);
  const year = local.getUTCFullYear();
  const month = local.getUTCMonth() + 1;
  const day = local.getUTCDate();
  const { weekYear, week } = isoWeek(year, month, day);
  return {
    day: `${pad4(year)}-${pad2(month)}-${pad2(day)}`,
    week: `${pad4(weekYear)}-W${pad2(week)}`,
    month: `${pad4(year)}-${pad2(month)}`,
    year: pad4(year),
  };
}

/**
 * `calendarPeriods` of many instants sorted by time (either direction), with far fewer time zone lookups: the UTC
 * offset is read at instants about a day apart, and where two readings agree the instants between share it (a zone
 * never changes its offset twice within a day); where they differ, the change is found by bisection. Hourly backups
 * over ten years cost a few thousand lookups instead of 87,600.
 *
 * @example calendarPeriodsOfSorted([new Date('2026-11-20T23:30Z'), new Date('2026-11-21T10:00Z')], 'Europe/Berlin')
 *   .map((p) => p.day) // ['2026-11-21', '2026-11-21']
 */
function calendarPeriodsOfSorted(instants: readonly Date[], timeZone: string): CalendarPeriods[] {
  const times = instants.map((instant) => instant.getTime());
  const offsets = new Array<number>(times.length);
  const offsetAt = (index: number): number => {
    const known = offsets[index];
    if (known !== undefined) return known;
    const offset = referenceUtcOffsetMs(instants[index] as Date, timeZone);
    offsets[index] = offset;
    return offset;
  };
  const fill = (from: number, to: number): void => {
    // Offsets known at both ends, at most a day apart: equal means constant in between; otherwise bisect.
    if (to - from <= 1) return;
    if (offsetAt(from) === offsetAt(to)) {
      for (let i = from + 1; i < to; i++) offsets[i] = offsets[from] as number;
      return;
    }
    const middle = (from + to) >> 1;
    offsetAt(middle);
    fill(from, middle);
    fill(middle, to);
  };
  let start = 0;
  while (start < times.length) {
    let end = start;
    // Gallop to the last instant within a day of `start`.
    let step = 1;
    while (end + step < times.length && Math.abs((times[end + step] as number) - (times[start] as number)) <= DAY_MS) {
      end += step;
      step *= 2;
    }
    while (step > 1) {
      step >>= 1;
      if (end + step < times.length && Math.abs((times[end + step] as number) - (times[start] as number)) <= DAY_MS) {
        end += step;
      }
    }
    offsetAt(start);
    offsetAt(end);
    fill(start, end);
    start = end === start ? start + 1 : end;
  }
  // Instants of the same local day share one periods object (hourly backups: 24 per day).
  let lastDay = Number.NaN;
  let lastPeriods: CalendarPeriods | undefined;
  return times.map((ms, index) => {
    const offset = offsetAt(index);
    const localDay = Math.floor((ms + offset) / DAY_MS);
    if (localDay !== lastDay || lastPeriods === undefined) {
      lastDay = localDay;
      lastPeriods = periodsAtOffset(ms, offset);
    }
    return lastPeriods;
  });
}

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
function tierCount(policy: RetentionPolicy, tier: CalendarTier): number {
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
function selectGfs(
  candidates: readonly GfsCandidate[],
  policy: RetentionPolicy,
  timeZone: string,
): Map<string, string[]> {
  const reasons = new Map<string, string[]>();
  const add = (name: string, reason: string): void => {
    const list = reasons.get(name);
    if (list) list.push(reason);
    else reasons.set(name, [reason]);
  };
  const lastCount = Math.min(policy.keepLast, candidates.length);
  for (let i = 0; i < lastCount; i++) add((candidates[i] as GfsCandidate).name, `last ${i + 1}`);

  const activeTiers = CALENDAR_TIERS.filter((tier) => tierCount(policy, tier) > 0);
  if (activeTiers.length === 0) return reasons;
  const seen = new Map<CalendarTier, Set<string>>(activeTiers.map((tier) => [tier, new Set<string>()]));
  const open = new Set<CalendarTier>(activeTiers);
  for (const candidate of candidates) {
    if (open.size === 0) break;
    const periods = candidate.periods ?? calendarPeriods(candidate.at, timeZone);
    for (const tier of open) {
      const key = periods[PERIOD_OF_TIER[tier]];
      const periodsOfTier = seen.get(tier) as Set<string>;
      if (periodsOfTier.has(key)) continue;
      // Newest first: the first backup met in a period is the newest of that period.
      periodsOfTier.add(key);
      add(candidate.name, `${tier} ${key}`);
      if (periodsOfTier.size >= tierCount(policy, tier)) open.delete(tier);
    }
  }
  return reasons;
}

/** Newest first by metadata finish time, ties by name; the sort key is read once per record. */
function newestFirst(records: readonly CompleteBackupRecord[]): CompleteBackupRecord[] {
  return records
    .map((record) => ({ record, at: backupFinishedAt(record).getTime() }))
    .sort((a, b) => b.at - a.at || (a.record.name < b.record.name ? 1 : a.record.name > b.record.name ? -1 : 0))
    .map(({ record }) => record);
}

function validatePolicy(cluster: ClusterId, policy: RetentionPolicy): void {
  const counts = {
    keepLast: policy.keepLast,
    keepDaily: policy.keepDaily,
    keepWeekly: policy.keepWeekly,
    keepMonthly: policy.keepMonthly,
    keepYearly: policy.keepYearly,
  };
  for (const [field, value] of Object.entries(counts)) {
    if (!Number.isInteger(value) || value < 0) {
      throw new InvalidInputError(`cluster ${cluster}: retention.${field} ${value} is not a whole number >= 0`);
    }
  }
  if (!(policy.pitrWindowMs >= 0)) {
    throw new InvalidInputError(`cluster ${cluster}: retention pitrWindow ${policy.pitrWindowMs} ms is negative`);
  }
  if (Object.values(counts).every((value) => value === 0) && policy.pitrWindowMs === 0) {
    throw new EmptyRetentionPolicyError(
      `cluster ${cluster}: the retention policy keeps nothing (keepLast, keepDaily, keepWeekly, keepMonthly, keepYearly all 0 and no pitrWindow); set at least one, e.g. keepDaily: 7`,
    );
  }
}

/**
 * The part of {@link planRetention} that needs no WAL: keeps and deletions of backups with their reasons, and the
 * WAL ranges that must stay.
 *
 * @example decideRetention({ cluster, backups, policy, walSegmentSize, now, planId }).protectedWal
 * // [{ fromSegNo: 0x5A0, reason: 'pitr-window from base_…' }, { timeline: 1, fromSegNo: 0x10, toSegNo: 0x11, … }]
 * @throws EmptyRetentionPolicyError, WouldDeleteAllBackupsError when no plan can be made.
 */
export function referenceDecideRetention(given: RetentionDecisionInput): RetentionDecision {
  // A backup another database pushed into the prefix becomes unreadable here: kept, never counted.
  const input = { ...given, backups: backupsWithClusterChecks(given.backups) };
  const { cluster, policy, now, walSegmentSize: size } = input;
  validatePolicy(cluster, policy);
  const live: LiveBackup[] = [];
  const byName = new Map<string, LiveBackup>();
  // Ancestors are followed through every record, so a live full behind an expired middle delta still stays.
  const anyByName = new Map<string, BackupRecord>();
  for (const record of input.backups) {
    anyByName.set(record.name, record);
    if (!isLive(record)) continue;
    live.push(record);
    byName.set(record.name, record);
  }
  // A backup with an unknown WAL range has no finish to order or anchor by: kept below, never a tier's pick.
  const complete = newestFirst(
    live.filter((record): record is CompleteBackupRecord => isCompleteBackup(record) && !hasUnknownWalRange(record)),
  );
  const newest = complete[0];
  if (newest === undefined) {
    throw new WouldDeleteAllBackupsError(
      `cluster ${cluster} has no complete backup; retention makes no plan until one completes (check \`walcat backups\`)`,
    );
  }

  const reasons = new Map<string, string[]>();
  const addReason = (name: string, reason: string): void => {
    const list = reasons.get(name);
    if (list === undefined) reasons.set(name, [reason]);
    else if (!list.includes(reason)) list.push(reason);
  };
  for (const record of complete) if (record.backup.permanent) addReason(record.name, 'permanent');
  for (const [name, reason] of input.held ?? []) if (byName.has(name)) addReason(name, reason);
  addReason(newest.name, 'newest');
  const periods = calendarPeriodsOfSorted(complete.map(backupFinishedAt), policy.timezone);
  const periodsOf = new Map<BackupRecord, CalendarPeriods>();
  complete.forEach((record, index) => {
    periodsOf.set(record, periods[index] as CalendarPeriods);
  });
  const gfs = selectGfs(
    complete.map((record, index) => ({ name: record.name, at: backupFinishedAt(record), periods: periods[index] })),
    policy,
    policy.timezone,
  );
  for (const [name, list] of gfs) for (const reason of list) addReason(name, reason);

  const windowStart = policy.pitrWindowMs > 0 ? new Date(now.getTime() - policy.pitrWindowMs) : undefined;
  const base = chainBaseOf(input.backups, complete, policy, now, windowStart);
  const baseAt = backupFinishedAt(base).getTime();
  if (windowStart !== undefined) {
    for (const record of complete)
      if (backupFinishedAt(record).getTime() >= baseAt) addReason(record.name, 'pitr-window');
  }

  const incompleteKept: LiveBackup[] = [];
  const unreadableKept: LiveBackup[] = [];
  for (const record of live) {
    if (isUnreadableBackup(record)) {
      addReason(record.name, `unreadable: ${record.problem ?? 'its sentinel could not be interpreted'}`);
      unreadableKept.push(record);
    } else if (hasUnknownWalRange(record)) {
      addReason(record.name, 'wal-range-unknown: its sentinel states no LSNs (an early WAL-G release)');
      unreadableKept.push(record);
    } else if (record.status === 'incomplete' && now.getTime() - lastSignOfLife(record) < policy.incompleteGraceMs) {
      addReason(record.name, 'incomplete-grace');
      incompleteKept.push(record);
    }
  }

  for (const name of [...reasons.keys()]) {
    const seen = new Set<string>([name]);
    let parentName = declaredDeltaParent(anyByName.get(name));
    while (parentName !== undefined && !seen.has(parentName)) {
      seen.add(parentName);
      if (byName.has(parentName)) addReason(parentName, `delta-ancestor of ${name}`);
      parentName = declaredDeltaParent(anyByName.get(parentName));
    }
  }

  const keptNames = new Set([...reasons.keys()].filter((name) => byName.has(name)));
  const baseRange = consistencyRange(base, size);
  const protectedWal: ProtectedWalRange[] = [
    { fromSegNo: baseRange.fromSegNo, reason: `${windowStart ? 'pitr-window' : 'newest'} from ${base.name}` },
  ];
  for (const record of [...complete].reverse()) {
    if (keptNames.has(record.name) && backupFinishedAt(record).getTime() < baseAt) {
      protectedWal.push(consistencyRange(record, size));
    }
  }
  for (const record of incompleteKept) {
    const range = walFromNameOn(record, size, `incomplete-grace ${record.name}`);
    if (range !== undefined) protectedWal.push(range);
  }
  for (const record of unreadableKept) {
    const range = walFromNameOn(record, size, `unreadable ${record.name}`);
    if (range !== undefined) protectedWal.push(range);
  }
  const keep: KeptBackup[] = [];
  const deleted: DeletedBackup[] = [];
  const keptByReason = new Map<string, string>();
  for (const [name, list] of reasons) for (const reason of list) keptByReason.set(reason, name);
  // Backups of one local day share their periods object, and so the tier that superseded them.
  const supersededByPeriods = new Map<CalendarPeriods, string | undefined>();
  for (const record of oldestFirst(live)) {
    const list = reasons.get(record.name);
    if (list) {
      keep.push(withOutcome(record, { permanent: record.backup?.permanent ?? false, reasons: list }));
      continue;
    }
    const periods = periodsOf.get(record);
    let superseded = periods === undefined ? undefined : supersededByPeriods.get(periods);
    if (periods !== undefined && !supersededByPeriods.has(periods)) {
      superseded = supersededBy(periods, keptByReason);
      supersededByPeriods.set(periods, superseded);
    }
    deleted.push(
      withOutcome(record, {
        reason: superseded ?? deletionReason(record, policy),
        bytes: record.backup?.compressedSize ?? 0,
      }),
    );
  }

  return { input, base, ...(windowStart ? { windowStart } : {}), keep, deleted, protectedWal };
}

/** With a window, the PITR chain base (continuity's rule); without, the newest complete backup. */
function chainBaseOf(
  backups: readonly BackupRecord[],
  complete: readonly CompleteBackupRecord[],
  policy: RetentionPolicy,
  now: Date,
  windowStart: Date | undefined,
): CompleteBackupRecord {
  const newest = complete[0] as CompleteBackupRecord;
  if (windowStart === undefined) return newest;
  const base = pitrChainBase(backups, policy, now);
  return base !== undefined && isCompleteBackup(base) ? base : newest;
}

/** Oldest first (incomplete backups by when they were first seen), for the plan's lists. */
function oldestFirst(records: readonly LiveBackup[]): LiveBackup[] {
  return records
    .map((record) => ({
      record,
      at: isCompleteBackup(record) ? backupFinishedAt(record).getTime() : record.firstSeenAt.getTime(),
    }))
    .sort((a, b) => a.at - b.at || (a.record.name < b.record.name ? -1 : a.record.name > b.record.name ? 1 : 0))
    .map(({ record }) => record);
}

/**
 * A plan entry of a backup: its name, status, kind and finish time, then the outcome's own fields, in that order (the
 * order the JSON plan prints). Built field by field: spreading a shared part cost more than the decision itself
 * at 87,600 backups.
 */
function withOutcome<Outcome extends object>(
  record: LiveBackup,
  outcome: Outcome,
): { name: string; status: BackupStatus; kind?: 'full' | 'delta'; finishedAt?: Date } & Outcome {
  const entry: { name: string; status: BackupStatus; kind?: 'full' | 'delta'; finishedAt?: Date } = {
    name: record.name,
    status: record.status,
  };
  if (record.backup) entry.kind = record.backup.kind;
  if (isCompleteBackup(record)) entry.finishedAt = backupFinishedAt(record);
  return Object.assign(entry, outcome);
}

/** The tier slot of one of the backup's periods that a kept backup fills, finest first, as a deletion reason. */
function supersededBy(periods: CalendarPeriods, keptByReason: ReadonlyMap<string, string>): string | undefined {
  const keys = { daily: periods.day, weekly: periods.week, monthly: periods.month, yearly: periods.year };
  for (const tier of CALENDAR_TIERS) {
    const reason = `${tier} ${keys[tier]}`;
    const keeper = keptByReason.get(reason);
    if (keeper !== undefined) return `superseded by ${keeper} (${reason})`;
  }
  return undefined;
}

/** Why a backup no tier slot supersedes goes. */
function deletionReason(record: LiveBackup, policy: RetentionPolicy): string {
  if (record.status === 'incomplete') {
    return `incomplete for longer than incompleteGrace ${formatDuration(policy.incompleteGraceMs)} (first seen ${record.firstSeenAt.toISOString()}, last sign of life ${new Date(lastSignOfLife(record)).toISOString()})`;
  }
  return 'older than every tier and the pitr window';
}

function formatDuration(ms: number): string {
  const hours = ms / 3_600_000;
  return Number.isInteger(hours / 24) ? `${hours / 24}d` : Number.isInteger(hours) ? `${hours}h` : `${ms / 60_000}m`;
}
