/**
 * Retention apply under faults, on s3rver + dynalite: S3 SlowDown 503 on DeleteObjects, per-key SlowDown answers,
 * deletes whose response is lost after they happened, DynamoDB throttling and unprocessed items on the plan store and
 * catalog, and a Lambda timeout in the middle of an apply, at 10% and 30%. After every run the bucket is compared with
 * the bucket before and the plan: nothing outside the plan is ever gone. Once the fault stops, runs are repeated
 * (apply again; what S3 refused per key is named again by the next plan, after a sync) until the bucket is exactly
 * the bucket before minus the planned keys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbDocumentClient, createS3Client } from '../../lib/adapters/aws/aws-clients.ts';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { DynamoDbPlanStore } from '../../lib/adapters/dynamodb/dynamodb-plan-store.ts';
import { S3ObjectStore } from '../../lib/adapters/s3/s3-object-store.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import { createBackupInterpreter } from '../../lib/domain/catalog/backup-interpreter.ts';
import type { ClusterConfig, WalcatConfig } from '../../lib/domain/cluster.ts';
import { historyTextOrUndefined } from '../../lib/domain/wal/history-file-content.ts';
import { applyClusterRetention } from '../../lib/use-cases/apply-retention.ts';
import { planClusterRetention } from '../../lib/use-cases/plan-retention.ts';
import { syncCatalog } from '../../lib/use-cases/sync-catalog.ts';
import { DYNALITE_CREDENTIALS } from '../support/dynalite.ts';
import { attachFaults, FaultInjector, type FaultRule, LambdaTimeout, seededDraw } from '../support/faults.ts';
import { S3RVER_CREDENTIALS } from '../support/s3rver.ts';
import { BUCKET, type CatalogServices, startCatalogServices } from '../use-cases/catalog-test-setup.ts';
import { catalogueFromEvents, plannedWalKeys, seedWalgBucket } from '../use-cases/retention-test-bucket.ts';
import { FaultMatrix } from './fault-matrix.ts';

const HOUR = 3_600_000;
const PLANNED_AT = new Date('2026-11-21T03:00:00Z');
const RUNS_UNDER_FAULT = 3;
const MAX_RUNS = 12;

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
    'retention faults config',
  );
}

/** Everything under the scenario's root: the cluster's prefix and its neighbours (`ret-01x/`, `ret-01-old/`). */
async function listAround(root: string): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const object of services.objects.list(BUCKET, root)) keys.add(object.key);
  return keys;
}

interface Scenario {
  readonly name: string;
  readonly rules: (rate: number) => FaultRule[];
  /** Probability that one apply run is stopped by the Lambda timeout. */
  readonly timeouts?: boolean;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'S3 SlowDown 503 on DeleteObjects',
    rules: (rate) => [{ kind: 'slow-down', rate, commands: ['DeleteObjectsCommand'] }],
  },
  {
    name: 'per-key SlowDown inside DeleteObjects',
    rules: (rate) => [{ kind: 'delete-key-slowdown', rate }],
  },
  {
    name: 'DeleteObjects response lost after the delete',
    rules: (rate) => [{ kind: 'response-lost', rate, commands: ['DeleteObjectsCommand'] }],
  },
  { name: 'DynamoDB ThrottlingException', rules: (rate) => [{ kind: 'throttling', rate }] },
  {
    name: 'DynamoDB unprocessed batch items',
    rules: (rate) => [{ kind: 'unprocessed', rate, commands: ['BatchWriteItemCommand', 'BatchGetItemCommand'] }],
  },
  { name: 'Lambda timeout mid-apply (run again)', rules: () => [], timeouts: true },
];

