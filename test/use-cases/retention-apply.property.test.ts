/**
 * The retention invariant over random histories, through the real plan and apply use cases on in-memory stores:
 * random catalogs (complete, permanent, delta, unreadable, incomplete and still-uploading backups), random event
 * loss (backups the plan never saw, live sentinels an ingest race marked deleted), new backups between plan and
 * sync and after the sync, and the apply; then a second round a day later (new backups, a plan on the catalog the
 * first apply left, a sync, an apply). No object that a backup present at apply time needs, and no object of a
 * backup that is not provably garbage, is ever deleted, in either round. Reordered and duplicated events through the
 * real ingest, on the real stores, are the rounds property's (test/e2e/retention-rounds.property.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import type { BackupRecord, WalObjectRecord } from '../../lib/domain/catalog/catalog-records.ts';
import type { ClusterConfig, RetentionPolicy } from '../../lib/domain/cluster.ts';
import { isCompleteBackup } from '../../lib/domain/continuity/pitr-chain-base.ts';
import { UnsafePlanError } from '../../lib/domain/errors.ts';
import { consistencyRange, planRetention } from '../../lib/domain/retention/retention-plan.ts';
import { timelineId } from '../../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../../lib/domain/wal/wal-segment.ts';
import { applyClusterRetention } from '../../lib/use-cases/apply-retention.ts';
import { planClusterRetention } from '../../lib/use-cases/plan-retention.ts';
import { backupName, backupRecord, CLUSTER, DAY, HOUR, SIZE } from '../domain/retention/retention-fixtures.ts';
import { MemoryBucket, MemoryPlanStore, MemoryRetentionCatalog } from '../support/memory-retention-stores.ts';

/** Enough to find the two-step interleaving (a backup the plan never saw loses its WAL) on the unfixed code. */
const RUNS = 1000;
const GRACE = DAY;

type Kind = 'complete' | 'permanent' | 'delta' | 'unreadable' | 'incomplete';
/** At plan time: catalogued, events lost, or a live sentinel an ingest race marked deleted. */
type Seen = 'seen' | 'lost' | 'race-deleted';

const draftArbitrary = fc.record({
  kind: fc.constantFrom<Kind>('complete', 'complete', 'complete', 'permanent', 'delta', 'unreadable', 'incomplete'),
  seen: fc.constantFrom<Seen>('seen', 'seen', 'seen', 'lost', 'race-deleted'),
  gapSegments: fc.integer({ min: 2, max: 5 }),
  spanSegments: fc.integer({ min: 1, max: 2 }),
  gapMs: fc.integer({ min: 6 * HOUR, max: 3 * DAY }),
  stillUploading: fc.boolean(),
  silentForMs: fc.integer({ min: 0, max: 3 * DAY }),
});

const caseArbitrary = fc.record({
  drafts: fc.array(draftArbitrary, { minLength: 2, maxLength: 12 }),
  /** Backups made after the plan: before the sync (catalogued) or after it (not yet). */
  later: fc.array(fc.record({ afterSync: fc.boolean(), kind: fc.constantFrom<Kind>('complete', 'permanent') }), {
    maxLength: 2,
  }),
  keepLast: fc.integer({ min: 0, max: 3 }),
  keepDaily: fc.integer({ min: 0, max: 4 }),
  pitrWindowMs: fc.constantFrom(0, DAY, 2 * DAY),
  planAfterLastMs: fc.integer({ min: 0, max: 2 * DAY }),
  /** Backups of the second round. */
  second: fc.array(fc.constantFrom<Kind>('complete', 'complete', 'permanent', 'incomplete'), {
    minLength: 1,
    maxLength: 3,
  }),
  applyAfterPlanMs: fc.integer({ min: HOUR, max: 2 * DAY }),
});

const cluster: ClusterConfig = (() => {
  const parsed = parseWalcatConfig(
    [
      'catalogTable: property',
      'clusters:',
      `  - id: ${CLUSTER}`,
      '    storage: s3://property-bucket',
      '    retention: { keepLast: 1, pitrWindow: 1d }',
    ].join('\n'),
    'property config',
  ).clusters[0] as ClusterConfig;
  return parsed;
})();

const sentinelKey = (name: string) => `basebackups_005/${name}_backup_stop_sentinel.json`;
const partKey = (name: string, part = 1) => `basebackups_005/${name}/tar_partitions/part_00${part}.tar.lz4`;
const walKey = (segNo: number) =>
  `wal_005/${walFileName({ timeline: timelineId(1), segNo: segmentNumber(segNo) }, SIZE)}.lz4`;

interface Modelled {
  readonly record: BackupRecord;
  readonly kind: Kind;
  readonly seen: Seen;
  readonly startSegNo: number;
  readonly spanSegments: number;
  /** Only for backups made after the plan. */
  readonly later?: 'before-sync' | 'after-sync';
  readonly stillUploading: boolean;
}

