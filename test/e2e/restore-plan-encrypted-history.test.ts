/**
 * End to end on s3rver + dynalite: a WAL-G cluster that switched timelines twice and whose `.history.br` files are
 * random bytes (what WAL-G's client-side encryption uploads). Ingested from s3rver's events, the real CLI's
 * `gaps`, `window --json` and `restore plan --to latest --json` agree: the switches are inferred, the range crosses
 * them with confidence `inferred`, and the plan restores to that range's end and names the unreadable files.
 */
import { createHash, randomBytes } from 'node:crypto';
import { brotliDecompressSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { timelineId } from '../../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../../lib/domain/wal/wal-segment.ts';
import { startTestEnvironment, type TestEnvironment } from '../support/environment.ts';

const MIB = 1024 * 1024;
const PREFIX = 'orders-main';
/** Timeline 1 holds segments 1..10, timeline 2 begins at 11, timeline 3 at 16, up to 20. */
const STRETCHES = [
  { timeline: 1, from: 1, to: 10 },
  { timeline: 2, from: 11, to: 15 },
  { timeline: 3, from: 16, to: 20 },
] as const;
const HISTORY_KEYS = [`${PREFIX}/wal_005/00000002.history.br`, `${PREFIX}/wal_005/00000003.history.br`];

let env: TestEnvironment;

/**
 * 96 bytes that look encrypted and are certainly not a brotli stream. Random bytes are not enough: about one 96-byte
 * draw in 27 happens to be a valid (empty) brotli stream, which made this history readable and the test flaky.
 */
function encryptedLooking(label: string): Buffer {
  for (let attempt = 0; ; attempt++) {
    const bytes = Buffer.concat(
      [0, 1].map((half) => createHash('sha512').update(`${label}/${attempt}/${half}`).digest()),
    );
    const candidate = bytes.subarray(0, 96);
    try {
      brotliDecompressSync(candidate);
    } catch {
      return candidate;
    }
  }
}
const segName = (timeline: number, segNo: number) =>
  walFileName({ timeline: timelineId(timeline), segNo: segmentNumber(segNo) }, MIB as never);

async function put(key: string, body: string | Uint8Array): Promise<void> {
  await env.s3.client.send(new PutObjectCommand({ Bucket: env.bucket, Key: key, Body: body }));
}

beforeAll(async () => {
  env = await startTestEnvironment({ name: 'restore-encrypted-history' });
  const finish = new Date(Date.now() - 10 * 60_000);
  const start = new Date(finish.getTime() - 60_000);
  const startLsn = 2 * MIB + 40;
  const finishLsn = 3 * MIB + 4096;
  const name = `base_${segName(1, 2)}`;
  await put(`${PREFIX}/basebackups_005/${name}/tar_partitions/part_001.tar.br`, 'data'.padEnd(1024, '.'));
  await put(`${PREFIX}/basebackups_005/${name}/tar_partitions/pg_control.tar.br`, 'pg_control');
  await put(
    `${PREFIX}/basebackups_005/${name}/metadata.json`,
    `{"start_time":"${start.toISOString()}","finish_time":"${finish.toISOString()}","hostname":"pg-orders-1","data_dir":"/var/lib/postgresql/15/main","pg_version":150010,"start_lsn":${startLsn},"finish_lsn":${finishLsn},"is_permanent":false,"system_identifier":7321456789012345678,"uncompressed_size":2048,"compressed_size":1024}`,
  );
  await put(
    `${PREFIX}/basebackups_005/${name}_backup_stop_sentinel.json`,
    `{"LSN":${startLsn},"PgVersion":150010,"FinishLSN":${finishLsn},"SystemIdentifier":7321456789012345678,"UncompressedSize":2048,"CompressedSize":1024,"Version":2,"StartTime":"${start.toISOString()}","FinishTime":"${finish.toISOString()}","Hostname":"pg-orders-1","DataDir":"/var/lib/postgresql/15/main","IsPermanent":false}`,
  );
  for (const stretch of STRETCHES) {
    if (stretch.timeline > 1) {
      const key = HISTORY_KEYS[stretch.timeline - 2] as string;
      await put(key, encryptedLooking(key));
    }
    for (let segNo = stretch.from; segNo <= stretch.to; segNo++) {
      await put(`${PREFIX}/wal_005/${segName(stretch.timeline, segNo)}.br`, randomBytes(256));
    }
  }
  await env.ingestAll();
}, 120_000);

afterAll(async () => {
  await env?.close();
}, 60_000);

describe('gaps, window and restore plan over encrypted history files', () => {
  it('agree: switches inferred, one range marked inferred, and a plan to its end that names the files', async () => {
    const gaps = await env.walcat(['gaps', '--json']);
    const gapsDocument = JSON.parse(gaps.stdout);
    const clusterGaps = Array.isArray(gapsDocument) ? gapsDocument[0] : gapsDocument;
    expect(clusterGaps.gaps).toEqual([]);
    expect(clusterGaps.findings).toMatchObject([
      { kind: 'encrypted-history', files: HISTORY_KEYS, inferredTimelines: [2, 3] },
    ]);

    const window = await env.walcat(['window', '--json']);
    expect(window.code).toBe(0);
    const windowDocument = JSON.parse(window.stdout);
    const ranges = (Array.isArray(windowDocument) ? windowDocument[0] : windowDocument).ranges;
    expect(ranges).toHaveLength(1);
    expect(ranges[0]).toMatchObject({ timeline: 3, confidence: 'inferred', baseBackup: `base_${segName(1, 2)}` });

    const plan = await env.walcat(['restore', 'plan', '--to', 'latest', '--json']);
    expect(plan.stderr).not.toContain('refused');
    expect(plan.code).toBe(0);
    const planDocument = JSON.parse(plan.stdout);
    expect(planDocument).toMatchObject({
      baseBackup: ranges[0].baseBackup,
      timeline: 3,
      wal: { from: segName(1, 2), to: segName(3, 20), count: 19 },
      range: { timeline: 3, from: ranges[0].from, to: ranges[0].to },
      ancestry: { confidence: 'inferred', inferredTimelines: [2, 3], unreadableHistories: HISTORY_KEYS },
    });

    const text = await env.walcat(['restore', 'plan', '--to', 'latest']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/ancestry +inferred: the switch to timelines 2, 3 was inferred/);
    expect(text.stdout).toContain(HISTORY_KEYS[1]);
  });
});
