import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import { startLocalEnvironment } from '../../lib/local-stack/local-environment.ts';
import { dynaliteClients } from '../support/dynalite.ts';
import { freePort } from '../support/free-port.ts';
import { s3rverClient } from '../support/s3rver.ts';

const config = parseWalcatConfig(
  [
    'catalogTable: walcat-environment',
    'clusters:',
    '  - id: orders-main',
    '    storage: s3://env-bucket/orders-main',
    '    walSegmentSize: 1MiB',
    '    retention: { keepLast: 2, pitrWindow: 7d }',
    '    alerts: { uploadGrace: 1m }',
  ].join('\n'),
  'environment test',
);
const SEGMENT = 'orders-main/wal_005/000000010000000000000001.br';

function environmentFolders(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith('walcat-env-'));
}

/** Whether `pid` runs (a zombie no reaper collected has exited). */
function running(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  return readFileSync(stat, 'utf8').split(') ')[1]?.[0] !== 'Z';
}

async function putSegment(endpoint: string): Promise<void> {
  const client = s3rverClient(endpoint);
  try {
    await client.send(new PutObjectCommand({ Bucket: 'env-bucket', Key: SEGMENT, Body: 'wal' }));
  } finally {
    client.destroy();
  }
}

async function segmentBody(endpoint: string): Promise<string | undefined> {
  const client = s3rverClient(endpoint);
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: 'env-bucket', Key: SEGMENT }));
    return await object.Body?.transformToString();
  } finally {
    client.destroy();
  }
}

describe('the local environment (s3rver and dynalite for the local stack and the tests)', () => {
  const persistentDir = mkdtempSync(join(tmpdir(), 'walcat-env-persistent-'));
  afterAll(() => rmSync(persistentDir, { recursive: true, force: true }));

  it('persistent: bucket and catalog survive a restart on the same folder', async () => {
    const first = await startLocalEnvironment({ directory: persistentDir, buckets: ['env-bucket'] });
    const seen: unknown[] = [];
    first.onObjectEvent((event) => seen.push(event));
    await putSegment(first.s3Endpoint);
    await first.adapters(config).catalog().ensureTable();
    expect(seen).toHaveLength(1);
    await first.close();
    expect(existsSync(join(persistentDir, 's3'))).toBe(true);
    expect(existsSync(join(persistentDir, 'dynamodb'))).toBe(true);

    const second = await startLocalEnvironment({ directory: persistentDir, buckets: ['env-bucket'] });
    try {
      expect(await segmentBody(second.s3Endpoint)).toBe('wal');
      const { raw, client } = dynaliteClients(second.dynamodbEndpoint);
      try {
        expect((await raw.send(new ListTablesCommand({}))).TableNames).toEqual(['walcat-environment']);
      } finally {
        raw.destroy();
        client.destroy();
      }
    } finally {
      await second.close();
    }
  });

  it('temporary: free ports, the archiver environment for the bucket, and nothing left behind on close', async () => {
    const before = environmentFolders();
    const env = await startLocalEnvironment({ buckets: ['env-bucket'] });
    const created = environmentFolders().filter((name) => !before.includes(name));
    expect(created).toHaveLength(1);
    expect(env.s3Endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.dynamodbEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.s3Endpoint).not.toBe(env.dynamodbEndpoint);
    expect(env.archiverEnv('s3://env-bucket/orders-main')).toMatchObject({
      WALG_S3_PREFIX: 's3://env-bucket/orders-main',
      AWS_ENDPOINT_URL_S3: env.s3Endpoint,
      AWS_ACCESS_KEY_ID: 'S3RVER',
    });
    await putSegment(env.s3Endpoint);
    expect(await segmentBody(env.s3Endpoint)).toBe('wal');
    await env.close();
    expect(existsSync(join(tmpdir(), created[0] as string))).toBe(false);
  });

  it('temporary, with PostgreSQL: the primary archives into the bucket, and close stops it and removes its folder', async () => {
    const env = await startLocalEnvironment({ buckets: ['env-bucket'] });
    const keys: string[] = [];
    env.onObjectEvent((event) => {
      for (const record of (event as S3Event).Records) keys.push(record.s3.object.key);
    });
    const postgres = await env.startPostgres({ port: await freePort(), storage: 's3://env-bucket/orders-main' });
    const pid = postgres.pid;
    expect(pid).toBeGreaterThan(0);
    expect(postgres.paths.dataDir.startsWith(env.directory)).toBe(true);
    const client = new pg.Client({
      host: postgres.paths.socketDir,
      port: postgres.port,
      user: 'postgres',
      database: 'postgres',
    });
    await client.connect();
    let segment: string;
    try {
      await client.query('create table t (id int)');
      const switched = await client.query<{ file: string }>('select pg_walfile_name(pg_switch_wal()) as file');
      segment = switched.rows[0]?.file ?? '';
    } finally {
      await client.end();
    }
    const deadline = Date.now() + 30_000;
    while (!keys.some((key) => key.startsWith(`orders-main/wal_005/${segment}`)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(keys.filter((key) => key.startsWith(`orders-main/wal_005/${segment}`))).toHaveLength(1);
    await env.close();
    expect(existsSync(env.directory)).toBe(false);
    expect(running(pid as number)).toBe(false);
  }, 60_000);
});
