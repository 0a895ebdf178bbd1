import { backupsWithClusterChecks } from '../catalog/backup-eligibility.ts';
import type { BackupRecord } from '../catalog/catalog-records.ts';
import type { ClusterId } from '../cluster.ts';
import type { WalSegmentSize } from '../wal/segment-size.ts';
import { segmentNumber, walFileName } from '../wal/wal-segment.ts';
import type { ContinuityStatus, GapReport } from './gap-detection.ts';
import { backupFinishedAt, isCompleteBackup } from './pitr-chain-base.ts';
import type { WindowReport } from './restorable-window.ts';

/** The figures `walcat status`, the metrics and the watchdogs share, for one cluster at one instant. */
export interface ClusterHealth {
  readonly cluster: ClusterId;
  readonly lastBackup?: {
    readonly name: string;
    readonly finishTime: Date;
    readonly status: 'complete';
    readonly ageSeconds: number;
  };
  readonly walHead?: {
    readonly timeline: number;
    /** 24-hex file name. */
    readonly segment: string;
    readonly uploadedAt: Date;
    readonly ageSeconds: number;
  };
  readonly gaps: { readonly status: ContinuityStatus; readonly lost: number; readonly uploading: number };
  /** From the oldest restorable instant to the newest; absent when nothing is restorable. */
  readonly window?: { readonly from: Date; readonly to: Date };
  /** Hours covered by the restorable ranges (their sum: a gap's hours are not counted). */
  readonly windowHours: number;
}

/**
 * Summarizes a cluster's continuity for people and metrics. Ages are whole seconds at `now`.
 *
 * @example clusterHealth({ cluster, backups, gaps, windows, walSegmentSize, now }).walHead?.ageSeconds // 42
 */
export function clusterHealth(input: {
  readonly cluster: ClusterId;
  readonly backups: readonly BackupRecord[];
  readonly gaps: GapReport;
  readonly windows: WindowReport;
  readonly walSegmentSize: WalSegmentSize;
  readonly now: Date;
}): ClusterHealth {
  const ageSeconds = (at: Date): number => Math.max(0, Math.floor((input.now.getTime() - at.getTime()) / 1000));
  const complete = backupsWithClusterChecks(input.backups).filter(isCompleteBackup);
  const newest = complete.reduce<(typeof complete)[number] | undefined>(
    (best, record) => (best === undefined || backupFinishedAt(record) > backupFinishedAt(best) ? record : best),
    undefined,
  );
  const head = input.gaps.head;
  const ranges = input.windows.ranges;
  const first = ranges[0];
  const last = ranges.reduce<(typeof ranges)[number] | undefined>(
    (best, range) => (best === undefined || range.to > best.to ? range : best),
    undefined,
  );
  const count = (status: 'lost' | 'uploading'): number =>
    input.gaps.gaps.filter((gap) => gap.status === status).reduce((sum, gap) => sum + gap.count, 0);
  return {
    cluster: input.cluster,
    ...(newest === undefined
      ? {}
      : {
          lastBackup: {
            name: newest.name,
            finishTime: backupFinishedAt(newest),
            status: 'complete' as const,
            ageSeconds: ageSeconds(backupFinishedAt(newest)),
          },
        }),
    ...(head === undefined
      ? {}
      : {
          walHead: {
            timeline: head.timeline,
            segment: walFileName({ timeline: head.timeline, segNo: segmentNumber(head.segNo) }, input.walSegmentSize),
            uploadedAt: new Date(head.uploadedAtMs),
            ageSeconds: ageSeconds(new Date(head.uploadedAtMs)),
          },
        }),
    gaps: { status: input.gaps.status, lost: count('lost'), uploading: count('uploading') },
    ...(first === undefined || last === undefined ? {} : { window: { from: first.from, to: last.to } }),
    windowHours: ranges.reduce((sum, range) => sum + (range.to.getTime() - range.from.getTime()) / 3_600_000, 0),
  };
}
