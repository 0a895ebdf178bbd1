/**
 * `walcat restore plan` over bucket content that is valid but wrong, or damaged: corrupt content is never a usage
 * error (exit 2); a plan either works (0) or is refused with the reason (1).
 */
import { describe, expect, it } from 'vitest';
import type { CliContext } from '../../lib/cli/cli-command.ts';
import { restorePlanCommand } from '../../lib/cli/commands/restore-plan.ts';
import type { BaseBackup } from '../../lib/domain/backup/base-backup.ts';
import { createBackupInterpreter } from '../../lib/domain/catalog/backup-interpreter.ts';
import { deriveBackupRecord } from '../../lib/domain/catalog/catalog-change.ts';
import type { BackupRecord, WalObjectRecord } from '../../lib/domain/catalog/catalog-records.ts';
import { lsnFromInteger } from '../../lib/domain/wal/lsn.ts';
import { type TimelineId, timelineId } from '../../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../../lib/domain/wal/wal-segment.ts';
import { cluster, FakeCatalog, minutes, restoreConfig } from '../use-cases/restore/restore-fixtures.ts';

const config = restoreConfig();
const SIZE = cluster().walSegmentSize;

async function runPlan(catalog: FakeCatalog, options: Record<string, string>, now = minutes(200)) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    config,
    clusters: config.clusters,
    json: true,
    options,
    positionals: [],
    now,
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
  };
  const code = await restorePlanCommand({ catalog: () => catalog.asStore() }).run(ctx);
  return { code, json: out[0] === undefined ? undefined : JSON.parse(out[0]), err: err.join('\n') };
}

function segmentRecord(timeline: TimelineId, segNo: number, uploadedAt: Date): WalObjectRecord {
  const segment = { timeline, segNo: segmentNumber(segNo) };
  return {
    cluster: cluster().id,
    key: `wal_005/${walFileName(segment, SIZE)}.lz4`,
    kind: 'segment',
    timeline,
    segNo: segment.segNo,
    size: 1000,
    uploadedAt,
    deleted: false,
  };
}

function backupRecord(timeline: TimelineId, startSegNo: number, finishedAt: Date, extra: Partial<BaseBackup> = {}) {
  const start = BigInt(startSegNo) * BigInt(SIZE) + 0x28n;
  const startSegment = { timeline, segNo: segmentNumber(startSegNo) };
  const name = `base_${walFileName(startSegment, SIZE)}`;
  const backup: BaseBackup = {
    name,
    kind: 'full',
    timeline,
    startLsn: lsnFromInteger(start),
    finishLsn: lsnFromInteger(start + 0x1000n),
    startSegment,
    startTime: new Date(finishedAt.getTime() - 60_000),
    finishTime: finishedAt,
    permanent: false,
    ...extra,
  };
  const record: BackupRecord = {
    cluster: cluster().id,
    name,
    status: 'complete',
    backup,
    firstSeenAt: finishedAt,
    updatedAt: finishedAt,
  };
  return record;
}

describe('restore plan at the last log id', () => {
  it('--to latest with segments up to ...FFFFFFFF000000FF plans to that segment (exit 0)', async () => {
    const last = 2 ** 40 - 1;
    const catalog = new FakeCatalog();
    catalog.backups = [backupRecord(timelineId(1), last - 3, minutes(1))];
    catalog.segments = [0, 1, 2, 3].map((index) => segmentRecord(timelineId(1), last - 3 + index, minutes(10 * index)));
    const { code, json, err } = await runPlan(catalog, { to: 'latest' });
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(json.wal).toMatchObject({ from: '00000001FFFFFFFF000000FC', to: '00000001FFFFFFFF000000FF', count: 4 });
  });
});

/** A record derived from a sentinel and metadata.json as the catalog derives it (with the real interpreter). */
function interpretedRecord(name: string, sentinelText: string, metadataText?: string): BackupRecord {
  const key = `orders-main/basebackups_005/${name}`;
  return deriveBackupRecord(
    {
      cluster: cluster().id,
      name,
      firstSeenAt: minutes(0),
      updatedAt: minutes(0),
      sentinel: { key: `${key}_backup_stop_sentinel.json`, present: true, text: sentinelText, observedAt: minutes(0) },
      ...(metadataText === undefined
        ? {}
        : { metadata: { key: `${key}/metadata.json`, present: true, text: metadataText, observedAt: minutes(0) } }),
    },
    createBackupInterpreter(config.clusters),
  );
}

