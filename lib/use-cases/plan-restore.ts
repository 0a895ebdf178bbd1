import { eligibleBackups } from '../domain/catalog/backup-eligibility.ts';
import type { ClusterConfig } from '../domain/cluster.ts';
import { type ContinuityInput, type KnownHistory, timelineAncestries } from '../domain/continuity/continuity-input.ts';
import { isCompleteBackup } from '../domain/continuity/pitr-chain-base.ts';
import { PresentSegmentsBuilder } from '../domain/continuity/present-segments.ts';
import { restorableWindows } from '../domain/continuity/restorable-window.ts';
import { switchBreaks } from '../domain/continuity/timeline-path.ts';
import { type ArchivedSegment, planRestore, type RestorePlan } from '../domain/restore/restore-plan.ts';
import type { RestoreTarget } from '../domain/restore/restore-target.ts';
import { describeThaw, restoreThaw } from '../domain/restore/restore-thaw.ts';
import { readHistoryFiles } from '../domain/wal/timeline-history.ts';
import type { CatalogStore } from '../ports/catalog-store.ts';

export interface PlanRestoreDeps {
  readonly catalog: CatalogStore;
}

/**
 * Plans a restore of one cluster from the catalog: reads its backups, `.history` files and live WAL segments,
 * computes the restorable windows with the continuity module, and hands both to the pure planner. The plan names
 * the frozen objects it reads (`thaw`), from the storage classes the catalog records.
 *
 * @throws RestoreTargetUnreachableError when the target cannot be reached (with the nearest ranges).
 */
export async function planClusterRestore(
  deps: PlanRestoreDeps,
  cluster: ClusterConfig,
  target: RestoreTarget,
  now: Date,
): Promise<RestorePlan> {
  const size = cluster.walSegmentSize;
  const [records, historyRecords, timelines] = await Promise.all([
    deps.catalog.listBackups(cluster.id),
    deps.catalog.listHistoryFiles(cluster.id),
    deps.catalog.listTimelines(cluster.id),
  ]);
  // The same policy as continuity: a broken history is no exception here, only a plan that needs it is refused.
  const reading = readHistoryFiles(historyRecords.filter((record) => !record.deleted));
  const histories: KnownHistory[] = reading.readable.map(({ file, history }) => ({
    history,
    uploadedAt: file.uploadedAt,
  }));
  const uploadedAtOf = new Map(historyRecords.map((record) => [record.key, record.uploadedAt]));
  const present = new PresentSegmentsBuilder({
    breakBefore: switchBreaks(
      histories.map((known) => known.history),
      size,
    ),
  });
  const segments: ArchivedSegment[] = [];
  for (const timeline of timelines) {
    for await (const object of deps.catalog.listWalObjects(cluster.id, timeline)) {
      if (object.kind !== 'segment' || object.deleted || object.segNo === undefined) continue;
      present.add(object.timeline, object.segNo, object.uploadedAt.getTime());
      segments.push({
        timeline: object.timeline,
        segNo: object.segNo,
        size: object.size,
        uploadedAt: object.uploadedAt,
        key: object.key,
        ...(object.storageClass === undefined ? {} : { storageClass: object.storageClass }),
        ...(object.thawedUntil === undefined ? {} : { thawedUntil: object.thawedUntil }),
      });
    }
  }
  const continuity: ContinuityInput = {
    backups: records,
    histories,
    unreadableHistories: reading.unreadable,
    present: present.build(),
    ...(cluster.retention === undefined ? {} : { policy: cluster.retention }),
    walSegmentSize: size,
    uploadGraceMs: cluster.alerts.uploadGraceMs,
    now,
  };
  const windows = restorableWindows(continuity);
  // The plan follows the ancestry the window follows, inferred switches included, never a second guess of its own.
  const ancestries = timelineAncestries(continuity);
  const plan = planRestore({
    cluster: cluster.id,
    target,
    // Only backups of the cluster's own database system that are complete can be a base (never foreign-system).
    backups: eligibleBackups(records)
      .filter(isCompleteBackup)
      .map((record) => record.backup),
    windows: windows.ranges,
    segments,
    walSegmentSize: size,
    histories: ancestries.histories,
    inferredTimelines: ancestries.inferredTimelines,
    unreadableHistories: reading.unreadable.map((broken) => ({
      ...broken,
      uploadedAt: uploadedAtOf.get(broken.key),
    })),
  });
  const base = records.find((record) => record.name === plan.baseBackup.name);
  const thaw =
    base === undefined
      ? undefined
      : restoreThaw({ backup: base, prefix: cluster.storage.prefix, segments: plan.wal.segments ?? [], now });
  return thaw === undefined ? plan : { ...plan, thaw, reasons: [...plan.reasons, describeThaw(thaw)] };
}
