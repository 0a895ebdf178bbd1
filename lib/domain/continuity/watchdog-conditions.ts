import type { BackupRecord } from '../catalog/catalog-records.ts';
import type { AlertSettings } from '../cluster.ts';
import type { ArchiverFinding, ArchiverFindingKind } from '../host/archiver-probe.ts';
import type { WalSegmentSize } from '../wal/segment-size.ts';
import { formatTimelineHex, type TimelineId } from '../wal/timeline.ts';
import { type SegmentNumber, walFileName } from '../wal/wal-segment.ts';
import type { AlertCondition } from './alert-state.ts';
import type { ClusterHealth } from './cluster-health.ts';
import type { GapReport } from './gap-detection.ts';

export interface WatchdogInput {
  readonly gaps: GapReport;
  readonly health: ClusterHealth;
  readonly backups: readonly BackupRecord[];
  readonly alerts: AlertSettings;
  readonly walSegmentSize: WalSegmentSize;
  /** Backups without a sentinel younger than this may still be running. */
  readonly incompleteGraceMs: number;
  readonly lastFullSyncAt?: Date;
  /** The catalog counts as stale when its last full sync is older than this. */
  readonly catalogStaleAfterMs: number;
  /** What the latest archiver probe on the primary found (pg_stat_archiver against the catalog), when recent. */
  readonly archiverFindings?: readonly ArchiverFinding[];
  readonly now: Date;
}

/** What to do about each archiver probe finding. `archive-lag` is the catalog's own alert already. */
const ARCHIVER_NEXT_STEPS: Readonly<Record<Exclude<ArchiverFindingKind, 'archive-lag'>, string>> = {
  'archive-failing':
    'Read the PostgreSQL log on the primary for the failing archive_command (credentials, network, bucket policy); WAL piles up in pg_wal until it succeeds and can fill the disk.',
  'archived-not-in-bucket':
    "The primary reports the segment archived but the bucket does not hold it: check that archive_command pushes to this cluster's prefix, then run `walcat sync` in case an event was missed.",
  'not-a-primary':
    "The probe reached a standby: check the cluster's host tag targets the primary too (backup-push and the probe skip standbys).",
};

