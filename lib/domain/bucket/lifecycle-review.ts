import type { BackupRecord } from '../catalog/catalog-records.ts';
import type { ClusterId, RetentionPolicy } from '../cluster.ts';
import type { AlertCondition } from '../continuity/alert-state.ts';
import { consistencyRange } from '../retention/retention-plan.ts';
import type { WalSegmentSize } from '../wal/segment-size.ts';
import { segmentNumber, walFileName } from '../wal/wal-segment.ts';
import type { LifecycleRule, LifecycleTiming, VersioningState } from './bucket-configuration.ts';
import { type ClusterReach, clusterReach, type FolderReach, reachesBackup, reachesSegment } from './lifecycle-reach.ts';
import {
  PROMISE_TIERS,
  type PromisedBackup,
  type PromiseTier,
  type RetentionPromises,
  retentionPromises,
  type TierLifetime,
} from './retention-promises.ts';
import { needsThaw, thawTimeWords } from './storage-class.ts';

const DAY_MS = 86_400_000;
/** A consistency range longer than this is assumed reached by a partial WAL rule instead of checked name by name. */
const MAX_SEGMENTS_CHECKED = 4096;

/** What a rule does that breaks a promise: the conflict kinds of a `lifecycle-conflict` finding. */
export type LifecycleConflictKind =
  | 'kept-backups-expire'
  | 'kept-backups-lose-wal'
  | 'pitr-window-shrinks'
  | 'needs-thaw';

/**
 * A lifecycle rule that removes what walcat promised to keep (FAILURE), or moves it where a restore cannot read it
 * without a thaw (WARNING).
 */
export interface LifecycleConflictFinding {
  readonly kind: 'lifecycle-conflict';
  readonly severity: 'FAILURE' | 'WARNING';
  readonly cluster: ClusterId;
  readonly rule: string;
  readonly conflict: LifecycleConflictKind;
  readonly message: string;
  /** The kept backups the rule reaches already (oldest first); empty when only the policy shows the conflict. */
  readonly backups: readonly string[];
}

/** What one rule does to this cluster, in words an operator reads, and the conflicts it causes. */
export interface LifecycleRuleReview {
  readonly rule: string;
  readonly effect: string;
  readonly findings: readonly LifecycleConflictFinding[];
}

export interface LifecycleReview {
  readonly cluster: ClusterId;
  readonly rules: readonly LifecycleRuleReview[];
  /** Every rule's findings, in rule order. */
  readonly findings: readonly LifecycleConflictFinding[];
}

export interface LifecycleReviewInput {
  readonly cluster: ClusterId;
  /** The cluster's root in the bucket: `''` or a prefix ending in `/` (where `basebackups_005/` and `wal_005/` are). */
  readonly root: string;
  readonly rules: readonly LifecycleRule[];
  readonly versioning: VersioningState;
  /** The catalog's backups of the cluster (any status; only complete ones are promised). */
  readonly backups: readonly BackupRecord[];
  /** Absent: walcat deletes nothing of the cluster, so every complete backup is kept. */
  readonly policy?: RetentionPolicy;
  readonly walSegmentSize: WalSegmentSize;
  readonly now: Date;
}

/** The name of a rule in messages: its ID, or its position when it has none. */
export function ruleName(rule: LifecycleRule, index: number): string {
  return rule.id === '' ? `#${index + 1} (no ID)` : rule.id;
}

const plural = (count: number, unit: string): string => `${count} ${unit}${count === 1 ? '' : 's'}`;
const isoDay = (date: Date): string => date.toISOString().slice(0, 10);

function timingWords(timing: LifecycleTiming, now: Date): string {
  if ('days' in timing) return `after ${plural(timing.days, 'day')}`;
  return timing.date.getTime() <= now.getTime()
    ? `since ${isoDay(timing.date)} (each object as soon as it is written)`
    : `on ${isoDay(timing.date)}`;
}

/** The age an action applies at, for comparing with retention's lifetimes; a date applies to every age. */
const thresholdMs = (timing: LifecycleTiming): number => ('days' in timing ? timing.days * DAY_MS : 0);

/**
 * When a backup's first objects (its tar partitions, and the WAL from its start LSN) were written: its start time,
 * else its finish time. The earlier instant makes the review err towards reporting a conflict.
 */
const firstWritten = (backup: PromisedBackup): Date => backup.record.backup.startTime ?? backup.finishedAt;

/** True when the action has already happened (or happens today) to objects written at `writtenAt`. */
function happened(timing: LifecycleTiming, writtenAt: Date, now: Date): boolean {
  if ('days' in timing) return writtenAt.getTime() + timing.days * DAY_MS <= now.getTime();
  return timing.date.getTime() <= now.getTime();
}

