/**
 * What the web view shows for one cluster, as plain data: every time an ISO-8601 UTC string, every segment a 24-hex
 * WAL file name. The page renders it and `/api/clusters/<id>` returns it as JSON, so both always agree.
 */
import type { ContinuityStatus } from '../domain/continuity/gap-detection.ts';

export interface BackupView {
  readonly name: string;
  /** complete | incomplete | deleted | expired */
  readonly status: string;
  readonly kind?: 'full' | 'delta';
  readonly deltaFrom?: string;
  readonly timeline?: number;
  readonly startSegment?: string;
  readonly startLsn?: string;
  readonly finishLsn?: string;
  readonly startTime?: string;
  readonly finishTime?: string;
  readonly compressedSize?: number;
  readonly uncompressedSize?: number;
  readonly permanent: boolean;
  /** False when a segment between its start and finish LSN is missing (it cannot reach consistency). */
  readonly consistent?: boolean;
  /** What the retention planner decided and why (`daily 2026-11-20`, `pitr-window`, ...). */
  readonly retention?: { readonly decision: 'keep' | 'delete'; readonly reasons: readonly string[] };
  /** Why the sentinel could not be read. */
  readonly problem?: string;
  /** WAL-G `UserData` as JSON text. */
  readonly userData?: string;
}

/** A run of consecutive archived segments of one timeline, with the upload times of its ends. */
export interface CoverageView {
  readonly timeline: number;
  readonly from: string;
  readonly to: string;
  readonly segments: number;
  readonly firstUploadedAt: string;
  readonly lastUploadedAt: string;
}

/** Missing required segments, placed in time between the coverage runs around them. */
export interface GapView {
  readonly timeline: number;
  readonly from: string;
  readonly to: string;
  readonly count: number;
  readonly status: 'lost' | 'uploading';
  readonly neededBy: readonly string[];
  /** Upload time of the last present segment before the gap, when there is one. */
  readonly after?: string;
  /** Upload time of the first present segment after the gap, when there is one. */
  readonly before?: string;
}

export interface WindowView {
  readonly timeline: number;
  readonly from: string;
  readonly to: string;
  readonly baseBackup: string;
  /** The stretches of the range that need a thaw before a restore can fetch (absent or empty: none). */
  readonly thawParts?: readonly WindowThawView[];
}

/** A stretch of a restorable range whose objects are in GLACIER, DEEP_ARCHIVE or an archive tier. */
export interface WindowThawView {
  readonly from: string;
  readonly to: string;
  readonly baseBackup: string;
  readonly storageClasses: readonly string[];
}

export interface RetentionView {
  /** `stored-plan`: the newest plan in the catalog; `computed`: planned now for this page; `unavailable`: refused. */
  readonly source: 'stored-plan' | 'computed' | 'unavailable';
  readonly planId?: string;
  readonly createdAt?: string;
  readonly planStatus?: string;
  readonly keep: readonly { readonly name: string; readonly reasons: readonly string[] }[];
  readonly deleteBackups: readonly { readonly name: string; readonly reason: string }[];
  readonly deleteWal: readonly {
    readonly timeline: number;
    readonly from: string;
    readonly to: string;
    readonly count: number;
  }[];
  readonly bytesFreed?: number;
  /** Why the planner refused (an unsafe outcome), when it did. */
  readonly refused?: string;
}

/** A backup, restore, drill or retention run. */
export interface JobView {
  readonly id: string;
  readonly kind: string;
  readonly status: string;
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly detail?: string;
}

export interface AlertView {
  readonly kind: string;
  readonly subject: string;
  readonly severity: string;
  readonly since: string;
  readonly summary: string;
  /** What to do about it, as the Slack message says. */
  readonly nextStep: string;
}

export interface ClusterView {
  readonly cluster: string;
  readonly generatedAt: string;
  readonly status: ContinuityStatus;
  readonly walSegmentSize: string;
  readonly lastBackup?: { readonly name: string; readonly finishTime: string; readonly ageSeconds: number };
  readonly walHead?: {
    readonly timeline: number;
    readonly segment: string;
    readonly uploadedAt: string;
    readonly ageSeconds: number;
  };
  /** Oldest first. */
  readonly backups: readonly BackupView[];
  readonly coverage: readonly CoverageView[];
  readonly gaps: readonly GapView[];
  /** Other continuity findings, one readable line each (missing history, divergence, no backup, delayed WAL). */
  readonly findings: readonly string[];
  readonly windows: readonly WindowView[];
  readonly retention: RetentionView;
  readonly lastDrill?: JobView;
  /** Newest first. */
  readonly jobs: readonly JobView[];
  readonly alerts: readonly AlertView[];
}

/** The cluster list of the index page and `/api/clusters`. */
export interface ClusterSummaryView {
  readonly cluster: string;
  readonly status: ContinuityStatus;
  readonly window?: { readonly from: string; readonly to: string };
  readonly lastBackup?: string;
}