function modelBackup(
  kind: Kind,
  startSegNo: number,
  spanSegments: number,
  finishedAt: Date,
  parent: Modelled | undefined,
  lastSignOfLifeAt: Date,
): BackupRecord {
  if (kind === 'incomplete') {
    const name = backupName(1, startSegNo);
    const firstSeenAt = new Date(Math.min(finishedAt.getTime(), lastSignOfLifeAt.getTime()));
    return { cluster: CLUSTER, name, status: 'incomplete', firstSeenAt, updatedAt: firstSeenAt, lastSignOfLifeAt };
  }
  if (kind === 'unreadable') {
    const name = backupName(1, startSegNo);
    return {
      cluster: CLUSTER,
      name,
      status: 'incomplete',
      firstSeenAt: finishedAt,
      updatedAt: finishedAt,
      problem: 'WAL-G metadata.json hostname: expected string, received number',
      sentinel: { key: sentinelKey(name), present: true, text: '{"LSN":1}', observedAt: finishedAt },
    };
  }
  const deltaParent = kind === 'delta' && parent !== undefined ? parent : undefined;
  const record = backupRecord({
    startSegNo,
    spanSegments,
    finishedAt,
    permanent: kind === 'permanent',
    ...(deltaParent ? { deltaFrom: deltaParent.record.name, parentStartSegNo: deltaParent.startSegNo } : {}),
  });
  return { ...record, sentinel: { key: sentinelKey(record.name), present: true, observedAt: finishedAt } };
}

function bucketKeysOf(modelled: Modelled): [string, Date][] {
  const { record } = modelled;
  const at = record.lastSignOfLifeAt ?? record.firstSeenAt;
  const keys: [string, Date][] = [[partKey(record.name), at]];
  if (record.sentinel?.present || modelled.kind !== 'incomplete') keys.push([sentinelKey(record.name), at]);
  return keys;
}

function walRecords(from: number, to: number, at: Date): WalObjectRecord[] {
  const records: WalObjectRecord[] = [];
  for (let segNo = from; segNo <= to; segNo++) {
    records.push({
      cluster: CLUSTER,
      key: walKey(segNo),
      kind: 'segment',
      timeline: timelineId(1),
      segNo: segmentNumber(segNo),
      size: 16,
      uploadedAt: at,
      deleted: false,
    });
  }
  return records;
}

/** As the catalog saw it at plan time: lost events leave no record, a race a `deleted` one. */
function atPlanTime(modelled: Modelled): BackupRecord | undefined {
  if (modelled.seen === 'lost') return undefined;
  if (modelled.seen === 'race-deleted' && modelled.record.sentinel) {
    const { backup: _backup, problem: _problem, ...rest } = modelled.record;
    return { ...rest, status: 'deleted', sentinel: { ...modelled.record.sentinel, present: false } };
  }
  return modelled.record;
}