function folderWords(reach: FolderReach, what: string, folder: string, root: string): string | undefined {
  if (reach.kind === 'none') return undefined;
  return reach.kind === 'all' ? what : `${what} under \`${root}${folder}${reach.keyPrefix}\``;
}

function targetWords(reach: ClusterReach, root: string): string {
  if (reach.backups.kind === 'all' && reach.wal.kind === 'all') return 'every object of the cluster (backups and WAL)';
  const parts = [
    folderWords(reach.backups, 'backups', 'basebackups_005/', root),
    folderWords(reach.wal, 'WAL', 'wal_005/', root),
  ].filter((part): part is string => part !== undefined);
  return parts.join(' and ');
}

const TIER_WORDS: Readonly<Record<PromiseTier, string>> = {
  'delta-ancestor': 'delta-parent',
  newest: 'newest',
  last: 'keep-last',
  'pitr-window': 'PITR-window',
  daily: 'daily',
  weekly: 'weekly',
  monthly: 'monthly',
  yearly: 'yearly',
  permanent: 'permanent',
  unmanaged: '',
};

function andList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

function windowWords(ms: number): string {
  return ms % DAY_MS === 0 ? plural(ms / DAY_MS, 'day') : plural(Math.round(ms / 3_600_000), 'hour');
}

interface Action {
  readonly kind: 'expire' | 'thaw';
  readonly timing: LifecycleTiming;
  readonly storageClass?: string;
}

function actionsOf(rule: LifecycleRule): Action[] {
  const actions: Action[] = [];
  if (rule.expiration) actions.push({ kind: 'expire', timing: rule.expiration });
  for (const transition of rule.transitions) {
    if (needsThaw(transition.storageClass))
      actions.push({ kind: 'thaw', timing: transition.timing, storageClass: transition.storageClass.toUpperCase() });
  }
  return actions;
}

/** Every segment name of a kept backup's consistency range, or `undefined` when the range is too long to list. */
function consistencySegments(backup: PromisedBackup, size: WalSegmentSize): string[] | undefined {
  const range = consistencyRange(backup.record, size);
  if (range.toSegNo === undefined || range.timeline === undefined) return undefined;
  if (range.toSegNo - range.fromSegNo >= MAX_SEGMENTS_CHECKED) return undefined;
  const names: string[] = [];
  for (let segNo = range.fromSegNo; segNo <= range.toSegNo; segNo++) {
    names.push(walFileName({ timeline: range.timeline, segNo: segmentNumber(segNo) }, size));
  }
  return names;
}

function reachesConsistencyWal(reach: FolderReach, backup: PromisedBackup, size: WalSegmentSize): boolean {
  if (reach.kind !== 'part') return reach.kind === 'all';
  const names = consistencySegments(backup, size);
  return names === undefined || names.some((name) => reachesSegment(reach, name));
}

interface ActionContext {
  readonly input: LifecycleReviewInput;
  readonly promises: RetentionPromises;
  readonly rule: LifecycleRule;
  readonly name: string;
  readonly reach: ClusterReach;
  /** Other actions of every enabled rule, to tell whether a backup goes before its WAL does. */
  readonly allActions: readonly { readonly reach: ClusterReach; readonly action: Action }[];
}

/** True when some rule does the same (or worse) to the backup's own objects no later than `action` does. */
function backupGoesFirst(context: ActionContext, action: Action, backup: PromisedBackup): boolean {
  if (!('days' in action.timing)) return false;
  const limit = action.timing.days;
  return context.allActions.some(
    (other) =>
      (other.action.kind === 'expire' || other.action.kind === action.kind) &&
      'days' in other.action.timing &&
      other.action.timing.days <= limit &&
      reachesBackup(other.reach.backups, backup.name),
  );
}

function everyBackupGoesFirst(context: ActionContext, action: Action): boolean {
  if (!('days' in action.timing)) return false;
  const limit = action.timing.days;
  return context.allActions.some(
    (other) =>
      (other.action.kind === 'expire' || other.action.kind === action.kind) &&
      'days' in other.action.timing &&
      other.action.timing.days <= limit &&
      other.reach.backups.kind === 'all',
  );
}

function consequence(action: Action, what: 'backups' | 'wal'): string {
  if (action.kind === 'expire') {
    return what === 'backups' ? 'would be deleted' : 'would lose the WAL they need to be consistent';
  }
  const thaw = thawTimeWords(action.storageClass ?? '');
  return what === 'backups'
    ? `would need ${thaw} before a restore can read them`
    : `would need ${thaw} of the WAL they need to be consistent before a restore can use them`;
}

