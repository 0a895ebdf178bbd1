/**
 * Every scheduled function fans out per cluster: its tick (the dispatcher) enqueues one run per due cluster on the
 * function's own queue and runs none itself; the queue's deliveries run one cluster each, report only the records
 * that failed (batchItemFailures, so only they are retried and dead-lettered), and drop records that can never run.
 * The queue is a real SQS (moto's server mode) behind the product's SQS adapter.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSRecord } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { DynamoDbJobStore } from '../../lib/adapters/dynamodb/dynamodb-job-store.ts';
import { SqsClusterRunQueue } from '../../lib/adapters/sqs/sqs-cluster-run-queue.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import { createBackupSchedulerHandler } from '../../lib/handlers/backup-scheduler-handler.ts';
import { runClusterBatch } from '../../lib/handlers/cluster-fan-out.ts';
import { createRetentionHandler } from '../../lib/handlers/retention-handler.ts';
import { createWalWatchHandler } from '../../lib/handlers/wal-watch-handler.ts';
import type { ClusterRun, ClusterRunQueue } from '../../lib/ports/cluster-run-queue.ts';
import type { CommandTransport, SendCommandRequest } from '../../lib/ports/command-transport.ts';
import type { ScheduledRetentionDependencies } from '../../lib/use-cases/scheduled-retention.ts';
import type { WatchWalDependencies } from '../../lib/use-cases/watch-wal.ts';
import { type DynaliteHandle, startDynalite } from '../support/dynalite.ts';
import { type MotoHandle, startMoto } from '../support/moto.ts';

const FLEET = 25;
const id = (i: number) => `pg-${String(i).padStart(2, '0')}`;
/** Every third cluster backs up at 01:00, the others at 02:00. */
const config = parseWalcatConfig(
  [
    'clusters:',
    ...Array.from({ length: FLEET }, (_, i) => [
      `  - id: ${id(i)}`,
      `    storage: s3://acme/${id(i)}`,
      '    retention: { keepLast: 2, pitrWindow: 7d }',
      '    hosts:',
      `      target: { tagKey: "walcat:cluster", tagValue: ${id(i)} }`,
      '      pgData: /var/lib/postgresql/15/main',
      '      service: systemd:postgresql@15-main',
      `    backupSchedule: cron(0 ${i % 3 === 0 ? 1 : 2} * * ? *)`,
    ]).flat(),
  ].join('\n'),
  'fan-out test config',
);
const dueAtOne = config.clusters.filter((_, i) => i % 3 === 0).map((c) => c.id);
const silent = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const context = {} as Context;
const tick = (time: string) => ({
  version: '0',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  time,
  detail: {},
});
const record = (messageId: string, body: string): SQSRecord =>
  ({ messageId, receiptHandle: `rh-${messageId}`, body, eventSource: 'aws:sqs', attributes: {} }) as SQSRecord;

