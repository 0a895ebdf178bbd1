/**
 * The catalog under faults: the real catalog-ingest handler fed SQS batches of s3rver's own notifications, and the
 * full sync, with DynamoDB throttling, ProvisionedThroughputExceeded, unprocessed batch items, S3 SlowDown 503,
 * timeouts and responses lost after the request took effect, at 10% and 30%; plus a Lambda timeout in the middle of
 * an ingest batch. SQS is modelled as it behaves: records in `batchItemFailures` (or the whole batch, when the
 * invocation timed out) are delivered again. Once the fault stops, every catalog must equal the bucket and the
 * catalog built without faults.
 */
import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDynamoDbDocumentClient, createS3Client } from '../../lib/adapters/aws/aws-clients.ts';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { S3ObjectStore } from '../../lib/adapters/s3/s3-object-store.ts';
import { createBackupInterpreter } from '../../lib/domain/catalog/backup-interpreter.ts';
import type { ClusterId } from '../../lib/domain/cluster.ts';
import { historyTextOrUndefined } from '../../lib/domain/wal/history-file-content.ts';
import { createCatalogIngestHandler } from '../../lib/handlers/catalog-ingest-handler.ts';
import { syncCatalog } from '../../lib/use-cases/sync-catalog.ts';
import { DYNALITE_CREDENTIALS } from '../support/dynalite.ts';
import { attachFaults, FaultInjector, type FaultRule, LambdaTimeout, seededDraw } from '../support/faults.ts';
import { S3RVER_CREDENTIALS } from '../support/s3rver.ts';
import { BUCKET, type CatalogServices, startCatalogServices, testConfig } from '../use-cases/catalog-test-setup.ts';
import { listBucket, seedWalgBucket } from '../use-cases/retention-test-bucket.ts';
import { type CatalogSnapshot, expectedFromBucket, snapshotCatalog } from './catalog-snapshot.ts';
import { FaultMatrix } from './fault-matrix.ts';

const cluster = 'orders-main' as ClusterId;
const PREFIX = 'orders-main/';
const RATES = [0.1, 0.3] as const;
/** Delivery rounds while the fault is on; after that the fault stops and the queue drains. */
const ROUNDS_UNDER_FAULT = 3;
const MAX_ROUNDS = 30;
const context = {} as Context;
const matrix = new FaultMatrix('catalog');

let services: CatalogServices;
let messages: { messageId: string; body: string }[];
let bucketKeys: Set<string>;
let reference: CatalogSnapshot;
let syncReference: CatalogSnapshot;
let tables = 0;
/** Invocations that the simulated Lambda timeout ended, over the whole file. */
let timeoutsFired = 0;

const DYNAMODB_BATCHES = ['BatchWriteItemCommand', 'BatchGetItemCommand'];
const S3_READS = ['GetObjectCommand', 'ListObjectsV2Command'];

interface Scenario {
  readonly name: string;
  readonly rules: (rate: number) => FaultRule[];
}

const INGEST_SCENARIOS: Scenario[] = [
  { name: 'DynamoDB ThrottlingException', rules: (rate) => [{ kind: 'throttling', rate }] },
  {
    name: 'DynamoDB ProvisionedThroughputExceeded',
    rules: (rate) => [{ kind: 'provisioned-throughput', rate }],
  },
  {
    name: 'DynamoDB unprocessed batch items',
    rules: (rate) => [{ kind: 'unprocessed', rate, commands: DYNAMODB_BATCHES }],
  },
  { name: 'S3 SlowDown 503', rules: (rate) => [{ kind: 'slow-down', rate }] },
  { name: 'S3 timeouts', rules: (rate) => [{ kind: 'timeout', rate }] },
  { name: 'responses lost after the write', rules: (rate) => [{ kind: 'response-lost', rate }] },
];

/** Fresh clients on the emulators (a new Lambda container), with the fault layer on both. */
function faultedServices(faults: FaultInjector) {
  const s3 = createS3Client({ region: 'us-east-1', s3: services.s3.endpoint, credentials: S3RVER_CREDENTIALS });
  const ddb = createDynamoDbDocumentClient({
    region: 'us-east-1',
    dynamodb: services.ddb.endpoint,
    credentials: DYNALITE_CREDENTIALS,
  });
  attachFaults(s3, faults);
  attachFaults(ddb, faults);
  return { s3, ddb, objects: new S3ObjectStore(s3) };
}

