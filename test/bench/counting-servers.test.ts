/**
 * The peer benchmark's emulators: s3rver must report a common prefix for a folder whose objects lie deeper (as S3
 * does), or `pgbackrest verify` finds no archive; both servers count every request they serve.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CountingServer,
  startCountingDynalite,
  startCountingS3rver,
} from '../../bench/support/counting-servers.ts';
import { createDynamoDbDocumentClient, createS3Client } from '../../lib/adapters/aws/aws-clients.ts';

const BUCKET = 'peer-bench';
let directory: string;
let s3: CountingServer;
let client: ReturnType<typeof createS3Client>;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'walcat-counting-s3-'));
  s3 = await startCountingS3rver({ directory, buckets: [BUCKET] });
  client = createS3Client({
    region: 'us-east-1',
    s3: s3.endpoint,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
});

afterAll(async () => {
  client?.destroy();
  await s3?.close();
  rmSync(directory, { recursive: true, force: true });
});

let run = 0;
const folderName = fc.stringMatching(/^[0-9A-F]{2,6}$/);

describe('counting s3rver', () => {
  it('reports, with delimiter /, every folder that has an object anywhere below it (pgBackRest archive layout)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(folderName, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 3 }),
        async (folders, depth) => {
          const root = `run${++run}/archive/`;
          for (const folder of folders) {
            const deeper = Array.from({ length: depth }, (_, i) => `d${i}`).join('/');
            await client.send(
              new PutObjectCommand({ Bucket: BUCKET, Key: `${root}${folder}/${deeper}/seg.gz`, Body: 'x' }),
            );
          }
          await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${root}archive.info`, Body: 'x' }));
          const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: root, Delimiter: '/' }));
          expect(listed.CommonPrefixes?.map((entry) => entry.Prefix)).toEqual(
            folders.map((f) => `${root}${f}/`).sort(),
          );
          expect(listed.Contents?.map((entry) => entry.Key)).toEqual([`${root}archive.info`]);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('counts each request it serves, by method', async () => {
    const before = { ...s3.requests.byKind };
    const total = s3.requests.total;
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'counted', Body: 'x' }));
    await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'counted' }));
    expect(s3.requests.total - total).toBe(2);
    expect((s3.requests.byKind.PUT ?? 0) - (before.PUT ?? 0)).toBe(1);
    expect((s3.requests.byKind.GET ?? 0) - (before.GET ?? 0)).toBe(1);
  });
});

describe('counting dynalite', () => {
  it('counts each request by DynamoDB operation', async () => {
    const ddb = await startCountingDynalite();
    const documents = createDynamoDbDocumentClient({
      region: 'us-east-1',
      dynamodb: ddb.endpoint,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    try {
      await documents.send(new ListTablesCommand({}));
      await documents.send(new ListTablesCommand({}));
      expect(ddb.requests).toEqual({ total: 2, byKind: { ListTables: 2 } });
    } finally {
      documents.destroy();
      await ddb.close();
    }
  });
});
