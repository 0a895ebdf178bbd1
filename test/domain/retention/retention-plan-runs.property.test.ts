import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WalObjectRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import type { RetentionPolicy } from '../../../lib/domain/cluster.ts';
import { UnsafePlanError } from '../../../lib/domain/errors.ts';
import {
  decideRetention,
  type KeyedRetentionPlan,
  planRetention,
  planRetentionOverRuns,
  type RetentionPlan,
} from '../../../lib/domain/retention/retention-plan.ts';
import {
  type RetentionWalObject,
  RetentionWalRunsBuilder,
  walRunBreaks,
} from '../../../lib/domain/retention/wal-retention.ts';
import type { TimelineId } from '../../../lib/domain/wal/timeline.ts';
import type { SegmentRange } from '../../../lib/ports/catalog-store.ts';
import { walKeysInRanges } from '../../../lib/use-cases/plan-retention.ts';
import { catalogArbitrary, policyArbitrary } from './retention-arbitraries.ts';
import { CLUSTER, SIZE } from './retention-fixtures.ts';

/**
 * What a real archive adds to the regular WAL of the catalog arbitrary: holes (lost or thinned segments), a second
 * compression of some segments, tombstones of deleted objects, and WAL metadata without a segment number.
 */
const archiveArbitrary = fc
  .record({
    catalog: catalogArbitrary,
    holes: fc.array(fc.tuple(fc.nat({ max: 200 }), fc.integer({ min: 1, max: 6 })), { maxLength: 5 }),
    doubled: fc.array(fc.nat({ max: 200 }), { maxLength: 8 }),
    tombstoned: fc.array(fc.nat({ max: 200 }), { maxLength: 8 }),
    sizes: fc.array(fc.integer({ min: 1, max: 9_999 }), { minLength: 1, maxLength: 16 }),
    metadataWithoutSegment: fc.boolean(),
  })
  .map(({ catalog, holes, doubled, tombstoned, sizes, metadataWithoutSegment }) => {
    const segNos = catalog.wal.flatMap((object) => (object.segNo === undefined ? [] : [object.segNo as number]));
    const missing = new Set<number>();
    for (const [from, length] of holes) {
      const start = segNos[from % Math.max(1, segNos.length)] ?? 0;
      for (let segNo = start; segNo < start + length; segNo++) missing.add(segNo);
    }
    let wal = catalog.wal
      .filter((object) => object.segNo === undefined || object.kind === 'history' || !missing.has(object.segNo))
      .map((object, index) => ({ ...object, size: sizes[index % sizes.length] as number }));
    const segmentObjects = wal.filter((object) => object.kind === 'segment');
    for (const pick of doubled) {
      const object = segmentObjects[pick % Math.max(1, segmentObjects.length)];
      if (object) wal.push({ ...object, key: object.key.replace(/\.lz4$/, '.br'), size: object.size + 1 });
    }
    const doomedKeys = new Set(
      tombstoned.map((pick) => wal[pick % Math.max(1, wal.length)]?.key).filter((key) => key !== undefined),
    );
    wal = wal.map((object) => (doomedKeys.has(object.key) ? { ...object, deleted: true } : object));
    if (metadataWithoutSegment) {
      wal.push({ key: 'wal_005/walg_data/sidecar.json', kind: 'wal-metadata', timeline: 1 as TimelineId, size: 7 });
    }
    // Unique keys, as in the catalog (one record per S3 key).
    const byKey = new Map(wal.map((object) => [object.key, object]));
    return { ...catalog, wal: [...byKey.values()] };
  });

type Outcome<P> = { plan: P } | { refused: string };

function outcomeOf<P>(make: () => P): Outcome<P> {
  try {
    return { plan: make() };
  } catch (error) {
    if (error instanceof UnsafePlanError) return { refused: `${error.name}: ${error.message}` };
    throw error;
  }
}

