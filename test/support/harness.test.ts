import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { startDynalite } from './dynalite.ts';
import { startPostgres } from './postgres.ts';
import { type S3EventShape, startS3rver } from './s3rver.ts';

describe('test harness', () => {
  it('s3rver stores objects byte-exactly, paginates listings past 1000 keys and emits real notifications', async () => {
    const s3 = await startS3rver({ buckets: ['harness-bucket'] });
    try {
      const seenByListener: S3EventShape[] = [];
      const unsubscribe = s3.onEvent((event) => seenByListener.push(event));
      const keys = Array.from({ length: 1001 }, (_, i) => `wal_005/${String(i).padStart(24, '0')}.br`);
      for (let i = 0; i < keys.length; i += 100) {
        await Promise.all(
          keys
            .slice(i, i + 100)
            .map((Key) => s3.client.send(new PutObjectCommand({ Bucket: 'harness-bucket', Key, Body: Key }))),
        );
      }
      unsubscribe();
      const listed: string[] = [];
      let pages = 0;
      for await (const page of paginateListObjectsV2(
        { client: s3.client },
        { Bucket: 'harness-bucket', Prefix: 'wal_005/' },
      )) {
        pages += 1;
        listed.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
      }
      expect(pages).toBe(2);
      expect(listed.sort()).toEqual([...keys].sort());
      const body = await s3.client.send(new GetObjectCommand({ Bucket: 'harness-bucket', Key: keys[7] }));
      expect(await body.Body?.transformToString()).toBe(keys[7]);
      expect(s3.events()).toHaveLength(keys.length);
      expect(seenByListener).toHaveLength(keys.length);
      const record = s3.events()[0]?.Records[0];
      expect(record?.eventName).toBe('ObjectCreated:Put');
      expect(record?.s3.bucket.name).toBe('harness-bucket');
      expect(record?.s3.object.size).toBe(keys[0]?.length);
    } finally {
      await s3.close();
    }
  }, 120_000);

  it('dynalite round-trips an item through the product client factory', async () => {
    const ddb = await startDynalite();
    try {
      await ddb.raw.send(
        new CreateTableCommand({
          TableName: 'harness-table',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
        }),
      );
      await ddb.client.send(
        new PutCommand({ TableName: 'harness-table', Item: { pk: 'CLUSTER#a', sk: 'STATE', head: 42 } }),
      );
      const got = await ddb.client.send(
        new GetCommand({ TableName: 'harness-table', Key: { pk: 'CLUSTER#a', sk: 'STATE' } }),
      );
      expect(got.Item).toEqual({ pk: 'CLUSTER#a', sk: 'STATE', head: 42 });
    } finally {
      await ddb.close();
    }
  }, 120_000);

  it('PostgreSQL 15 starts with 1 MiB segments, answers queries over pg and psql, and stops', async () => {
    const pg = await startPostgres({ walSegmentSizeMiB: 1 });
    try {
      const rows = await pg.query<{ version: string; seg: string }>(
        "select current_setting('server_version_num') as version, current_setting('wal_segment_size') as seg",
      );
      expect(rows[0]?.version).toMatch(/^150\d{3}$/);
      expect(rows[0]?.seg).toBe('1MB');
      expect(await pg.psql('select 40 + 2')).toBe('42');
      await pg.stop();
      await expect(pg.query('select 1')).rejects.toThrow();
      await pg.start();
      expect(await pg.psql("select current_setting('wal_level')")).toBe('replica');
    } finally {
      await pg.close();
    }
  }, 120_000);
});