async function newTable(): Promise<string> {
  const table = `faults-${++tables}`;
  const store = new DynamoDbCatalogStore({
    client: services.ddb.client,
    tableName: table,
    interpret: createBackupInterpreter(services.config.clusters),
  });
  await store.ensureTable();
  return table;
}

function catalogOn(client: ReturnType<typeof faultedServices>['ddb'], table: string): DynamoDbCatalogStore {
  return new DynamoDbCatalogStore({
    client,
    tableName: table,
    interpret: createBackupInterpreter(services.config.clusters),
    // Product backoff, in milliseconds, so 30% unprocessed items stay fast.
    retry: { maxAttempts: 8, baseDelayMs: 1, maxDelayMs: 5 },
  });
}

const unfaultedCatalog = (table: string) => catalogOn(services.ddb.client, table);

const sqsEvent = (batch: readonly { messageId: string; body: string }[]): SQSEvent =>
  ({
    Records: batch.map((message) => ({ ...message, eventSource: 'aws:sqs', receiptHandle: message.messageId })),
  }) as unknown as SQSEvent;

/** A Lambda execution environment: its clients and handler live across invocations until it times out. */
interface Container {
  readonly handler: ReturnType<typeof createCatalogIngestHandler>;
  readonly timeout: LambdaTimeout;
}

function newContainer(faults: FaultInjector, table: string): Container {
  const clients = faultedServices(faults);
  const timeout = new LambdaTimeout();
  timeout.attach(clients.ddb);
  timeout.attach(clients.s3);
  const handler = createCatalogIngestHandler(
    {
      catalog: catalogOn(clients.ddb, table),
      objects: clients.objects,
      decompress: historyTextOrUndefined,
      clusters: services.config.clusters,
    },
    new Logger({ serviceName: 'resilience', logLevel: 'SILENT' }),
    new Metrics({ namespace: 'walcat-resilience', serviceName: 'resilience' }),
  );
  return { handler, timeout };
}

/**
 * Delivers every message in batches of ten to a warm container, redelivering what each invocation reports failed
 * (or the whole batch when `kill` made the invocation time out, which also replaces the container), until the queue
 * is empty. Returns the number of invocations.
 */
async function drain(
  faults: FaultInjector,
  table: string,
  rules: FaultRule[],
  kill?: (invocation: number) => number | undefined,
): Promise<number> {
  let pending = messages;
  let invocations = 0;
  let container: Container | undefined;
  for (let round = 1; pending.length > 0; round++) {
    if (round > MAX_ROUNDS) throw new Error(`queue not drained after ${MAX_ROUNDS} rounds: ${pending.length} left`);
    const underFault = round <= ROUNDS_UNDER_FAULT;
    if (underFault) faults.set(rules);
    else faults.stop();
    const next: typeof messages = [];
    for (let start = 0; start < pending.length; start += 10) {
      const batch = pending.slice(start, start + 10);
      invocations++;
      container ??= newContainer(faults, table);
      const killAfter = underFault ? kill?.(invocations) : undefined;
      const running = container;
      const outcome = await running.timeout.run(
        () => running.handler(sqsEvent(batch), context) as Promise<SQSBatchResponse>,
        killAfter,
      );
      if (outcome === 'timed-out') {
        timeoutsFired++;
        next.push(...batch);
        container = undefined;
      } else {
        next.push(...batch.filter((m) => outcome.batchItemFailures.some((f) => f.itemIdentifier === m.messageId)));
      }
    }
    pending = next;
  }
  faults.stop();
  return invocations;
}