/** The catalog's order: by timeline, then segment, then key; `.history` and segment-less objects apart. */
function inCatalogOrder(wal: readonly RetentionWalObject[]): RetentionWalObject[] {
  return [...wal].sort(
    (a, b) =>
      a.timeline - b.timeline || (a.segNo ?? -1) - (b.segNo ?? -1) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
}

/** A catalog store's `listWalObjects` over the generated objects, honouring the segment range as a Query does. */
function catalogOf(wal: readonly RetentionWalObject[]) {
  return {
    async *listWalObjects(_cluster: unknown, timeline: TimelineId, range?: SegmentRange) {
      for (const object of inCatalogOrder(wal)) {
        if (object.timeline !== timeline || object.kind === 'history' || object.segNo === undefined) continue;
        if (range?.fromSegNo !== undefined && object.segNo < range.fromSegNo) continue;
        if (range?.toSegNo !== undefined && object.segNo > range.toSegNo) continue;
        yield object as unknown as WalObjectRecord;
      }
    },
  };
}

function plans(
  archive: { backups: Parameters<typeof planRetention>[0]['backups']; wal: RetentionWalObject[]; now: Date },
  policy: RetentionPolicy,
): { overKeys: Outcome<KeyedRetentionPlan>; overRuns: Outcome<RetentionPlan>; runs: number } {
  const input = { cluster: CLUSTER, backups: archive.backups, policy, walSegmentSize: SIZE, now: archive.now };
  // The object planner gets the objects in reverse: it must not depend on the order it is given them in.
  const overKeys = outcomeOf(() => planRetention({ ...input, wal: [...archive.wal].reverse(), planId: 'p' }));
  let runs = 0;
  const overRuns = outcomeOf(() => {
    const decision = decideRetention({ ...input, planId: 'p' });
    const builder = new RetentionWalRunsBuilder(walRunBreaks(decision.protectedWal));
    for (const object of inCatalogOrder(archive.wal)) builder.add(object);
    const built = builder.build();
    runs = built.runs.length;
    return planRetentionOverRuns(decision, built);
  });
  return { overKeys, overRuns, runs };
}

describe('retention planning over WAL runs', () => {
  it('equals planning over the objects: same keeps, deletions, ranges, bytes, and the ranges expand to the same keys', async () => {
    let planned = 0;
    let withDeletedWal = 0;
    await fc.assert(
      fc.asyncProperty(archiveArbitrary, policyArbitrary, async (archive, policy) => {
        const { overKeys, overRuns } = plans(archive, policy);
        if ('refused' in overKeys || 'refused' in overRuns) {
          expect(overRuns).toEqual(overKeys);
          return;
        }
        planned++;
        const { walKeys, ...keyedDelete } = overKeys.plan.delete;
        expect(overRuns.plan).toEqual({ ...overKeys.plan, delete: keyedDelete });
        const expanded: string[] = [];
        for await (const key of walKeysInRanges(catalogOf(archive.wal), CLUSTER, overRuns.plan.delete.wal, SIZE)) {
          expanded.push(key);
        }
        expect(expanded).toEqual(walKeys);
        expect(overRuns.plan.delete.wal.reduce((sum, range) => sum + range.objects, 0)).toBe(walKeys.length);
        if (walKeys.length > 0) withDeletedWal++;
      }),
      { numRuns: 400 },
    );
    // The equivalence is only worth something if most cases make a plan that deletes WAL.
    expect(planned).toBeGreaterThan(200);
    expect(withDeletedWal).toBeGreaterThan(100);
  });

  it('holds the WAL as runs: one per stretch without a hole, plus at most two breaks per protected range', () => {
    fc.assert(
      fc.property(archiveArbitrary, policyArbitrary, (archive, policy) => {
        const { overRuns, runs } = plans(archive, policy);
        if ('refused' in overRuns) return;
        const live = inCatalogOrder(
          archive.wal.filter((object) => !object.deleted && object.segNo !== undefined && object.kind !== 'history'),
        );
        let stretches = 0;
        const timelines = new Set<number>();
        for (const [index, object] of live.entries()) {
          timelines.add(object.timeline);
          const before = live[index - 1];
          const continues =
            before !== undefined &&
            before.timeline === object.timeline &&
            (object.segNo as number) - (before.segNo as number) <= 1;
          if (!continues) stretches++;
        }
        expect(runs).toBeGreaterThanOrEqual(stretches);
        expect(runs).toBeLessThanOrEqual(stretches + 2 * overRuns.plan.protectedWal.length * timelines.size);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses runs that were not broken where protection changes, rather than guessing how to split their bytes', () => {
    const archive = fc.sample(catalogArbitrary, { numRuns: 1, seed: 7 })[0] as {
      backups: Parameters<typeof planRetention>[0]['backups'];
      wal: RetentionWalObject[];
      now: Date;
    };
    const decision = decideRetention({
      cluster: CLUSTER,
      backups: archive.backups,
      policy: fc.sample(policyArbitrary, { numRuns: 1, seed: 3 })[0] as RetentionPolicy,
      walSegmentSize: SIZE,
      now: archive.now,
      planId: 'p',
    });
    const builder = new RetentionWalRunsBuilder();
    for (const object of inCatalogOrder(archive.wal)) builder.add(object);
    expect(() => planRetentionOverRuns(decision, builder.build())).toThrow(/only partly protected/);
  });
});