let moto: MotoHandle;
let ddb: DynaliteHandle;
beforeAll(async () => {
  [moto, ddb] = await Promise.all([startMoto(), startDynalite()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([moto?.close(), ddb?.close()]);
});

async function drain(queueUrl: string): Promise<{ messageId: string; body: string }[]> {
  const messages: { messageId: string; body: string }[] = [];
  for (;;) {
    const { Messages = [] } = await moto.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return messages;
    for (const m of Messages) {
      messages.push({ messageId: String(m.MessageId), body: String(m.Body) });
      await moto.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
}

describe('the backup scheduler fans out through its queue', () => {
  it('enqueues exactly the due clusters at the tick, then dispatches one cluster per delivery', async () => {
    const { QueueUrl } = await moto.sqs.send(new CreateQueueCommand({ QueueName: 'backup-scheduler-runs' }));
    const queueUrl = String(QueueUrl);
    const tableName = 'walcat-fan-out';
    await new DynamoDbCatalogStore({
      client: ddb.client,
      tableName,
      interpret: () => ({ problem: 'x' }),
    }).ensureTable();
    const sent: SendCommandRequest[] = [];
    const transport: CommandTransport = {
      send: async (request) => {
        if ((request.targets as { tagValue: string }).tagValue === id(6)) throw new Error('SSM throttled');
        sent.push(request);
        return { commandId: `cmd-${sent.length}` };
      },
      getInvocation: async () => undefined,
      listInvocations: async () => [],
    };
    let jobs = 0;
    const handler = createBackupSchedulerHandler(
      { transport, jobs: new DynamoDbJobStore({ client: ddb.client, tableName }), newJobId: () => `job-${++jobs}` },
      config,
      silent,
      new SqsClusterRunQueue({ sqs: moto.sqs, queueUrl }),
    );

    expect(await handler(tick('2026-11-20T01:00:00Z'), context)).toEqual({ enqueued: dueAtOne.length });
    expect(sent).toEqual([]); // the dispatcher runs no cluster itself
    const runs = await drain(queueUrl);
    expect(runs.map((m) => (JSON.parse(m.body) as ClusterRun).cluster).sort()).toEqual([...dueAtOne].sort());
    for (const m of runs) expect(JSON.parse(m.body)).toMatchObject({ time: '2026-11-20T01:00:00.000Z' });

    // As the event source mapping delivers them: one record per invocation.
    const failures: string[] = [];
    for (const m of runs) {
      const response = (await handler({ Records: [record(m.messageId, m.body)] } as never, context)) as {
        batchItemFailures: { itemIdentifier: string }[];
      };
      failures.push(...response.batchItemFailures.map((f) => f.itemIdentifier));
    }
    const failed = runs.find((m) => (JSON.parse(m.body) as ClusterRun).cluster === id(6));
    expect(failures).toEqual([failed?.messageId]);
    expect(sent.map((r) => (r.targets as { tagValue: string }).tagValue).sort()).toEqual(
      dueAtOne.filter((c) => c !== id(6)).sort(),
    );
  }, 60_000);

  it('drops a record that can never run (not JSON, no time, a cluster no longer configured) without failing the batch', async () => {
    const handler = createBackupSchedulerHandler(
      {
        transport: {
          send: async () => ({ commandId: 'c' }),
          getInvocation: async () => undefined,
          listInvocations: async () => [],
        },
        jobs: new DynamoDbJobStore({ client: ddb.client, tableName: 'walcat-fan-out' }),
        newJobId: () => 'unused',
      },
      config,
      silent,
      { enqueue: async () => undefined },
    );
    const response = await handler(
      {
        Records: [
          record('a', 'not json'),
          record('b', JSON.stringify({ cluster: id(1) })),
          record('c', JSON.stringify({ cluster: 'retired-cluster', time: '2026-11-20T01:00:00Z' })),
        ],
      } as never,
      context,
    );
    expect(response).toMatchObject({ batchItemFailures: [], ran: 0, dropped: 3 });
  });
});

describe('wal-watch and retention fan out every cluster', () => {
  const recording = (): ClusterRunQueue & { runs: ClusterRun[] } => {
    const runs: ClusterRun[] = [];
    return { runs, enqueue: async (more) => void runs.push(...more) };
  };

  it('wal-watch: the minute tick enqueues one run per cluster and reads no catalog, only which clusters have open alerts', async () => {
    const queue = recording();
    const untouched = new Proxy(
      {},
      {
        get: () => {
          throw new Error('the dispatcher read a store');
        },
      },
    );
    const alertReads: string[] = [];
    // One Query of the open-alert index, whatever the fleet: how alerts of a removed cluster are found.
    const alerts = {
      clustersWithOpenAlerts: async () => {
        alertReads.push('clustersWithOpenAlerts');
        return [];
      },
    };
    const handler = createWalWatchHandler(
      { catalog: untouched, notifier: untouched, alerts } as unknown as WatchWalDependencies,
      config,
      silent,
      queue,
    );
    expect(await handler(tick('2026-11-20T01:07:00Z') as never, context)).toEqual({ enqueued: FLEET });
    expect(alertReads).toEqual(['clustersWithOpenAlerts']);
    expect(queue.runs.map((r) => r.cluster)).toEqual(config.clusters.map((c) => c.id));
    expect(new Set(queue.runs.map((r) => r.time))).toEqual(new Set(['2026-11-20T01:07:00.000Z']));
  });

  it('retention: the daily tick enqueues one run per cluster, each of which gets its own invocation', async () => {
    const queue = recording();
    const untouched = new Proxy(
      {},
      {
        get: () => {
          throw new Error('the dispatcher read a store');
        },
      },
    );
    const handler = createRetentionHandler(untouched as ScheduledRetentionDependencies, config, silent, queue);
    expect(await handler(tick('2026-11-20T03:00:00Z') as never, context)).toEqual({ enqueued: FLEET });
    expect(queue.runs).toHaveLength(FLEET);
  });
});

describe('runClusterBatch', () => {
  it('reports exactly the records whose cluster failed, runs every valid record once in order, drops the invalid', async () => {
    const clusterIndex = fc.integer({ min: -1, max: FLEET - 1 }); // -1: a cluster not in the config
    await fc.assert(
      fc.asyncProperty(
        fc.array(clusterIndex, { maxLength: 15 }),
        fc.uniqueArray(fc.integer({ min: 0, max: FLEET - 1 }), { maxLength: 8 }),
        async (targets, failing) => {
          const failingIds = new Set(failing.map(id));
          const records = targets.map((t, i) =>
            record(`m${i}`, JSON.stringify({ cluster: t < 0 ? 'nobody' : id(t), time: '2026-11-20T01:00:00Z' })),
          );
          const ran: string[] = [];
          const response = await runClusterBatch({ Records: records }, config.clusters, silent, 'failed', async (c) => {
            ran.push(c.id);
            if (failingIds.has(c.id)) throw new Error(`cluster ${c.id} failed`);
          });
          const valid = targets.flatMap((t, i) => (t < 0 ? [] : [{ messageId: `m${i}`, cluster: id(t) }]));
          expect(ran).toEqual(valid.map((v) => v.cluster));
          expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(
            valid.filter((v) => failingIds.has(v.cluster)).map((v) => v.messageId),
          );
          expect(response.dropped).toBe(targets.length - valid.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});
