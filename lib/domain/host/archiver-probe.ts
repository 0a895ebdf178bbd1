import { InvalidInputError } from '../errors.ts';
import { type Lsn, parseLsn } from '../wal/lsn.ts';
import type { WalSegmentSize } from '../wal/segment-size.ts';
import { type TimelineId, timelineId } from '../wal/timeline.ts';
import { type SegmentNumber, segmentNumber, segmentStartLsn, segNoOfLsn, walFileName } from '../wal/wal-segment.ts';

/**
 * What a primary says about its WAL archiving, read by the archiver probe from `pg_stat_archiver`,
 * `pg_current_wal_lsn()` and `pg_is_in_recovery()`. The continuity watchdog compares it with the catalog.
 */
export interface ArchiverProbeResult {
  /** `pg_current_wal_lsn()` on a primary, `pg_last_wal_replay_lsn()` on a standby; undefined when unknown. */
  readonly currentLsn: Lsn | undefined;
  /** File name of the last WAL file archive_command reported archived (segment, `.history`, `.partial`...). */
  readonly lastArchivedWal: string | undefined;
  readonly lastArchivedAt: Date | undefined;
  /** Failed archive_command attempts since the statistics were last reset. */
  readonly failedCount: number;
  readonly lastFailedWal: string | undefined;
  readonly lastFailedAt: Date | undefined;
  readonly inRecovery: boolean;
  /** `server_version_num`, e.g. 150004. */
  readonly serverVersionNum: number;
  /** When the statistics were last reset: a failedCount lower than last time means a reset, not a recovery. */
  readonly statsResetAt: Date | undefined;
  /** Timeline of the last checkpoint (`pg_control_checkpoint()`); right after a promotion it can be the old one. */
  readonly timeline: TimelineId | undefined;
}

/** The JSON object the probe script prints as its result data (built by PostgreSQL's json_build_object). */
interface ProbeJson {
  readonly current_lsn?: unknown;
  readonly last_archived_wal?: unknown;
  readonly last_archived_time?: unknown;
  readonly failed_count?: unknown;
  readonly last_failed_wal?: unknown;
  readonly last_failed_time?: unknown;
  readonly in_recovery?: unknown;
  readonly server_version_num?: unknown;
  readonly stats_reset?: unknown;
  readonly timeline?: unknown;
}

function optionalString(field: string, value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'string') throw new InvalidInputError(`archiver probe: ${field} is not a string`);
  return value;
}

function optionalTime(field: string, value: unknown): Date | undefined {
  const text = optionalString(field, value);
  if (text === undefined) return undefined;
  const time = new Date(text);
  if (Number.isNaN(time.getTime())) throw new InvalidInputError(`archiver probe: ${field} ${text} is not a time`);
  return time;
}

function integer(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidInputError(`archiver probe: ${field} ${JSON.stringify(value)} is not a non-negative integer`);
  }
  return value;
}

/**
 * Maps the probe script's result data to an {@link ArchiverProbeResult}; throws InvalidInputError naming the field.
 *
 * @example
 * parseArchiverProbeData({ current_lsn: '0/3000060', last_archived_wal: '000000010000000000000002',
 *   last_archived_time: '2026-11-20T14:00:00.123+00:00', failed_count: 0, last_failed_wal: null,
 *   last_failed_time: null, in_recovery: false, server_version_num: 150004, stats_reset: null })
 */
export function parseArchiverProbeData(data: unknown): ArchiverProbeResult {
  if (typeof data !== 'object' || data === null) {
    throw new InvalidInputError('archiver probe: result data is not an object (was the probe script changed?)');
  }
  const json = data as ProbeJson;
  const lsnText = optionalString('current_lsn', json.current_lsn);
  if (typeof json.in_recovery !== 'boolean')
    throw new InvalidInputError('archiver probe: in_recovery is not a boolean');
  return {
    currentLsn: lsnText === undefined ? undefined : parseLsn(lsnText),
    lastArchivedWal: optionalString('last_archived_wal', json.last_archived_wal),
    lastArchivedAt: optionalTime('last_archived_time', json.last_archived_time),
    failedCount: integer('failed_count', json.failed_count),
    lastFailedWal: optionalString('last_failed_wal', json.last_failed_wal),
    lastFailedAt: optionalTime('last_failed_time', json.last_failed_time),
    inRecovery: json.in_recovery,
    serverVersionNum: integer('server_version_num', json.server_version_num),
    statsResetAt: optionalTime('stats_reset', json.stats_reset),
    timeline:
      json.timeline === undefined || json.timeline === null
        ? undefined
        : timelineId(integer('timeline', json.timeline)),
  };
}

/** The catalog's newest WAL segment of the timeline the host is on. */
export interface CatalogWalHead {
  readonly timeline: TimelineId;
  readonly segNo: SegmentNumber;
  readonly uploadedAt: Date;
}

export type ArchiverFindingKind = 'archive-lag' | 'archive-failing' | 'archived-not-in-bucket' | 'not-a-primary';

export interface ArchiverFinding {
  readonly kind: ArchiverFindingKind;
  readonly severity: 'warning' | 'failure';
  /** One sentence a person reads, naming the segment, count or time. */
  readonly summary: string;
}