function versionedNote(action: Action, versioning: VersioningState): string {
  if (action.kind !== 'expire' || versioning === 'unversioned') return '';
  return ' (the bucket is versioned: expired objects become delete markers, so restores and listings no longer see them, and their bytes stay billed until a NoncurrentVersionExpiration rule removes them)';
}

/** One finding about kept backups (their own objects, or the WAL they need), or none when nothing conflicts. */
function keptBackupsFinding(
  context: ActionContext,
  action: Action,
  what: 'backups' | 'wal',
  reached: readonly PromisedBackup[],
  conflictingLifetimes: readonly TierLifetime[],
): LifecycleConflictFinding | undefined {
  const { input, promises } = context;
  const affected = reached.filter((backup) => happened(action.timing, firstWritten(backup), input.now));
  if (affected.length === 0 && conflictingLifetimes.length === 0) return undefined;
  const tiers = new Set<PromiseTier>([
    ...conflictingLifetimes.map((lifetime) => lifetime.tier),
    ...affected.map((backup) => backup.tier),
  ]);
  const inTiers = reached.filter((backup) => tiers.has(backup.tier));
  const tierWords = andList(
    PROMISE_TIERS.filter((tier) => tiers.has(tier) && TIER_WORDS[tier] !== '').map((t) => TIER_WORDS[t]),
  );
  const head = `rule \`${context.name}\` ${action.kind === 'expire' ? 'expires' : `moves to ${action.storageClass}`} ${
    what === 'backups'
      ? context.reach.wal.kind === 'all' && context.reach.backups.kind === 'all'
        ? targetWords(context.reach, input.root)
        : 'backups'
      : 'WAL'
  } ${timingWords(action.timing, input.now)}`;
  const kept = promises.managed
    ? `${tierWords === '' ? '' : `${tierWords} `}backups retention keeps`
    : 'backups in the bucket (no retention policy: walcat deletes none)';
  const note = versionedNote(action, input.versioning);
  const message =
    affected.length > 0
      ? `${head}: ${affected.length} of the ${inTiers.length} ${kept} ${consequence(action, what)}${note}`
      : promises.managed
        ? `${head}, but retention keeps ${andList(conflictingLifetimes.map((l) => l.words))}: those backups ${consequence(action, what)} once they are older than that (${
            inTiers.length === 0 ? 'none is kept yet' : `none of the ${inTiers.length} kept now is yet`
          })${note}`
        : `${head}, but no rule removes the backups themselves first: every backup older than that ${consequence(action, what).replace('would lose', 'would stay listed without')}${note}`;
  return {
    kind: 'lifecycle-conflict',
    severity: action.kind === 'expire' ? 'FAILURE' : 'WARNING',
    cluster: input.cluster,
    rule: context.name,
    conflict:
      action.kind === 'thaw' ? 'needs-thaw' : what === 'backups' ? 'kept-backups-expire' : 'kept-backups-lose-wal',
    message,
    backups: affected.map((backup) => backup.name),
  };
}

function backupsFinding(context: ActionContext, action: Action): LifecycleConflictFinding | undefined {
  const { promises, reach } = context;
  if (reach.backups.kind === 'none') return undefined;
  // Without a policy the bucket's own expirations are the retention; only thawing breaks a promise then.
  if (!promises.managed && action.kind === 'expire') return undefined;
  const reached = promises.kept.filter((backup) => reachesBackup(reach.backups, backup.name));
  const threshold = thresholdMs(action.timing);
  const lifetimes =
    reach.backups.kind === 'all' ? promises.lifetimes.filter((lifetime) => lifetime.lifetimeMs > threshold) : [];
  return keptBackupsFinding(context, action, 'backups', reached, lifetimes);
}

function walFinding(context: ActionContext, action: Action): LifecycleConflictFinding | undefined {
  const { promises, reach, input } = context;
  if (reach.wal.kind === 'none') return undefined;
  const reached = promises.kept.filter(
    (backup) =>
      reachesConsistencyWal(reach.wal, backup, input.walSegmentSize) && !backupGoesFirst(context, action, backup),
  );
  const threshold = thresholdMs(action.timing);
  const lifetimes =
    reach.wal.kind === 'all' && !everyBackupGoesFirst(context, action)
      ? promises.lifetimes.filter((lifetime) => lifetime.lifetimeMs > threshold)
      : [];
  return keptBackupsFinding(context, action, 'wal', reached, lifetimes);
}

