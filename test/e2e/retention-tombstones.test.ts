/**
 * The point-in-time chain follows what was really thinned, on s3rver + dynalite through the real use cases: a hole
 * that retention did not make (an operator's or a lifecycle rule's deletion) is a gap even where the policy would
 * delete the WAL later; the holes retention's apply made are recorded as tombstones with the plan id, are not gaps,
 * survive a later full sync, and also cover an older hole once the WAL around it is gone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbPlanStore } from '../../lib/adapters/dynamodb/dynamodb-plan-store.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import { timelineId } from '../../lib/domain/wal/timeline.ts';
import { segmentNumber } from '../../lib/domain/wal/wal-segment.ts';
import { applyClusterRetention } from '../../lib/use-cases/apply-retention.ts';
import { evaluateContinuity } from '../../lib/use-cases/evaluate-continuity.ts';
import { planClusterRetention } from '../../lib/use-cases/plan-retention.ts';
import { syncCatalog } from '../../lib/use-cases/sync-catalog.ts';
import { BUCKET, type CatalogServices, readers, startCatalogServices } from '../use-cases/catalog-test-setup.ts';
import {
  catalogueFromEvents,
  HEAD_SEGNO,
  retentionTestConfig,
  seedWalgBucket,
  segName,
} from '../use-cases/retention-test-bucket.ts';

const HOUR = 3_600_000;
const PLANNED_AT = new Date('2026-11-21T03:00:00Z');
const config = retentionTestConfig(
  'walcat-retention-tombstones',
  '{ keepDaily: 3, keepWeekly: 2, pitrWindow: 1d, applyGrace: 6h, timezone: UTC }',
);
const cluster = config.clusters[0] as ClusterConfig;
// Between the third and the fourth daily backup (segments 0x18 and 0x1C): before the chain base the policy names
// (the backup covering the 1-day window), in WAL the plan deletes.
const OPERATOR_HOLE = 0x1a;
const afterUploadGrace = (): Date => new Date(Date.now() + cluster.alerts.uploadGraceMs + 60_000);

let services: CatalogServices;
beforeAll(async () => {
  services = await startCatalogServices(config);
});
afterAll(async () => {
  await services.close();
});

describe('gaps follow what retention really deleted', () => {
  it('reports a hole retention did not make as a gap, and the holes its apply made as deleted by the plan', async () => {
    const eventsBefore = services.s3.events().length;
    await seedWalgBucket(services, 'orders-main');
    // Someone else removes one segment: an operator by hand, or a lifecycle rule (the event is the same).
    await services.objects.deleteObjects(BUCKET, [`orders-main/wal_005/${segName(OPERATOR_HOLE)}.lz4`]);
    const catalog = await catalogueFromEvents(services, config, 'retention-tombstones', eventsBefore);
    // s3rver sends no event for a multi-object delete: the full sync catalogues the removal, as it heals a lost event.
    await syncCatalog({ ...readers(services), catalog }, cluster, { now: new Date(PLANNED_AT.getTime() - HOUR) });
    const plans = new DynamoDbPlanStore({ client: services.ddb.client, tableName: 'retention-tombstones' });

    // The emulator stamps uploads with the real time: a hole is `lost` once its successor is older than uploadGrace.
    const before = await evaluateContinuity(catalog, cluster, { now: afterUploadGrace(), persistCursor: false });
    expect(before.gaps.status).toBe('FAILURE');
    expect(before.gaps.gaps).toMatchObject([
      { timeline: 1, fromSegNo: OPERATOR_HOLE, toSegNo: OPERATOR_HOLE, count: 1, status: 'lost' },
    ]);
    expect(before.gaps.deletedByRetention).toEqual([]);
    // Gaps and window agree: the window splits at the gap (one range ends right before it, the next one is after it).
    expect(before.windows.ranges.map((range) => range.endSegNo)).toEqual([OPERATOR_HOLE - 1, HEAD_SEGNO]);

    const deps = { catalog, objects: services.objects, plans, planIdSuffix: () => 'b0b0', batchLimits: { maxKeys: 7 } };
    const planned = await planClusterRetention(deps, cluster, PLANNED_AT);
    await catalog.updateClusterState(cluster.id, { lastFullSyncAt: new Date(PLANNED_AT.getTime() + HOUR) });
    const applyAt = new Date(PLANNED_AT.getTime() + 7 * HOUR);
    const applied = await applyClusterRetention(deps, cluster, {
      planId: planned.plan.planId,
      now: applyAt,
      explicit: false,
    });
    expect(applied).toMatchObject({ status: 'applied', failed: [], locked: [] });

    const state = await catalog.getClusterState(cluster.id);
    expect(state.retentionTombstones?.length).toBeGreaterThan(0);
    for (const tombstone of state.retentionTombstones ?? []) {
      expect(tombstone).toMatchObject({ timeline: 1, planId: planned.plan.planId, deletedAt: applyAt });
    }
    const after = await evaluateContinuity(catalog, cluster, { now: applyAt, persistCursor: false, forceFull: true });
    expect(after.gaps).toMatchObject({ status: 'OK', gaps: [] });
    const explained = after.gaps.deletedByRetention;
    expect(explained.length).toBeGreaterThan(0);
    expect(explained.every((hole) => hole.planId === planned.plan.planId)).toBe(true);
    // The older hole now lies in WAL retention deleted on both sides (no backup and no restore can need it): the
    // tombstone spans it.
    expect(
      state.retentionTombstones?.some((hole) => hole.fromSegNo <= OPERATOR_HOLE && OPERATOR_HOLE <= hole.toSegNo),
    ).toBe(true);

    // A later full sync keeps the record: the holes stay explained.
    await syncCatalog({ ...readers(services), catalog }, cluster, { now: new Date(applyAt.getTime() + HOUR) });
    expect((await catalog.getClusterState(cluster.id)).retentionTombstones).toEqual(state.retentionTombstones);
    const synced = await evaluateContinuity(catalog, cluster, {
      now: new Date(applyAt.getTime() + HOUR),
      persistCursor: false,
      forceFull: true,
    });
    expect(synced.gaps).toMatchObject({ status: 'OK', gaps: [] });

    // A segment someone removes later inside what retention keeps is a gap again, tombstones or not.
    const kept = planned.plan.keep.map((entry) => entry.name).at(-1) as string;
    const keptStart = Number.parseInt(kept.slice(-8), 16);
    await services.objects.deleteObjects(BUCKET, [`orders-main/wal_005/${segName(keptStart + 1)}.lz4`]);
    await syncCatalog({ ...readers(services), catalog }, cluster, { now: new Date(applyAt.getTime() + 2 * HOUR) });
    const broken = await evaluateContinuity(catalog, cluster, {
      now: afterUploadGrace(),
      persistCursor: false,
      forceFull: true,
    });
    expect(broken.gaps.status).toBe('FAILURE');
    expect(broken.gaps.gaps).toMatchObject([
      { timeline: timelineId(1), fromSegNo: segmentNumber(keptStart + 1), toSegNo: segmentNumber(keptStart + 1) },
    ]);
  });
});