/** A fresh container: clients with the fault layer and the Lambda timeout, and the real adapters on them. */
function container(faults: FaultInjector, table: string, config: WalcatConfig) {
  const s3 = createS3Client({ region: 'us-east-1', s3: services.s3.endpoint, credentials: S3RVER_CREDENTIALS });
  const ddb = createDynamoDbDocumentClient({
    region: 'us-east-1',
    dynamodb: services.ddb.endpoint,
    credentials: DYNALITE_CREDENTIALS,
  });
  attachFaults(s3, faults);
  attachFaults(ddb, faults);
  const timeout = new LambdaTimeout();
  timeout.attach(s3);
  timeout.attach(ddb);
  return {
    timeout,
    deps: {
      catalog: new DynamoDbCatalogStore({
        client: ddb,
        tableName: table,
        interpret: createBackupInterpreter(config.clusters),
        retry: { maxAttempts: 8, baseDelayMs: 1, maxDelayMs: 5 },
      }),
      objects: new S3ObjectStore(s3),
      plans: new DynamoDbPlanStore({ client: ddb, tableName: table }),
      batchLimits: { maxKeys: 7 },
    },
  };
}

/**
 * A hang guard, not a speed goal: a scenario takes seconds on a quiet machine, but one that timed out would keep
 * running beside the next one on the shared emulators and spoil its event count.
 */
const SCENARIO_HANG_GUARD_MS = 180_000;

