/**
 * The commit of a split sync under SQS's delivery: parts delivered in any order, some several times, some at once,
 * one of them crashing (in its listing, or after its completion was recorded; a crashed message is redelivered
 * later), and sometimes a newer generation planned while the old one runs. Against the real ledger (the DynamoDB
 * catalog store on dynalite, conditional writes) and the real part use case, over an empty range listing: what
 * is checked here is the ledger's word, not the reconciliation (sync-cluster-parts.test.ts compares that with a
 * full sync).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { createBackupInterpreter } from '../../lib/domain/catalog/backup-interpreter.ts';
import type { SyncGeneration } from '../../lib/domain/catalog/sync-generation.ts';
import type { ClusterConfig, ClusterId } from '../../lib/domain/cluster.ts';
import type { ObjectStore } from '../../lib/ports/object-store.ts';
import type { SyncPartLedger } from '../../lib/ports/sync-part-ledger.ts';
import { partRequests, splitClusterKeyRanges, syncClusterPart } from '../../lib/use-cases/sync-cluster-parts.ts';
import { type DynaliteHandle, startDynalite } from '../support/dynalite.ts';
import { testConfig } from './catalog-test-setup.ts';

let ddb: DynaliteHandle;
let catalog: DynamoDbCatalogStore;
const base = testConfig().clusters[0] as ClusterConfig;

beforeAll(async () => {
  ddb = await startDynalite();
  catalog = new DynamoDbCatalogStore({
    client: ddb.client,
    tableName: 'sync-parts-property',
    interpret: createBackupInterpreter([base]),
  });
  await catalog.ensureTable();
});
afterAll(() => ddb.close());

type Crash = 'none' | 'listing' | 'after-record';
interface Delivery {
  readonly part: number;
  readonly crash: Crash;
}

class CrashError extends Error {}

/** An empty bucket whose listing crashes when asked to, or runs `during` (once) while it lists. */
const objectsFor = (crash: Crash, during?: () => Promise<void>): ObjectStore =>
  ({
    listPage: async () => {
      if (crash === 'listing') throw new CrashError('crashed while listing');
      await during?.();
      return { objects: [] };
    },
    getObjectText: async () => undefined,
    getObjectBytes: async () => undefined,
  }) as unknown as ObjectStore;

/**
 * The real ledger, but the invocation dies right after its completion was recorded; a commit that succeeds although
 * it was sent after the generation had been replaced is reported through `staleCommit`.
 */
const ledgerFor = (
  crash: Crash,
  replaced: () => boolean,
  staleCommit: () => void,
  onRecorded: (part: number) => void,
): SyncPartLedger => ({
  beginSync: (cluster, generation) => catalog.beginSync(cluster, generation),
  syncPartStatus: (cluster, syncId, part) => catalog.syncPartStatus(cluster, syncId, part),
  commitSync: async (cluster, syncId, at) => {
    const afterReplacement = replaced();
    const committed = await catalog.commitSync(cluster, syncId, at);
    if (committed && afterReplacement) staleCommit();
    return committed;
  },
  finishSyncPart: async (cluster, syncId, part, parts) => {
    const done = await catalog.finishSyncPart(cluster, syncId, part, parts);
    onRecorded(part);
    if (crash === 'after-record') throw new CrashError('crashed after recording the part');
    return done;
  },
});

const scenario = fc.integer({ min: 2, max: 5 }).chain((parts) =>
  fc.record({
    parts: fc.constant(parts),
    order: fc.shuffledSubarray(
      Array.from({ length: parts }, (_, part) => part),
      { minLength: parts, maxLength: parts },
    ),
    duplicates: fc.array(fc.integer({ min: 0, max: parts - 1 }), { maxLength: 4 }),
    crash: fc.record({
      at: fc.nat(),
      kind: fc.constantFrom<Crash>('listing', 'after-record'),
    }),
    /** Deliveries per concurrent group. */
    groups: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 12, maxLength: 12 }),
    /** Before which group a newer generation is planned, if at all. */
    newerBefore: fc.option(fc.nat({ max: 6 }), { nil: undefined }),
    /** Whether it is planned while that group's first part lists (the race a part's first check cannot see). */
    newerWhileListing: fc.boolean(),
  }),
);

let run = 0;