describe('retention apply, property over random histories', () => {
  it('never deletes what a backup present at apply time needs, nor a backup that is not provably garbage', async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (generated) => {
        const policy: RetentionPolicy = {
          keepLast: generated.keepLast === 0 && generated.keepDaily === 0 ? 1 : generated.keepLast,
          keepDaily: generated.keepDaily,
          keepWeekly: 0,
          keepMonthly: 0,
          keepYearly: 0,
          pitrWindowMs: generated.pitrWindowMs,
          timezone: 'UTC',
          incompleteGraceMs: GRACE,
          applyGraceMs: HOUR,
        };
        const withPolicy: ClusterConfig = { ...cluster, retention: policy };
        let segNo = 16;
        let at = Date.UTC(2026, 9, 1);
        const modelled: Modelled[] = [];
        for (const draft of generated.drafts) {
          segNo += draft.gapSegments;
          at += draft.gapMs;
          const parent = [...modelled]
            .reverse()
            .find((candidate) => candidate.kind !== 'incomplete' && candidate.kind !== 'unreadable');
          const kind: Kind = draft.kind === 'delta' && parent === undefined ? 'complete' : draft.kind;
          const record = modelBackup(kind, segNo, draft.spanSegments, new Date(at), parent, new Date(at));
          modelled.push({
            record,
            kind,
            seen: draft.seen,
            startSegNo: segNo,
            spanSegments: draft.spanSegments,
            stillUploading: draft.stillUploading,
          });
          segNo += draft.spanSegments;
        }
        const planAt = new Date(at + generated.planAfterLastMs);
        const applyAt = new Date(planAt.getTime() + generated.applyAfterPlanMs);
        // Incomplete backups were last heard of some time before the plan.
        const draftsByName = new Map(modelled.map((entry, index) => [entry.record.name, generated.drafts[index]]));
        for (const [index, entry] of modelled.entries()) {
          if (entry.kind !== 'incomplete') continue;
          const silentFor = draftsByName.get(entry.record.name)?.silentForMs ?? 0;
          const lastSignOfLifeAt = new Date(planAt.getTime() - silentFor);
          modelled[index] = { ...entry, record: { ...entry.record, lastSignOfLifeAt } };
        }

        const bucket = new MemoryBucket();
        const head = segNo + 2;
        let wal = walRecords(16, head, planAt);
        for (const entry of modelled) for (const [key, when] of bucketKeysOf(entry)) bucket.put(key, when);
        for (const record of wal) bucket.put(record.key, record.uploadedAt);

        const catalog = new MemoryRetentionCatalog();
        const planCatalog = modelled.map(atPlanTime).filter((record): record is BackupRecord => record !== undefined);
        catalog.syncTo(planCatalog, wal, new Date(planAt.getTime() - HOUR));
        const plans = new MemoryPlanStore();
        const deps = { catalog, objects: bucket, plans, batchLimits: { maxKeys: 7 } };
        let planId: string;
        try {
          planId = (await planClusterRetention(deps, withPolicy, planAt)).plan.planId;
        } catch (error) {
          if (error instanceof UnsafePlanError) return;
          throw error;
        }

        // Between plan and apply: uploads go on, new backups arrive (some after the sync), the sync runs.
        let laterSegNo = head + 1;
        for (const [index, entry] of modelled.entries()) {
          if (entry.kind !== 'incomplete' || !entry.stillUploading) continue;
          const lastSignOfLifeAt = new Date(applyAt.getTime() - HOUR);
          bucket.put(partKey(entry.record.name, 2), lastSignOfLifeAt);
          modelled[index] = { ...entry, record: { ...entry.record, lastSignOfLifeAt } };
        }
        for (const [index, later] of generated.later.entries()) {
          const finishedAt = new Date(planAt.getTime() + ((index + 1) * generated.applyAfterPlanMs) / 4);
          const record = modelBackup(later.kind, laterSegNo, 1, finishedAt, undefined, finishedAt);
          const entry: Modelled = {
            record,
            kind: later.kind,
            seen: 'seen',
            startSegNo: laterSegNo,
            spanSegments: 1,
            later: later.afterSync ? 'after-sync' : 'before-sync',
            stillUploading: false,
          };
          modelled.push(entry);
          for (const [key, when] of bucketKeysOf(entry)) bucket.put(key, when);
          laterSegNo += 2;
        }
        const newWal = walRecords(head + 1, laterSegNo + 1, applyAt);
        for (const record of newWal) bucket.put(record.key, record.uploadedAt);
        wal = [...wal, ...newWal];
        const syncedAt = new Date(planAt.getTime() + HOUR / 2);
        const applyCatalog = modelled.filter((entry) => entry.later !== 'after-sync').map((entry) => entry.record);
        catalog.syncTo(applyCatalog, wal, syncedAt);

        const first = await applyAndCheck({
          bucket,
          deps,
          withPolicy,
          planId,
          applyAt,
          applyCatalog,
          wal,
          policy,
          modelled,
        });
        if (first === 'refused') return;

        // A second round a day later: new backups and WAL, a plan on the catalog apply left (expired backups, WAL
        // tombstones, the retention tombstones in the state), a sync, an apply; the same invariant holds.
        const secondAt = applyAt.getTime() + DAY;
        let nextSegNo = laterSegNo + 2;
        const added: Modelled[] = [];
        for (const [index, kind] of generated.second.entries()) {
          const finishedAt = new Date(secondAt - (generated.second.length - index) * HOUR);
          const record = modelBackup(kind, nextSegNo, 1, finishedAt, undefined, finishedAt);
          const entry: Modelled = {
            record,
            kind,
            seen: 'seen',
            startSegNo: nextSegNo,
            spanSegments: 1,
            stillUploading: false,
          };
          added.push(entry);
          for (const [key, when] of bucketKeysOf(entry)) bucket.put(key, when);
          nextSegNo += 2;
        }
        const secondWal = walRecords(laterSegNo + 2, nextSegNo + 1, new Date(secondAt));
        for (const record of secondWal) bucket.put(record.key, record.uploadedAt);
        const walNow = [...catalog.wal, ...secondWal];
        const backupsNow = [
          ...catalog.backups.filter(
            (record) =>
              bucket.objects.has(sentinelKey(record.name)) ||
              record.status === 'expired' ||
              bucket.objects.has(partKey(record.name)),
          ),
          ...modelled.filter((entry) => entry.later === 'after-sync').map((entry) => entry.record),
          ...added.map((entry) => entry.record),
        ];
        const secondPlanAt = new Date(secondAt);
        catalog.syncTo(backupsNow, walNow, new Date(secondAt - HOUR / 2));
        let secondPlanId: string;
        try {
          secondPlanId = (await planClusterRetention({ ...deps, planIdSuffix: () => 'b2b2' }, withPolicy, secondPlanAt))
            .plan.planId;
        } catch (error) {
          if (error instanceof UnsafePlanError) return;
          throw error;
        }
        catalog.syncTo(catalog.backups, catalog.wal, new Date(secondAt + HOUR / 2));
        await applyAndCheck({
          bucket,
          deps,
          withPolicy,
          planId: secondPlanId,
          applyAt: new Date(secondAt + HOUR),
          applyCatalog: catalog.backups,
          wal: catalog.wal,
          policy,
          modelled: [...modelled, ...added],
        });
      }),
      { numRuns: RUNS },
    );
    // A thousand cases of two rounds take 20-40 s on a shared two-core machine: more than the default timeout.
  }, 300_000);
});