function windowFinding(context: ActionContext, action: Action): LifecycleConflictFinding | undefined {
  const { promises, reach, input } = context;
  if (!promises.managed || promises.pitrWindowMs <= 0) return undefined;
  const base = promises.chainBase;
  const reachesWindow =
    reach.wal.kind === 'all' ||
    (reach.wal.kind === 'part' &&
      (base === undefined || reachesConsistencyWal(reach.wal, base, input.walSegmentSize))) ||
    (base !== undefined && reachesBackup(reach.backups, base.name));
  if (!reachesWindow) return undefined;
  const threshold = thresholdMs(action.timing);
  const byPolicy = threshold < promises.pitrWindowMs;
  const byBase = base !== undefined && happened(action.timing, firstWritten(base), input.now);
  if (!byPolicy && !byBase) return undefined;
  const window = windowWords(promises.pitrWindowMs);
  const head = `rule \`${context.name}\` ${action.kind === 'expire' ? 'expires' : `moves to ${action.storageClass}`} ${targetWords(reach, input.root)} ${timingWords(action.timing, input.now)}`;
  const baseWords =
    base === undefined
      ? ''
      : ` (the window's WAL starts at backup ${base.name}, finished ${base.finishedAt.toISOString()})`;
  const shrunk = 'days' in action.timing ? `about ${plural(action.timing.days, 'day')}` : 'nothing';
  const what =
    action.kind === 'expire'
      ? `the PITR window of ${window} retention keeps shrinks to ${shrunk}`
      : `restores to points older than ${'days' in action.timing ? plural(action.timing.days, 'day') : 'today'} in the PITR window of ${window} need ${thawTimeWords(action.storageClass ?? '')}`;
  return {
    kind: 'lifecycle-conflict',
    severity: action.kind === 'expire' ? 'FAILURE' : 'WARNING',
    cluster: input.cluster,
    rule: context.name,
    conflict: action.kind === 'expire' ? 'pitr-window-shrinks' : 'needs-thaw',
    message: `${head}: ${what}${baseWords}${versionedNote(action, input.versioning)}`,
    backups: byBase && base ? [base.name] : [],
  };
}

function effectWords(rule: LifecycleRule, name: string, reach: ClusterReach, input: LifecycleReviewInput): string {
  const head = `rule \`${name}\``;
  if (!rule.enabled) return `${head} is disabled: it does nothing`;
  if (reach.tagged !== undefined) {
    return `${head} applies only to objects tagged ${reach.tagged}; WAL-G and WAL-E tag nothing, so it does not reach this cluster`;
  }
  if (reach.backups.kind === 'none' && reach.wal.kind === 'none') {
    return `${head} (prefix \`${rule.filter.prefix}\`) does not reach this cluster's objects under \`${input.root}\``;
  }
  const target = targetWords(reach, input.root);
  const parts: string[] = [];
  if (rule.expiration) parts.push(`expires ${target} ${timingWords(rule.expiration, input.now)}`);
  for (const transition of rule.transitions) {
    const storageClass = transition.storageClass.toUpperCase();
    const readable = needsThaw(storageClass)
      ? `reading them then needs ${thawTimeWords(storageClass)}`
      : storageClass === 'INTELLIGENT_TIERING'
        ? 'readable directly unless the bucket opted into the Intelligent-Tiering archive tiers'
        : 'still readable directly';
    parts.push(`moves ${target} to ${storageClass} ${timingWords(transition.timing, input.now)} (${readable})`);
  }
  if (rule.noncurrentVersionExpirationDays !== undefined) {
    const newer =
      rule.newerNoncurrentVersions === undefined ? '' : ` (keeping the ${rule.newerNoncurrentVersions} newest)`;
    parts.push(
      `removes noncurrent versions ${plural(rule.noncurrentVersionExpirationDays, 'day')} after they become noncurrent${newer}: this is what frees the bytes of deleted objects on a versioned bucket`,
    );
  }
  for (const transition of rule.noncurrentVersionTransitions) {
    parts.push(`moves noncurrent versions to ${transition.storageClass} after ${plural(transition.days, 'day')}`);
  }
  if (rule.expiredObjectDeleteMarker) parts.push('removes delete markers left without versions');
  if (rule.abortIncompleteMultipartUploadDays !== undefined) {
    parts.push(`aborts incomplete multipart uploads after ${plural(rule.abortIncompleteMultipartUploadDays, 'day')}`);
  }
  if (parts.length === 0) return `${head} reaches ${target} but has no action`;
  return `${head} ${parts.join('; ')}`;
}

