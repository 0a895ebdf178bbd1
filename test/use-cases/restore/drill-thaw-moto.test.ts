/**
 * A scheduled drill whose newest backup and WAL sit in GLACIER and DEEP_ARCHIVE thaws them first, on moto's S3
 * (GetObject answers InvalidObjectState until RestoreObject): the drill starts once every object is readable, and
 * its job carries the thaw, which its restore time includes. With `thaw: never` the drill is refused, as before.
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type StorageClass } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectThaw } from '../../../lib/adapters/s3/s3-object-thaw.ts';
import { parseWalcatConfig } from '../../../lib/config/config.ts';
import type { ClusterConfig } from '../../../lib/domain/cluster.ts';
import { drillSummary } from '../../../lib/domain/restore/drill-summary.ts';
import { runRestoreDrill } from '../../../lib/use-cases/run-restore-drill.ts';
import { type MotoHandle, startMoto } from '../../support/moto.ts';
import {
  type FakeCatalog,
  FROZEN_BACKUP,
  FROZEN_PART,
  frozenCatalog,
  minutes,
  thawingRestoreSetup,
} from './restore-fixtures.ts';

const BUCKET = 'acme-pg-backups';
const PART_KEY = `orders-main/basebackups_005/${FROZEN_BACKUP}/${FROZEN_PART}`;

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
  // The catalog's sizes are the bytes put below.
  catalog = frozenCatalog({ partSize: 64 });
  const put = (key: string, storageClass: StorageClass) =>
    moto.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x'.repeat(64), StorageClass: storageClass }));
  await put(PART_KEY, 'DEEP_ARCHIVE');
  const segmentKeys = catalog.segments.filter((segment) => segment.storageClass === 'GLACIER').map((s) => s.key);
  for (const key of segmentKeys) await put(key, 'GLACIER');
  frozenKeys = [PART_KEY, ...segmentKeys];
}, 60_000);
afterAll(() => moto?.close());

const setup = (cluster: ClusterConfig) =>
  thawingRestoreSetup(catalog, { clusters: [cluster], thaw: new S3ObjectThaw(moto.s3) });

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
    expect(outcome.job.type).toBe('drill');
    expect(outcome.job.restore?.thaw).toMatchObject({ objects: 3, requested: 3 });
    expect(outcome.job.restore?.thaw?.seconds).toBeGreaterThanOrEqual(0);
    expect(outcome.job.createdAt.getTime()).toBe(
      minutes(200).getTime() + (outcome.job.restore?.thaw?.seconds ?? 0) * 1000,
    );
    expect(transport.sent).toHaveLength(1);
    expect(drillSummary(outcome.job, deps.now()).thawSeconds).toBe(outcome.job.restore?.thaw?.seconds);
  });
});