describe('restore plan over backups whose documents are valid but wrong', () => {
  it('never picks a backup whose metadata.json finished before it started', async () => {
    const startLsn = 12n * BigInt(SIZE) + 0x28n;
    const sentinel = JSON.stringify({ LSN: Number(startLsn), FinishLSN: Number(startLsn + 0x1000n), Version: 2 });
    const metadata = JSON.stringify({
      start_time: minutes(120).toISOString(),
      finish_time: minutes(20).toISOString(),
      start_lsn: Number(startLsn),
      finish_lsn: Number(startLsn + 0x1000n),
      is_permanent: false,
    });
    const bad = interpretedRecord('base_00000001000000000000000C', sentinel, metadata);
    expect(bad.status).toBe('unreadable');
    expect(bad.problem).toContain('finish_time');
    const catalog = new FakeCatalog();
    catalog.backups = [...catalog.backups, bad];
    const { code, json } = await runPlan(catalog, { to: minutes(30).toISOString() });
    expect(code).toBe(0);
    expect(json.baseBackup).toBe('base_000000010000000000000002');
  });
});

describe('restore plan with a backup of another database system in the prefix', () => {
  it('--to latest never picks it, however new it is', async () => {
    const catalog = new FakeCatalog();
    const ours = 7321456789012345678n;
    catalog.backups = [
      ...catalog.backups.map((record) => ({
        ...record,
        backup: { ...(record.backup as BaseBackup), systemIdentifier: ours },
      })),
      backupRecord(timelineId(1), 14, minutes(145), { systemIdentifier: 7399999999999999999n }),
    ];
    const { code, json } = await runPlan(catalog, { to: 'latest' });
    expect(code).toBe(0);
    expect(json.baseBackup).toBe('base_000000010000000000000008');
  });
});

/** The default catalog (timeline 1, segments 2..20) plus timelines switched to at `switches` with their segments. */
function catalogWithTimelines(
  histories: ReadonlyArray<{ timeline: number; content: string | undefined }>,
  segments: ReadonlyArray<{ timeline: number; from: number; to: number }>,
): FakeCatalog {
  const catalog = new FakeCatalog();
  for (const stretch of segments) {
    for (let segNo = stretch.from; segNo <= stretch.to; segNo++) {
      catalog.segments.push(segmentRecord(timelineId(stretch.timeline), segNo, minutes(10 * segNo)));
    }
  }
  const records: WalObjectRecord[] = histories.map(({ timeline, content }) => ({
    cluster: cluster().id,
    key: `orders-main/wal_005/${timeline.toString(16).toUpperCase().padStart(8, '0')}.history.br`,
    kind: 'history',
    timeline: timelineId(timeline),
    size: 40,
    uploadedAt: minutes(10 * 21 - 5),
    deleted: false,
    ...(content === undefined ? {} : { content }),
  }));
  const timelines = [...new Set([1, ...segments.map((s) => s.timeline)])].map((t) => timelineId(t));
  Object.assign(catalog, {
    listHistoryFiles: async () => records,
    listTimelines: async () => timelines,
  });
  return catalog;
}

describe('restore plan with a .history file that is not text (client-side encryption)', () => {
  it('plans --to latest across the switch the window inferred and names the file (exit 0), never unreadable-history', async () => {
    const catalog = catalogWithTimelines([{ timeline: 2, content: undefined }], [{ timeline: 2, from: 21, to: 25 }]);
    const { code, json, err } = await runPlan(catalog, { to: 'latest' }, minutes(300));
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(json).toMatchObject({
      timeline: 2,
      wal: { to: walFileName({ timeline: timelineId(2), segNo: segmentNumber(25) }, SIZE) },
      ancestry: {
        confidence: 'inferred',
        inferredTimelines: [2],
        unreadableHistories: ['orders-main/wal_005/00000002.history.br'],
      },
    });
  });
});

