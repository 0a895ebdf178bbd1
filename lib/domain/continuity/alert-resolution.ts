import type { BackupRecord } from '../catalog/catalog-records.ts';
import type { RetentionTombstone } from '../catalog/retention-tombstones.ts';
import type { WalSegmentSize } from '../wal/segment-size.ts';
import { isWalFileName, parseWalFileName, segNoOfLsn, type WalSegment, walFileName } from '../wal/wal-segment.ts';
import type { Alert } from './alert-state.ts';
import type { PresentSegments } from './present-segments.ts';
import { missingOnTimeline } from './timeline-path.ts';

/** What this watchdog run knows about the cluster, to say why an alert's condition is gone. */
export interface ResolutionContext {
  readonly backups: readonly BackupRecord[];
  readonly present: PresentSegments;
  readonly retentionTombstones: readonly RetentionTombstone[];
  /** The backup the chain is checked from now (the oldest complete non-permanent one), if any. */
  readonly chainBase?: string;
  /** Timelines whose `.history` file was read and used. */
  readonly readableHistoryTimelines: ReadonlySet<number>;
  /** Timelines whose `.history` file exists but cannot be used. */
  readonly unreadableHistoryTimelines: ReadonlySet<number>;
  readonly walSegmentSize: WalSegmentSize;
}

/**
 * Why an alert whose condition disappeared resolved, in the words the resolve message leads with: the segment
 * arrived, retention deleted the WAL around it (naming the plan), the backup finished or was removed, the history is
 * readable again. Undefined when the run cannot tell more than the kind's own headline.
 *
 * @example
 * alertResolution(gapAlert, context)
 * // 'segment 00000001000000000000002A arrived'
 * // 'the gap lies before the oldest kept backup base_000000010000000000000040 after retention deleted it (plan orders-main-20261121T030000Z-b0b0)'
 */
export function alertResolution(alert: Alert, context: ResolutionContext): string | undefined {
  switch (alert.kind) {
    case 'wal-gap':
      return walGapResolution(alert, context);
    case 'incomplete-backup':
    case 'unreadable-backup':
    case 'foreign-system':
      return backupResolution(alert, context);
    case 'missing-history':
    case 'unreadable-history':
      return historyResolution(alert, context);
    default:
      return undefined;
  }
}

/** The segments a wal-gap alert named: its `Segments` fact (`A .. B` or `A`), else its subject alone. */
function gapSegments(alert: Alert, size: WalSegmentSize): { from: WalSegment; to: WalSegment } | undefined {
  const names = (alert.facts.Segments ?? alert.subject).split(' .. ').map((name) => name.trim());
  if (!names.every(isWalFileName)) return undefined;
  try {
    const from = parseWalFileName(names[0] as string, size);
    const to = parseWalFileName(names.at(-1) as string, size);
    return from.timeline === to.timeline && from.segNo <= to.segNo ? { from, to } : undefined;
  } catch {
    return undefined;
  }
}

function walGapResolution(alert: Alert, context: ResolutionContext): string | undefined {
  const range = gapSegments(alert, context.walSegmentSize);
  if (range === undefined) return undefined;
  const { timeline } = range.from;
  const name = (segNo: number): string =>
    walFileName({ timeline, segNo: segNo as WalSegment['segNo'] }, context.walSegmentSize);
  const missing = missingOnTimeline(context.present, timeline, range.from.segNo, range.to.segNo);
  const count = range.to.segNo - range.from.segNo + 1;
  if (missing.length === 0) {
    return count === 1
      ? `segment ${name(range.from.segNo)} arrived`
      : `segments ${name(range.from.segNo)} .. ${name(range.to.segNo)} arrived`;
  }
  const stillMissing = missing.flatMap((part) => [part.fromSegNo, part.toSegNo]);
  const lastMissing = Math.max(...stillMissing);
  const firstMissing = Math.min(...stillMissing);
  const covering = context.retentionTombstones.find(
    (tombstone) =>
      tombstone.timeline === timeline &&
      missing.every((part) => tombstone.fromSegNo <= part.fromSegNo && part.toSegNo <= tombstone.toSegNo),
  );
  const base = context.backups.find((record) => record.name === context.chainBase);
  const baseSegNo = base?.backup === undefined ? undefined : segNoOfLsn(base.backup.startLsn, context.walSegmentSize);
  const beforeBase = baseSegNo !== undefined && lastMissing < baseSegNo;
  const what =
    firstMissing === lastMissing
      ? `segment ${name(firstMissing)}`
      : `segments ${name(firstMissing)} .. ${name(lastMissing)}`;
  if (covering !== undefined && beforeBase) {
    return `the gap lies before the oldest kept backup ${base?.name} after retention deleted it (plan ${covering.planId})`;
  }
  if (covering !== undefined) {
    return `retention deleted the WAL around the gap (plan ${covering.planId}): no kept backup needs ${what} any more`;
  }
  if (beforeBase) {
    return `the gap lies before the oldest backup ${base?.name}: the backups it broke are gone`;
  }
  return `no backup and no restore needs ${what} any more: the backups it broke are gone`;
}

function backupResolution(alert: Alert, context: ResolutionContext): string | undefined {
  const record = context.backups.find((candidate) => candidate.name === alert.subject);
  const name = alert.subject;
  if (record === undefined || record.status === 'deleted') return `backup ${name} was removed from the bucket`;
  if (record.status === 'expired') {
    return `retention deleted backup ${name}${record.expiredAt ? ` at ${record.expiredAt.toISOString()}` : ''}`;
  }
  if (record.status === 'complete') {
    return alert.kind === 'incomplete-backup'
      ? `backup ${name} finished: its sentinel arrived`
      : `backup ${name} is readable and complete now`;
  }
  if (record.status === 'unreadable' && alert.kind === 'incomplete-backup') {
    return `backup ${name}'s sentinel arrived, but the backup cannot be read (${record.problem ?? 'see walcat backups'})`;
  }
  if (alert.kind === 'foreign-system' && record.status === 'unreadable') {
    return `backup ${name} no longer counts as another database's: ${record.problem ?? 'see walcat backups'}`;
  }
  return undefined;
}

function historyResolution(alert: Alert, context: ResolutionContext): string | undefined {
  const timeline = Number.parseInt(alert.subject, 16);
  if (!Number.isInteger(timeline)) return undefined;
  const file = `${alert.subject}.history`;
  if (context.readableHistoryTimelines.has(timeline)) {
    return alert.kind === 'missing-history'
      ? `timeline history ${file} arrived and reads well`
      : `timeline history ${file} reads well again`;
  }
  const unreadable = context.unreadableHistoryTimelines.has(timeline);
  if (alert.kind === 'unreadable-history') {
    return unreadable ? undefined : `the unreadable ${file} was removed from the bucket`;
  }
  return unreadable
    ? `timeline history ${file} arrived but cannot be used (see the unreadable-history alert)`
    : `timeline ${timeline} is no longer in use: no WAL or backup needs ${file}`;
}
