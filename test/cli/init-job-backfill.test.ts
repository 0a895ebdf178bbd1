/**
 * `walcat init` on a table an older walcat wrote jobs to: those jobs carry neither `activeOf` (the key of the sparse
 * index the watchdog reads active jobs from) nor `ttl`, so the watchdog never sees the active ones and the ended
 * ones, with their lookups, never expire. init gives each job what a current write would, and a second run changes
 * nothing. On dynalite, through the storage wiring the CLI uses.
 */
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initCommand } from '../../lib/cli/commands/init.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import type { ClusterId, WalcatConfig } from '../../lib/domain/cluster.ts';
import { applyCommandStatus, newJob } from '../../lib/domain/jobs/job.ts';
import { applyCommandUpdate, markStepDispatched } from '../../lib/domain/restore/restore-job.ts';
import { createStorageAdapters, type StorageAdapters } from '../../lib/wiring/storage-adapters.ts';
import { type CatalogTableFixture, startCatalogTable } from '../support/catalog-table.ts';
import { DYNALITE_CREDENTIALS } from '../support/dynalite.ts';
import { sampleRestoreJob } from '../support/sample-restore-job.ts';
import { runCliCommand } from './run-cli-command.ts';

const CLUSTER = 'orders-main' as ClusterId;
const T0 = new Date('2026-11-21T01:00:00Z');
const later = (ms: number) => new Date(T0.getTime() + ms);
const DAY_S = 86_400;
const epochS = (date: Date) => Math.ceil(date.getTime() / 1000);

let catalog: CatalogTableFixture;
let config: WalcatConfig;
let storage: StorageAdapters;

beforeAll(async () => {
  catalog = await startCatalogTable();
  config = parseWalcatConfig(
    [
      `catalogTable: ${catalog.tableName}`,
      'jobHistory: 30d',
      'clusters:',
      `  - id: ${CLUSTER}`,
      '    storage: s3://acme-pg-backups/orders-main',
    ].join('\n'),
    'init backfill config',
  );
  storage = createStorageAdapters({
    config,
    endpoints: { region: 'us-east-1', dynamodb: catalog.ddb.endpoint, credentials: DYNALITE_CREDENTIALS },
  });
});
afterAll(async () => {
  storage?.close();
  await catalog?.close();
});

const raw = async (pk: string, sk: string) =>
  (await catalog.client.send(new GetCommand({ TableName: catalog.tableName, Key: { pk, sk } }))).Item;

/** Every item of a partition as an older walcat left it: no active-job key, no expiry. */
async function writtenByAnOlderWalcat(pk: string): Promise<void> {
  const { Items } = await catalog.client.send(
    new QueryCommand({
      TableName: catalog.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
    }),
  );
  for (const item of Items ?? []) {
    await catalog.client.send(
      new UpdateCommand({
        TableName: catalog.tableName,
        Key: { pk: item.pk, sk: item.sk },
        UpdateExpression: 'REMOVE activeOf, #ttl',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
      }),
    );
  }
}

const init = () =>
  runCliCommand(
    initCommand({ catalog: () => storage.catalog(), jobs: () => storage.jobs() }),
    config.clusters[0] as WalcatConfig['clusters'][number],
    { json: true, now: later(86_400_000) },
  );

describe('walcat init backfills the jobs an older walcat stored', () => {
  it('indexes the active jobs, expires the ended ones and their lookups, and changes nothing the second time', async () => {
    const jobs = storage.jobs();
    const running = newJob({ id: 'h-running', cluster: CLUSTER, type: 'backup-push', commandId: 'cmd-run', now: T0 });
    await jobs.create(running);
    const finished = newJob({ id: 'h-done', cluster: CLUSTER, type: 'backup-push', commandId: 'cmd-done', now: T0 });
    await jobs.create(finished);
    const ended = later(3_600_000);
    await jobs.update(finished, (job) =>
      applyCommandStatus(job, { commandId: 'cmd-done', status: 'Success', at: ended }),
    );

    const created = sampleRestoreJob({ id: 'r-running', cluster: CLUSTER, type: 'restore', now: T0 });
    await jobs.create(created);
    const dispatched = markStepDispatched(created, 'preflight', 'cmd-r-run', later(1000));
    await jobs.save(dispatched, created.version);
    const drill = sampleRestoreJob({ id: 'd-failed', cluster: CLUSTER, type: 'drill', now: T0 });
    await jobs.create(drill);
    const drillSent = markStepDispatched(drill, 'preflight', 'cmd-d', later(1000));
    await jobs.save(drillSent, drill.version);
    const { job: drillFailed } = applyCommandUpdate(drillSent, {
      commandId: 'cmd-d',
      status: 'Failed',
      at: later(60_000),
    });
    await jobs.save(drillFailed, drillSent.version);

    for (const pk of [
      `CLUSTER#${CLUSTER}`,
      'COMMAND#cmd-run',
      'COMMAND#cmd-done',
      'COMMAND#cmd-r-run',
      'COMMAND#cmd-d',
    ]) {
      await writtenByAnOlderWalcat(pk);
    }
    // What the old items do today: the watchdog's reads find no active job.
    expect(await jobs.listActive(CLUSTER)).toEqual([]);
    expect((await jobs.listActive(CLUSTER)).filter((job) => job.restore !== undefined)).toEqual([]);

    const first = await init();
    expect(first.code).toBe(0);
    expect((await jobs.listActive(CLUSTER)).map((job) => job.id).sort()).toEqual(['h-running', 'r-running']);
    expect((await jobs.listActive(CLUSTER)).filter((job) => job.restore !== undefined).map((job) => job.id)).toEqual([
      'r-running',
    ]);
    expect(JSON.parse(first.text)).toMatchObject({
      ready: true,
      jobsBackfilled: { active: 2, expiring: 2, lookups: 6 },
    });
    const jobItem = (id: string) => raw(`CLUSTER#${CLUSTER}`, `JOB#${T0.toISOString()}#${id}`);
    // Ended jobs expire the configured 30 days after their end; lookups 30 + 7 days after the job's creation.
    expect((await jobItem('h-done'))?.ttl).toBe(epochS(ended) + 30 * DAY_S);
    expect((await jobItem('d-failed'))?.ttl).toBe(epochS(drillFailed.finishedAt ?? later(60_000)) + 30 * DAY_S);
    expect((await jobItem('h-running'))?.ttl).toBeUndefined();
    expect((await jobItem('r-running'))?.ttl).toBeUndefined();
    for (const [pk, sk] of [
      ['COMMAND#cmd-done', 'JOB'],
      ['COMMAND#cmd-d', 'JOB'],
      [`CLUSTER#${CLUSTER}`, 'JOBID#d-failed'],
    ] as const) {
      expect((await raw(pk, sk))?.ttl).toBe(epochS(T0) + 37 * DAY_S);
    }

    const before = await jobItem('h-done');
    const second = await init();
    expect(JSON.parse(second.text).jobsBackfilled).toEqual({ active: 0, expiring: 0, lookups: 0 });
    expect(await jobItem('h-done')).toEqual(before);
  });
});
