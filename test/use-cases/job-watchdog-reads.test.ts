/**
 * The job watchdog reads a cluster's active jobs, not its history: one run costs the same DynamoDB requests and
 * items whether the cluster has no finished jobs or a thousand. Counted on the store's client (every request sent,
 * every item DynamoDB read for it, filtered out or not), on dynalite, through the deployed wiring's tracker. Host
 * commands and restores are one job type, so one read of the active jobs serves both.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbJobStore } from '../../lib/adapters/dynamodb/dynamodb-job-store.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import type { ClusterId } from '../../lib/domain/cluster.ts';
import { newJob } from '../../lib/domain/jobs/job.ts';
import { markStepDispatched } from '../../lib/domain/restore/restore-job.ts';
import type { CommandTransport } from '../../lib/ports/command-transport.ts';
import { reconcileJobs } from '../../lib/use-cases/reconcile-stuck-jobs.ts';
import { createAdapterSet } from '../../lib/wiring/adapter-set.ts';
import { type CatalogTableFixture, startCatalogTable } from '../support/catalog-table.ts';
import { DYNALITE_CREDENTIALS, dynaliteClients } from '../support/dynalite.ts';
import { sampleRestoreJob } from '../support/sample-restore-job.ts';

const CLUSTER = 'orders-main' as ClusterId;
const T0 = new Date('2026-11-21T01:00:00Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);
const FINISHED_JOBS = 1_000;

let catalog: CatalogTableFixture;
beforeAll(async () => {
  catalog = await startCatalogTable();
});
afterAll(() => catalog?.close());

interface Reads {
  requests: number;
  /** Items DynamoDB read to answer: a Query's ScannedCount (before any filter), a batch's responses, a GetItem's item. */
  items: number;
}

function countReads(client: DynamoDBDocumentClient): Reads {
  const reads: Reads = { requests: 0, items: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const output = result.output as { ScannedCount?: number; Responses?: Record<string, unknown[]>; Item?: unknown };
      reads.requests++;
      reads.items += output.ScannedCount ?? 0;
      for (const items of Object.values(output.Responses ?? {})) reads.items += items.length;
      if (output.Item !== undefined) reads.items++;
      return result;
    },
    { step: 'initialize', name: 'countWatchdogReads' },
  );
  return reads;
}

/** SSM as the watchdog meets it here: the silent commands have no invocation yet; nothing new is sent. */
const quietTransport: CommandTransport = {
  send: () => Promise.reject(new Error('the watchdog sends no command in this test')),
  getInvocation: async () => undefined,
  listInvocations: async () => [],
};

describe('the job watchdog', () => {
  it('reads as many requests and items with 1,000 finished jobs as with none', async () => {
    const config = parseWalcatConfig(
      [
        `catalogTable: ${catalog.tableName}`,
        'clusters:',
        '  - id: orders-main',
        '    storage: s3://pg-backups/orders-main',
      ].join('\n'),
      'watchdog test config',
    );
    const adapters = createAdapterSet({
      config,
      endpoints: {
        region: 'us-east-1',
        dynamodb: catalog.ddb.endpoint,
        s3: catalog.ddb.endpoint,
        ssm: catalog.ddb.endpoint,
        credentials: DYNALITE_CREDENTIALS,
      },
      transport: quietTransport,
      instances: { instancesWithTag: async () => ['i-scratch'] },
      notifier: { send: async () => undefined },
    });
    const { client } = dynaliteClients(catalog.ddb.endpoint);
    const jobs = new DynamoDbJobStore({ client, tableName: catalog.tableName });
    const tracker = adapters.tracker();
    const deps = { ...tracker, jobs, restore: { ...adapters.restore(), jobs: jobs } };

    // The active work: a backup silent for 20 minutes and a drill whose first step has been quiet for 10.
    await jobs.create(
      newJob({ id: 'backup-active', cluster: CLUSTER, type: 'backup-push', commandId: 'cmd-b', now: T0 }),
    );
    const created = sampleRestoreJob({ id: 'drill-active', cluster: CLUSTER, type: 'drill', now: T0 });
    await jobs.create(created);
    await jobs.save(markStepDispatched(created, 'preflight', 'cmd-d', minutes(10)), created.version);

    const run = async () => {
      const reads = countReads(client);
      const report = await reconcileJobs(deps, { clusters: config.clusters, now: minutes(20) });
      client.middlewareStack.remove('countWatchdogReads');
      return { reads, polled: report.polled, restoresPolled: report.restores?.polled };
    };
    const withoutHistory = await run();
    expect(withoutHistory).toMatchObject({ polled: 1, restoresPolled: 1 });

    for (let first = 0; first < FINISHED_JOBS; first += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => {
          const n = first + i;
          const job = newJob({
            id: `done-${n}`,
            cluster: CLUSTER,
            type: 'backup-push',
            commandId: `cmd-done-${n}`,
            now: minutes(-n - 60),
          });
          return jobs.create({ ...job, state: 'success', finishedAt: minutes(-n - 59), outcome: 'backup pushed' });
        }),
      );
    }
    expect((await jobs.list(CLUSTER)).length).toBe(FINISHED_JOBS + 2);

    const withHistory = await run();
    expect(withHistory).toEqual(withoutHistory);
    // One read of the active jobs for both kinds: one index Query (the two active jobs) and one consistent
    // BatchGetItem of them; a restore watchdog of its own read the same two again.
    expect(withHistory.reads).toEqual({ requests: 2, items: 4 });
    client.destroy();
    adapters.close();
  }, 120_000);
});
