/**
 * End to end: a real PostgreSQL 15 archives through the local archiver (wal-g-local) into s3rver, s3rver's events
 * feed the catalog in dynalite, and walcat decides gaps and restorable windows from the catalog. A segment deleted
 * from the bucket gives FAILURE and splits the window; a restored copy promoted to timeline 2 and archiving into
 * the same prefix moves the chain onto timeline 2; the old primary archiving again is divergence.
 */
import { DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import { gapsJson } from '../../lib/domain/continuity/gap-detection.ts';
import { windowJson } from '../../lib/domain/continuity/restorable-window.ts';
import { parseWalFileName, segNoOfByteBefore } from '../../lib/domain/wal/wal-segment.ts';
import { localArchiverCommand, WAL_G_LOCAL_BIN } from '../../lib/local-archiver/archiver-command.ts';
import type { CatalogStore } from '../../lib/ports/catalog-store.ts';
import { evaluateContinuity } from '../../lib/use-cases/evaluate-continuity.ts';
import { startTestEnvironment, type TestEnvironment } from '../support/environment.ts';
import { type PgHandle, runAsPostgres, startPostgres } from '../support/postgres.ts';

let env: TestEnvironment;
let BUCKET: string;
let primary: PgHandle;
let copy: PgHandle | undefined;
let cluster: ClusterConfig;
let catalog: CatalogStore;

/** Writes a row and switches segments `count` times, then waits until the last one is archived. */
async function archiveSegments(server: PgHandle, count: number): Promise<void> {
  let last = '';
  for (let index = 0; index < count; index++) {
    await server.query('insert into t (note) values ($1)', [`row ${index}`]);
    const [row] = await server.query<{ file: string }>('select pg_walfile_name(pg_switch_wal()) as file');
    last = row?.file ?? last;
  }
  await env.waitArchived(server, last, { timeoutMs: 60_000 });
}

/** Evaluates as the CLI does (full read, no stored cursor), past the upload grace. */
async function evaluate() {
  return evaluateContinuity(catalog, cluster, { now: new Date(Date.now() + 10 * 60_000), persistCursor: false });
}

async function segmentKeys(): Promise<string[]> {
  const listed = await env.s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'orders-main/wal_005/' }));
  return (listed.Contents ?? [])
    .map((object) => object.Key ?? '')
    .filter((key) => /\/[0-9A-F]{24}\.[a-z0-9]+$/.test(key))
    .sort();
}

beforeAll(async () => {
  env = await startTestEnvironment({ name: 'continuity-e2e', postgres: true });
  ({ primary, cluster, catalog, bucket: BUCKET } = env);
  await primary.query('create table t (id serial primary key, note text)');
  await env.backupPush();
  await archiveSegments(primary, 4);
  await env.ingestNew();
}, 180_000);

afterAll(async () => {
  await copy?.close();
  await env?.close();
}, 60_000);

describe('continuity on a real PostgreSQL 15', () => {
  let deletedSegment = '';

  it('sees an unbroken chain after a backup and archiving', async () => {
    const evaluation = await evaluate();
    expect(gapsJson(evaluation.gaps, cluster.walSegmentSize)).toMatchObject({ status: 'OK', gaps: [] });
    expect(windowJson(evaluation.windows).ranges).toHaveLength(1);
    expect(evaluation.gaps.head?.timeline).toBe(1);
  });

  it('reports FAILURE and splits the window when a segment is deleted from the bucket', async () => {
    const [first] = (await catalog.listBackups(cluster.id)).filter((record) => record.status === 'complete');
    const finishSegNo = segNoOfByteBefore(first?.backup?.finishLsn ?? (0n as never), cluster.walSegmentSize);
    const keys = await segmentKeys();
    const victim = keys.find((key) => {
      const name = key.split('/').at(-1)?.slice(0, 24) ?? '';
      return parseWalFileName(name, cluster.walSegmentSize).segNo === finishSegNo + 2;
    });
    expect(victim).toBeDefined();
    deletedSegment = victim?.split('/').at(-1)?.slice(0, 24) ?? '';
    await env.s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: victim }));
    // A second backup after the hole, then more WAL: the window is split by the hole.
    await env.backupPush(primary);
    await archiveSegments(primary, 3);
    await env.ingestNew();

    const evaluation = await evaluate();
    expect(gapsJson(evaluation.gaps, cluster.walSegmentSize)).toMatchObject({
      status: 'FAILURE',
      gaps: [{ timeline: 1, from: deletedSegment, to: deletedSegment, count: 1, status: 'lost' }],
    });
    const ranges = windowJson(evaluation.windows).ranges;
    expect(ranges).toHaveLength(2);
    const backups = (await catalog.listBackups(cluster.id)).filter((record) => record.status === 'complete');
    expect(ranges.map((range) => range.baseBackup)).toEqual(backups.map((record) => record.name));
    expect(Date.parse(ranges[0]?.to ?? '')).toBeLessThan(Date.parse(ranges[1]?.from ?? ''));
  }, 180_000);

  it('follows a restored copy promoted to timeline 2, and flags the old primary archiving again', async () => {
    copy = await startPostgres({
      root: env.root,
      walSegmentSizeMiB: 1,
      archiveCommand: localArchiverCommand('wal-push', env.archiverEnv),
      restoreFrom: {
        populate: async (dataDir) => {
          await runAsPostgres(process.execPath, [WAL_G_LOCAL_BIN, 'backup-fetch', dataDir, 'LATEST'], {
            env: env.archiverEnv,
          });
        },
        restoreCommand: localArchiverCommand('wal-fetch', env.archiverEnv),
      },
    });
    const [timeline] = await copy.query<{ tli: number }>('select timeline_id as tli from pg_control_checkpoint()');
    expect(timeline?.tli).toBe(2);
    await archiveSegments(copy, 2);
    await env.ingestNew();

    const onTwo = await evaluate();
    expect(onTwo.gaps.newestTimeline).toBe(2);
    expect(onTwo.gaps.head?.timeline).toBe(2);
    expect(onTwo.gaps.findings).toEqual([]);
    // Only the deleted segment is missing: the chain crossed the switch without a gap.
    expect(gapsJson(onTwo.gaps, cluster.walSegmentSize).gaps.map((gap) => gap.from)).toEqual([deletedSegment]);
    const ranges = windowJson(onTwo.windows).ranges;
    expect(ranges.at(-1)?.timeline).toBe(2);

    await archiveSegments(primary, 1);
    await env.ingestNew();
    const diverged = await evaluate();
    expect(diverged.gaps.status).toBe('FAILURE');
    expect(diverged.gaps.findings).toEqual([
      expect.objectContaining({ kind: 'divergence', timeline: 1, rivalTimeline: 2 }),
    ]);
  }, 240_000);
});
