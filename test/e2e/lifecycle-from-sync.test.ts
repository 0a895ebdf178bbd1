/**
 * The bucket's lifecycle rules are read by the catalog sync, once, and kept in the catalog: `walcat status` and
 * `walcat gaps` then make no S3 request at all (counted on the wire, in front of moto), and the deployed WAL
 * watchdog raises a conflicting rule as a FAILURE alert that opens once and resolves once when the rule is removed,
 * reading no S3 either. moto's server mode gives real lifecycle configuration semantics; the CLI and the handlers
 * are the real ones, wired by the one adapter set.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  CreateBucketCommand,
  DeleteBucketLifecycleCommand,
  PutBucketLifecycleConfigurationCommand,
} from '@aws-sdk/client-s3';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCliRuntime } from '../../lib/cli/cli-runtime.ts';
import { main } from '../../lib/cli/main.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import type { ClusterId } from '../../lib/domain/cluster.ts';
import type { SlackMessage } from '../../lib/domain/continuity/slack-message.ts';
import { historyTextOrUndefined } from '../../lib/domain/wal/history-file-content.ts';
import { createCatalogSyncHandler } from '../../lib/handlers/catalog-sync-handler.ts';
import { createWalWatchHandler } from '../../lib/handlers/wal-watch-handler.ts';
import { latestArchiverSignal } from '../../lib/use-cases/archiver-signal.ts';
import { createAdapterSet } from '../../lib/wiring/adapter-set.ts';
import { createS3Adapters } from '../../lib/wiring/s3-adapters.ts';
import { capturedIo } from '../cli/captured-io.ts';
import { type CountingProxy, startCountingProxy } from '../support/counting-proxy.ts';
import { MOTO_CREDENTIALS, MOTO_REGION, type MotoHandle, startMoto } from '../support/moto.ts';

const BUCKET = 'acme-pg-backups';
const CLUSTER = 'orders-main' as ClusterId;
const CONFIG_YAML = [
  'catalogTable: walcat-lifecycle-test',
  'clusters:',
  '  - id: orders-main',
  `    storage: s3://${BUCKET}/orders-main`,
  '    retention: { keepLast: 2, keepMonthly: 12, pitrWindow: 7d }',
  '    alerts: { slackWebhookParameter: /walcat/slack/orders }',
].join('\n');
const T0 = new Date('2026-11-21T03:00:00Z');
const minute = (n: number): Date => new Date(T0.getTime() + n * 60_000);
const tick = (at: Date): ScheduledEvent =>
  ({
    version: '0',
    id: `tick-${at.getTime()}`,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: at.toISOString(),
    region: MOTO_REGION,
    resources: [],
    detail: {},
  }) as ScheduledEvent;

/** The guides' "belt and suspenders": WAL expires after 35 days while retention keeps monthly backups for a year. */
const WAL_35D = {
  ID: 'wal-35d',
  Status: 'Enabled' as const,
  Filter: { Prefix: 'orders-main/wal_005/' },
  Expiration: { Days: 35 },
};

let moto: MotoHandle;
let s3: CountingProxy;
let directory: string;
let configPath: string;

