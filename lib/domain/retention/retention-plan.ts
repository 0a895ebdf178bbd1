import { backupsWithClusterChecks } from '../catalog/backup-eligibility.ts';
import type { BackupRecord, BackupStatus } from '../catalog/catalog-records.ts';
import type { ClusterId, RetentionPolicy } from '../cluster.ts';
import {
  backupFinishedAt,
  type CompleteBackupRecord,
  isCompleteBackup,
  pitrChainBase,
} from '../continuity/pitr-chain-base.ts';
import { InvalidInputError } from '../errors.ts';
import { analyzeBackupName } from '../layout/backup-name.ts';
import type { WalSegmentSize } from '../wal/segment-size.ts';
import { parseWalFileName, segmentNumber, segNoOfByteBefore } from '../wal/wal-segment.ts';
import { type CalendarPeriods, calendarDaysOfSortedTimes } from './calendar-period.ts';
import { CALENDAR_TIERS, selectGfsOfSorted } from './gfs-selection.ts';
import {
  EmptyRetentionPolicyError,
  NeededObjectDeletionError,
  PermanentBackupDeletionError,
  WouldDeleteAllBackupsError,
} from './retention-errors.ts';
import {
  type ProtectedWalRange,
  planWalDeletion,
  planWalDeletionOverRuns,
  type RetentionWalObject,
  type RetentionWalRuns,
  type WalDeletionRange,
  walProtection,
  walRangeProtection,
} from './wal-retention.ts';

export interface RetentionPlanInput {
  readonly cluster: ClusterId;
  /** Every catalogued backup of the cluster; `deleted` and `expired` records are ignored. */
  readonly backups: readonly BackupRecord[];
  /** Every catalogued WAL object of the cluster (tombstones are ignored). */
  readonly wal: readonly RetentionWalObject[];
  readonly policy: RetentionPolicy;
  readonly walSegmentSize: WalSegmentSize;
  readonly now: Date;
  readonly planId: string;
  /**
   * Backups the bucket itself will not let go (Object Lock retention or legal hold), by name, with the lock as the
   * reason: kept like a permanent backup, with the WAL they need, so apply never runs into them.
   */
  readonly held?: ReadonlyMap<string, string>;
}

/** A backup the plan keeps, with every rule that keeps it. */
export interface KeptBackup {
  readonly name: string;
  readonly status: BackupStatus;
  readonly kind?: 'full' | 'delta';
  readonly permanent: boolean;
  /** When it became restorable (finish time from the metadata); absent for incomplete backups. */
  readonly finishedAt?: Date;
  /**
   * `permanent`, `newest`, `last N`, `daily 2026-11-20`, `weekly 2026-W47`, `monthly 2026-11`, `yearly 2026`,
   * `pitr-window`, `incomplete-grace`, `unreadable: <problem>`, `delta-ancestor of <name>`, `object-lock: <lock>`.
   */
  readonly reasons: readonly string[];
}

/** A backup the plan deletes, and why. */
export interface DeletedBackup {
  readonly name: string;
  readonly status: BackupStatus;
  readonly kind?: 'full' | 'delta';
  readonly finishedAt?: Date;
  readonly reason: string;
  /** Compressed size from the sentinel (0 when unknown, e.g. incomplete backups). */
  readonly bytes: number;
}

/**
 * What retention keeps and deletes for one cluster, and why. A pure function of (catalog, policy, now); storing and
 * applying it are separate steps.
 */
export interface RetentionPlan {
  readonly planId: string;
  readonly cluster: ClusterId;
  readonly createdAt: Date;
  readonly policy: RetentionPolicy;
  readonly walSegmentSize: WalSegmentSize;
  /** `now - pitrWindow`; absent when the policy has no window. */
  readonly windowStart?: Date;
  /** The backup WAL is kept from, without thinning, up to the head: the PITR chain base (or the newest backup). */
  readonly chainBase: string;
  /** Oldest first. */
  readonly keep: readonly KeptBackup[];
  readonly delete: {
    /** Oldest first. */
    readonly backups: readonly DeletedBackup[];
    /** Every catalogued object in these ranges goes; the keys are read from the catalog range by range. */
    readonly wal: readonly WalDeletionRange[];
  };
  /** The WAL that stays, and why (history files and objects without a segment number always stay too). */
  readonly protectedWal: readonly ProtectedWalRange[];
  readonly keptWalObjects: number;
  /** Bytes of the WAL objects deleted plus the compressed size of the backups deleted. */
  readonly bytesFreed: number;
}

