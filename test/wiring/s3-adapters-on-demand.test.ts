/**
 * The on-demand S3 adapters (catalog-ingest's, whose S3 client is imported by the first call) answer exactly as the
 * S3 adapters they load, against s3rver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_REGION } from '../../lib/local-stack/local-emulators.ts';
import { createS3Adapters } from '../../lib/wiring/s3-adapters.ts';
import { createS3AdaptersOnDemand } from '../../lib/wiring/s3-adapters-on-demand.ts';
import { S3RVER_CREDENTIALS, type S3rverHandle, startS3rver } from '../support/s3rver.ts';

const BUCKET = 'wal-bucket';
let s3: S3rverHandle;
beforeAll(async () => {
  s3 = await startS3rver({ buckets: [BUCKET] });
});
afterAll(async () => {
  await s3?.close();
});

describe('createS3AdaptersOnDemand', () => {
  it('reads, lists, heads and deletes as the S3 adapters do', async () => {
    const endpoints = { region: LOCAL_REGION, s3: s3.endpoint, credentials: S3RVER_CREDENTIALS };
    const onDemand = createS3AdaptersOnDemand(endpoints);
    const direct = createS3Adapters(endpoints);
    try {
      const store = onDemand.objectStore();
      await store.putObject(BUCKET, 'pg/wal_005/000000010000000000000001.br', 'segment');
      await store.putObject(BUCKET, 'pg/basebackups_005/base_000000010000000000000002_backup_stop_sentinel.json', '{}');
      const listed = [];
      for await (const summary of store.list(BUCKET, 'pg/')) listed.push(summary.key);
      const expected = [];
      for await (const summary of direct.objectStore().list(BUCKET, 'pg/')) expected.push(summary.key);
      expect(listed).toEqual(expected);
      expect(listed).toHaveLength(2);
      expect(await store.getObjectText(BUCKET, 'pg/wal_005/000000010000000000000001.br', 100)).toBe('segment');
      expect(await store.getObjectBytes(BUCKET, 'pg/missing', 100)).toBeUndefined();
      expect((await store.headObject(BUCKET, 'pg/wal_005/000000010000000000000001.br'))?.size).toBe(7);
      // s3rver implements no lifecycle configuration: both refuse it alike.
      const refusal = (read: Promise<unknown>) =>
        read.then(String, (error: Error) => `${error.name}: ${error.message}`);
      expect(await refusal(onDemand.inspector().lifecycleRules(BUCKET))).toBe(
        await refusal(direct.inspector().lifecycleRules(BUCKET)),
      );
      const deleted = await store.deleteObjects(BUCKET, ['pg/wal_005/000000010000000000000001.br']);
      expect(deleted.deleted).toEqual(['pg/wal_005/000000010000000000000001.br']);
      expect(await store.headObject(BUCKET, 'pg/wal_005/000000010000000000000001.br')).toBeUndefined();
    } finally {
      onDemand.close();
      direct.close();
    }
  });
});
