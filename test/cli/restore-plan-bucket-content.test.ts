/**
 * `walcat restore plan` over bucket content that is valid but wrong, or damaged: corrupt content is never a usage
 * error (exit 2); a plan either works (0) or is refused with the reason (1).
 */
import { describe, expect, it } from 'vitest';
import type { CliContext } from '../../lib/cli/cli-command.ts';
import { restorePlanCommand } from '../../lib/cli/commands/restore-plan.ts';
import type { BaseBackup } from '../../lib/domain/backup/base-backup.ts';
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