describe('split sync commit (dynalite, real ledger)', () => {
  it('commits the mark once, only when every part of the current generation finished; a replaced generation never commits', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenario,
        async ({ parts, order, duplicates, crash, groups, newerBefore, newerWhileListing }) => {
          const cluster = { ...base, id: `prop-${++run}` as ClusterId };
          const spans = [{ timeline: 1, first: 1, last: 1000 }];
          const generation = (at: string): SyncGeneration => ({
            syncId: new Date(at).toISOString(),
            plannedAt: new Date(at),
            ranges: splitClusterKeyRanges(cluster, spans, parts),
          });
          const first = generation('2026-11-21T00:00:00Z');
          const newer = generation('2026-11-21T06:00:00Z');
          expect(first.ranges).toHaveLength(parts);
          expect(await catalog.beginSync(cluster.id, first)).toEqual({ current: true, generation: first });

          // The deliveries: every part once, duplicates anywhere, one crash; the crashed message comes back last.
          const deliveries: Delivery[] = order.map((part) => ({ part, crash: 'none' }));
          for (const [index, part] of duplicates.entries()) {
            deliveries.splice((index * 7) % (deliveries.length + 1), 0, { part, crash: 'none' });
          }
          const crashed = crash.at % deliveries.length;
          deliveries[crashed] = { part: (deliveries[crashed] as Delivery).part, crash: crash.kind };
          deliveries.push({ part: (deliveries[crashed] as Delivery).part, crash: 'none' });

          const requests = partRequests(cluster, first);
          const recorded = new Set<number>();
          let commits = 0;
          let replaced = false;
          let staleCommits = 0;
          let position = 0;
          const replace = async () => {
            if (replaced) return;
            expect((await catalog.beginSync(cluster.id, newer)).current).toBe(true);
            replaced = true;
          };
          for (const [group, size] of groups.entries()) {
            if (position >= deliveries.length) break;
            const racing = group === newerBefore && newerWhileListing;
            if (group === newerBefore && !newerWhileListing) await replace();
            const batch = deliveries.slice(position, position + size);
            position += size;
            const outcomes = await Promise.all(
              batch.map(async (delivery, index) => {
                const request = requests[delivery.part];
                if (request === undefined) throw new Error(`no part ${delivery.part}`);
                const ledger = ledgerFor(
                  delivery.crash,
                  () => replaced,
                  () => staleCommits++,
                  (part) => recorded.add(part),
                );
                const objects = objectsFor(delivery.crash, racing && index === 0 ? replace : undefined);
                try {
                  const outcome = await syncClusterPart(
                    { catalog, objects, decompress: () => undefined, ledger },
                    cluster,
                    request,
                    { concurrency: 2 },
                  );
                  return outcome.kind === 'superseded' ? false : outcome.committed;
                } catch (error) {
                  if (!(error instanceof CrashError)) throw error;
                  return false;
                }
              }),
            );
            const committedNow = outcomes.filter(Boolean).length;
            commits += committedNow;
            // Never a commit sent after the generation was replaced.
            expect(staleCommits).toBe(0);
            // A commit only once every part has finished; never of a generation replaced before the group.
            if (committedNow > 0) expect(recorded.size).toBe(parts);
            if (committedNow > 0 && !racing) expect(replaced).toBe(false);
            const mark = (await catalog.getClusterState(cluster.id)).lastFullSyncAt;
            if (mark !== undefined) expect(recorded.size).toBe(parts);
            expect(commits).toBeLessThanOrEqual(1);
          }
          // The rest of the deliveries, one at a time, as SQS would eventually make them.
          for (const delivery of deliveries.slice(position)) {
            const outcome = await syncClusterPart(
              { catalog, objects: objectsFor('none'), decompress: () => undefined, ledger: catalog },
              cluster,
              requests[delivery.part] as (typeof requests)[number],
            );
            if (outcome.kind !== 'superseded') {
              recorded.add(delivery.part);
              commits += outcome.committed ? 1 : 0;
            }
          }
          const mark = (await catalog.getClusterState(cluster.id)).lastFullSyncAt;
          if (replaced) {
            // The old generation committed only if it had finished before it was replaced; the newer one commits once.
            expect(commits).toBeLessThanOrEqual(1);
            let newerCommits = 0;
            for (const request of [...partRequests(cluster, newer), ...partRequests(cluster, newer)]) {
              const outcome = await syncClusterPart(
                { catalog, objects: objectsFor('none'), decompress: () => undefined, ledger: catalog },
                cluster,
                request,
              );
              if (outcome.kind !== 'superseded' && outcome.committed) newerCommits++;
            }
            expect(newerCommits).toBe(1);
            expect((await catalog.getClusterState(cluster.id)).lastFullSyncAt).toEqual(newer.plannedAt);
            // A stale part arriving after that commits nothing and moves nothing back.
            const stale = await syncClusterPart(
              { catalog, objects: objectsFor('none'), decompress: () => undefined, ledger: catalog },
              cluster,
              requests[0] as (typeof requests)[number],
            );
            expect(stale.kind).toBe('superseded');
            expect((await catalog.getClusterState(cluster.id)).lastFullSyncAt).toEqual(newer.plannedAt);
          } else {
            expect(commits).toBe(1);
            expect(mark).toEqual(first.plannedAt);
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 240_000);
});
