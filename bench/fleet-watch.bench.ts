/**
 * The WAL watch of a fleet, fanned out (lib/handlers/cluster-fan-out.ts): the one-minute tick enqueues one run per
 * cluster and each run watches one cluster in its own invocation. Measured on one dynalite table holding the whole
 * fleet (10, then 100, then 1,000 clusters, each with its sync state and 20 catalogued WAL segments): the time and
 * DynamoDB requests of one steady-state watch run per cluster (the second cycle, incremental, as every minute after
 * the first), through the real handler with an SQS batch of one record. Goal: flat from 10 to 1,000 clusters
 * (time at most 1.5x, requests equal). The tick itself reads no table; its SQS requests are computed (10 runs per
 * SendMessageBatch).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { createDynamoDbDocumentClient } from '../lib/adapters/aws/aws-clients.ts';
import { DynamoDbAlertStore } from '../lib/adapters/dynamodb/dynamodb-alert-store.ts';
import { DynamoDbCatalogStore } from '../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { parseWalcatConfig } from '../lib/config/config.ts';
import type { ClusterConfig } from '../lib/domain/cluster.ts';
import { timelineId } from '../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../lib/domain/wal/wal-segment.ts';
import { createWalWatchHandler } from '../lib/handlers/wal-watch-handler.ts';
import type { ClusterRun } from '../lib/ports/cluster-run-queue.ts';
import type { Benchmark, BenchRow } from './bench-types.ts';
import { ASSUMPTIONS, PRICES } from './support/cost-model.ts';
import { type CountingDynalite, startCountingDynalite } from './support/counting-servers.ts';
import { recordingWalCreates } from './support/replayed-catalog-load.ts';

/**
 * The fanned-out scheduled functions of a fleet per month (docs/cost-model.md, "The fleet"): per function its runs
 * per cluster per month, seconds and GB per run, and DynamoDB units per run; each tick (one per schedule period, for
 * the whole fleet) 50 ms at 512 MB. Ingest and sync are per cluster and priced by the per-cluster table.
 */
const FAN_OUT_WORK = [
  // The watch run's reads and writes are the measured ones (passed in).
  { fn: 'walWatch', ticks: 43_200, runs: 43_200, seconds: ASSUMPTIONS.watchDurationS, gb: 0.5 },
  { fn: 'jobTracker', ticks: 4_320, runs: 4_320, seconds: 0.1, gb: 0.5, reads: 1, writes: 0 },
  // The probe waits for its host's answer (up to 45 s); 5 s assumed.
  { fn: 'archiverProbe', ticks: 43_200, runs: 8_640, seconds: 5, gb: 0.5, reads: 3, writes: 2 },
  { fn: 'backupScheduler', ticks: 43_200, runs: 30, seconds: 0.3, gb: 0.5, reads: 2, writes: 3 },
  { fn: 'restoreDrill', ticks: 43_200, runs: 4.3, seconds: 0.5, gb: 0.5, reads: 10, writes: 3 },
  { fn: 'retention', ticks: 30, runs: 30, seconds: 10, gb: 1, reads: 200, writes: 5 },
] as const;

export function fleetMonthlyCost(clusters: number, watch: { reads: number; writes: number }) {
  let lambda = 0;
  let dynamo = 0;
  let sqs = 0;
  for (const work of FAN_OUT_WORK) {
    const runs = work.runs * clusters;
    const reads = 'reads' in work ? work.reads : watch.reads;
    const writes = 'writes' in work ? work.writes : watch.writes;
    lambda += (work.ticks + runs) * PRICES.lambdaRequest;
    lambda += (work.ticks * 0.05 * 0.5 + runs * work.seconds * work.gb) * PRICES.lambdaArmGbSecond;
    dynamo += runs * (reads * PRICES.dynamoReadUnit + writes * PRICES.dynamoWriteUnit);
    // One SendMessageBatch per 10 runs, then one receive and one delete per run (batch size 1), plus the idle
    // long polls of the queue's pollers.
    sqs += (runs * (0.1 + 2) + ASSUMPTIONS.sqsEmptyReceivesPerMinute * ASSUMPTIONS.minutesPerMonth) * PRICES.sqsRequest;
  }
  return { lambda, dynamo, sqs, total: lambda + dynamo + sqs };
}

