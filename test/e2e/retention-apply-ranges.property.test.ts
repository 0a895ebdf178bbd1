/**
 * A plan's WAL stored as ranges and expanded batch by batch during apply, on s3rver + dynalite: for any batch size
 * and any sequence of crashes (before a batch, after its delete, before or after its record is written), the runs
 * that follow delete exactly the plan, resend a key only when a crash struck its batch in flight, never hand
 * DeleteObjects more than one batch, and leave continuity with no unexplained gap.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbPlanStore } from '../../lib/adapters/dynamodb/dynamodb-plan-store.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import type { ClusterConfig, WalcatConfig } from '../../lib/domain/cluster.ts';
import type { ObjectStore } from '../../lib/ports/object-store.ts';
import type { PlanStore } from '../../lib/ports/plan-store.ts';
import { type ApplyRetentionOutcome, applyClusterRetention } from '../../lib/use-cases/apply-retention.ts';
import { evaluateContinuity } from '../../lib/use-cases/evaluate-continuity.ts';
import { planClusterRetention } from '../../lib/use-cases/plan-retention.ts';
import { BUCKET, type CatalogServices, startCatalogServices } from '../use-cases/catalog-test-setup.ts';
import { catalogueFromEvents, listBucket, plannedWalKeys, seedWalgBucket } from '../use-cases/retention-test-bucket.ts';

const HOUR = 3_600_000;
const PLANNED_AT = new Date('2026-11-21T03:00:00Z');
const APPLY_AT = new Date(PLANNED_AT.getTime() + 7 * HOUR);
/** Each case seeds, catalogues and plans its own bucket prefix and table, then applies until done. */
const RUNS = 8;
/** A hang guard, not a speed goal: a case takes a few seconds on a quiet machine. */
const HANG_GUARD_MS = 600_000;

type CrashPoint = 'before-batch' | 'after-delete' | 'before-record' | 'record-lost';

const caseArbitrary = fc.record({
  batchKeys: fc.integer({ min: 1, max: 9 }),
  /** In order: the run that meets the first crash stops at its `batch`-th batch (from 0), and so on. */
  crashes: fc.array(
    fc.record({
      batch: fc.integer({ min: 0, max: 12 }),
      at: fc.constantFrom<CrashPoint>('before-batch', 'after-delete', 'before-record', 'record-lost'),
    }),
    { maxLength: 4 },
  ),
});

let services: CatalogServices;
let roots = 0;

function configFor(root: string): WalcatConfig {
  return parseWalcatConfig(
    [
      `catalogTable: ${root}`,
      'clusters:',
      '  - id: orders-main',
      `    storage: s3://${BUCKET}/${root}`,
      '    layout: wal-g',
      '    retention: { keepDaily: 3, keepWeekly: 2, pitrWindow: 1d, applyGrace: 6h, timezone: UTC }',
      '    alerts: {}',
    ].join('\n'),
    'retention ranges config',
  );
}

class InjectedCrash extends Error {}

/** `target` with `overrides` in place of some methods; the others bound to it (the adapters keep private fields). */
function wrap<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(object, property) {
      if (property in overrides) return overrides[property as keyof T];
      const value = Reflect.get(object, property, object);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
}

beforeAll(async () => {
  services = await startCatalogServices(configFor('unused'));
});
afterAll(async () => {
  await services?.close();
});

describe('retention apply of a plan stored as WAL ranges', () => {
  it(
    'deletes exactly the plan across any crashes, resending only the batch a crash struck in flight',
    async () => {
      await fc.assert(
        fc.asyncProperty(caseArbitrary, async ({ batchKeys, crashes }) => {
          const root = `ranges-${String(++roots).padStart(2, '0')}`;
          const config = configFor(root);
          const cluster = config.clusters[0] as ClusterConfig;
          const eventsBefore = services.s3.events().length;
          await seedWalgBucket(services, root);
          const catalog = await catalogueFromEvents(services, config, root, eventsBefore);
          const plans = new DynamoDbPlanStore({ client: services.ddb.client, tableName: root });
          const base = { catalog, objects: services.objects, plans, batchLimits: { maxKeys: batchKeys } };
          const planned = await planClusterRetention({ ...base, planIdSuffix: () => 'a0a0' }, cluster, PLANNED_AT);
          const plannedKeys = new Set(planned.backupKeys);
          for (const key of await plannedWalKeys(catalog, cluster, planned.plan)) plannedKeys.add(key);
          expect(plannedKeys.size).toBeGreaterThan(20);
          await catalog.updateClusterState(cluster.id, { lastFullSyncAt: new Date(PLANNED_AT.getTime() + HOUR) });
          const before = await listBucket(services, root);

          const sends = new Map<string, number>();
          const struck = new Map<string, number>();
          const pending = [...crashes];
          let batchInRun = -1;
          let inFlight: readonly string[] = [];
          const crashIf = (at: CrashPoint): void => {
            const next = pending[0];
            if (next === undefined || next.at !== at || next.batch !== batchInRun) return;
            pending.shift();
            if (at !== 'before-batch') for (const key of inFlight) struck.set(key, (struck.get(key) ?? 0) + 1);
            throw new InjectedCrash(`${at} of batch ${batchInRun}`);
          };
          const objects = wrap<ObjectStore>(services.objects, {
            deleteObjects: async (bucket, keys) => {
              expect(keys.length).toBeLessThanOrEqual(batchKeys);
              for (const key of keys) sends.set(key, (sends.get(key) ?? 0) + 1);
              const outcome = await services.objects.deleteObjects(bucket, keys);
              crashIf('after-delete');
              return outcome;
            },
          });
          const recorded = wrap<PlanStore>(plans, {
            completeBatch: async (...args) => {
              crashIf('before-record');
              const first = await plans.completeBatch(...args);
              crashIf('record-lost');
              return first;
            },
            recordWalBatch: async (...args) => {
              crashIf('before-record');
              const first = await plans.recordWalBatch(...args);
              crashIf('record-lost');
              return first;
            },
          });
          const deps = {
            catalog,
            objects,
            plans: recorded,
            beforeBatch: (batch: { readonly keys: readonly string[] }) => {
              batchInRun++;
              inFlight = batch.keys;
              expect(batch.keys.length).toBeLessThanOrEqual(batchKeys);
              crashIf('before-batch');
            },
          };

          let outcome: ApplyRetentionOutcome | undefined;
          for (let run = 0; run <= crashes.length && outcome === undefined; run++) {
            batchInRun = -1;
            try {
              outcome = await applyClusterRetention(deps, cluster, {
                planId: planned.plan.planId,
                now: APPLY_AT,
                explicit: false,
              });
            } catch (error) {
              if (!(error instanceof InjectedCrash)) throw error;
            }
          }
          expect(outcome).toMatchObject({ status: 'applied', locked: [], failed: [], spared: [] });

          const after = await listBucket(services, root);
          expect(new Set([...before].filter((key) => !after.has(key)))).toEqual(plannedKeys);
          for (const [key, count] of sends) {
            expect(plannedKeys.has(key), `${key} sent but not planned`).toBe(true);
            expect(count, `${key} sent ${count} times`).toBeLessThanOrEqual(1 + (struck.get(key) ?? 0));
          }
          // Every hole the apply made is recorded as retention's, wherever the crashes fell.
          const continuity = await evaluateContinuity(catalog, cluster, {
            now: APPLY_AT,
            persistCursor: false,
            forceFull: true,
          });
          expect(continuity.gaps.gaps).toEqual([]);
          expect(continuity.gaps.status).toBe('OK');
        }),
        { numRuns: RUNS },
      );
    },
    HANG_GUARD_MS,
  );
});