/** A plan made from the WAL objects themselves, with the exact keys it deletes. */
export type KeyedRetentionPlan = RetentionPlan & {
  readonly delete: RetentionPlan['delete'] & {
    /** Exact WAL keys to delete, by timeline and segment. */
    readonly walKeys: readonly string[];
  };
};

/** Everything a plan needs but the WAL. */
export type RetentionDecisionInput = Omit<RetentionPlanInput, 'wal'>;

/**
 * What retention decides from the backups alone: which stay and go, and which WAL stays. The WAL itself only has
 * to be matched against `protectedWal`, so it can come afterwards, as runs read straight from the catalog.
 */
export interface RetentionDecision {
  readonly input: RetentionDecisionInput;
  readonly base: CompleteBackupRecord;
  readonly windowStart?: Date;
  readonly keep: readonly KeptBackup[];
  readonly deleted: readonly DeletedBackup[];
  readonly protectedWal: readonly ProtectedWalRange[];
}

type LiveBackup = BackupRecord;

/**
 * A backup retention has to decide about: complete, incomplete, or any record whose sentinel object is present
 * (whatever status the catalog derived from it: a present sentinel is never garbage).
 */
export const isLiveBackup = (record: BackupRecord): boolean =>
  record.status === 'complete' || record.status === 'incomplete' || hasPresentSentinel(record);
const isLive = isLiveBackup;

/** True when the catalog last saw the backup's sentinel object in the bucket. */
export function hasPresentSentinel(record: BackupRecord): boolean {
  return record.sentinel?.present === true;
}

/**
 * A backup whose sentinel exists but which the catalog could not read into a complete backup (malformed or partial
 * sentinel or metadata.json, inconsistent LSNs). Retention never deletes it: walcat cannot know what it needs.
 */
export function isUnreadableBackup(record: BackupRecord): boolean {
  return hasPresentSentinel(record) && !isCompleteBackup(record);
}

/**
 * A complete backup from an early WAL-G release (sentinel `{}`, or only `LSN` and `Files`): WAL-G restores it, but
 * nothing says where its WAL ends, so retention keeps it and the WAL from its name's segment on.
 */
export function hasUnknownWalRange(record: BackupRecord): boolean {
  return isCompleteBackup(record) && record.backup.walRangeUnknown === true;
}

/**
 * The parent a backup names, read from its parsed sentinel or, for an unreadable one, from the raw sentinel text
 * (`DeltaFrom`), so the ancestors of a backup walcat cannot fully read are protected too.
 */
export function declaredDeltaParent(record: BackupRecord | undefined): string | undefined {
  if (record === undefined) return undefined;
  if (record.backup !== undefined) return record.backup.deltaFrom;
  const text = record.sentinel?.present ? record.sentinel.text : undefined;
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    const parent =
      typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).DeltaFrom : undefined;
    return typeof parent === 'string' && parent !== '' ? parent : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The WAL a backup whose range is unknown (unreadable, or still uploading) may need: from its name's segment on,
 * on its own timeline, up to the head. Undefined when the name does not parse.
 */
export function walFromNameOn(
  record: BackupRecord,
  size: WalSegmentSize,
  reason: string,
): ProtectedWalRange | undefined {
  const parts = analyzeBackupName(record.name, size);
  if (typeof parts === 'string') return undefined;
  return { timeline: parts.timeline, fromSegNo: parts.startSegment.segNo, reason };
}

