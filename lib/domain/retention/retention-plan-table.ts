import { formatBytes } from '../byte-size.ts';
import { type TimelineId, timelineId } from '../wal/timeline.ts';
import { type SegmentNumber, walFileName } from '../wal/wal-segment.ts';
import type { RetentionPlan } from './retention-plan.ts';

/** Left-aligned columns separated by two spaces; the last column is not padded. */
function renderColumns(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function formatWindow(ms: number): string {
  const hours = ms / 3_600_000;
  return Number.isInteger(hours / 24) ? `${hours / 24}d` : `${hours}h`;
}

/** A segment's file name; for a range on every timeline the timeline part is `********`. */
function segmentLabel(timeline: TimelineId | undefined, segNo: SegmentNumber, plan: RetentionPlan): string {
  const name = walFileName({ timeline: timeline ?? timelineId(1), segNo }, plan.walSegmentSize);
  return timeline === undefined ? `********${name.slice(8)}` : name;
}

const iso = (date: Date | undefined): string => (date ? date.toISOString().replace('.000Z', 'Z') : '-');

/**
 * The human form of a plan: kept backups with their tiers, deleted backups with the reason, the WAL that stays and
 * why, the WAL ranges deleted, bytes freed. Times are UTC; tier keys are in the policy's zone.
 *
 * @example renderRetentionPlan(plan).split('\n')[0] // 'retention plan p-1 for cluster orders-main at 2026-11-21T02:00:00Z'
 */
export function renderRetentionPlan(plan: RetentionPlan): string {
  const { policy } = plan;
  const out: string[] = [
    `retention plan ${plan.planId} for cluster ${plan.cluster} at ${iso(plan.createdAt)}`,
    `policy: keepLast ${policy.keepLast}, keepDaily ${policy.keepDaily}, keepWeekly ${policy.keepWeekly}, keepMonthly ${policy.keepMonthly}, keepYearly ${policy.keepYearly}, pitrWindow ${policy.pitrWindowMs > 0 ? formatWindow(policy.pitrWindowMs) : 'none'}, timezone ${policy.timezone}`,
    `pitr window from ${iso(plan.windowStart)}; WAL kept whole from ${plan.chainBase}`,
    '',
    `kept backups (${plan.keep.length})`,
    ...renderColumns(
      ['NAME', 'FINISHED', 'REASONS'],
      plan.keep.map((kept) => [
        kept.name,
        kept.status === 'complete' ? iso(kept.finishedAt) : 'incomplete',
        kept.reasons.join(', '),
      ]),
    ),
    '',
    `deleted backups (${plan.delete.backups.length})`,
    ...renderColumns(
      ['NAME', 'FINISHED', 'REASON'],
      plan.delete.backups.map((doomed) => [
        doomed.name,
        doomed.status === 'complete' ? iso(doomed.finishedAt) : 'incomplete',
        doomed.reason,
      ]),
    ),
    '',
    `kept WAL (${plan.keptWalObjects} objects; .history files always)`,
    ...renderColumns(
      ['TIMELINE', 'FROM', 'TO', 'REASON'],
      plan.protectedWal.map((range) => [
        range.timeline === undefined ? 'all' : String(range.timeline),
        segmentLabel(range.timeline, range.fromSegNo, plan),
        range.toSegNo === undefined ? 'head' : segmentLabel(range.timeline, range.toSegNo, plan),
        range.reason,
      ]),
    ),
    '',
    `deleted WAL (${plan.delete.wal.length} ranges, ${plan.delete.wal.reduce((sum, range) => sum + range.objects, 0)} objects)`,
    ...renderColumns(
      ['TIMELINE', 'FROM', 'TO', 'SEGMENTS', 'BYTES'],
      plan.delete.wal.map((range) => [
        String(range.timeline),
        range.from,
        range.to,
        String(range.count),
        formatBytes(range.bytes),
      ]),
    ),
    '',
    `bytes freed: ${plan.bytesFreed} (${formatBytes(plan.bytesFreed)})`,
  ];
  return `${out.join('\n')}\n`;
}