const NAME = 'fleet-watch';
const FLEETS = [10, 100, 1_000] as const;
const LARGEST = 1_000;
const SEGMENTS = 20;
/** Clusters of each fleet whose runs are timed (spread over the fleet). */
const SAMPLE = 10;
const T0 = new Date('2026-12-02T12:00:00Z');
const minute = (n: number) => new Date(T0.getTime() + n * 60_000);
const id = (i: number) => `pg-${String(i).padStart(4, '0')}`;

function fleetConfig(size: number): ClusterConfig[] {
  const lines = ['catalogTable: walcat-fleet', 'clusters:'];
  for (let i = 0; i < size; i++) {
    lines.push(
      `  - id: ${id(i)}`,
      `    storage: s3://fleet-backups/${id(i)}`,
      '    alerts: { slackWebhookParameter: /walcat/slack/fleet, archiveLagMax: 10m, backupMaxAge: 26h, uploadGrace: 5m }',
    );
  }
  return parseWalcatConfig(lines.join('\n'), 'fleet bench').clusters as ClusterConfig[];
}

let sequencer = 0;
/** One cluster's sync state and its segments, written as the catalog store writes them (see `seedFleet`). */
async function seed(catalog: DynamoDbCatalogStore, cluster: ClusterConfig): Promise<void> {
  const tl = timelineId(1);
  await catalog.updateClusterState(cluster.id, { lastFullSyncAt: minute(-30) });
  await catalog.applyWalChanges(
    Array.from({ length: SEGMENTS }, (_, n) => {
      const segNo = segmentNumber(n + 1);
      return {
        origin: 'event' as const,
        record: {
          cluster: cluster.id,
          key: `${cluster.id}/wal_005/${walFileName({ timeline: tl, segNo }, cluster.walSegmentSize)}.lz4`,
          kind: 'segment' as const,
          timeline: tl,
          segNo,
          compression: 'lz4' as const,
          size: 1000,
          uploadedAt: minute(n - SEGMENTS),
          sequencer: (++sequencer).toString(16).padStart(16, '0').toUpperCase(),
          deleted: false,
        },
      };
    }),
  );
}

/** Clusters seeded at once: each is a few requests, so several overlap their round trips. */
const SEEDING_IN_FLIGHT = 8;

/**
 * Seeds clusters `from` to `until` through the real catalog store, except that each new WAL key's conditional
 * PutItem (one request per segment on dynalite, 20,000 of them for the fleet of 1,000) is recorded and the recorded
 * items are then put in bulk through dynalite's own BatchWriteItem action (support/replayed-catalog-load.ts): the
 * table holds the same items, and the seeding no longer takes most of the benchmark's time.
 */
async function seedFleet(
  client: DynamoDBDocumentClient,
  dynamo: CountingDynalite,
  tableName: string,
  clusters: readonly ClusterConfig[],
): Promise<void> {
  const { client: recording, recorded } = recordingWalCreates(client);
  const seeding = new DynamoDbCatalogStore({
    client: recording,
    tableName,
    interpret: () => ({ problem: 'no backups here' }),
  });
  let next = 0;
  const worker = async () => {
    while (next < clusters.length) await seed(seeding, clusters[next++] as ClusterConfig);
  };
  await Promise.all(Array.from({ length: SEEDING_IN_FLIGHT }, worker));
  await dynamo.bulkPut(tableName, recorded);
}

const batchOf = (run: ClusterRun) => ({
  Records: [
    { messageId: `${run.cluster}-${run.time}`, receiptHandle: 'r', body: JSON.stringify(run), eventSource: 'aws:sqs' },
  ],
});

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