interface RoundToCheck {
  readonly bucket: MemoryBucket;
  readonly deps: Parameters<typeof applyClusterRetention>[0];
  readonly withPolicy: ClusterConfig;
  readonly planId: string;
  readonly applyAt: Date;
  /** The catalog apply reads (after the sync). */
  readonly applyCatalog: readonly BackupRecord[];
  readonly wal: readonly WalObjectRecord[];
  readonly policy: RetentionPolicy;
  readonly modelled: readonly Modelled[];
}

/**
 * Applies the plan and checks the invariant: what went was garbage under the catalog at apply time (never permanent,
 * unreadable or still uploading), and whatever a backup still present needs is still there.
 */
async function applyAndCheck(round: RoundToCheck): Promise<'refused' | 'applied'> {
  const { bucket, deps, withPolicy, planId, applyAt, applyCatalog, wal, policy, modelled } = round;
  const before = new Set(bucket.objects.keys());
  try {
    await applyClusterRetention(deps, withPolicy, { planId, now: applyAt, explicit: true });
  } catch (error) {
    if (!(error instanceof UnsafePlanError)) throw error;
    expect(new Set(bucket.objects.keys())).toEqual(before);
    return 'refused';
  }
  const present = (key: string) => bucket.objects.has(key);
  const gone = (key: string) => before.has(key) && !present(key);

  let garbage: Set<string>;
  try {
    const fresh = planRetention({
      cluster: CLUSTER,
      backups: applyCatalog,
      wal,
      policy,
      walSegmentSize: SIZE,
      now: applyAt,
      planId: 'judge',
    });
    garbage = new Set(fresh.delete.backups.map((doomed) => doomed.name));
  } catch (error) {
    if (!(error instanceof UnsafePlanError)) throw error;
    garbage = new Set();
  }
  const byName = new Map(modelled.map((entry) => [entry.record.name, entry]));
  for (const entry of modelled) {
    const { record } = entry;
    // Gone before this round (an earlier apply deleted it): nothing of it is this apply's to keep.
    if (!before.has(partKey(record.name)) && !before.has(sentinelKey(record.name))) continue;
    const objectsGone = gone(partKey(record.name)) || gone(sentinelKey(record.name));
    if (objectsGone) {
      // Deleted: it must have been garbage under the catalog at apply time, and never one walcat keeps.
      expect(garbage.has(record.name), `${record.name} (${entry.kind}) deleted but not garbage`).toBe(true);
      expect(entry.kind).not.toBe('permanent');
      expect(entry.kind).not.toBe('unreadable');
      const alive = applyAt.getTime() - (record.lastSignOfLifeAt?.getTime() ?? 0) < GRACE;
      if (entry.kind === 'incomplete') expect(alive, `${record.name} deleted while uploading`).toBe(false);
      continue;
    }
    // Present after apply: whatever it needs is there.
    if (isCompleteBackup(record)) {
      const range = consistencyRange(record, SIZE);
      for (let seg = range.fromSegNo; seg <= (range.toSegNo ?? range.fromSegNo); seg++) {
        expect(gone(walKey(seg)), `WAL ${seg} of ${record.name} (${entry.kind}, ${entry.seen})`).toBe(false);
      }
      for (let parent = record.backup.deltaFrom; parent !== undefined; ) {
        expect(gone(sentinelKey(parent)), `delta ancestor ${parent} of ${record.name}`).toBe(false);
        parent = byName.get(parent)?.record.backup?.deltaFrom;
      }
    } else if (entry.kind === 'unreadable') {
      for (let seg = entry.startSegNo; seg < entry.startSegNo + entry.spanSegments; seg++) {
        expect(gone(walKey(seg)), `WAL ${seg} of unreadable ${record.name}`).toBe(false);
      }
    }
  }
  return 'applied';
}