describe('restore plan with a broken or inconsistent .history file', () => {
  const SWITCH_TO_2 = '1\t0/15000000\tno recovery target specified\n';

  it('a plan that does not need the broken file still works (exit 0)', async () => {
    const catalog = catalogWithTimelines(
      [{ timeline: 2, content: 'this is not a history file\n' }],
      [{ timeline: 2, from: 21, to: 25 }],
    );
    const { code, json, err } = await runPlan(catalog, { to: minutes(100).toISOString() }, minutes(300));
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(json).toMatchObject({ baseBackup: 'base_000000010000000000000008', timeline: 1 });
  });

  it('a plan that needs it is refused (exit 1) naming the file, never exit 2', async () => {
    const catalog = catalogWithTimelines(
      [{ timeline: 2, content: '1\t0/15000000\tx\n1\t0/16000000\tlooping back to timeline 1\n' }],
      [{ timeline: 2, from: 21, to: 25 }],
    );
    const { code, json, err } = await runPlan(catalog, { to: 'latest' }, minutes(300));
    expect(code).toBe(1);
    expect(json.reason).toBe('unreadable-history');
    expect(err).toContain('orders-main/wal_005/00000002.history.br');
    expect(err).toContain('does not increase');
    const later = await runPlan(catalog, { to: minutes(230).toISOString() }, minutes(300));
    expect(later.code).toBe(1);
    expect(later.err).toContain('00000002.history');
  });

  it('a history that skips its real ancestors blocks the newest timeline instead of dropping it silently', async () => {
    const catalog = catalogWithTimelines(
      [
        { timeline: 2, content: SWITCH_TO_2 },
        // PostgreSQL would have written "1 0/15000000" then "2 0/17000000": this file skips timeline 1.
        { timeline: 3, content: '2\t0/17000000\tno recovery target specified\n' },
      ],
      [
        { timeline: 2, from: 21, to: 22 },
        { timeline: 3, from: 23, to: 25 },
      ],
    );
    const { code, json, err } = await runPlan(catalog, { to: 'latest' }, minutes(300));
    expect(code).toBe(1);
    expect(json.reason).toBe('unreadable-history');
    expect(err).toContain('00000003.history');
    expect(err).toContain('skips its real ancestors');
  });

  it('with good histories the newest timeline is followed', async () => {
    const catalog = catalogWithTimelines(
      [
        { timeline: 2, content: SWITCH_TO_2 },
        { timeline: 3, content: `${SWITCH_TO_2}2\t0/17000000\tno recovery target specified\n` },
      ],
      [
        { timeline: 2, from: 21, to: 22 },
        { timeline: 3, from: 23, to: 25 },
      ],
    );
    const { code, json } = await runPlan(catalog, { to: 'latest' }, minutes(300));
    expect(code).toBe(0);
    expect(json).toMatchObject({ timeline: 3, wal: { to: '000000030000000000000019' } });
  });
});

describe('restore plan with a walSegmentSize that does not match the bucket', () => {
  it('says which size fits instead of "run a backup first"', async () => {
    // Backups of a 1 MiB cluster: base_...00000040 starts at 0/4000028, which is segment 4 at the configured 16 MiB.
    const catalog = new FakeCatalog();
    catalog.backups = [0x40, 0x60].map((segNo, index) => {
      const record = backupRecord(timelineId(1), segNo, minutes(15 + 60 * index));
      const start = BigInt(segNo) * 1048576n + 0x28n;
      return {
        ...record,
        backup: {
          ...(record.backup as BaseBackup),
          startLsn: lsnFromInteger(start),
          finishLsn: lsnFromInteger(start + 0x1000n),
        },
      };
    });
    const { code, json, err } = await runPlan(catalog, { to: 'latest' });
    expect(code).toBe(1);
    expect(json.reason).toBe('segment-size-mismatch');
    expect(err).toContain('walSegmentSize is 16MiB');
    expect(err).toContain('set walSegmentSize: 1MiB');
  });
});

describe('restore plan over a backup whose data tar is gone', () => {
  it('never picks it: the older intact backup is the base', async () => {
    const startLsn = 12n * BigInt(SIZE) + 0x28n;
    const sentinel = JSON.stringify({
      LSN: Number(startLsn),
      FinishLSN: Number(startLsn + 0x1000n),
      Version: 2,
      StartTime: minutes(119).toISOString(),
      FinishTime: minutes(120).toISOString(),
      CompressedSize: 10,
    });
    const name = 'base_00000001000000000000000C';
    const gone = deriveBackupRecord(
      {
        cluster: cluster().id,
        name,
        firstSeenAt: minutes(120),
        updatedAt: minutes(120),
        sentinel: { key: `${name}_backup_stop_sentinel.json`, present: true, text: sentinel, observedAt: minutes(120) },
        payload: {
          'tar_partitions/part_001.tar.lz4': {
            kind: 'tar-partition',
            present: false,
            size: 0,
            observedAt: minutes(130),
          },
          'tar_partitions/pg_control.tar.lz4': {
            kind: 'pg_control',
            present: true,
            size: 10,
            observedAt: minutes(120),
          },
        },
      },
      createBackupInterpreter(config.clusters),
    );
    expect(gone).toMatchObject({ status: 'unreadable', problem: expect.stringMatching(/^missing-data: /) });
    const catalog = new FakeCatalog();
    catalog.backups = [...catalog.backups, gone];
    const { code, json } = await runPlan(catalog, { to: 'latest' });
    expect(code).toBe(0);
    expect(json.baseBackup).toBe('base_000000010000000000000008');
  });
});