const duration = (ms: number): string => {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h ${minutes % 60} min` : `${Math.floor(hours / 24)} d ${hours % 24} h`;
};

const windowFact = (health: ClusterHealth): string =>
  health.window === undefined
    ? 'nothing restorable'
    : `${health.window.from.toISOString()} .. ${health.window.to.toISOString()}`;

/**
 * What the minute-by-minute watchdog alerts on, as conditions with a stable identity: lost WAL (not segments still
 * uploading), divergence, missing, unreadable and encrypted history files, backups of another database system, unreadable
 * backups, a walSegmentSize the backups contradict, archive lag over `archiveLagMax`, the newest complete backup older
 * than `backupMaxAge`, backups that never finished, no complete backup at all, and a catalog not reconciled for too
 * long. Each names the cluster's segments and window and the next step.
 *
 * @example watchdogConditions(input).map((c) => c.kind) // ['wal-gap', 'archive-lag']
 */
export function watchdogConditions(input: WatchdogInput): AlertCondition[] {
  const conditions: AlertCondition[] = [];
  const name = (timeline: TimelineId, segNo: SegmentNumber): string =>
    walFileName({ timeline, segNo }, input.walSegmentSize);
  const window = windowFact(input.health);
  for (const gap of input.gaps.gaps) {
    if (gap.status !== 'lost') continue;
    const from = name(gap.timeline, gap.fromSegNo);
    const to = name(gap.timeline, gap.toSegNo);
    conditions.push({
      kind: 'wal-gap',
      subject: from,
      severity: 'FAILURE',
      summary: `${gap.count} WAL segment${gap.count === 1 ? '' : 's'} lost on timeline ${gap.timeline}: ${from}${gap.count > 1 ? ` .. ${to}` : ''}`,
      facts: {
        Segments: gap.count > 1 ? `${from} .. ${to}` : from,
        'Needed by': gap.neededBy.join(', '),
        Window: window,
      },
      nextStep: `Check archive_command and \`wal-g wal-push\` logs on the primary for ${from}; if the file is still in pg_wal, push it again. If it is gone, run \`walcat backup\` so a new base backup restarts the chain.`,
    });
  }
  for (const finding of input.gaps.findings) {
    if (finding.kind === 'divergence') {
      conditions.push({
        kind: 'divergence',
        subject: `${formatTimelineHex(finding.timeline)}-vs-${formatTimelineHex(finding.rivalTimeline)}`,
        severity: 'FAILURE',
        summary: `WAL is still archived on timeline ${finding.timeline} after timeline ${finding.rivalTimeline} took over: two servers archive into one prefix`,
        facts: {
          Segments: `${name(finding.timeline, finding.fromSegNo)} .. ${name(finding.timeline, finding.toSegNo)} (${finding.count})`,
          Timelines: `${finding.timeline} (off the chain) vs ${finding.rivalTimeline} (followed)`,
          Window: window,
        },
        nextStep: `Find the server still on timeline ${finding.timeline} (an old primary or a restored copy) and stop its archiving (archive_mode = off or archive_command = '/bin/true'), then decide which timeline is authoritative.`,
      });
    } else if (finding.kind === 'missing-history') {
      const file = `${formatTimelineHex(finding.timeline)}.history`;
      conditions.push({
        kind: 'missing-history',
        subject: formatTimelineHex(finding.timeline),
        severity: finding.severity,
        summary: `${file} is missing: continuity across the switch to timeline ${finding.timeline} cannot be checked and a restore cannot follow it`,
        facts: { File: file, Window: window },
        nextStep: `On the server of timeline ${finding.timeline}, push pg_wal/${file} with \`wal-g wal-push\` (it is never overwritten).`,
      });
    } else if (finding.kind === 'foreign-system') {
      conditions.push({
        kind: 'foreign-system',
        subject: finding.backup,
        severity: 'FAILURE',
        summary: `Backup ${finding.backup} belongs to another database system (system identifier ${finding.systemIdentifier}, this cluster's is ${finding.clusterSystemIdentifier}): it is never a restore base here`,
        facts: {
          Backup: finding.backup,
          'System identifier': finding.systemIdentifier,
          "Cluster's system identifier": finding.clusterSystemIdentifier,
          Window: window,
        },
        nextStep: `Find the server whose WALG_S3_PREFIX points at this cluster's prefix (its \`SELECT system_identifier FROM pg_control_system()\` is ${finding.systemIdentifier}) and give it its own prefix; its WAL may be mixed into wal_005/ too. walcat never deletes ${finding.backup}: remove it by hand once you know whose it is.`,
      });
    } else if (finding.kind === 'unreadable-backup') {
      const missingData = finding.problem.startsWith('missing-data');
      conditions.push({
        kind: 'unreadable-backup',
        subject: finding.backup,
        severity: 'WARNING',
        summary: `Backup ${finding.backup} cannot be used as a restore base: ${finding.problem}`,
        facts: { Backup: finding.backup, Problem: finding.problem, Window: window },
        nextStep: missingData
          ? `Part of ${finding.backup} is gone from basebackups_005/${finding.backup}/: check the bucket's lifecycle rules and who deletes there (\`walcat doctor\`), and run \`walcat backup\` so the cluster does not depend on it. Retention never deletes it; remove it by hand once decided.`
          : `Read basebackups_005/${finding.backup}_backup_stop_sentinel.json and its metadata.json; re-push them if the host still has them (the next \`walcat sync\` reads them again), otherwise run \`walcat backup\`. Retention never deletes it; remove it by hand (\`wal-g delete target ${finding.backup}\`) once decided.`,
      });
    } else if (finding.kind === 'unreadable-history') {
      conditions.push({
        kind: 'unreadable-history',
        subject: formatTimelineHex(finding.timeline),
        severity: finding.severity,
        summary: `History file ${finding.file} of timeline ${finding.timeline} cannot be used (${finding.problem}): continuity across its switch cannot be checked and a restore cannot follow it`,
        facts: { File: finding.file, Problem: finding.problem, Window: window },
        nextStep: `Compare ${finding.file} with pg_wal/${formatTimelineHex(finding.timeline)}.history on the server of timeline ${finding.timeline}; if the server's copy is sound, replace the object with it (\`wal-g wal-push\` never overwrites, so remove the broken object first) and run \`walcat sync\`.`,
      });
    } else if (finding.kind === 'encrypted-history') {
      // One alert per cluster, whatever the number of files: the cause (client-side encryption) is the archive's.
      conditions.push({
        kind: 'encrypted-history',
        subject: 'history',
        severity: finding.severity,
        summary: `${finding.files.length === 1 ? 'The timeline history file' : `${finding.files.length} timeline history files`} of this cluster cannot be read as text (most likely WAL-G client-side encryption): timeline switches are inferred, not read`,
        facts: {
          File: finding.file,
          'Inferred timelines': finding.inferredTimelines.length === 0 ? 'none' : finding.inferredTimelines.join(', '),
          Window: window,
        },
        nextStep: `Compare ${finding.file} with pg_wal/<timeline>.history on the primary before any restore across a switch, and name the timeline (recovery_target_timeline) when restoring; while the archive is encrypted this alert stays open, as the window's ranges across a switch are only inferred.`,
      });
    } else if (finding.kind === 'segment-size-mismatch') {
      conditions.push({
        kind: 'segment-size-mismatch',
        subject: 'walSegmentSize',
        severity: 'FAILURE',
        summary: `walSegmentSize ${finding.walSegmentSize} contradicts ${finding.backups} backup${finding.backups === 1 ? '' : 's'}: ${finding.problem}; no gaps are computed until it is fixed`,
        facts: {
          Configured: finding.walSegmentSize,
          'Size that fits': finding.fits ?? 'none of the sizes initdb accepts',
          Backups: String(finding.backups),
        },
        nextStep:
          finding.fits === null
            ? "Check the server's segment size (`SHOW wal_segment_size;`) and set the cluster's walSegmentSize in walcat.config.yml to it, then redeploy."
            : `Set the cluster's walSegmentSize to ${finding.fits} in walcat.config.yml (check with \`SHOW wal_segment_size;\` on the server), then redeploy.`,
      });
    } else if (finding.kind === 'no-backup' && input.lastFullSyncAt !== undefined) {
      // Before the first full sync the catalog is empty on a fresh deploy, not the bucket: "nothing is restorable"
      // would be a false FAILURE. The catalog-stale warning ("never reconciled") stands in until the sync ran.
      conditions.push({
        kind: 'no-backup',
        subject: 'cluster',
        severity: 'FAILURE',
        summary: 'No complete base backup: nothing is restorable',
        facts: { Window: 'nothing restorable' },
        nextStep: 'Run `walcat backup` now and check `walcat jobs` for the outcome.',
      });
    }
  }
  const head = input.health.walHead;
  if (head !== undefined && head.ageSeconds * 1000 > input.alerts.archiveLagMaxMs) {
    conditions.push({
      kind: 'archive-lag',
      subject: 'wal-head',
      severity: 'FAILURE',
      summary: `No WAL archived for ${duration(head.ageSeconds * 1000)} (limit ${duration(input.alerts.archiveLagMaxMs)})`,
      facts: { 'WAL head': head.segment, 'Uploaded at': head.uploadedAt.toISOString(), Window: window },
      nextStep:
        'Check pg_stat_archiver on the primary (failed_count, last_failed_wal) and the wal-g logs; a quiet database needs archive_timeout to keep the lag bounded.',
    });
  }
  const last = input.health.lastBackup;
  if (last !== undefined && last.ageSeconds * 1000 > input.alerts.backupMaxAgeMs) {
    conditions.push({
      kind: 'backup-age',
      subject: 'last-backup',
      severity: 'FAILURE',
      summary: `The newest complete backup ${last.name} finished ${duration(last.ageSeconds * 1000)} ago (limit ${duration(input.alerts.backupMaxAgeMs)})`,
      facts: { Backup: last.name, Finished: last.finishTime.toISOString(), Window: window },
      nextStep: 'Check the scheduled backup in `walcat jobs`; run `walcat backup` to take one now.',
    });
  }
  for (const record of input.backups) {
    if (record.status !== 'incomplete') continue;
    const age = input.now.getTime() - record.firstSeenAt.getTime();
    if (age <= input.incompleteGraceMs) continue;
    conditions.push({
      kind: 'incomplete-backup',
      subject: record.name,
      severity: 'WARNING',
      summary: `Backup ${record.name} started ${duration(age)} ago and never finished (no sentinel)`,
      facts: { Backup: record.name, 'First seen': record.firstSeenAt.toISOString() },
      nextStep:
        'Check the backup job in `walcat jobs` and the host logs; it is never restorable and retention removes it after the grace period.',
    });
  }
  const syncAge = input.lastFullSyncAt === undefined ? undefined : input.now.getTime() - input.lastFullSyncAt.getTime();
  if (syncAge === undefined || syncAge > input.catalogStaleAfterMs) {
    conditions.push({
      kind: 'catalog-stale',
      subject: 'catalog',
      severity: 'WARNING',
      summary:
        syncAge === undefined
          ? 'The catalog was never reconciled with a full bucket listing'
          : `The catalog was last reconciled ${duration(syncAge)} ago (limit ${duration(input.catalogStaleAfterMs)})`,
      facts: { 'Last full sync': input.lastFullSyncAt?.toISOString() ?? 'never' },
      nextStep: 'Run `walcat sync`; check the catalog-sync schedule and the ingest queue’s dead-letter queue.',
    });
  }
  for (const finding of input.archiverFindings ?? []) {
    // The catalog's archive-lag condition already covers lag; the probe only adds what the bucket cannot show.
    if (finding.kind === 'archive-lag') continue;
    conditions.push({
      kind: 'archiver',
      subject: finding.kind,
      severity: finding.severity === 'failure' ? 'FAILURE' : 'WARNING',
      summary: finding.summary,
      facts: { Window: window },
      nextStep: ARCHIVER_NEXT_STEPS[finding.kind],
    });
  }
  return conditions;
}
