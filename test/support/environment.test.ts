import { existsSync } from 'node:fs';
import { CreateBucketCommand, ListBucketsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { startTestEnvironment } from './environment.ts';

describe('the test environment', () => {
  it('one call gives emulators, moto, a config the CLI reads and the adapters agree with, and one close', async () => {
    const env = await startTestEnvironment({ name: 'environment-test', moto: true });
    try {
      expect(() => env.primary).toThrow(/without PostgreSQL: pass \{ postgres: true \}/);
      const init = await env.walcat(['init']);
      expect(init.code, init.stderr).toBe(0);
      await env.s3.client.send(
        new PutObjectCommand({
          Bucket: env.bucket,
          Key: 'orders-main/wal_005/000000010000000000000001.br',
          Body: 'segment',
        }),
      );
      await env.ingestNew();
      // What the adapters wrote, the CLI reads back through its own wiring, from the config file.
      const wal = await env.walcat(['wal', '--json']);
      expect(wal.code, wal.stderr).toBe(0);
      expect(JSON.parse(wal.stdout)).toMatchObject([
        {
          cluster: 'orders-main',
          timeline: 1,
          firstSegment: '000000010000000000000001',
          lastSegment: '000000010000000000000001',
          segments: 1,
        },
      ]);
      expect((await env.catalog.listTimelines(env.cluster.id)).length).toBe(1);

      await env.moto.s3.send(new CreateBucketCommand({ Bucket: 'moto-bucket' }));
      const buckets = await env.moto.s3.send(new ListBucketsCommand({}));
      expect(buckets.Buckets?.map((bucket) => bucket.Name)).toEqual(['moto-bucket']);
    } finally {
      await env.close();
    }
    expect(existsSync(env.root)).toBe(false);
    expect(existsSync(env.configPath)).toBe(false);
  }, 60_000);
});
