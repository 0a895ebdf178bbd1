import type { BackupRecord } from '../catalog/catalog-records.ts';
import type { BackupLayout, ClusterId, RetentionPolicy } from '../cluster.ts';
import { isCompleteBackup } from '../continuity/pitr-chain-base.ts';
import { classifyKey } from '../layout/classify-key.ts';
import type { WalSegmentSize } from '../wal/segment-size.ts';
import {
  consistencyRange,
  declaredDeltaParent,
  hasPresentSentinel,
  isLiveBackup,
  lastSignOfLife,
  type RetentionPlan,
  walFromNameOn,
} from './retention-plan.ts';
import { type ProtectedWalRange, walProtection } from './wal-retention.ts';

/** A key of a stored plan that apply leaves in place, and why. */
export interface SparedKey {
  readonly key: string;
  readonly reason: string;
}

export interface ApplyTimeCheckInput {
  readonly cluster: ClusterId;
  readonly layout: BackupLayout;
  /** The cluster's key prefix (`orders-main/`), to read the stored keys. */
  readonly prefix: string;
  readonly policy: RetentionPolicy;
  readonly walSegmentSize: WalSegmentSize;
  /** The backups the stored plan deletes. */
  readonly plannedBackups: readonly string[];
  /** The catalog's backups as they are at apply time. */
  readonly backups: readonly BackupRecord[];
  /**
   * The fresh evaluation: a plan of the catalog as it is at apply time (over the WAL as runs, so a ten-year archive
   * costs its runs, not its objects).
   */
  readonly fresh: Pick<RetentionPlan, 'keep' | 'delete' | 'protectedWal'>;
  readonly now: Date;
}

export interface ApplyTimeCheck {
  /** Why apply leaves a key of the stored plan in place (the backup or rule that needs it); undefined: it may go. */
  readonly spareReason: (key: string) => string | undefined;
  /** The backups of the stored plan apply still deletes. */
  readonly backupsDeleted: readonly string[];
}

/**
 * Compares the stored plan with a fresh evaluation of the catalog as it is at apply time, and answers, key by key as
 * apply reaches them, whether a stored key is garbage under both. A backup the stored plan did not know about (lost
 * events, an ingest race, a backup made since) is in the fresh evaluation; on top of it, every backup that stays
 * after this apply and is complete, unreadable (sentinel present) or still uploading protects its own WAL range
 * (from its name's segment on when the range is unknown) and its delta ancestors. A backup's objects go only when
 * both evaluations delete the backup (or walcat's own retention already expired it, for a resumed apply).
 *
 * @example
 * const check = applyTimeCheck({ ...cluster, plannedBackups, backups, fresh, now });
 * check.spareReason('orders-main/wal_005/…36.lz4') // 'consistency of base_…36 (kept at apply time: daily 2026-11-19)'
 */
export function applyTimeCheck(input: ApplyTimeCheckInput): ApplyTimeCheck {
  // The answer is asked for every key of a long apply: its closures read these locals, never `input`, so the backups
  // and the fresh evaluation (a record per backup of the catalog) are not kept alive by the check.
  const { walSegmentSize: size, policy, now, fresh, prefix, layout } = input;
  const byName = new Map(input.backups.map((record) => [record.name, record]));
  const keptReasons = new Map(fresh.keep.map((kept) => [kept.name, kept.reasons]));
  const freshDoomed = new Set(fresh.delete.backups.map((doomed) => doomed.name));

  const spareReason = new Map<string, string>();
  const doomed = new Set<string>();
  for (const name of input.plannedBackups) {
    const record = byName.get(name);
    if (record?.status === 'expired' && !hasPresentSentinel(record)) doomed.add(name);
    else if (record !== undefined && freshDoomed.has(name)) doomed.add(name);
    else {
      const reasons = keptReasons.get(name);
      spareReason.set(
        name,
        reasons
          ? `${name} is kept at apply time (${reasons.join(', ')})`
          : `${name} is ${record ? record.status : 'not in the catalog'} at apply time`,
      );
    }
  }

  // Whatever stays after this apply keeps its delta ancestors, to a fixed point.
  const survivors = input.backups.filter((record) => isLiveBackup(record) && !doomed.has(record.name));
  const pending = [...survivors];
  while (pending.length > 0) {
    const record = pending.pop() as BackupRecord;
    const seen = new Set<string>([record.name]);
    for (let parent = declaredDeltaParent(record); parent !== undefined && !seen.has(parent); ) {
      seen.add(parent);
      const parentRecord = byName.get(parent);
      if (doomed.delete(parent)) {
        spareReason.set(parent, `${parent} is a delta ancestor of ${record.name}, which stays`);
        if (parentRecord) {
          survivors.push(parentRecord);
          pending.push(parentRecord);
        }
      }
      parent = declaredDeltaParent(parentRecord);
    }
  }

  const needs: ProtectedWalRange[] = [...fresh.protectedWal];
  for (const record of survivors) {
    if (isCompleteBackup(record)) needs.push(consistencyRange(record, size));
    else if (hasPresentSentinel(record)) {
      const range = walFromNameOn(record, size, `unreadable ${record.name}`);
      if (range) needs.push(range);
    } else if (record.status === 'incomplete' && now.getTime() - lastSignOfLife(record) < policy.incompleteGraceMs) {
      const range = walFromNameOn(record, size, `incomplete-grace ${record.name}`);
      if (range) needs.push(range);
    }
  }
  const isNeeded = walProtection(needs);
  const reasonOf = (timeline: number, segNo: number): string => {
    const range = needs.find(
      (need) =>
        (need.timeline === undefined || need.timeline === timeline) &&
        segNo >= need.fromSegNo &&
        (need.toSegNo === undefined || segNo <= need.toSegNo),
    );
    const name = range?.reason.split(' ').at(-1);
    const kept = name === undefined ? undefined : keptReasons.get(name);
    return `${range?.reason ?? 'needed'}${kept ? ` (kept at apply time: ${kept.join(', ')})` : ''}`;
  };

  const spareReasonOf = (key: string): string | undefined => {
    const object = classifyKey(key.slice(prefix.length), layout, size);
    switch (object.kind) {
      case 'backup-sentinel':
      case 'backup-metadata':
      case 'backup-payload':
        if (doomed.has(object.backupName)) return undefined;
        return spareReason.get(object.backupName) ?? `${object.backupName} stays`;
      case 'wal-segment':
      case 'wal-partial':
      case 'wal-backup-history':
      case 'wal-delta':
      case 'wal-metadata': {
        const segment = 'segment' in object ? object.segment : undefined;
        if (segment === undefined) return 'WAL metadata without a segment is never deleted';
        if (isNeeded({ key, kind: 'segment', timeline: segment.timeline, segNo: segment.segNo, size: 0 })) {
          return reasonOf(segment.timeline, segment.segNo);
        }
        return undefined;
      }
      default:
        return `${key} is not a backup or WAL segment object walcat deletes`;
    }
  };
  return { spareReason: spareReasonOf, backupsDeleted: [...doomed] };
}
