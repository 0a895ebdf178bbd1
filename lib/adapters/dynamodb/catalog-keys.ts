/**
 * The single-table key scheme of the catalog (docs/catalog-table.md explains the access patterns).
 *
 * | item          | pk                          | sk                                        |
 * |---------------|-----------------------------|-------------------------------------------|
 * | cluster state | `CLUSTER#<id>`              | `STATE`                                   |
 * | base backup   | `CLUSTER#<id>`              | `BACKUP#<name>`                           |
 * | history file  | `CLUSTER#<id>`              | `HISTORY#<tli 8hex>#<file name>`          |
 * | WAL object    | `WAL#<id>#<tli 8hex>`       | `<segNo 12hex>#<file name>`               |
 * | job           | `CLUSTER#<id>`              | `JOB#<started ISO>#<jobId>`               |
 * | alert         | `CLUSTER#<id>`              | `ALERT#<kind>#<subject>`                  |
 * | retention plan| `CLUSTER#<id>`              | `PLAN#<created ISO>#<planId>`             |
 * | lock          | `CLUSTER#<id>`              | `LOCK#<name>`                             |
 * | sync parts    | `CLUSTER#<id>`              | `SYNC#<syncId>`                           |
 *
 * WAL objects and `.history` files also carry `changesOf` (the cluster id) and `changedAt` (when the item was last
 * written, ISO-8601 with milliseconds): the keys of the `changes` global secondary index, so what changed since a
 * stamp (creations and deletions) is one Query whatever the size of the archive.
 *
 * Jobs not yet ended also carry `activeOf` (the cluster id): the hash key of the sparse `active` index (range `sk`,
 * keys only), so a watchdog finds a cluster's active jobs without reading its job history. A job loses the attribute
 * in the same write that ends it, and gains `ttl` (job history retention) instead. Alerts open or owing a message
 * carry `activeOf` = `OPEN_ALERTS` (one index partition for the whole table), so the clusters with open alerts are
 * one Query, including clusters no longer configured; a resolved, delivered alert loses it and gains `ttl`.
 *
 * WAL sort keys are the segment number in fixed-width hex so a range of segments is one Query; the file name after
 * it keeps two objects for one segment (different compression, `.partial`, `.backup`) apart.
 */
import type { ClusterId } from '../../domain/cluster.ts';
import { formatTimelineHex, type TimelineId } from '../../domain/wal/timeline.ts';
import type { SegmentNumber } from '../../domain/wal/wal-segment.ts';

export const CLUSTER_PK_PREFIX = 'CLUSTER#';
export const clusterPk = (cluster: ClusterId): string => `${CLUSTER_PK_PREFIX}${cluster}`;
export const STATE_SK = 'STATE';
export const backupSk = (name: string): string => `BACKUP#${name}`;
export const BACKUP_SK_PREFIX = 'BACKUP#';
export const historySk = (timeline: TimelineId, fileName: string): string =>
  `HISTORY#${formatTimelineHex(timeline)}#${fileName}`;
export const HISTORY_SK_PREFIX = 'HISTORY#';
export const walPk = (cluster: ClusterId, timeline: TimelineId): string =>
  `WAL#${cluster}#${formatTimelineHex(timeline)}`;
/** 12 hex digits hold any segment number (at most 2^44). */
export const segNoSortKey = (segNo: SegmentNumber): string => segNo.toString(16).toUpperCase().padStart(12, '0');
export const walSk = (segNo: SegmentNumber, fileName: string): string => `${segNoSortKey(segNo)}#${fileName}`;
export const jobSk = (startedAt: Date, jobId: string): string => `JOB#${startedAt.toISOString()}#${jobId}`;
export const JOB_SK_PREFIX = 'JOB#';
export const alertSk = (kind: string, subject: string): string => `ALERT#${kind}#${subject}`;
export const ALERT_SK_PREFIX = 'ALERT#';
export const planSk = (createdAt: Date, planId: string): string => `PLAN#${createdAt.toISOString()}#${planId}`;
export const PLAN_SK_PREFIX = 'PLAN#';
export const lockSk = (name: string): string => `LOCK#${name}`;
/** The finished parts of one key-range-split sync. */
export const syncPartsSk = (syncId: string): string => `SYNC#${syncId}`;
/** Marker of a timeline that has WAL objects: `listTimelines` is one Query instead of a scan. */
export const timelineSk = (timeline: TimelineId): string => `TIMELINE#${formatTimelineHex(timeline)}`;
export const TIMELINE_SK_PREFIX = 'TIMELINE#';
/** The global secondary index of WAL writes by time: hash `changesOf` (cluster id), range `changedAt`. */
export const CHANGES_INDEX = 'changes';
export const CHANGES_OF = 'changesOf';
export const CHANGED_AT = 'changedAt';
/** What the change index carries of a WAL item: what continuity needs (a history file's text stays out). */
export const CHANGES_PROJECTION = [
  'cluster',
  'key',
  'kind',
  'timeline',
  'segNo',
  'size',
  'uploadedAt',
  'deleted',
  'deletedAt',
];
/** The sparse global secondary index of jobs not yet ended: hash `activeOf` (cluster pk), range `sk`, keys only. */
export const ACTIVE_INDEX = 'active';
export const ACTIVE_OF = 'activeOf';
/** The `active` index partition of open alerts (never a cluster pk, which begins with `CLUSTER#`). */
export const OPEN_ALERTS = 'OPEN_ALERTS';
/** The cluster partition's ranges read together: alerts, backups and history files; then state, sync parts, timelines. */
export const OVERVIEW_FIRST_RANGE = ['ALERT#', 'HISTORY$'] as const;
export const OVERVIEW_SECOND_RANGE = ['STATE', 'TIMELINE$'] as const;
