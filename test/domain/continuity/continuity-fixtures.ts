import type { BaseBackup } from '../../../lib/domain/backup/base-backup.ts';
import type { BackupRecord, BackupStatus } from '../../../lib/domain/catalog/catalog-records.ts';
import type { ClusterId, RetentionPolicy } from '../../../lib/domain/cluster.ts';
import type { KnownHistory } from '../../../lib/domain/continuity/continuity-input.ts';
import { type PresentSegments, PresentSegmentsBuilder } from '../../../lib/domain/continuity/present-segments.ts';
import { lsnFromInteger } from '../../../lib/domain/wal/lsn.ts';
import { DEFAULT_WAL_SEGMENT_SIZE, type WalSegmentSize } from '../../../lib/domain/wal/segment-size.ts';
import { type TimelineId, timelineId } from '../../../lib/domain/wal/timeline.ts';
import { parseTimelineHistory } from '../../../lib/domain/wal/timeline-history.ts';
import { type SegmentNumber, segmentNumber, walFileName } from '../../../lib/domain/wal/wal-segment.ts';

export const CLUSTER = 'orders-main' as ClusterId;
export const DAY = 86_400_000;

export function policy(overrides: Partial<RetentionPolicy> = {}): RetentionPolicy {
  return {
    keepLast: 2,
    keepDaily: 7,
    keepWeekly: 4,
    keepMonthly: 12,
    keepYearly: 3,
    pitrWindowMs: 7 * DAY,
    timezone: 'UTC',
    incompleteGraceMs: DAY,
    applyGraceMs: 3_600_000,
    ...overrides,
  };
}

export interface BackupSpec {
  readonly timeline?: number;
  /** First segment the backup needs. */
  readonly startSegNo: number;
  /** Last segment the backup needs (the one holding the byte before its finish LSN). */
  readonly finishSegNo: number;
  readonly finishTime: Date;
  readonly permanent?: boolean;
  readonly status?: BackupStatus;
  readonly segmentSize?: WalSegmentSize;
  readonly name?: string;
}

/** A catalogued backup whose start LSN is 40 bytes into `startSegNo` and finish LSN 100 bytes into `finishSegNo`. */
export function backupRecord(spec: BackupSpec): BackupRecord {
  const size = spec.segmentSize ?? DEFAULT_WAL_SEGMENT_SIZE;
  const timeline = timelineId(spec.timeline ?? 1) as TimelineId;
  const startSegment = { timeline, segNo: segmentNumber(spec.startSegNo) };
  const name = spec.name ?? `base_${walFileName(startSegment, size)}`;
  const backup: BaseBackup = {
    name,
    kind: 'full',
    timeline,
    startLsn: lsnFromInteger(BigInt(spec.startSegNo) * BigInt(size) + 40n),
    finishLsn: lsnFromInteger(BigInt(spec.finishSegNo) * BigInt(size) + 100n),
    startSegment,
    startTime: new Date(spec.finishTime.getTime() - 60_000),
    finishTime: spec.finishTime,
    permanent: spec.permanent ?? false,
  };
  return {
    cluster: CLUSTER,
    name,
    status: spec.status ?? 'complete',
    backup,
    firstSeenAt: spec.finishTime,
    updatedAt: spec.finishTime,
  };
}

/** A stretch of present segments; each segment uploaded `stepMs` after the previous one, starting at `firstAt`. */
export interface PresentStretch {
  readonly timeline: number;
  readonly from: number;
  readonly to: number;
  readonly firstAt: Date;
  readonly stepMs?: number;
}

export function presentSegments(
  stretches: readonly PresentStretch[],
  breakBefore?: ReadonlyMap<TimelineId, ReadonlySet<SegmentNumber>>,
): PresentSegments {
  const builder = new PresentSegmentsBuilder({ breakBefore });
  for (const stretch of stretches) {
    for (let segNo = stretch.from; segNo <= stretch.to; segNo++) {
      builder.add(
        timelineId(stretch.timeline),
        segmentNumber(segNo),
        stretch.firstAt.getTime() + (segNo - stretch.from) * (stretch.stepMs ?? 60_000),
      );
    }
  }
  return builder.build();
}

export function history(timeline: number, lines: string, uploadedAt: Date): KnownHistory {
  return { history: parseTimelineHistory(timelineId(timeline), lines), uploadedAt };
}