/** The whole suite at one fault rate (one test file per rate keeps each file well under a minute). */
export function describeRetentionFaults(rate: number): void {
  const matrix = new FaultMatrix(`retention-${Math.round(rate * 100)}`);
  beforeAll(async () => {
    services = await startCatalogServices(configFor('unused'));
  });
  afterAll(async () => {
    matrix.write();
    await services?.close();
  });
  describe(`retention apply at ${rate} fault rate`, () => {
    it.each(SCENARIOS)(
      '$name: never deletes outside the plan, and converges to exactly the plan',
      async (scenario) => {
        const root = `ret-${String(++roots).padStart(2, '0')}`;
        const config = configFor(root);
        const cluster = config.clusters[0] as ClusterConfig;
        const eventsBefore = services.s3.events().length;
        await seedWalgBucket(services, root);
        const table = root;
        await catalogueFromEvents(services, { ...config, clusters: [cluster] }, table, eventsBefore);
        // Neighbours that share the prefix's first characters but are not the cluster's.
        await services.objects.putObject(BUCKET, `${root}x/wal_005/000000010000000000000010.lz4`, 'neighbour');
        await services.objects.putObject(BUCKET, `${root}-old/basebackups_005/base_000000010000000000000010/x`, 'n');
        const before = await listAround(root);

        const faults = new FaultInjector(Math.round(rate * 1000) + roots);
        const clean = container(new FaultInjector(0), table, config).deps;
        const planned = await planClusterRetention(
          { ...clean, planIdSuffix: () => roots.toString(16).padStart(4, '0') },
          cluster,
          PLANNED_AT,
        );
        const plannedKeys = new Set<string>();
        for await (const batch of clean.plans.listBatches(cluster.id, planned.plan.planId)) {
          for (const key of batch.keys) plannedKeys.add(key);
        }
        // The WAL is stored as ranges; these are the keys they hold in the catalog, as apply expands them.
        for (const key of await plannedWalKeys(clean.catalog, cluster, planned.plan)) plannedKeys.add(key);
        expect(plannedKeys.size).toBeGreaterThan(20);
        await clean.catalog.updateClusterState(cluster.id, { lastFullSyncAt: new Date(PLANNED_AT.getTime() + HOUR) });

        const checkNothingUnplannedGone = async () => {
          const now = await listAround(root);
          for (const key of now) expect(before.has(key), `${key} appeared`).toBe(true);
          const gone = [...before].filter((key) => !now.has(key));
          for (const key of gone) expect(plannedKeys.has(key), `${key} deleted but not planned`).toBe(true);
          return gone;
        };

        let runs = 0;
        let failedRuns = 0;
        let timedOut = 0;
        let replans = 0;
        let planId = planned.plan.planId;
        let applyAt = new Date(PLANNED_AT.getTime() + 7 * HOUR);
        for (;;) {
          runs++;
          if (runs > MAX_RUNS) {
            const now = await listAround(root);
            const left = [...plannedKeys].filter((key) => now.has(key));
            throw new Error(`retention did not converge in ${MAX_RUNS} runs; left: ${left.join(', ')}`);
          }
          const underFault = runs <= RUNS_UNDER_FAULT;
          if (underFault) faults.set(scenario.rules(rate));
          else faults.stop();
          const { deps, timeout } = container(faults, table, config);
          const killAfter =
            underFault && scenario.timeouts && seededDraw(rate * 100, runs) < Math.max(rate, 0.5)
              ? 3 + Math.floor(seededDraw(rate * 100 + 1, runs) * 40)
              : undefined;
          try {
            const outcome = await timeout.run(
              () => applyClusterRetention(deps, cluster, { planId, now: applyAt, explicit: false }),
              killAfter,
            );
            if (outcome === 'timed-out') timedOut++;
            else if (outcome.status === 'applied' && outcome.failed.length > 0 && !underFault) {
              throw new Error('a per-key failure without any fault');
            }
          } catch (error) {
            failedRuns++;
            if (!underFault) throw error;
          }
          await checkNothingUnplannedGone();
          const header = await clean.plans.getPlanHeader(cluster.id, planId);
          if (!underFault && header?.status === 'applied') {
            const gone = await checkNothingUnplannedGone();
            if (gone.length === plannedKeys.size) break;
            // Keys S3 refused per key (SlowDown after the in-run retries) stay live in the catalog: the next daily plan,
            // made after a sync, names exactly those again.
            const replanAt = new Date(applyAt.getTime() + HOUR);
            await syncCatalog({ ...clean, decompress: historyTextOrUndefined }, cluster, { now: replanAt });
            const again = await planClusterRetention(
              { ...clean, planIdSuffix: () => (++replans).toString(16).padStart(4, '0') },
              cluster,
              replanAt,
            );
            for await (const batch of clean.plans.listBatches(cluster.id, again.plan.planId)) {
              for (const key of batch.keys) expect(plannedKeys.has(key), `${key} newly planned`).toBe(true);
            }
            for (const key of await plannedWalKeys(clean.catalog, cluster, again.plan)) {
              expect(plannedKeys.has(key), `${key} newly planned`).toBe(true);
            }
            await clean.catalog.updateClusterState(cluster.id, { lastFullSyncAt: new Date(replanAt.getTime() + HOUR) });
            applyAt = new Date(replanAt.getTime() + 7 * HOUR);
            planId = again.plan.planId;
          }
        }
        const after = await listAround(root);
        expect([...before].filter((key) => !after.has(key)).sort()).toEqual([...plannedKeys].sort());
        expect(after.has(`${root}x/wal_005/000000010000000000000010.lz4`)).toBe(true);
        // The catalog agrees: every kept backup complete, every planned backup expired.
        const backups = await clean.catalog.listBackups(cluster.id);
        const kept = new Set(planned.plan.keep.map((k) => k.name));
        for (const record of backups) expect(record.status).toBe(kept.has(record.name) ? 'complete' : 'expired');
        if (!scenario.timeouts) expect(faults.injectedTotal).toBeGreaterThan(0);
        else expect(timedOut).toBeGreaterThan(0);
        matrix.record({
          area: 'retention apply (DeleteObjects, resumable)',
          fault: scenario.name,
          rate,
          requests: faults.counts.requests,
          injected: scenario.timeouts ? timedOut : faults.injectedTotal,
          runs,
          checks: [
            `0 unplanned deletes (checked after each of ${runs} runs)`,
            `bucket = before - plan (${plannedKeys.size} keys)`,
            `catalog: ${kept.size} kept complete, ${backups.length - kept.size} expired`,
            `${failedRuns} runs failed under the fault, ${timedOut} timed out, ${replans} re-plans for per-key refusals`,
          ],
        });
      },
      SCENARIO_HANG_GUARD_MS,
    );
  });
}
