/**
 * Retention over several rounds on the real stores (s3rver + dynalite), as a property: each round new backups and
 * WAL arrive, their S3 events reach the real ingest reordered, duplicated and partly lost, the real plan runs on that
 * catalog, more backups arrive, the real full sync heals it, and the real apply runs; stale duplicates of old
 * creation events are delivered again afterwards. After every round:
 * - nothing a backup present at apply time needs is gone (its own WAL range), and no permanent backup is deleted;
 * - the catalog counts no deleted backup as complete, whatever was redelivered;
 * - continuity agrees with what retention did: the chain has no gap, since every hole is retention's recorded doing
 *   or lies before the oldest backup.
 * Few runs (each round makes real requests); the in-memory property covers thousands of cases.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbPlanStore } from '../../lib/adapters/dynamodb/dynamodb-plan-store.ts';
import { parseIngestInvocation } from '../../lib/adapters/events/s3-notification-events.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import type { IngestRecord } from '../../lib/domain/catalog/ingest-record.ts';
import type { ClusterConfig, WalcatConfig } from '../../lib/domain/cluster.ts';
import { UnsafePlanError } from '../../lib/domain/errors.ts';
import { DEFAULT_WAL_SEGMENT_SIZE } from '../../lib/domain/wal/segment-size.ts';
import { timelineId } from '../../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../../lib/domain/wal/wal-segment.ts';
import { applyClusterRetention } from '../../lib/use-cases/apply-retention.ts';
import { evaluateContinuity } from '../../lib/use-cases/evaluate-continuity.ts';
import { ingestObjectEvents } from '../../lib/use-cases/ingest-object-events.ts';
import { planClusterRetention } from '../../lib/use-cases/plan-retention.ts';
import { syncCatalog } from '../../lib/use-cases/sync-catalog.ts';
import { BUCKET, type CatalogServices, readers, startCatalogServices } from '../use-cases/catalog-test-setup.ts';

const RUNS = 15;
/** Clusters for the runs and any shrinking steps after a failure. */
const SLOTS = 60;
const SEGMENT = 16 * 1024 * 1024;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 9, 1, 1, 0);

const config: WalcatConfig = parseWalcatConfig(
  [
    'catalogTable: rounds',
    'clusters:',
    ...Array.from({ length: SLOTS }, (_, slot) => [
      `  - id: rounds-${slot}`,
      `    storage: s3://${BUCKET}/rounds-${slot}`,
      '    layout: wal-g',
      // Replaced per run; the interpreter only needs the clusters' roots.
      '    retention: { keepLast: 1, pitrWindow: 1d }',
    ]).flat(),
  ].join('\n'),
  'rounds property config',
);

const segName = (segNo: number) =>
  walFileName({ timeline: timelineId(1), segNo: segmentNumber(segNo) }, DEFAULT_WAL_SEGMENT_SIZE);

const backupArbitrary = fc.record({
  gapSegments: fc.integer({ min: 1, max: 3 }),
  spanSegments: fc.integer({ min: 1, max: 2 }),
  permanent: fc.constantFrom(false, false, false, true),
  afterPlan: fc.boolean(),
});

const roundArbitrary = fc.record({
  backups: fc.array(backupArbitrary, { minLength: 1, maxLength: 3 }),
  /** Each event is delivered 0 (lost), 1 or 2 times. */
  deliveries: fc.array(fc.constantFrom(0, 1, 1, 1, 2), { minLength: 64, maxLength: 64 }),
  order: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  redeliverStale: fc.boolean(),
});

const runArbitrary = fc.record({
  rounds: fc.array(roundArbitrary, { minLength: 2, maxLength: 3 }),
  keepLast: fc.integer({ min: 1, max: 2 }),
  keepDaily: fc.integer({ min: 0, max: 2 }),
  pitrWindowDays: fc.constantFrom(0, 1),
});

