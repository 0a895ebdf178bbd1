import type { TimelineId } from '../wal/timeline.ts';
import { type SegmentNumber, segmentNumber, segNoOfByteBefore, segNoOfLsn } from '../wal/wal-segment.ts';
import { type ContinuityInput, timelineView } from './continuity-input.ts';
import { backupFinishedAt } from './pitr-chain-base.ts';
import { missingOnTimeline, unbrokenEnd } from './timeline-path.ts';

/** A stretch of time any instant of which can be restored from `baseBackup` by replaying the unbroken WAL after it. */
export interface RestorableRange {
  /** The timeline the unbroken chain ends on (the `recovery_target_timeline` of a restore into this range). */
  readonly timeline: TimelineId;
  /** The base backup's finish time: the earliest consistent point. */
  readonly from: Date;
  /**
   * Upload time of the last segment of the unbroken chain: an upper bound of the last transaction it holds. The
   * true end is at most `archive_timeout` plus the upload latency earlier (docs/continuity.md).
   */
  readonly to: Date;
  /** The oldest backup whose chain reaches this range; any instant of the range restores from it. */
  readonly baseBackup: string;
  /** The last segment of the unbroken chain. */
  readonly endSegNo: SegmentNumber;
}

export interface BackupConsistency {
  readonly name: string;
  /** True when every segment from its start to its finish LSN is present. */
  readonly consistent: boolean;
}

export interface WindowReport {
  /** Oldest first. */
  readonly ranges: readonly RestorableRange[];
  readonly backups: readonly BackupConsistency[];
}

/**
 * The restorable window of a cluster. A complete backup is consistent when every segment from its start to its
 * finish LSN is present on its restore path; from its finish time on it is restorable up to the end of the unbroken
 * chain of present segments that follows it. Backups whose chains end at the same segment form one range (named
 * after the oldest of them); a gap splits the window into separate ranges.
 *
 * The end of a range is the upload time of the chain's last segment. PostgreSQL archives a segment only after it is
 * complete (or `archive_timeout` forced a switch), so the last transaction it holds committed at or before that upload
 * time; with `archive_timeout` T the estimate is late by at most T plus the upload latency.
 *
 * @example
 * restorableWindows(input).ranges
 * // [{ timeline: 1, from: 2026-11-20T01:10:00Z, to: 2026-11-20T14:12:09Z, baseBackup: 'base_000000010000000000000002' }]
 */
export function restorableWindows(input: ContinuityInput): WindowReport {
  const view = timelineView(input);
  const size = input.walSegmentSize;
  const byEnd = new Map<string, RestorableRange>();
  const backups: BackupConsistency[] = [];
  for (const record of view.completeBackups) {
    const path = view.pathOf(record);
    const startSegNo = segNoOfLsn(record.backup.startLsn, size);
    const finishSegNo = Math.max(startSegNo, segNoOfByteBefore(record.backup.finishLsn, size));
    const consistent = path.every((span) => {
      const from = Math.max(span.firstSegNo, startSegNo);
      const to = Math.min(span.lastSegNo, finishSegNo);
      return from > to || missingOnTimeline(input.present, span.timeline, from, to).length === 0;
    });
    backups.push({ name: record.name, consistent });
    if (!consistent) continue;
    const end = unbrokenEnd(input.present, path, startSegNo);
    if (end === undefined || end.segNo < finishSegNo) continue;
    const from = backupFinishedAt(record);
    const to = new Date(Math.max(from.getTime(), end.uploadedAtMs));
    const key = `${end.timeline}:${end.segNo}`;
    const existing = byEnd.get(key);
    if (existing === undefined || from < existing.from) {
      byEnd.set(key, {
        timeline: end.timeline,
        from,
        to: existing !== undefined && existing.to > to ? existing.to : to,
        baseBackup: record.name,
        endSegNo: segmentNumber(end.segNo),
      });
    }
  }
  const ranges = [...byEnd.values()].sort(
    (a, b) => a.from.getTime() - b.from.getTime() || a.to.getTime() - b.to.getTime(),
  );
  return { ranges, backups };
}

/** `window --json` (the README's JSON contract). */
export interface WindowJson {
  readonly ranges: ReadonlyArray<{
    readonly timeline: number;
    readonly from: string;
    readonly to: string;
    readonly baseBackup: string;
  }>;
}

/**
 * The `window --json` document: ISO-8601 UTC times, oldest first.
 *
 * @example windowJson(report) // { ranges: [{ timeline: 1, from: '2026-11-20T01:10:00.000Z', to: '...', baseBackup: '...' }] }
 */
export function windowJson(report: WindowReport): WindowJson {
  return {
    ranges: report.ranges.map((range) => ({
      timeline: range.timeline,
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      baseBackup: range.baseBackup,
    })),
  };
}
