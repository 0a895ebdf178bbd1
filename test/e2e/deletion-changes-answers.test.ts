/**
 * A WAL segment deleted through the S3 API reaches the catalog at once (its event is ingested); every answer must
 * change with it, at the next watchdog run and in the CLI before it, never only after a periodic full read or a sync.
 */
import { DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gapsCommand } from '../../lib/cli/commands/gaps.ts';
import { statusCommand } from '../../lib/cli/commands/status.ts';
import { windowCommand } from '../../lib/cli/commands/window.ts';
import { parseWalFileName, segNoOfByteBefore } from '../../lib/domain/wal/wal-segment.ts';
import { watchClusterWal } from '../../lib/use-cases/watch-wal.ts';
import { runCliCommand } from '../cli/run-cli-command.ts';
import { startTestEnvironment, type TestEnvironment } from '../support/environment.ts';

let env: TestEnvironment;
/** Past the upload grace of every segment archived here. */
const later = (minutes: number): Date => new Date(Date.now() + minutes * 60_000);

async function switchSegments(count: number): Promise<void> {
  let last = '';
  for (let index = 0; index < count; index++) {
    await env.primary.query('insert into t (note) values ($1)', [`row ${index}`]);
    const [row] = await env.primary.query<{ file: string }>('select pg_walfile_name(pg_switch_wal()) as file');
    last = row?.file ?? last;
  }
  await env.waitArchived(env.primary, last, { timeoutMs: 60_000 });
}

beforeAll(async () => {
  env = await startTestEnvironment({ name: 'deletion-answers', postgres: true });
  await env.primary.query('create table t (id serial primary key, note text)');
  await env.backupPush();
  await switchSegments(5);
  await env.ingestNew();
}, 180_000);

afterAll(async () => {
  await env?.close();
}, 60_000);

describe('a deletion changes every answer within one watchdog run', () => {
  it('gaps, status and window report the deleted segment at once', async () => {
    const { cluster, catalog } = env;
    const deps = { catalog: () => catalog, alerts: () => env.adapters.alerts(), color: false };
    // The watchdog has run: its cursor covers the whole archive, and the CLI reads from it.
    const first = await watchClusterWal(env.adapters.watchWal(), cluster, { now: later(10) });
    expect(first).toMatchObject({ status: 'OK' });
    const before = await runCliCommand(gapsCommand(deps), cluster, { json: true, now: later(11) });
    expect(JSON.parse(before.text)).toMatchObject({ status: 'OK', gaps: [] });
    const windowBefore = JSON.parse(
      (await runCliCommand(windowCommand(deps), cluster, { json: true, now: later(11) })).text,
    );
    expect(windowBefore.ranges).toHaveLength(1);

    const [backup] = (await catalog.listBackups(cluster.id)).filter((record) => record.status === 'complete');
    const finishSegNo = segNoOfByteBefore(backup?.backup?.finishLsn ?? (0n as never), cluster.walSegmentSize);
    const listed = await env.s3.client.send(
      new ListObjectsV2Command({ Bucket: env.bucket, Prefix: 'orders-main/wal_005/' }),
    );
    const victim = (listed.Contents ?? [])
      .map((object) => object.Key ?? '')
      .find((key) => {
        const name = key.split('/').at(-1)?.slice(0, 24) ?? '';
        return /^[0-9A-F]{24}$/.test(name) && parseWalFileName(name, cluster.walSegmentSize).segNo === finishSegNo + 2;
      });
    expect(victim).toBeDefined();
    const deleted = victim?.split('/').at(-1)?.slice(0, 24) ?? '';
    await env.s3.client.send(new DeleteObjectCommand({ Bucket: env.bucket, Key: victim }));
    await env.ingestNew();

    const now = later(12);
    const gaps = await runCliCommand(gapsCommand(deps), cluster, { json: true, now });
    expect(gaps.code).toBe(1);
    expect(JSON.parse(gaps.text)).toMatchObject({
      status: 'FAILURE',
      gaps: [{ timeline: 1, from: deleted, to: deleted, count: 1, status: 'lost' }],
    });
    const status = await runCliCommand(statusCommand(deps), cluster, { json: true, now });
    expect(JSON.parse(status.text)).toMatchObject([{ gaps: { status: 'FAILURE', lost: 1, uploading: 0 } }]);
    const window = JSON.parse((await runCliCommand(windowCommand(deps), cluster, { json: true, now })).text);
    // The window now ends before the hole (no backup after it starts a second range).
    expect(window.ranges).toHaveLength(1);
    expect(Date.parse(window.ranges[0].to)).toBeLessThan(Date.parse(windowBefore.ranges[0].to));

    const run = await watchClusterWal(env.adapters.watchWal(), cluster, { now: later(13) });
    expect(run).toMatchObject({ status: 'FAILURE', readMode: 'incremental' });
  }, 120_000);
});
