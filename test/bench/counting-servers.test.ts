/**
 * The peer benchmark's emulators: s3rver must report a common prefix for a folder whose objects lie deeper (as S3
 * does), or `pgbackrest verify` finds no archive; both servers count every request they serve; dynalite's bulk put
 * (the benchmarks' set-up path) leaves the same table as BatchWriteItem over HTTP.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { BatchWriteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CountingServer,
  startCountingDynalite,
  startCountingS3rver,
} from '../../bench/support/counting-servers.ts';
import { createDynamoDbDocumentClient, createS3Client } from '../../lib/adapters/aws/aws-clients.ts';
import { CHANGED_AT, CHANGES_INDEX, CHANGES_OF } from '../../lib/adapters/dynamodb/catalog-keys.ts';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';

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

describe('dynalite bulk put', () => {
  it('leaves the table, its change index included, as BatchWriteItem requests over HTTP do', async () => {
    const ddb = await startCountingDynalite();
    const documents = createDynamoDbDocumentClient({
      region: 'us-east-1',
      dynamodb: ddb.endpoint,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const interpret = () => ({ problem: 'no backups here' });
    const items = Array.from({ length: 60 }, (_, n) => ({
      pk: 'WAL#c#00000001',
      sk: `SEG#${String(n).padStart(16, '0')}#x.br`,
      itemType: 'wal',
      cluster: 'c',
      segNo: n,
      deleted: n % 7 === 0,
      deletedAt: undefined,
      listing: { at: '2026-12-01T00:00:00.000Z', lastModified: undefined },
      [CHANGES_OF]: 'c',
      [CHANGED_AT]: new Date(Date.UTC(2026, 11, 1, 0, n)).toISOString(),
    }));
    const read = async (TableName: string) => {
      const table = await documents.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': 'WAL#c#00000001' },
        }),
      );
      const index = await documents.send(
        new QueryCommand({
          TableName,
          IndexName: CHANGES_INDEX,
          KeyConditionExpression: '#of = :c',
          ExpressionAttributeNames: { '#of': CHANGES_OF },
          ExpressionAttributeValues: { ':c': 'c' },
        }),
      );
      return { table: table.Items, index: index.Items?.map((item) => item.sk) };
    };
    try {
      for (const tableName of ['over-http', 'in-bulk'])
        await new DynamoDbCatalogStore({ client: documents, tableName, interpret }).ensureTable();
      for (let start = 0; start < items.length; start += 25) {
        const chunk = items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } }));
        await documents.send(new BatchWriteCommand({ RequestItems: { 'over-http': chunk } }));
      }
      const before = ddb.requests.total;
      await ddb.bulkPut('in-bulk', items);
      expect(ddb.requests.total).toBe(before);
      const overHttp = await read('over-http');
      expect(overHttp.table).toHaveLength(60);
      expect(overHttp.index).toHaveLength(60);
      expect(await read('in-bulk')).toEqual(overHttp);
    } finally {
      documents.destroy();
      await ddb.close();
    }
  });
});