beforeAll(async () => {
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  services = await startCatalogServices(testConfig('walcat-faults', 'orders-main'));
  await seedWalgBucket(services, 'orders-main');
  await services.objects.putObject(
    BUCKET,
    `${PREFIX}wal_005/00000003.history.lz4`,
    readFileSync(new URL('../fixtures/history/00000003.history.lz4', import.meta.url)),
  );
  // Three segments removed again: their tombstones must survive every fault too.
  for (const segment of ['000000010000000000000011', '000000010000000000000012', '000000010000000000000013']) {
    await services.s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}wal_005/${segment}.lz4` }));
  }
  messages = services.s3.events().map((event, index) => ({ messageId: `msg-${index}`, body: JSON.stringify(event) }));
  bucketKeys = await listBucket(services, 'orders-main');

  // Reference: the same deliveries without any fault.
  const table = await newTable();
  await drain(new FaultInjector(0), table, []);
  reference = await snapshotCatalog(unfaultedCatalog(table), cluster);
  const syncTable = await newTable();
  await syncCatalog(
    { catalog: unfaultedCatalog(syncTable), objects: services.objects, decompress: historyTextOrUndefined },
    services.config.clusters[0] as (typeof services.config.clusters)[number],
    { now: new Date('2026-11-25T00:00:00Z') },
  );
  syncReference = await snapshotCatalog(unfaultedCatalog(syncTable), cluster);
});

afterAll(async () => {
  matrix.write();
  vi.unstubAllEnvs();
  await services?.close();
});

function expectCatalogEqualsBucket(snapshot: CatalogSnapshot): void {
  const expected = expectedFromBucket(bucketKeys, PREFIX);
  expect(snapshot.liveWalKeys).toEqual(expected.liveWalKeys);
  expect(snapshot.completeBackups).toEqual(expected.completeBackups);
}

describe('the reference runs without faults', () => {
  it('catalogue exactly the bucket, from events and from a full sync', () => {
    expect(messages.length).toBeGreaterThan(100);
    expectCatalogEqualsBucket(reference);
    expectCatalogEqualsBucket(syncReference);
    expect(reference.completeBackups).toHaveLength(12);
  });
});

describe.each(RATES)('catalog ingest through SQS at %s fault rate', (rate) => {
  it.each(INGEST_SCENARIOS)('$name: redelivery converges to the fault-free catalog', async (scenario) => {
    const faults = new FaultInjector(Math.round(rate * 1000) + scenario.name.length);
    const table = await newTable();
    const invocations = await drain(faults, table, scenario.rules(rate));
    expect(faults.injectedTotal).toBeGreaterThan(0);
    const snapshot = await snapshotCatalog(unfaultedCatalog(table), cluster);
    expectCatalogEqualsBucket(snapshot);
    expect(snapshot.records).toEqual(reference.records);
    matrix.record({
      area: 'catalog ingest (SQS, partial batch failures)',
      fault: scenario.name,
      rate,
      requests: faults.counts.requests,
      injected: faults.injectedTotal,
      runs: invocations,
      checks: [
        `catalog = bucket (${snapshot.liveWalKeys.length} WAL objects, ${snapshot.completeBackups.length} backups, 3 tombstones)`,
        'records identical to the fault-free run',
        '0 messages left in the queue',
      ],
    });
  });

  it('Lambda timeout in the middle of a batch: the whole batch is redelivered and converges', async () => {
    const faults = new FaultInjector(4242 + rate * 100);
    const table = await newTable();
    // Each invocation times out with probability `rate`, after a seeded number of requests into the batch.
    const kill = (invocation: number): number | undefined => {
      if (seededDraw(rate * 100, invocation) >= rate) return undefined;
      return Math.floor(seededDraw(rate * 100 + 1, invocation) * 3);
    };
    const firedBefore = timeoutsFired;
    const invocations = await drain(faults, table, [], kill);
    const fired = timeoutsFired - firedBefore;
    expect(fired).toBeGreaterThan(0);
    const snapshot = await snapshotCatalog(unfaultedCatalog(table), cluster);
    expectCatalogEqualsBucket(snapshot);
    expect(snapshot.records).toEqual(reference.records);
    matrix.record({
      area: 'catalog ingest (SQS, partial batch failures)',
      fault: 'Lambda timeout mid-batch (whole batch redelivered)',
      rate,
      requests: invocations,
      injected: fired,
      runs: invocations,
      checks: [
        `catalog = bucket (${snapshot.liveWalKeys.length} WAL objects, ${snapshot.completeBackups.length} backups)`,
        'records identical to the fault-free run',
        `${fired} of ${invocations} invocations timed out (requests column: invocations)`,
      ],
    });
  });
});

const SYNC_SCENARIOS: Scenario[] = [
  { name: 'DynamoDB ThrottlingException', rules: (rate) => [{ kind: 'throttling', rate }] },
  {
    name: 'DynamoDB unprocessed batch items',
    rules: (rate) => [{ kind: 'unprocessed', rate, commands: DYNAMODB_BATCHES }],
  },
  { name: 'S3 SlowDown 503 on listing and reads', rules: (rate) => [{ kind: 'slow-down', rate, commands: S3_READS }] },
  { name: 'S3 timeouts on listing and reads', rules: (rate) => [{ kind: 'timeout', rate, commands: S3_READS }] },
];

describe.each(RATES)('full sync at %s fault rate', (rate) => {
  it.each(SYNC_SCENARIOS)('$name: re-running converges to the fault-free sync', async (scenario) => {
    const faults = new FaultInjector(77 + Math.round(rate * 100) + scenario.name.length);
    const table = await newTable();
    const clients = faultedServices(faults);
    const deps = {
      catalog: catalogOn(clients.ddb, table),
      objects: clients.objects,
      decompress: historyTextOrUndefined,
    };
    const clusterConfig = services.config.clusters[0] as (typeof services.config.clusters)[number];
    let runs = 0;
    let failedRuns = 0;
    for (let attempt = 1; ; attempt++) {
      if (attempt <= ROUNDS_UNDER_FAULT) faults.set(scenario.rules(rate));
      else faults.stop();
      runs++;
      try {
        await syncCatalog(deps, clusterConfig, { now: new Date('2026-11-25T00:00:00Z'), concurrency: 4 });
        if (!faults.active) break;
      } catch (error) {
        failedRuns++;
        if (!faults.active) throw error;
      }
    }
    expect(faults.injectedTotal).toBeGreaterThan(0);
    const snapshot = await snapshotCatalog(unfaultedCatalog(table), cluster);
    expectCatalogEqualsBucket(snapshot);
    expect(snapshot.records).toEqual(syncReference.records);
    matrix.record({
      area: 'full sync (scheduled)',
      fault: scenario.name,
      rate,
      requests: faults.counts.requests,
      injected: faults.injectedTotal,
      runs,
      checks: [
        `catalog = bucket (${snapshot.liveWalKeys.length} WAL objects, ${snapshot.completeBackups.length} backups)`,
        `records identical to the fault-free sync (${failedRuns} of ${runs} runs failed under the fault)`,
      ],
    });
  });
});

describe('a warm container after a failed write', () => {
  it('still records the timeline of WAL whose first write was throttled to failure', async () => {
    const faults = new FaultInjector(1);
    const table = await newTable();
    const clients = faultedServices(faults);
    const catalog = catalogOn(clients.ddb, table);
    const record = {
      cluster,
      key: `${PREFIX}wal_005/000000050000000000000001.lz4`,
      kind: 'segment' as const,
      timeline: 5 as never,
      segNo: 1 as never,
      compression: 'lz4' as const,
      size: 10,
      etag: 'e',
      uploadedAt: new Date('2026-11-20T00:00:00Z'),
      sequencer: '0A',
      deleted: false,
    };
    faults.set([{ kind: 'throttling', rate: 1, commands: ['BatchWriteItemCommand'] }]);
    await expect(catalog.applyWalChanges([{ origin: 'event', record }])).rejects.toMatchObject({
      name: 'ThrottlingException',
    });
    faults.stop();
    // SQS redelivers the record to the same (warm) container.
    await catalog.applyWalChanges([{ origin: 'event', record }]);
    const reader = unfaultedCatalog(table);
    expect(await reader.listTimelines(cluster)).toEqual([5]);
    const keys = [];
    for await (const stored of reader.listWalObjects(cluster, 5 as never)) keys.push(stored.key);
    expect(keys).toEqual([record.key]);
  });
});
