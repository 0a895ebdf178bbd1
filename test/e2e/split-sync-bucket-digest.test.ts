/**
 * A split sync reads the bucket's configuration as a one-invocation sync does: the part that completes the set
 * stores the bucket digest (lifecycle rules, versioning, Object Lock) with the sync mark, read at the planned time.
 * moto's server mode has the bucket configuration APIs (s3rver has none); the sync run and part handlers are the
 * real ones, wired by the one adapter set, with the part queue in the test.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  CreateBucketCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import type { Context, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import type { ClusterId } from '../../lib/domain/cluster.ts';
import { historyTextOrUndefined } from '../../lib/domain/wal/history-file-content.ts';
import { createCatalogSyncHandler } from '../../lib/handlers/catalog-sync-handler.ts';
import { createCatalogSyncPartHandler } from '../../lib/handlers/catalog-sync-part-handler.ts';
import type { SyncPartQueue, SyncPartRequest } from '../../lib/ports/sync-part-queue.ts';
import { latestArchiverSignal } from '../../lib/use-cases/archiver-signal.ts';
import { createAdapterSet } from '../../lib/wiring/adapter-set.ts';
import { createS3Adapters } from '../../lib/wiring/s3-adapters.ts';
import { MOTO_CREDENTIALS, MOTO_REGION, type MotoHandle, startMoto } from '../support/moto.ts';

const BUCKET = 'acme-pg-backups';
const CLUSTER = 'orders-main' as ClusterId;
const config = parseWalcatConfig(
  [
    'catalogTable: walcat-split-digest-test',
    'clusters:',
    '  - id: orders-main',
    `    storage: s3://${BUCKET}/orders-main`,
    '    retention: { keepLast: 2, keepMonthly: 12, pitrWindow: 7d }',
  ].join('\n'),
  'split sync digest test config',
);
const segment = (n: number) =>
  `orders-main/wal_005/00000001000000000000${n.toString(16).toUpperCase().padStart(4, '0')}.br`;
const rule = (id: string, days: number) => ({
  ID: id,
  Status: 'Enabled' as const,
  Filter: { Prefix: 'orders-main/wal_005/' },
  Expiration: { Days: days },
});
const silent = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const metrics = () => new Metrics({ namespace: 'walcat-test', serviceName: 'test' });
const sqsBatch = (body: string, messageId: string) => ({
  Records: [{ messageId, body, eventSource: 'aws:sqs' } as SQSRecord],
});

let moto: MotoHandle;
beforeAll(async () => {
  moto = await startMoto();
  await moto.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  for (let n = 1; n <= 40; n++) {
    await moto.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: segment(n), Body: `segment ${n}` }));
  }
  await moto.s3.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: BUCKET,
      LifecycleConfiguration: { Rules: [rule('wal-35d', 35)] },
    }),
  );
}, 120_000);
afterAll(() => moto?.close());

describe('the part that completes a split sync stores the bucket digest (moto)', () => {
  it('stores the lifecycle rules and versioning the bucket has at the split sync, not those of the sync before', async () => {
    const sent: string[] = [];
    const parts: SyncPartQueue = {
      enqueue: async (requests: readonly SyncPartRequest[]) =>
        void sent.push(...requests.map((request) => JSON.stringify(request))),
    };
    const adapters = createAdapterSet({
      config,
      endpoints: { region: MOTO_REGION, s3: moto.endpoint, dynamodb: moto.endpoint, credentials: MOTO_CREDENTIALS },
      notifier: { send: async () => undefined },
      metrics: { record: () => undefined },
      archiverSignal: latestArchiverSignal,
      decompress: historyTextOrUndefined,
      s3: createS3Adapters,
      syncParts: parts,
    });
    await adapters.catalog().ensureTable();
    const run = createCatalogSyncHandler(adapters.sync(), config, silent, metrics(), undefined, {
      segmentsPerPart: 15,
    });
    const runAt = (time: string, id: string) => sqsBatch(JSON.stringify({ cluster: CLUSTER, time }), id);

    // The first sync: the catalog knows no segments yet, so one invocation lists the bucket and stores the digest.
    expect(await run(runAt('2026-11-21T00:00:00.000Z', 'run-1') as never, {} as Context)).toMatchObject({ ran: 1 });
    expect(sent).toEqual([]);
    const first = (await adapters.catalog().getClusterState(CLUSTER)).bucket;
    expect(first?.lifecycleRules?.map((r) => r.id)).toEqual(['wal-35d']);

    // The bucket changes; the next sync is split, since the catalog now counts 40 segments at 15 a part.
    await moto.s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: BUCKET,
        LifecycleConfiguration: { Rules: [rule('wal-10d', 10)] },
      }),
    );
    await moto.s3.send(
      new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    const planned = new Date('2026-11-21T06:00:00.000Z');
    expect(await run(runAt(planned.toISOString(), 'run-2') as never, {} as Context)).toMatchObject({ ran: 1 });
    expect(sent.length).toBeGreaterThan(1);

    const part = createCatalogSyncPartHandler(adapters.syncPart(), config, silent, metrics());
    for (const [index, body] of sent.entries()) {
      const before = (await adapters.catalog().getClusterState(CLUSTER)).bucket;
      expect(await part(sqsBatch(body, `part-${index}`) as never, {} as Context)).toEqual({ batchItemFailures: [] });
      // Until the set is complete the digest is the previous sync's.
      if (index < sent.length - 1) expect((await adapters.catalog().getClusterState(CLUSTER)).bucket).toEqual(before);
    }
    const state = await adapters.catalog().getClusterState(CLUSTER);
    expect(state.lastFullSyncAt).toEqual(planned);
    expect(state.bucket?.readAt).toEqual(planned);
    expect(state.bucket?.lifecycleRules?.map((r) => r.id)).toEqual(['wal-10d']);
    expect(state.bucket?.versioning).toBe('enabled');
    adapters.close();
  }, 180_000);
});