beforeAll(async () => {
  moto = await startMoto();
  s3 = await startCountingProxy(moto.endpoint);
  directory = mkdtempSync(join(tmpdir(), 'walcat-lifecycle-'));
  configPath = join(directory, 'walcat.config.yml');
  writeFileSync(configPath, CONFIG_YAML);
  vi.stubEnv('AWS_ACCESS_KEY_ID', MOTO_CREDENTIALS.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', MOTO_CREDENTIALS.secretAccessKey);
  await moto.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await moto.s3.send(
    new PutBucketLifecycleConfigurationCommand({ Bucket: BUCKET, LifecycleConfiguration: { Rules: [WAL_35D] } }),
  );
}, 120_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await s3?.close();
  await moto?.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

/** The real CLI in this process: S3 through the counting proxy, DynamoDB straight to moto. */
async function walcat(...argv: string[]): Promise<{ code: number; out: string; err: string; s3Requests: string[] }> {
  const env = {
    WALCAT_CONFIG: configPath,
    AWS_REGION: MOTO_REGION,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: moto.endpoint,
  };
  const io = { ...capturedIo(env), now: () => minute(30) };
  const runtime = await createCliRuntime({ argv, env, stderr: io.stderr });
  const before = s3.requests.length;
  const code = await main(argv, io, runtime);
  return { code, out: io.out.join('\n'), err: io.err.join('\n'), s3Requests: s3.requests.slice(before) };
}

describe('lifecycle rules come from the catalog sync, not from S3 on every answer (moto)', () => {
  it('walcat sync reads the rules once; status and gaps then report the conflict with no S3 request', async () => {
    expect((await walcat('init')).code).toBe(0);
    const synced = await walcat('sync', '--json');
    expect(synced.code).toBe(0);
    expect(synced.s3Requests.filter((request) => request.includes('?lifecycle'))).toHaveLength(1);

    const status = await walcat('status', '--json');
    expect(status.s3Requests).toEqual([]);
    const [cluster] = JSON.parse(status.out);
    expect(cluster.gaps.status).toBe('FAILURE');
    expect(cluster.lifecycle.map((conflict: { rule: string; severity: string }) => conflict)).toContainEqual(
      expect.objectContaining({ rule: 'wal-35d', severity: 'FAILURE' }),
    );

    const gaps = await walcat('gaps', '--json');
    expect(gaps.s3Requests).toEqual([]);
    expect(gaps.code).toBe(1);
    expect(JSON.parse(gaps.out).findings).toContainEqual(
      expect.objectContaining({ kind: 'lifecycle-conflict', rule: 'wal-35d', conflict: 'kept-backups-lose-wal' }),
    );
    expect([status.err, gaps.err]).toEqual(['', '']);
  }, 120_000);
});

describe('deployed wal-watch alerts on a conflicting lifecycle rule once, and resolves it once (moto)', () => {
  it('opens when the sync reads the rule, stays quiet while it stays, resolves once after the rule is removed', async () => {
    const config = parseWalcatConfig(CONFIG_YAML, 'lifecycle test config');
    const sent: SlackMessage[] = [];
    const adapters = createAdapterSet({
      config,
      endpoints: { region: MOTO_REGION, s3: s3.endpoint, dynamodb: moto.endpoint, credentials: MOTO_CREDENTIALS },
      notifier: { send: async (_target, message) => void sent.push(message) },
      metrics: { record: () => undefined },
      archiverSignal: latestArchiverSignal,
      decompress: historyTextOrUndefined,
      s3: createS3Adapters,
    });
    await adapters.catalog().ensureTable();
    const silent = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
    const sync = createCatalogSyncHandler(
      adapters.sync(),
      config,
      silent,
      new Metrics({ namespace: 'walcat-test', serviceName: 'test' }),
    );
    const watch = createWalWatchHandler(adapters.watchWal(), config, silent);
    const about = (rule: string) => sent.filter((message) => JSON.stringify(message).includes(rule));

    expect(await sync(tick(minute(60)), {} as Context)).toEqual({ clusters: 1, failed: 0 });
    const beforeWatch = s3.requests.length;
    await watch(tick(minute(61)), {} as Context);
    await watch(tick(minute(62)), {} as Context);
    expect(s3.requests.slice(beforeWatch)).toEqual([]);
    expect(about('wal-35d')).toHaveLength(1);
    const alert = (await adapters.alerts().listAlerts(CLUSTER)).find((a) => a.kind === 'lifecycle-conflict');
    expect(alert).toMatchObject({ subject: 'wal-35d', severity: 'FAILURE', state: 'open' });

    await moto.s3.send(new DeleteBucketLifecycleCommand({ Bucket: BUCKET }));
    // Until the next sync reads the bucket again the alert stands: the watchdog does not read S3.
    await watch(tick(minute(63)), {} as Context);
    expect(about('wal-35d')).toHaveLength(1);
    await sync(tick(minute(64)), {} as Context);
    await watch(tick(minute(65)), {} as Context);
    await watch(tick(minute(66)), {} as Context);
    expect(about('wal-35d')).toHaveLength(2);
    expect(about('wal-35d')[1]?.text).toContain('resolved');
    expect((await adapters.alerts().listAlerts(CLUSTER)).find((a) => a.kind === 'lifecycle-conflict')?.state).toBe(
      'resolved',
    );
    adapters.close();
  }, 120_000);
});