/**
 * What each lifecycle rule of the bucket does to one cluster, against what walcat promises to keep (its retention
 * policy, or every backup without one). Conflicts are findings of kind `lifecycle-conflict`: FAILURE when a rule
 * expires backups retention keeps, the WAL a kept backup needs to be consistent, or part of the PITR window;
 * WARNING when it moves them to a storage class a restore cannot read without a thaw.
 *
 * @example
 * reviewLifecycle({ cluster, root: 'orders-main/', rules: [wal35d], versioning: 'unversioned', backups, policy, walSegmentSize, now })
 *   .findings[0].message
 * // 'rule `wal-35d` expires WAL after 35 days: 11 of the 14 monthly and yearly backups retention keeps would lose the WAL they need to be consistent'
 */
export function reviewLifecycle(input: LifecycleReviewInput): LifecycleReview {
  const promises = retentionPromises({
    cluster: input.cluster,
    backups: input.backups,
    ...(input.policy ? { policy: input.policy } : {}),
    walSegmentSize: input.walSegmentSize,
    now: input.now,
  });
  const reaches = input.rules.map((rule) => clusterReach(rule.filter, input.root));
  const allActions = input.rules.flatMap((rule, index) =>
    rule.enabled ? actionsOf(rule).map((action) => ({ reach: reaches[index] as ClusterReach, action })) : [],
  );
  const rules = input.rules.map((rule, index): LifecycleRuleReview => {
    const name = ruleName(rule, index);
    const reach = reaches[index] as ClusterReach;
    const context: ActionContext = { input, promises, rule, name, reach, allActions };
    const findings: LifecycleConflictFinding[] = [];
    if (rule.enabled) {
      for (const action of actionsOf(rule)) {
        for (const finding of [
          backupsFinding(context, action),
          walFinding(context, action),
          windowFinding(context, action),
        ]) {
          if (finding !== undefined) findings.push(finding);
        }
      }
    }
    return { rule: name, effect: effectWords(rule, name, reach, input), findings };
  });
  return { cluster: input.cluster, rules, findings: rules.flatMap((rule) => rule.findings) };
}

/**
 * A continuity verdict made worse by lifecycle findings: a FAILURE finding makes it FAILURE, a WARNING finding
 * makes an OK verdict WARNING.
 *
 * @example verdictWithLifecycle('OK', [{ severity: 'WARNING', ... }]) === 'WARNING'
 */
export function verdictWithLifecycle(
  verdict: 'OK' | 'WARNING' | 'FAILURE',
  findings: readonly Pick<LifecycleConflictFinding, 'severity'>[],
): 'OK' | 'WARNING' | 'FAILURE' {
  if (verdict === 'FAILURE' || findings.some((finding) => finding.severity === 'FAILURE')) return 'FAILURE';
  return verdict === 'WARNING' || findings.length > 0 ? 'WARNING' : 'OK';
}

/**
 * One alert per conflicting rule (the subject is the rule, so a rule is announced once while it conflicts and
 * resolved once when it is fixed), at the worst severity of its findings.
 *
 * @example lifecycleAlertConditions(review.findings)[0].subject === 'wal-35d'
 */
export function lifecycleAlertConditions(findings: readonly LifecycleConflictFinding[]): AlertCondition[] {
  const byRule = new Map<string, LifecycleConflictFinding[]>();
  for (const finding of findings) byRule.set(finding.rule, [...(byRule.get(finding.rule) ?? []), finding]);
  return [...byRule].map(([rule, list]) => {
    const backups = [...new Set(list.flatMap((finding) => finding.backups))];
    return {
      kind: 'lifecycle-conflict',
      subject: rule,
      severity: list.some((finding) => finding.severity === 'FAILURE') ? 'FAILURE' : 'WARNING',
      summary: list.map((finding) => finding.message).join('; '),
      facts: {
        Rule: rule,
        Conflicts: [...new Set(list.map((finding) => finding.conflict))].join(', '),
        ...(backups.length === 0
          ? {}
          : {
              Backups:
                backups.length > 5
                  ? `${backups.slice(0, 5).join(', ')} and ${backups.length - 5} more`
                  : backups.join(', '),
            }),
      },
      nextStep: `Remove or narrow lifecycle rule \`${rule}\` (no Expiration on wal_005/ or basebackups_005/ shorter than retention keeps; no GLACIER/DEEP_ARCHIVE transition of what a restore needs), and let walcat retention delete; \`walcat doctor --cluster ${list[0]?.cluster ?? ''}\` shows every rule's effect.`,
    };
  });
}
