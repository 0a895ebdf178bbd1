/**
 * A scheduled drill whose newest backup and WAL sit in GLACIER and DEEP_ARCHIVE thaws them first, on moto's S3
 * (GetObject answers InvalidObjectState until RestoreObject): the drill starts once every object is readable, and
 * its job carries the thaw, which its restore time includes. With `thaw: never` the drill is refused, as before.
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type StorageClass } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryRestoreJobStore } from '../../../lib/adapters/local/in-memory-restore-job-store.ts';
import { S3ObjectThaw } from '../../../lib/adapters/s3/s3-object-thaw.ts';
import { parseWalcatConfig } from '../../../lib/config/config.ts';
import type { BackupRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import type { ClusterConfig } from '../../../lib/domain/cluster.ts';
import { drillSummary } from '../../../lib/domain/restore/drill-summary.ts';
import type { RestoreDeps } from '../../../lib/use-cases/restore-dependencies.ts';
import { runRestoreDrill } from '../../../lib/use-cases/run-restore-drill.ts';
import { type MotoHandle, startMoto } from '../../support/moto.ts';
import { FakeCatalog, FakeInstances, FakeTransport, minutes, RecordingNotifier } from './restore-fixtures.ts';

const BUCKET = 'acme-pg-backups';
const NEWEST = 'base_000000010000000000000008';
const PART = 'tar_partitions/part_001.tar.lz4';
const PART_KEY = `orders-main/basebackups_005/${NEWEST}/${PART}`;

/** The fixtures' cluster with the drill's thaw choice set (absent: the default). */
function clusterWith(thaw?: string): ClusterConfig {
  const config = parseWalcatConfig(
    [
      'catalogTable: walcat-test',
      'clusters:',
      '  - id: orders-main',
      `    storage: s3://${BUCKET}/orders-main`,
      '    alerts: { slackWebhookParameter: /walcat/slack/orders }',
      '    hosts:',
      '      target: { tagKey: walcat:cluster, tagValue: orders-main }',
      '      pgData: /var/lib/postgresql/15/main',
      '      service: systemd:postgresql@15-main',
      '    drill:',
      '      schedule: cron(0 3 ? * SUN *)',
      '      target: { tagKey: walcat:scratch, tagValue: orders-main }',
      '      pgData: /var/lib/postgresql/15/drill',
      ...(thaw === undefined ? [] : [`      thaw: ${thaw}`]),
    ].join('\n'),
    'drill thaw test config',
  );
  return config.clusters[0] as ClusterConfig;
}

/** The newest backup's tar partition in DEEP_ARCHIVE, WAL segments 8 and 9 in GLACIER. */
function frozenCatalog(): FakeCatalog {
  const catalog = new FakeCatalog();
  catalog.backups = catalog.backups.map(
    (record): BackupRecord =>
      record.name === NEWEST
        ? {
            ...record,
            payload: {
              [PART]: {
                kind: 'tar-partition',
                present: true,
                size: 64,
                observedAt: minutes(75),
                storageClass: 'DEEP_ARCHIVE',
              },
            },
          }
        : record,
  );
  catalog.segments = catalog.segments.map((segment) =>
    segment.segNo === 8 || segment.segNo === 9 ? { ...segment, storageClass: 'GLACIER' } : segment,
  );
  return catalog;
}

let moto: MotoHandle;
let catalog: FakeCatalog;
let frozenKeys: string[];

async function readable(key: string): Promise<boolean | string> {
  try {
    await (await moto.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body?.transformToString();
    return true;
  } catch (error) {
    return (error as { name?: string }).name ?? 'error';
  }
}

beforeAll(async () => {
  moto = await startMoto();
  await moto.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  catalog = frozenCatalog();
  const put = (key: string, storageClass: StorageClass) =>
    moto.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x'.repeat(64), StorageClass: storageClass }));
  await put(PART_KEY, 'DEEP_ARCHIVE');
  const segmentKeys = catalog.segments.filter((segment) => segment.storageClass === 'GLACIER').map((s) => s.key);
  for (const key of segmentKeys) await put(key, 'GLACIER');
  frozenKeys = [PART_KEY, ...segmentKeys];
}, 60_000);
afterAll(() => moto?.close());

function setup(cluster: ClusterConfig) {
  const transport = new FakeTransport();
  const jobs = new InMemoryRestoreJobStore();
  let now = minutes(200).getTime();
  const deps: RestoreDeps = {
    catalog: catalog.asStore(),
    jobs,
    transport,
    instances: new FakeInstances(),
    notifier: new RecordingNotifier(),
    clusters: [cluster],
    now: () => new Date(now),
    // Each poll of the pending objects is a minute of the drill's clock.
    sleep: async (ms) => {
      now += ms;
    },
    thaw: new S3ObjectThaw(moto.s3),
  };
  return { deps, transport, jobs };
}

describe('a restore drill that needs frozen objects', () => {
  it('with thaw: never it is refused, naming the objects, and asks S3 for nothing', async () => {
    const { deps, transport } = setup(clusterWith('never'));
    const outcome = await runRestoreDrill(
      { ...deps, random: () => 0.5, newJobId: () => 'd-never' },
      clusterWith('never'),
    );
    expect(outcome).toMatchObject({ kind: 'needs-thaw', reason: expect.stringContaining('need a thaw first') });
    expect(transport.sent).toEqual([]);
    expect(await readable(PART_KEY)).toBe('InvalidObjectState');
  });

  it('by default thaws them through Standard, waits until S3 serves them, then starts and records the thaw', async () => {
    const cluster = clusterWith();
    expect(cluster.drill?.thaw).toBe('Standard');
    for (const key of frozenKeys) expect(await readable(key)).toBe('InvalidObjectState');
    const { deps, transport } = setup(cluster);
    const outcome = await runRestoreDrill({ ...deps, random: () => 0.5, newJobId: () => 'd-thaw' }, cluster);
    expect(outcome.kind).toBe('started');
    if (outcome.kind !== 'started') return;
    for (const key of frozenKeys) expect(await readable(key)).toBe(true);
    expect(outcome.job.kind).toBe('drill');
    expect(outcome.job.thaw).toMatchObject({ objects: 3, requested: 3 });
    expect(outcome.job.thaw?.seconds).toBeGreaterThanOrEqual(0);
    expect(outcome.job.createdAt.getTime()).toBe(minutes(200).getTime() + (outcome.job.thaw?.seconds ?? 0) * 1000);
    expect(transport.sent).toHaveLength(1);
    expect(drillSummary(outcome.job, deps.now()).thawSeconds).toBe(outcome.job.thaw?.seconds);
  });
});
