/**
 * Done-means of the catalog: a real PostgreSQL 15 archives through the local archiver into s3rver, the emulator's
 * REAL notifications go to the ingest handler against dynalite, and the CLI's `backups` and `wal` report exactly
 * what the bucket holds; the same after `walcat sync` into an empty catalog.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { DynamoDbJobStore } from '../../lib/adapters/dynamodb/dynamodb-job-store.ts';
import type { S3ObjectStore } from '../../lib/adapters/s3/s3-object-store.ts';
import type { CliCommand, CliContext } from '../../lib/cli/cli-command.ts';
import { backupsCommand } from '../../lib/cli/commands/backups.ts';
import { initCommand } from '../../lib/cli/commands/init.ts';
import { syncCommand } from '../../lib/cli/commands/sync.ts';
import { walCommand } from '../../lib/cli/commands/wal.ts';
import { createBackupInterpreter } from '../../lib/domain/catalog/backup-interpreter.ts';
import type { WalcatConfig } from '../../lib/domain/cluster.ts';
import { historyTextOrUndefined } from '../../lib/domain/wal/history-file-content.ts';
import { createCatalogIngestHandler } from '../../lib/handlers/catalog-ingest-handler.ts';
import { startTestEnvironment, type TestEnvironment } from '../support/environment.ts';
import type { PgHandle } from '../support/postgres.ts';
import type { S3EventShape } from '../support/s3rver.ts';

const BUCKET = 'walcat-e2e';
const ROOT = 'orders-main/';
let env: TestEnvironment;
let pg: PgHandle;
let config: WalcatConfig;
let objects: S3ObjectStore;
const backupNames: string[] = [];

async function switchAndWait(): Promise<void> {
  const [{ wal } = { wal: '' }] = await pg.query<{ wal: string }>(
    'select pg_walfile_name(pg_current_wal_lsn()) as wal',
  );
  await pg.query('select pg_switch_wal()');
  await env.waitArchived(pg, wal);
}

async function backupPush(): Promise<void> {
  backupNames.push(await env.backupPush(pg));
}

function catalogStore(table: string): DynamoDbCatalogStore {
  return new DynamoDbCatalogStore({
    client: env.ddb.client,
    tableName: table,
    interpret: createBackupInterpreter(config.clusters),
  });
}

/** `walcat init` on a fresh table: the job backfill it runs finds nothing to do. */
const initOf = (catalog: DynamoDbCatalogStore, table: string) =>
  initCommand({
    catalog: () => catalog,
    jobs: () => new DynamoDbJobStore({ client: env.ddb.client, tableName: table }),
  });

async function run(command: CliCommand, options: CliContext['options'] = {}): Promise<unknown> {
  const out: string[] = [];
  const code = await command.run({
    config,
    clusters: config.clusters,
    json: true,
    options,
    positionals: [],
    now: new Date(),
    stdout: (text) => out.push(text),
    stderr: () => {},
  });
  expect(code).toBe(0);
  return JSON.parse(out.join(''));
}

/** What the bucket holds, computed from a plain listing and the sentinels, independently of the catalog code. */
async function bucketTruth() {
  const listed = [];
  for await (const object of objects.list(BUCKET, ROOT)) listed.push(object);
  const segments = listed.filter((o) => /^orders-main\/wal_005\/[0-9A-F]{24}\.br$/.test(o.key));
  const names = segments.map((o) => o.key.slice(ROOT.length + 8, ROOT.length + 32)).sort();
  const wal = [
    {
      cluster: 'orders-main',
      timeline: 1,
      firstSegment: names[0],
      lastSegment: names.at(-1),
      segments: names.length,
      bytes: segments.reduce((sum, o) => sum + o.size, 0),
    },
  ];
  const sentinels = listed.filter((o) => o.key.endsWith('_backup_stop_sentinel.json'));
  const backups = [];
  for (const sentinel of sentinels) {
    const text = (await objects.getObjectText(BUCKET, sentinel.key, 1 << 20)) as string;
    const systemIdentifier = /"SystemIdentifier":(\d+)/.exec(text)?.[1];
    const doc = JSON.parse(text) as Record<string, number | string | boolean>;
    const lsn = (value: number) =>
      `${Math.floor(value / 2 ** 32)
        .toString(16)
        .toUpperCase()}/${(value % 2 ** 32).toString(16).toUpperCase()}`;
    const name = sentinel.key.slice(`${ROOT}basebackups_005/`.length, -'_backup_stop_sentinel.json'.length);
    backups.push({
      cluster: 'orders-main',
      name,
      kind: 'full',
      deltaFrom: null,
      timeline: 1,
      startLsn: lsn(doc.LSN as number),
      finishLsn: lsn(doc.FinishLSN as number),
      startSegment: name.slice('base_'.length),
      startTime: new Date(doc.StartTime as string).toISOString(),
      finishTime: new Date(doc.FinishTime as string).toISOString(),
      pgVersion: doc.PgVersion,
      systemIdentifier,
      uncompressedSize: doc.UncompressedSize,
      compressedSize: doc.CompressedSize,
      permanent: false,
      status: 'complete',
      problem: null,
    });
  }
  backups.sort((a, b) => a.startTime.localeCompare(b.startTime));
  return { wal, backups };
}