/** The last time anything of the backup was seen arriving (a payload object, its sentinel or metadata.json). */
export function lastSignOfLife(record: BackupRecord): number {
  return Math.max(record.firstSeenAt.getTime(), record.updatedAt.getTime(), record.lastSignOfLifeAt?.getTime() ?? 0);
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
 * The WAL a complete backup needs to reach consistency: from the segment before its start LSN (WAL-G protects
 * `segNo(start_lsn - 1)`; on a standby the name's segment can be that one) to the segment holding the byte before
 * its finish LSN, on its own timeline.
 *
 * @example consistencyRange(backupStartingAt0x10FinishingIn0x11, 16 MiB) // { timeline: 1, fromSegNo: 16, toSegNo: 17, reason: 'consistency of base_…' }
 */
export function consistencyRange(record: CompleteBackupRecord, size: WalSegmentSize): ProtectedWalRange {
  const { backup } = record;
  const beforeStart = segNoOfByteBefore(backup.startLsn, size);
  const nameStart = backup.startSegment.timeline === backup.timeline ? backup.startSegment.segNo : beforeStart;
  const fromSegNo = segmentNumber(Math.min(beforeStart, nameStart));
  if (backup.walRangeUnknown) {
    // Where its WAL ends is unknown: everything from its start on, up to the head, may be needed.
    return { timeline: backup.timeline, fromSegNo, reason: `consistency of ${record.name} (WAL range unknown)` };
  }
  const toSegNo = segmentNumber(Math.max(fromSegNo, segNoOfByteBefore(backup.finishLsn, size)));
  return { timeline: backup.timeline, fromSegNo, toSegNo, reason: `consistency of ${record.name}` };
}

/**
 * Computes the retention plan of one cluster.
 *
 * Keeps: permanent backups; the newest complete backup; `last N`; the newest complete backup of each of the N most
 * recent days / ISO weeks / months / years that have one (in `policy.timezone`; tiers count independently, like
 * restic); every complete backup from the PITR chain base on; incomplete backups younger than `incompleteGrace`;
 * the delta ancestors of every kept delta. WAL: everything from the chain base's start segment up (all timelines),
 * each older kept backup's consistency range, and from the start of each kept incomplete backup up; `.history`
 * files always. Everything else is deleted, with the reason.
 *
 * @example
 * const plan = planRetention({ cluster, backups, wal, policy, walSegmentSize, now, planId: 'p-1' });
 * plan.keep.map((k) => `${k.name}: ${k.reasons.join(', ')}`);
 * // ['base_…01: monthly 2026-10', 'base_…7A: newest, last 1, daily 2026-11-20, weekly 2026-W47, ...']
 * @throws EmptyRetentionPolicyError, WouldDeleteAllBackupsError, PermanentBackupDeletionError,
 *   NeededObjectDeletionError (all UnsafePlanError) when the outcome would be unsafe.
 */
export function planRetention(given: RetentionPlanInput): KeyedRetentionPlan {
  const decision = decideRetention(given);
  const wal = planWalDeletion(given.wal, decision.protectedWal, decision.input.walSegmentSize);
  const plan: KeyedRetentionPlan = {
    ...assemblePlan(decision, wal),
    delete: {
      backups: decision.deleted,
      wal: wal.ranges,
      walKeys: wal.objects.map((object) => object.key),
    },
  };
  assertPlanIsSafe(plan, decision.input.backups, wal.objects, decision.base, decision.input.walSegmentSize);
  return plan;
}

/**
 * The same plan as {@link planRetention}, with the WAL given as runs instead of objects: time and memory grow with
 * the runs (one per timeline, gap and kept island) rather than with the objects. The runs must be built with
 * `walRunBreaks(decision.protectedWal)`, so each is kept or deleted whole.
 *
 * @example
 * const decision = decideRetention({ cluster, backups, policy, walSegmentSize, now, planId: 'p-1' });
 * const builder = new RetentionWalRunsBuilder(walRunBreaks(decision.protectedWal));
 * for (const object of walInCatalogOrder) builder.add(object);
 * const plan = planRetentionOverRuns(decision, builder.build()); // plan.delete.wal: the ranges to delete
 * @throws the errors of {@link planRetention}; InvalidInputError for runs not built with those breaks.
 */
export function planRetentionOverRuns(decision: RetentionDecision, walRuns: RetentionWalRuns): RetentionPlan {
  const wal = planWalDeletionOverRuns(walRuns, decision.protectedWal, decision.input.walSegmentSize);
  const plan = assemblePlan(decision, wal);
  assertPlanIsSafe(plan, decision.input.backups, [], decision.base, decision.input.walSegmentSize, wal.ranges);
  return plan;
}

function assemblePlan(
  decision: RetentionDecision,
  wal: { readonly ranges: readonly WalDeletionRange[]; readonly bytes: number; readonly keptObjects: number },
): RetentionPlan {
  const { input, base, windowStart, keep, deleted, protectedWal } = decision;
  return {
    planId: input.planId,
    cluster: input.cluster,
    createdAt: input.now,
    policy: input.policy,
    walSegmentSize: input.walSegmentSize,
    ...(windowStart ? { windowStart } : {}),
    chainBase: base.name,
    keep,
    delete: { backups: deleted, wal: wal.ranges },
    protectedWal,
    keptWalObjects: wal.keptObjects,
    bytesFreed: wal.bytes + deleted.reduce((sum, backup) => sum + backup.bytes, 0),
  };
}

/**
 * The part of {@link planRetention} that needs no WAL: keeps and deletions of backups with their reasons, and the
 * WAL ranges that must stay.
 *
 * @example decideRetention({ cluster, backups, policy, walSegmentSize, now, planId }).protectedWal
 * // [{ fromSegNo: 0x5A0, reason: 'pitr-window from base_…' }, { timeline: 1, fromSegNo: 0x10, toSegNo: 0x11, … }]
 * @throws EmptyRetentionPolicyError, WouldDeleteAllBackupsError when no plan can be made.
 */
export function decideRetention(given: RetentionDecisionInput): RetentionDecision {
  // Tens of thousands of backups, each a few objects scattered over the heap: reading them costs more than what is
  // done with them. So each record is read once into arrays indexed like `live`, every pass after that but the
  // last (which writes the plan's entries) runs over those arrays, and the records are sorted once.
  let read = readBackups(given.backups);
  // A backup another database pushed into the prefix becomes unreadable here: kept, never counted. The cluster
  // checks change nothing while the complete backups state at most one system identifier, which the same pass
  // reads; only when a second one appears are the records checked and read again.
  const backups = read.severalSystemIdentifiers ? backupsWithClusterChecks(given.backups) : [...given.backups];
  if (read.severalSystemIdentifiers) read = readBackups(backups);
  const input = { ...given, backups };
  const { cluster, policy, now, walSegmentSize: size } = input;
  validatePolicy(cluster, policy);
  const { live, liveIndexOf, at, traits, namesAscend } = read;
  // Ancestors are followed through every record, so a live full behind an expired middle delta still stays.
  const names = nameIndex(backups, namesAscend);
  const recordNamed = (name: string): BackupRecord | undefined => {
    const given = names.indexOf(name);
    return given === undefined ? undefined : backups[given];
  };
  const liveNames = names.unique ? undefined : new Set(live.map((record) => record.name));
  const isLiveName = (name: string): boolean => {
    if (liveNames !== undefined) return liveNames.has(name);
    const given = names.indexOf(name);
    return given !== undefined && (liveIndexOf[given] as number) >= 0;
  };
  const order = oldestFirstOrder(live, at);
  // Complete backups with a known WAL range, newest first: one with an unknown range has no finish to order or
  // anchor by (kept below, never a tier's pick).
  const newestFirst: number[] = [];
  for (let position = order.length - 1; position >= 0; position--) {
    const index = order[position] as number;
    if (((traits[index] as number) & CANDIDATE) !== 0) newestFirst.push(index);
  }
  if (!names.unique) restoreGivenOrderOfTies(newestFirst, live, at);
  const newestIndex = newestFirst[0];
  if (newestIndex === undefined) {
    throw new WouldDeleteAllBackupsError(
      `cluster ${cluster} has no complete backup; retention makes no plan until one completes (check \`walcat backups\`)`,
    );
  }
  const newest = live[newestIndex] as CompleteBackupRecord;
  const candidate = (position: number): CompleteBackupRecord =>
    live[newestFirst[position] as number] as CompleteBackupRecord;

  const reasons = new Map<string, string[]>();
  const addReason = (name: string, reason: string): void => {
    const list = reasons.get(name);
    if (list === undefined) reasons.set(name, [reason]);
    else if (!list.includes(reason)) list.push(reason);
  };
  for (let position = 0; position < newestFirst.length; position++) {
    if (((traits[newestFirst[position] as number] as number) & PERMANENT) !== 0) {
      addReason(candidate(position).name, 'permanent');
    }
  }
  for (const [name, reason] of input.held ?? []) if (isLiveName(name)) addReason(name, reason);
  addReason(newest.name, 'newest');
  const finishTimes = new Float64Array(newestFirst.length);
  for (let position = 0; position < newestFirst.length; position++) {
    finishTimes[position] = at[newestFirst[position] as number] as number;
  }
  // Periods by local day: the candidates of one day share them, so each backup holds only its day's number.
  const calendar = calendarDaysOfSortedTimes(finishTimes, policy.timezone);
  const dayOf = new Int32Array(live.length).fill(-1);
  for (let position = 0; position < newestFirst.length; position++) {
    dayOf[newestFirst[position] as number] = calendar.dayOf[position] as number;
  }
  const gfs = selectGfsOfSorted(
    newestFirst.length,
    (position) => candidate(position).name,
    (position) => calendar.days[calendar.dayOf[position] as number] as CalendarPeriods,
    policy,
  );
  for (const [name, list] of gfs) for (const reason of list) addReason(name, reason);

  const windowStart = policy.pitrWindowMs > 0 ? new Date(now.getTime() - policy.pitrWindowMs) : undefined;
  const base =
    windowStart === undefined ? newest : (live[chainBaseIndex(at, traits, order, windowStart)] as CompleteBackupRecord);
  const baseAt = backupFinishedAt(base).getTime();
  if (windowStart !== undefined) {
    // Newest first: the backups from the base on come first.
    for (let position = 0; position < newestFirst.length; position++) {
      if ((at[newestFirst[position] as number] as number) < baseAt) break;
      addReason(candidate(position).name, 'pitr-window');
    }
  }

  const incompleteKept: LiveBackup[] = [];
  const unreadableKept: LiveBackup[] = [];
  for (let index = 0; index < live.length; index++) {
    const trait = traits[index] as number;
    if ((trait & (UNREADABLE | WAL_RANGE_UNKNOWN | INCOMPLETE)) === 0) continue;
    const record = live[index] as LiveBackup;
    if ((trait & UNREADABLE) !== 0) {
      addReason(record.name, `unreadable: ${record.problem ?? 'its sentinel could not be interpreted'}`);
      unreadableKept.push(record);
    } else if ((trait & WAL_RANGE_UNKNOWN) !== 0) {
      addReason(record.name, 'wal-range-unknown: its sentinel states no LSNs (an early WAL-G release)');
      unreadableKept.push(record);
    } else if (now.getTime() - lastSignOfLife(record) < policy.incompleteGraceMs) {
      addReason(record.name, 'incomplete-grace');
      incompleteKept.push(record);
    }
  }

  for (const name of [...reasons.keys()]) {
    const seen = new Set<string>([name]);
    let parentName = declaredDeltaParent(recordNamed(name));
    while (parentName !== undefined && !seen.has(parentName)) {
      seen.add(parentName);
      if (isLiveName(parentName)) addReason(parentName, `delta-ancestor of ${name}`);
      parentName = declaredDeltaParent(recordNamed(parentName));
    }
  }

  // Which live backups are kept, by index: every record of a kept name.
  const isKept = new Uint8Array(live.length);
  if (liveNames === undefined) {
    for (const name of reasons.keys()) {
      const given = names.indexOf(name);
      const index = given === undefined ? -1 : (liveIndexOf[given] as number);
      if (index >= 0) isKept[index] = 1;
    }
  } else {
    for (let index = 0; index < live.length; index++) {
      if (reasons.has((live[index] as LiveBackup).name)) isKept[index] = 1;
    }
  }
  const baseRange = consistencyRange(base, size);
  const protectedWal: ProtectedWalRange[] = [
    { fromSegNo: baseRange.fromSegNo, reason: `${windowStart ? 'pitr-window' : 'newest'} from ${base.name}` },
  ];
  // Oldest first, up to the base.
  for (let position = newestFirst.length - 1; position >= 0; position--) {
    const index = newestFirst[position] as number;
    if ((at[index] as number) >= baseAt) break;
    if (isKept[index] === 1) protectedWal.push(consistencyRange(candidate(position), size));
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
  // Backups of one local day share the tier that superseded them: worked out once per day.
  const supersededOfDay = new Array<string | undefined>(calendar.days.length).fill(undefined);
  const supersededKnown = new Uint8Array(calendar.days.length);
  for (let position = 0; position < order.length; position++) {
    const index = order[position] as number;
    const record = live[index] as LiveBackup;
    if (isKept[index] === 1) {
      keep.push(keptEntry(record, reasons.get(record.name) as string[]));
      continue;
    }
    const day = dayOf[index] as number;
    let superseded: string | undefined;
    if (day >= 0) {
      if (supersededKnown[day] === 0) {
        supersededOfDay[day] = supersededBy(calendar.days[day] as CalendarPeriods, keptByReason);
        supersededKnown[day] = 1;
      }
      superseded = supersededOfDay[day];
    }
    deleted.push(deletedEntry(record, superseded ?? deletionReason(record, policy)));
  }

  return { input, base, ...(windowStart ? { windowStart } : {}), keep, deleted, protectedWal };
}

/**
 * Where the record of a name is among the given backups (the last one, when a name repeats). A catalog lists its
 * backups by name: then the names are unique and a binary search finds one, with no map of tens of thousands of
 * names built for the few hundred lookups a plan makes.
 */
function nameIndex(
  backups: readonly BackupRecord[],
  namesAscend: boolean,
): { readonly unique: boolean; indexOf(name: string): number | undefined } {
  if (namesAscend) {
    return {
      unique: true,
      indexOf(name) {
        let low = 0;
        let high = backups.length - 1;
        while (low <= high) {
          const middle = (low + high) >>> 1;
          const probe = (backups[middle] as BackupRecord).name;
          if (probe < name) low = middle + 1;
          else if (probe > name) high = middle - 1;
          else return middle;
        }
        return undefined;
      },
    };
  }
  const byName = new Map<string, number>();
  for (let given = 0; given < backups.length; given++) byName.set((backups[given] as BackupRecord).name, given);
  return { unique: byName.size === backups.length, indexOf: (name) => byName.get(name) };
}

interface BackupsRead {
  /** The live backups, as given. */
  readonly live: readonly LiveBackup[];
  /** For each given record, its index in `live`, or -1. */
  readonly liveIndexOf: Int32Array;
  /** By index in `live`: when it became restorable (incomplete and unreadable backups: when first seen). */
  readonly at: Float64Array;
  /** By index in `live`: what else the plan needs to know of it, as bits. */
  readonly traits: Uint8Array;
  /** The names strictly ascend as given (a catalog's listing): they are unique and can be searched. */
  readonly namesAscend: boolean;
  /** The complete backups state more than one system identifier: some may be foreign. */
  readonly severalSystemIdentifiers: boolean;
}

/** The one pass over the records themselves (before the one that writes the plan's entries). */
function readBackups(backups: readonly BackupRecord[]): BackupsRead {
  const live: LiveBackup[] = [];
  const liveIndexOf = new Int32Array(backups.length).fill(-1);
  const at = new Float64Array(backups.length);
  const traits = new Uint8Array(backups.length);
  let namesAscend = true;
  let previousName: string | undefined;
  let systemIdentifier: bigint | undefined;
  let severalSystemIdentifiers = false;
  for (let given = 0; given < backups.length; given++) {
    const record = backups[given] as BackupRecord;
    if (namesAscend && previousName !== undefined && !(previousName < record.name)) namesAscend = false;
    previousName = record.name;
    if (!isLive(record)) continue;
    const index = live.length;
    liveIndexOf[given] = index;
    live.push(record);
    if (isCompleteBackup(record)) {
      const { backup } = record;
      at[index] = backupFinishedAt(record).getTime();
      traits[index] =
        COMPLETE |
        (backup.walRangeUnknown === true ? WAL_RANGE_UNKNOWN : CANDIDATE) |
        (backup.permanent ? PERMANENT : 0);
      const id = backup.systemIdentifier;
      if (id !== undefined && id !== systemIdentifier) {
        if (systemIdentifier === undefined) systemIdentifier = id;
        else severalSystemIdentifiers = true;
      }
    } else {
      at[index] = record.firstSeenAt.getTime();
      traits[index] = (hasPresentSentinel(record) ? UNREADABLE : 0) | (record.status === 'incomplete' ? INCOMPLETE : 0);
    }
  }
  return { live, liveIndexOf, at, traits, namesAscend, severalSystemIdentifiers };
}

/** What decideRetention reads of a live backup once, as bits. */
const COMPLETE = 1;
/** Complete with a known WAL range: ordered and counted by the tiers. */
const CANDIDATE = 2;
const PERMANENT = 4;
const WAL_RANGE_UNKNOWN = 8;
/** Its sentinel exists but it is not complete. */
const UNREADABLE = 16;
const INCOMPLETE = 32;

/**
 * The live backups' indices in the order of the plan's lists: oldest first by `at`, ties by name, then as given.
 * Backups listed in that order already (a catalog lists them by name, which is their order on one timeline) are
 * not sorted at all; names are read only to break a tie.
 */
function oldestFirstOrder(live: readonly LiveBackup[], at: Float64Array): Uint32Array {
  const order = new Uint32Array(live.length);
  for (let index = 0; index < order.length; index++) order[index] = index;
  const compare = (a: number, b: number): number => {
    const byTime = (at[a] as number) - (at[b] as number);
    if (byTime) return byTime;
    const nameA = (live[a] as LiveBackup).name;
    const nameB = (live[b] as LiveBackup).name;
    return nameA < nameB ? -1 : nameA > nameB ? 1 : a - b;
  };
  for (let index = 1; index < order.length; index++) {
    if (compare(index - 1, index) > 0) return order.sort(compare);
  }
  return order;
}

/**
 * The newest-first list is the oldest-first one reversed, so backups equal in time and name came out last given
 * first: puts each such run back in the order given, as a stable newest-first sort leaves it.
 */
function restoreGivenOrderOfTies(newestFirst: number[], live: readonly LiveBackup[], at: Float64Array): void {
  const sameAsPrevious = (position: number): boolean => {
    const index = newestFirst[position] as number;
    const previous = newestFirst[position - 1] as number;
    return at[index] === at[previous] && (live[index] as LiveBackup).name === (live[previous] as LiveBackup).name;
  };
  let start = 0;
  while (start < newestFirst.length) {
    let end = start + 1;
    while (end < newestFirst.length && sameAsPrevious(end)) end++;
    if (end - start > 1) {
      const run = newestFirst.slice(start, end).reverse();
      newestFirst.splice(start, run.length, ...run);
    }
    start = end;
  }
}

/**
 * The PITR chain base by continuity's rule ({@link pitrChainBase}), read off the oldest-first order instead of
 * another pass over the records: the newest complete non-permanent backup finished at or before the window's
 * start, else the oldest one, else (only permanent backups) the newest complete one. Among backups equal in time
 * and name the order keeps them as given, so the first / last of them is the one pitrChainBase picks.
 */
function chainBaseIndex(at: Float64Array, traits: Uint8Array, order: Uint32Array, windowStart: Date): number {
  const windowStartMs = windowStart.getTime();
  let oldestCandidate = -1;
  let newestCoveringWindowStart = -1;
  let newestComplete = -1;
  for (let position = 0; position < order.length; position++) {
    const index = order[position] as number;
    const trait = traits[index] as number;
    if ((trait & COMPLETE) === 0) continue;
    newestComplete = index;
    if ((trait & PERMANENT) !== 0) continue;
    if (oldestCandidate < 0) oldestCandidate = index;
    if ((at[index] as number) <= windowStartMs) newestCoveringWindowStart = index;
  }
  if (oldestCandidate < 0) return newestComplete;
  return newestCoveringWindowStart >= 0 ? newestCoveringWindowStart : oldestCandidate;
}

/*
 * The plan's entries of a backup: its name, status, kind and finish time, then the outcome's own fields, in that
 * order (the order the JSON plan prints). Written as literals: spreading a shared part, or assigning the outcome
 * onto it, cost more than the decision itself at 87,600 backups.
 */

function keptEntry(record: LiveBackup, reasons: readonly string[]): KeptBackup {
  const { name, status } = record;
  const permanent = record.backup?.permanent ?? false;
  if (isCompleteBackup(record)) {
    return { name, status, kind: record.backup.kind, finishedAt: backupFinishedAt(record), permanent, reasons };
  }
  if (record.backup) return { name, status, kind: record.backup.kind, permanent, reasons };
  return { name, status, permanent, reasons };
}

function deletedEntry(record: LiveBackup, reason: string): DeletedBackup {
  const { name, status } = record;
  const bytes = record.backup?.compressedSize ?? 0;
  if (isCompleteBackup(record)) {
    return { name, status, kind: record.backup.kind, finishedAt: backupFinishedAt(record), reason, bytes };
  }
  if (record.backup) return { name, status, kind: record.backup.kind, reason, bytes };
  return { name, status, reason, bytes };
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

/**
 * Checks a plan against a catalog: nothing it deletes is permanent, the newest or PITR chain backup, a delta
 * ancestor of a kept backup, or WAL a kept backup or the chain needs. `planRetention` runs it on every plan it
 * makes; apply can run it again against the catalog as it is at apply time.
 *
 * @example verifyRetentionPlan(storedPlan, catalogBackups, catalogWal) // throws NeededObjectDeletionError, ...
 * @throws UnsafePlanError subclasses naming the object and the plan.
 */
export function verifyRetentionPlan(
  plan: KeyedRetentionPlan,
  backups: readonly BackupRecord[],
  wal: readonly RetentionWalObject[],
): void {
  const base = backups.find((record) => record.name === plan.chainBase);
  if (base === undefined || !isCompleteBackup(base)) {
    throw new NeededObjectDeletionError(
      `cluster ${plan.cluster}: retention plan ${plan.planId} keeps WAL from ${plan.chainBase}, which is no longer a complete backup in the catalog; run \`walcat sync\` and plan again`,
    );
  }
  const doomedKeys = new Set(plan.delete.walKeys);
  const doomed = wal.filter((object) => doomedKeys.has(object.key));
  assertPlanIsSafe(plan, backups, doomed, base, plan.walSegmentSize);
}

/**
 * The final check, computed from the plan's own outcome rather than from the rules that produced it: whatever a
 * kept backup or the window needs must not be in the deletion lists.
 */
function assertPlanIsSafe(
  plan: RetentionPlan,
  backups: readonly BackupRecord[],
  doomedWal: readonly RetentionWalObject[],
  base: CompleteBackupRecord,
  size: WalSegmentSize,
  doomedRanges: readonly WalDeletionRange[] = [],
): void {
  const byName = new Map<string, BackupRecord>();
  for (const record of backups) byName.set(record.name, record);
  const keptNames = new Set(plan.keep.map((kept) => kept.name));
  // Only a kept delta asks whether its ancestor is deleted: most catalogs never need this set of every deletion.
  let deletedNames: ReadonlySet<string> | undefined;
  const isDeleted = (name: string): boolean => {
    deletedNames ??= new Set(plan.delete.backups.map((doomed) => doomed.name));
    return deletedNames.has(name);
  };
  const baseAt = backupFinishedAt(base).getTime();
  for (const doomed of plan.delete.backups) {
    const record = byName.get(doomed.name) as BackupRecord;
    if (isUnreadableBackup(record)) {
      throw new NeededObjectDeletionError(
        `cluster ${plan.cluster}: retention plan ${plan.planId} would delete ${doomed.name}, whose sentinel exists but could not be read (${record.problem ?? 'unknown problem'}); walcat never deletes such a backup`,
      );
    }
    if (record.backup?.permanent) {
      throw new PermanentBackupDeletionError(
        `cluster ${plan.cluster}: retention plan ${plan.planId} would delete permanent backup ${doomed.name}; unmark it with \`wal-g backup-mark -i ${doomed.name}\` first if it must go`,
      );
    }
    if (isCompleteBackup(record) && backupFinishedAt(record).getTime() >= baseAt) {
      throw new NeededObjectDeletionError(
        `cluster ${plan.cluster}: retention plan ${plan.planId} would delete ${doomed.name}, which the PITR chain from ${base.name} needs`,
      );
    }
  }
  if (!plan.keep.some((kept) => kept.status === 'complete' && byName.get(kept.name)?.backup !== undefined)) {
    throw new WouldDeleteAllBackupsError(
      `cluster ${plan.cluster}: retention plan ${plan.planId} would delete every complete backup; check the policy`,
    );
  }
  const needs: ProtectedWalRange[] = [{ fromSegNo: consistencyRange(base, size).fromSegNo, reason: 'chain' }];
  for (const kept of plan.keep) {
    const record = byName.get(kept.name);
    if (record === undefined) continue;
    const visited = new Set<string>([kept.name]);
    for (let parent = declaredDeltaParent(record); parent !== undefined && !visited.has(parent); ) {
      visited.add(parent);
      if (!keptNames.has(parent) && isDeleted(parent)) {
        throw new NeededObjectDeletionError(
          `cluster ${plan.cluster}: retention plan ${plan.planId} would delete ${parent}, a delta ancestor of kept backup ${kept.name}`,
        );
      }
      parent = declaredDeltaParent(byName.get(parent));
    }
    if (isCompleteBackup(record)) needs.push(consistencyRange(record, size));
    else {
      const range = walFromNameOn(record, size, 'incomplete or unreadable');
      if (range !== undefined) needs.push(range);
    }
  }
  const isNeeded = walProtection(needs);
  const touchesNeeded = walRangeProtection(needs);
  // A plan made over runs has no keys: its ranges are what apply expands, so they are checked whole. (A stored
  // plan re-checked at apply time is judged by the keys apply really deletes, some of which it may spare.)
  for (const range of doomedRanges) {
    const from = parseWalFileName(range.from, size).segNo;
    const to = parseWalFileName(range.to, size).segNo;
    if (touchesNeeded(range.timeline, from, to)) {
      throw new NeededObjectDeletionError(
        `cluster ${plan.cluster}: retention plan ${plan.planId} would delete WAL ${range.from}..${range.to}, part of which a kept backup or the PITR chain from ${base.name} needs`,
      );
    }
  }
  for (const object of doomedWal) {
    if (isNeeded(object)) {
      throw new NeededObjectDeletionError(
        `cluster ${plan.cluster}: retention plan ${plan.planId} would delete WAL object ${object.key}, which a kept backup or the PITR chain from ${base.name} needs`,
      );
    }
  }
}
