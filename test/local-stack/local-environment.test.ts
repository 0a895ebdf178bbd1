import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import { startLocalEnvironment } from '../../lib/local-stack/local-environment.ts';
import { dynaliteClients } from '../support/dynalite.ts';
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

function s3rverFolders(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith('walcat-s3rver-'));
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
    const before = s3rverFolders();
    const env = await startLocalEnvironment({ buckets: ['env-bucket'] });
    const created = s3rverFolders().filter((name) => !before.includes(name));
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
});