beforeAll(async () => {
  env = await startTestEnvironment({
    name: 'e2e-events',
    bucket: BUCKET,
    prefix: ROOT,
    postgres: true,
    // `walcat init` below creates the tables.
    createTable: false,
    clusterYaml: () => [
      '    layout: wal-g',
      '    walSegmentSize: 1MiB',
      '    retention: { keepLast: 2, pitrWindow: 7d }',
      '    alerts: {}',
    ],
  });
  ({ config, objects, primary: pg } = env);
  await pg.query('create table t (id serial primary key, note text)');
  await pg.query("insert into t (note) select 'row ' || g from generate_series(1, 2000) g");
  await switchAndWait();
  await backupPush();
  await pg.query("insert into t (note) select 'more ' || g from generate_series(1, 2000) g");
  await switchAndWait();
  await switchAndWait();
  await backupPush();
  await switchAndWait();
}, 120_000);

afterAll(async () => {
  await env?.close();
});

describe('catalog from a real PostgreSQL 15 archive', () => {
  it('reports the backups and WAL exactly as the bucket holds them, from the real events and after a sync', async () => {
    const truth = await bucketTruth();
    expect(truth.backups.map((b) => b.name)).toEqual(backupNames);
    // How many segments a run archives varies with timing (a switch on an idle segment is a no-op); what matters is
    // that there is WAL on both sides of the two backups and that the catalog equals the bucket below.
    expect(truth.wal[0]?.segments).toBeGreaterThanOrEqual(3);

    const eventCatalog = catalogStore('walcat-e2e-events');
    await run(initOf(eventCatalog, 'walcat-e2e-events'));
    const events: readonly S3EventShape[] = env.s3.events();
    const handler = createCatalogIngestHandler(
      { catalog: eventCatalog, objects, decompress: historyTextOrUndefined, clusters: config.clusters },
      new Logger({ serviceName: 'e2e', logLevel: 'SILENT' }),
      new Metrics({ namespace: 'walcat-e2e', serviceName: 'e2e' }),
    );
    // Delivered as SQS batches of 10, the way the queue hands them to the function.
    for (let start = 0; start < events.length; start += 10) {
      const batch = {
        Records: events.slice(start, start + 10).map((event, index) => ({
          messageId: `m-${start + index}`,
          eventSource: 'aws:sqs',
          body: JSON.stringify(event),
        })),
      };
      expect(await handler(batch, {} as Context)).toEqual({ batchItemFailures: [] });
    }
    expect(await run(backupsCommand({ catalog: () => eventCatalog }))).toEqual(truth.backups);
    expect(await run(walCommand({ catalog: () => eventCatalog }))).toEqual(truth.wal);

    const synced = catalogStore('walcat-e2e-synced');
    await run(initOf(synced, 'walcat-e2e-synced'));
    const outcome = (await run(
      syncCommand({ catalog: () => synced, objectStore: () => objects, decompress: historyTextOrUndefined }),
    )) as { listed: number; removed: number }[];
    expect(outcome[0]?.removed).toBe(0);
    expect(await run(backupsCommand({ catalog: () => synced }))).toEqual(truth.backups);
    expect(await run(walCommand({ catalog: () => synced }))).toEqual(truth.wal);
  });
});