/** A deterministic shuffle (Park-Miller) so fast-check's seed reproduces the order. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const result = [...items];
  let state = (seed % 2147483646) + 1;
  for (let index = result.length - 1; index > 0; index--) {
    state = (state * 16807) % 2147483647;
    const other = state % (index + 1);
    [result[index], result[other]] = [result[other] as T, result[index] as T];
  }
  return result;
}

let services: CatalogServices;
beforeAll(async () => {
  services = await startCatalogServices(config);
});
afterAll(async () => {
  await services.close();
});

interface Made {
  readonly name: string;
  readonly startSegNo: number;
  readonly finishSegNo: number;
  readonly permanent: boolean;
}

describe('retention over several plan/sync/apply rounds on s3rver + dynalite', () => {
  it('keeps what every present backup needs, never revives a deleted backup, and leaves no unexplained gap', async () => {
    let slot = 0;
    await fc.assert(
      fc.asyncProperty(runArbitrary, async (run) => {
        const id = `rounds-${slot++}`;
        const base = config.clusters.find((candidate) => candidate.id === id) as ClusterConfig;
        const cluster: ClusterConfig = {
          ...base,
          retention: {
            keepLast: run.keepLast,
            keepDaily: run.keepDaily,
            keepWeekly: 0,
            keepMonthly: 0,
            keepYearly: 0,
            pitrWindowMs: run.pitrWindowDays * DAY,
            timezone: 'UTC',
            incompleteGraceMs: DAY,
            applyGraceMs: HOUR,
          },
        };
        const root = `${id}/`;
        const catalog = await services.newCatalog(`rounds-table-${id}`);
        const plans = new DynamoDbPlanStore({ client: services.ddb.client, tableName: `rounds-table-${id}` });
        const deps = { catalog, objects: services.objects, plans, batchLimits: { maxKeys: 9 } };
        const ingest = (records: readonly IngestRecord[]) =>
          ingestObjectEvents({ ...readers(services), catalog, clusters: [cluster] }, records);
        const put = (key: string, body: string) => services.objects.putObject(BUCKET, `${root}${key}`, body);
        const made: Made[] = [];
        const seenEvents: IngestRecord[] = [];
        let segNo = 0x10;
        let at = START;
        let archived = 0x0f;
        const archiveThrough = async (last: number) => {
          for (let next = archived + 1; next <= last; next++) await put(`wal_005/${segName(next)}.lz4`, `wal ${next}`);
          archived = Math.max(archived, last);
        };
        const makeBackup = async (spec: (typeof run.rounds)[number]['backups'][number]) => {
          segNo += spec.gapSegments;
          at += DAY;
          const startSegNo = segNo;
          const finishSegNo = segNo + spec.spanSegments - 1;
          await archiveThrough(finishSegNo);
          const name = `base_${segName(startSegNo)}`;
          const finish = new Date(at);
          const start = new Date(at - 5 * 60_000);
          const startLsn = startSegNo * SEGMENT + 40;
          const finishLsn = finishSegNo * SEGMENT + 4096;
          await put(`basebackups_005/${name}/tar_partitions/part_001.tar.lz4`, `data of ${name}`.padEnd(1024, '.'));
          await put(`basebackups_005/${name}/tar_partitions/pg_control.tar.lz4`, 'pg_control');
          await put(
            `basebackups_005/${name}/metadata.json`,
            `{"start_time":"${start.toISOString()}","finish_time":"${finish.toISOString()}","date_fmt":"%Y-%m-%dT%H:%M:%S.%fZ","hostname":"pg-1","data_dir":"/var/lib/postgresql/15/main","pg_version":150010,"start_lsn":${startLsn},"finish_lsn":${finishLsn},"is_permanent":${spec.permanent},"system_identifier":7321456789012345678,"uncompressed_size":2048,"compressed_size":1024}`,
          );
          await put(
            `basebackups_005/${name}_backup_stop_sentinel.json`,
            `{"LSN":${startLsn},"PgVersion":150010,"FinishLSN":${finishLsn},"SystemIdentifier":7321456789012345678,"UncompressedSize":2048,"CompressedSize":1024,"Version":2,"StartTime":"${start.toISOString()}","FinishTime":"${finish.toISOString()}","Hostname":"pg-1","DataDir":"/var/lib/postgresql/15/main","IsPermanent":${spec.permanent}}`,
          );
          segNo = finishSegNo + 1;
          made.push({ name, startSegNo, finishSegNo, permanent: spec.permanent });
        };
        /** Ingests the events since `from`, reordered, duplicated and partly lost as the round says. */
        const deliver = async (from: number, round: (typeof run.rounds)[number]) => {
          const records = services.s3
            .events()
            .slice(from)
            .flatMap((event) => parseIngestInvocation(event))
            .filter((record) => record.events.every((event) => event.key.startsWith(root)));
          seenEvents.push(...records);
          const delivered = records.flatMap((record, index) =>
            Array.from({ length: round.deliveries[index % round.deliveries.length] ?? 1 }, () => record),
          );
          const outcome = await ingest(shuffled(delivered, round.order));
          expect(outcome.failedRecordIds).toEqual([]);
        };

        for (const [index, round] of run.rounds.entries()) {
          const eventsBefore = services.s3.events().length;
          for (const spec of round.backups.filter((candidate) => !candidate.afterPlan)) await makeBackup(spec);
          await archiveThrough(segNo + 1);
          await deliver(eventsBefore, round);
          const planAt = new Date(at + 2 * HOUR);
          let planId: string | undefined;
          try {
            planId = (
              await planClusterRetention({ ...deps, planIdSuffix: () => `${index}a0${index}` }, cluster, planAt)
            ).plan.planId;
          } catch (error) {
            if (!(error instanceof UnsafePlanError)) throw error;
          }
          const laterEvents = services.s3.events().length;
          for (const spec of round.backups.filter((candidate) => candidate.afterPlan)) await makeBackup(spec);
          await archiveThrough(segNo + 1);
          await deliver(laterEvents, round);
          const syncedAt = new Date(Math.max(at, planAt.getTime()) + HOUR);
          await syncCatalog({ ...readers(services), catalog }, cluster, { now: syncedAt });
          at = syncedAt.getTime();
          if (planId === undefined) continue;

          const backupsAtApply = await catalog.listBackups(cluster.id);
          const before = await keysUnder(root);
          try {
            await applyClusterRetention(deps, cluster, { planId, now: new Date(at + HOUR), explicit: true });
          } catch (error) {
            if (!(error instanceof UnsafePlanError)) throw error;
          }
          at += HOUR;
          const after = await keysUnder(root);
          const gone = (key: string) => before.has(`${root}${key}`) && !after.has(`${root}${key}`);

          for (const backup of made) {
            const record = backupsAtApply.find((candidate) => candidate.name === backup.name);
            const sentinel = `basebackups_005/${backup.name}_backup_stop_sentinel.json`;
            if (backup.permanent) expect(gone(sentinel), `permanent ${backup.name} deleted`).toBe(false);
            if (gone(sentinel) || record?.status !== 'complete') continue;
            for (let seg = backup.startSegNo; seg <= backup.finishSegNo; seg++) {
              expect(gone(`wal_005/${segName(seg)}.lz4`), `WAL ${seg} of kept ${backup.name}`).toBe(false);
            }
          }

          if (round.redeliverStale) {
            // Old creation events arrive again after the apply (SQS redelivery, a replay).
            const stale = await ingest(shuffled(seenEvents, round.order + 1));
            expect(stale.failedRecordIds).toEqual([]);
          }
          for (const record of await catalog.listBackups(cluster.id)) {
            if (record.status !== 'complete') continue;
            expect(
              after.has(`${root}basebackups_005/${record.name}_backup_stop_sentinel.json`),
              `${record.name} counted complete after retention deleted it`,
            ).toBe(true);
          }

          await syncCatalog({ ...readers(services), catalog }, cluster, { now: new Date(at + HOUR) });
          const continuity = await evaluateContinuity(catalog, cluster, {
            now: new Date(Date.now() + HOUR),
            persistCursor: false,
            forceFull: true,
          });
          expect(continuity.gaps.gaps, `gaps after round ${index}`).toEqual([]);
        }
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
  }, 600_000);
});

async function keysUnder(root: string): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const object of services.objects.list(BUCKET, root)) keys.add(object.key);
  return keys;
}