export interface ArchiverAssessment {
  readonly probe: ArchiverProbeResult;
  /** Bytes between the end of the catalog's newest segment and the host's current LSN (0 when caught up). */
  readonly archiveLagBytes?: bigint;
  /** Segments the host has written (including the one in progress) that the catalog does not have. */
  readonly archiveLagSegments?: number;
  /** Segment names written but not yet in the catalog: `wal-verify`'s "delayed" range (first..last, inclusive). */
  readonly delayed?: { readonly from: string; readonly to: string };
  /** New archive_command failures since the previous probe (0 after a statistics reset). */
  readonly newFailures: number;
  readonly findings: readonly ArchiverFinding[];
}

export interface AssessArchiverInput {
  readonly probe: ArchiverProbeResult;
  /** The previous probe of the same cluster, to see a rising failed count. */
  readonly previous?: ArchiverProbeResult;
  readonly timeline: TimelineId;
  readonly head?: CatalogWalHead;
  readonly segmentSize: WalSegmentSize;
  /** Whether the catalog has the segment the host last archived (undefined: not looked up, not a segment). */
  readonly lastArchivedInCatalog?: boolean;
  readonly now: Date;
  /** How long after the host archived a segment it may take to reach the catalog (S3 event delay). */
  readonly uploadGraceMs: number;
  /** Lag above which archive-lag is a finding. */
  readonly archiveLagMaxMs: number;
}

/**
 * Compares what a primary says about archiving with what the catalog has: the archive lag in bytes and segments
 * (the segments between the catalog head and the current LSN are "delayed", as wal-verify reports them), a failed
 * count that rose since the last probe (archive_command failing; pg_wal fills the disk), and a segment the host says
 * it archived that never reached the bucket after the upload grace.
 *
 * @example
 * assessArchiverProbe({ probe, timeline, head, segmentSize, now, uploadGraceMs: 300_000, archiveLagMaxMs: 600_000 })
 * // { archiveLagSegments: 2, delayed: { from: '...0A', to: '...0B' }, findings: [] }
 */
export function assessArchiverProbe(input: AssessArchiverInput): ArchiverAssessment {
  const { probe, segmentSize, now } = input;
  const findings: ArchiverFinding[] = [];
  if (probe.inRecovery) {
    findings.push({
      kind: 'not-a-primary',
      severity: 'warning',
      summary: 'the probed host is a standby; archiving is judged on the primary',
    });
  }
  const statsReset =
    input.previous !== undefined && input.previous.statsResetAt?.getTime() !== probe.statsResetAt?.getTime();
  const newFailures =
    input.previous === undefined || statsReset ? 0 : Math.max(0, probe.failedCount - input.previous.failedCount);
  if (newFailures > 0) {
    findings.push({
      kind: 'archive-failing',
      severity: 'failure',
      summary:
        `archive_command failed ${newFailures} time(s) since the last probe` +
        (probe.lastFailedWal ? ` (last: ${probe.lastFailedWal} at ${probe.lastFailedAt?.toISOString() ?? '?'})` : '') +
        '; WAL piles up in pg_wal until it succeeds',
    });
  }
  let lag: Pick<ArchiverAssessment, 'archiveLagBytes' | 'archiveLagSegments' | 'delayed'> = {};
  if (probe.currentLsn !== undefined && !probe.inRecovery) {
    const currentSegNo = segNoOfLsn(probe.currentLsn, segmentSize);
    const head = input.head !== undefined && input.head.timeline === input.timeline ? input.head : undefined;
    const firstMissing = head === undefined ? undefined : head.segNo + 1;
    if (firstMissing !== undefined) {
      const archivedEnd = segmentStartLsn(segmentNumber(firstMissing), segmentSize);
      const bytes = probe.currentLsn > archivedEnd ? probe.currentLsn - archivedEnd : 0n;
      const segments = Math.max(0, currentSegNo - firstMissing + 1);
      lag = {
        archiveLagBytes: bytes,
        archiveLagSegments: segments,
        ...(segments > 0
          ? {
              delayed: {
                from: walFileName({ timeline: input.timeline, segNo: segmentNumber(firstMissing) }, segmentSize),
                to: walFileName({ timeline: input.timeline, segNo: currentSegNo }, segmentSize),
              },
            }
          : {}),
      };
      const headAgeMs = now.getTime() - (head?.uploadedAt.getTime() ?? now.getTime());
      // The segment in progress is always missing; lag matters when completed segments wait longer than allowed.
      if (segments > 1 && headAgeMs > input.archiveLagMaxMs) {
        findings.push({
          kind: 'archive-lag',
          severity: 'warning',
          summary: `${segments - 1} completed segment(s) from ${lag.delayed?.from} are not in the bucket; the newest archived segment is ${Math.round(headAgeMs / 60_000)} min old`,
        });
      }
    }
  }
  if (
    input.lastArchivedInCatalog === false &&
    probe.lastArchivedWal !== undefined &&
    probe.lastArchivedAt !== undefined &&
    now.getTime() - probe.lastArchivedAt.getTime() > input.uploadGraceMs
  ) {
    findings.push({
      kind: 'archived-not-in-bucket',
      severity: 'failure',
      summary: `the host archived ${probe.lastArchivedWal} at ${probe.lastArchivedAt.toISOString()} but it never reached the bucket; check archive_command's destination`,
    });
  }
  return { probe, ...lag, newFailures, findings };
}