export default {
  name: NAME,
  async run(): Promise<BenchRow[]> {
    const dynamo = await startCountingDynalite();
    const client = createDynamoDbDocumentClient({
      region: 'us-east-1',
      dynamodb: dynamo.endpoint,
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    });
    const tableName = 'walcat-fleet';
    const catalog = new DynamoDbCatalogStore({ client, tableName, interpret: () => ({ problem: 'no backups here' }) });
    const alerts = new DynamoDbAlertStore({ client, tableName });
    await catalog.ensureTable();
    const rows: BenchRow[] = [];
    const perFleet = new Map<number, { ms: number; requests: number; reads: number; writes: number }>();
    try {
      const all = fleetConfig(LARGEST);
      let seeded = 0;
      for (const size of FLEETS) {
        await seedFleet(client, dynamo, tableName, all.slice(seeded, size));
        seeded = size;
        const config = { catalogTable: tableName, clusters: all.slice(0, size) } as never;
        const handler = createWalWatchHandler(
          { catalog, alerts, notifier: { send: async () => undefined } },
          config,
          new Logger({ serviceName: NAME, logLevel: 'SILENT' }),
        );
        const context = {} as Context;
        const sample = Array.from({ length: SAMPLE }, (_, k) => all[Math.floor((k * size) / SAMPLE)] as ClusterConfig);
        // The first cycle of each sampled cluster (a full read), then the measured steady-state cycle.
        for (const cluster of sample)
          await handler(batchOf({ cluster: cluster.id, time: minute(size).toISOString() }) as never, context);
        const times: number[] = [];
        const before = dynamo.requests.total;
        const kindsBefore = { ...dynamo.requests.byKind };
        for (const cluster of sample) {
          const started = performance.now();
          const response = (await handler(
            batchOf({ cluster: cluster.id, time: minute(size + 1).toISOString() }) as never,
            context,
          )) as { batchItemFailures: unknown[]; ran: number };
          times.push(performance.now() - started);
          if (response.ran !== 1 || response.batchItemFailures.length > 0)
            throw new Error(`the watch of ${cluster.id} failed`);
        }
        const requests = (dynamo.requests.total - before) / SAMPLE;
        const delta = (kinds: readonly string[]) =>
          kinds.reduce((sum, kind) => sum + (dynamo.requests.byKind[kind] ?? 0) - (kindsBefore[kind] ?? 0), 0) / SAMPLE;
        const writes = delta(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
        const ms = median(times);
        perFleet.set(size, { ms, requests, reads: requests - writes, writes });
        const cost = fleetMonthlyCost(size, { reads: requests - writes, writes });
        rows.push(
          {
            benchmark: NAME,
            metric: `one cluster's watch run, ${size.toLocaleString('en-US')} clusters in the table: time (median of ${SAMPLE})`,
            value: ms,
            unit: 'ms',
          },
          {
            benchmark: NAME,
            metric: `one cluster's watch run, ${size.toLocaleString('en-US')} clusters in the table: DynamoDB requests`,
            value: requests,
            unit: 'requests',
          },
          {
            benchmark: NAME,
            metric: `the tick for ${size.toLocaleString('en-US')} clusters: SQS SendMessageBatch requests (computed)`,
            value: Math.ceil(size / 10),
            unit: 'requests',
            note: 'the tick reads no table: 0 DynamoDB requests',
          },
          {
            benchmark: NAME,
            metric: `the scheduled functions of ${size.toLocaleString('en-US')} clusters, fanned out: USD per month`,
            value: cost.total,
            unit: 'USD',
            note: `Lambda ${cost.lambda.toFixed(2)}, DynamoDB ${cost.dynamo.toFixed(2)}, SQS ${cost.sqs.toFixed(2)}; ${(cost.total / size).toFixed(3)} per cluster (docs/cost-model.md)`,
          },
        );
      }
      const small = perFleet.get(FLEETS[0]) as { ms: number; requests: number };
      const large = perFleet.get(LARGEST) as { ms: number; requests: number };
      rows.push(
        {
          benchmark: NAME,
          metric: 'watch run time per cluster, 1,000 vs 10 clusters',
          value: large.ms / small.ms,
          unit: 'x',
          goal: { max: 1.5 },
        },
        {
          benchmark: NAME,
          metric: 'DynamoDB requests per cluster watch run, 1,000 vs 10 clusters',
          value: large.requests / small.requests,
          unit: 'x',
          goal: { max: 1 },
        },
      );
      return rows;
    } finally {
      client.destroy();
      await dynamo.close();
    }
  },
} satisfies Benchmark;
