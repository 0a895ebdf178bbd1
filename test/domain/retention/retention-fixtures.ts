/** Builders of catalog records for the retention tests and the benchmark: backups with LSNs, WAL per segment. */
import type { BackupRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import type { ClusterId, RetentionPolicy } from '../../../lib/domain/cluster.ts';
import type { RetentionWalObject } from '../../../lib/domain/retention/wal-retention.ts';
import { lsnFromInteger } from '../../../lib/domain/wal/lsn.ts';
import { DEFAULT_WAL_SEGMENT_SIZE } from '../../../lib/domain/wal/segment-size.ts';
import { type TimelineId, timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../../../lib/domain/wal/wal-segment.ts';

export const CLUSTER = 'orders-main' as ClusterId;
export const SIZE = DEFAULT_WAL_SEGMENT_SIZE;
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const SEGMENT_BYTES = 4 * 1024 * 1024;

export const policyOf = (overrides: Partial<RetentionPolicy>): RetentionPolicy => ({
  keepLast: 0,
  keepDaily: 0,
  keepWeekly: 0,
  keepMonthly: 0,
  keepYearly: 0,
  pitrWindowMs: 0,
  timezone: 'UTC',
  incompleteGraceMs: DAY,
  applyGraceMs: DAY,
  ...overrides,
});

export interface BackupSpec {
  readonly startSegNo: number;
  /** Segments the backup spans (finish LSN is inside the last one). */
  readonly spanSegments?: number;
  readonly timeline?: number;
  readonly finishedAt: Date;
  readonly deltaFrom?: string;
  readonly permanent?: boolean;
  readonly status?: BackupRecord['status'];
  readonly compressedSize?: number;
}

export function backupName(timeline: number, startSegNo: number, parentStartSegNo?: number): string {
  const own = walFileName({ timeline: timelineId(timeline), segNo: segmentNumber(startSegNo) }, SIZE);
  if (parentStartSegNo === undefined) return `base_${own}`;
  const parent = walFileName({ timeline: timelineId(timeline), segNo: segmentNumber(parentStartSegNo) }, SIZE);
  return `base_${own}_D_${parent}`;
}

/** A catalogued backup; incomplete ones carry no sentinel data, like the catalog records them. */
export function backupRecord(
  spec: BackupSpec & { readonly name?: string; readonly parentStartSegNo?: number },
): BackupRecord {
  const timeline = timelineId(spec.timeline ?? 1);
  const name = spec.name ?? backupName(timeline, spec.startSegNo, spec.deltaFrom ? spec.parentStartSegNo : undefined);
  const status = spec.status ?? 'complete';
  const startLsn = lsnFromInteger(BigInt(spec.startSegNo) * BigInt(SIZE) + 40n);
  const finishLsn = lsnFromInteger(BigInt(spec.startSegNo + (spec.spanSegments ?? 1) - 1) * BigInt(SIZE) + 4096n);
  const firstSeenAt = new Date(spec.finishedAt.getTime() - HOUR);
  return {
    cluster: CLUSTER,
    name,
    status,
    firstSeenAt,
    updatedAt: firstSeenAt,
    ...(status === 'incomplete'
      ? {}
      : {
          backup: {
            name,
            kind: spec.deltaFrom ? 'delta' : 'full',
            ...(spec.deltaFrom ? { deltaFrom: spec.deltaFrom } : {}),
            timeline,
            startLsn,
            finishLsn,
            startSegment: { timeline, segNo: segmentNumber(spec.startSegNo) },
            startTime: new Date(spec.finishedAt.getTime() - 10 * 60_000),
            finishTime: spec.finishedAt,
            compressedSize: spec.compressedSize ?? 1024 * 1024 * 1024,
            permanent: spec.permanent ?? false,
          },
        }),
  };
}

/** One segment object per segment number in `[from, to]`, plus a `.backup` file where a backup starts. */
export function walObjects(timeline: number, from: number, to: number, bytes = SEGMENT_BYTES): RetentionWalObject[] {
  const tli: TimelineId = timelineId(timeline);
  const objects: RetentionWalObject[] = [];
  for (let segNo = from; segNo <= to; segNo++) {
    const name = walFileName({ timeline: tli, segNo: segmentNumber(segNo) }, SIZE);
    objects.push({
      key: `wal_005/${name}.lz4`,
      kind: 'segment',
      timeline: tli,
      segNo: segmentNumber(segNo),
      size: bytes,
    });
  }
  return objects;
}

export function historyObject(timeline: number): RetentionWalObject {
  const tli = timelineId(timeline);
  return {
    key: `wal_005/${tli.toString(16).toUpperCase().padStart(8, '0')}.history.lz4`,
    kind: 'history',
    timeline: tli,
    size: 120,
  };
}

/**
 * `count` backups, one every `everyMs` ending at `last`, each spanning one segment, `segmentsBetween` segments apart,
 * with every WAL segment from the first backup to the head archived.
 */
export function regularCatalog(options: {
  readonly count: number;
  readonly everyMs: number;
  readonly last: Date;
  readonly segmentsBetween: number;
}): { backups: BackupRecord[]; wal: RetentionWalObject[] } {
  const backups: BackupRecord[] = [];
  for (let i = 0; i < options.count; i++) {
    const finishedAt = new Date(options.last.getTime() - (options.count - 1 - i) * options.everyMs);
    backups.push(backupRecord({ startSegNo: 16 + i * options.segmentsBetween, finishedAt }));
  }
  const head = 16 + options.count * options.segmentsBetween;
  return { backups, wal: walObjects(1, 16, head) };
}
