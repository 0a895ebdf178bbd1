import { describe, expect, it } from 'vitest';
import type { BaseBackup } from '../../../lib/domain/backup/base-backup.ts';
import type { ClusterId } from '../../../lib/domain/cluster.ts';
import {
  type ArchivedSegment,
  planRestore,
  type RestorableRangeInput,
  type RestorePlanInput,
  RestoreTargetUnreachableError,
  restorePlanToJson,
} from '../../../lib/domain/restore/restore-plan.ts';
import { parseRestoreTarget } from '../../../lib/domain/restore/restore-target.ts';
import { lsnFromInteger } from '../../../lib/domain/wal/lsn.ts';
import { walSegmentSize } from '../../../lib/domain/wal/segment-size.ts';
import { type TimelineId, timelineId } from '../../../lib/domain/wal/timeline.ts';
import { parseTimelineHistory } from '../../../lib/domain/wal/timeline-history.ts';
import { segmentNumber } from '../../../lib/domain/wal/wal-segment.ts';

const SIZE = walSegmentSize(16 * 1024 * 1024);
const cluster = 'orders-main' as ClusterId;
const T0 = Date.parse('2026-11-20T09:00:00Z');
const minutes = (n: number) => new Date(T0 + n * 60_000);
const TL1 = timelineId(1);
const TL2 = timelineId(2);

/** Segment n of a timeline, uploaded at 09:00 + 10n minutes, 1000 + n bytes compressed. */
function segment(n: number, timeline: TimelineId = TL1): ArchivedSegment {
  return { timeline, segNo: segmentNumber(n), size: 1000 + n, uploadedAt: minutes(10 * n) };
}

function backup(startSeg: number, finishMinute: number, timeline: TimelineId = TL1): BaseBackup {
  const start = BigInt(startSeg) * BigInt(SIZE) + 0x28n;
  return {
    name: `base_${timeline.toString(16).padStart(8, '0').toUpperCase()}00000000${startSeg.toString(16).toUpperCase().padStart(8, '0')}`,
    kind: 'full',
    timeline,
    startLsn: lsnFromInteger(start),
    finishLsn: lsnFromInteger(start + 0x1000n),
    startSegment: { timeline, segNo: segmentNumber(startSeg) },
    startTime: minutes(finishMinute - 1),
    finishTime: minutes(finishMinute),
    permanent: false,
  };
}

const backupA = backup(2, 15); // consistent at 09:15, start segment 2 (uploaded 09:20)
const backupB = backup(8, 75); // consistent at 10:15, start segment 8 (uploaded 10:20)
const range = (from: Date, to: Date, baseBackup: string, timeline: TimelineId = TL1): RestorableRangeInput => ({
  timeline,
  from,
  to,
  baseBackup,
});
const segments2to20 = Array.from({ length: 19 }, (_, index) => segment(index + 2));
const baseInput: Omit<RestorePlanInput, 'target'> = {
  cluster,
  // Deliberately newest first: the planner orders by metadata finish time itself.
  backups: [backupB, backupA],
  windows: [range(minutes(15), minutes(200), backupA.name)],
  segments: segments2to20,
  walSegmentSize: SIZE,
};

function plan(target: Parameters<typeof parseRestoreTarget>[0], overrides: Partial<RestorePlanInput> = {}) {
  return planRestore({ ...baseInput, target: parseRestoreTarget(target), ...overrides });
}

function refusal(target: Parameters<typeof parseRestoreTarget>[0], overrides: Partial<RestorePlanInput> = {}) {
  try {
    plan(target, overrides);
  } catch (error) {
    if (error instanceof RestoreTargetUnreachableError) return error;
    throw error;
  }
  throw new Error('expected the plan to be refused');
}

describe('planRestore to a time', () => {
  it.each([
    // target, base backup, last segment, count
    ['2026-11-20T10:30:00Z', backupB.name, 9, 2],
    ['2026-11-20T10:29:59.999Z', backupB.name, 9, 2],
    ['2026-11-20T10:15:00Z', backupB.name, 8, 1],
    ['2026-11-20T10:14:59Z', backupA.name, 8, 7],
    ['2026-11-20T10:00:00+00:00', backupA.name, 6, 5],
    ['2026-11-20T11:00:00+01:00', backupA.name, 6, 5],
    ['2026-11-20T09:15:00Z', backupA.name, 2, 1],
    ['2026-11-20T12:20:00Z', backupB.name, 20, 13],
  ])('to %s restores from %s reading up to segment %i (%i segments)', (to, base, last, count) => {
    const result = plan({ to });
    expect(result.baseBackup.name).toBe(base);
    expect(result.wal.to.segNo).toBe(last);
    expect(result.wal.count).toBe(count);
    expect(result.wal.from.segNo).toBe(result.baseBackup.startSegment.segNo);
    expect(result.timeline).toBe(1);
  });

  it('sums the stored bytes of the WAL it reads', () => {
    const result = plan({ to: '2026-11-20T10:30:00Z' });
    expect(result.wal.bytes).toBe(1008 + 1009);
  });

  it('refuses a time past the last archived WAL, naming the latest restorable point and the PostgreSQL failure', () => {
    const error = refusal({ to: '2026-11-20T12:30:00Z' });
    expect(error.reason).toBe('past-last-wal');
    expect(error.message).toContain('orders-main');
    expect(error.message).toContain('2026-11-20T12:20:00.000Z');
    expect(error.message).toContain('recovery ended before configured recovery target was reached');
    expect(error.nearestRanges).toEqual([baseInput.windows[0]]);
  });

  it('refuses a time before the first backup finished', () => {
    const error = refusal({ to: '2026-11-20T09:10:00Z' });
    expect(error.reason).toBe('before-window');
    expect(error.message).toContain('2026-11-20T09:15:00.000Z');
  });

  it('refuses a time in a gap between ranges and names both neighbours', () => {
    const backupC = backup(14, 135);
    const windows = [range(minutes(15), minutes(110), backupA.name), range(minutes(135), minutes(200), backupC.name)];
    const segments = segments2to20.filter((s) => s.segNo !== 12);
    const error = refusal({ to: '2026-11-20T11:00:00Z' }, { windows, segments, backups: [backupA, backupB, backupC] });
    expect(error.reason).toBe('between-ranges');
    expect(error.nearestRanges).toEqual(windows);
    expect(error.message).toContain(backupA.name);
    expect(error.message).toContain(backupC.name);
  });

  it('after a gap, restores from the backup past it', () => {
    const backupC = backup(14, 135);
    const windows = [range(minutes(15), minutes(110), backupA.name), range(minutes(135), minutes(200), backupC.name)];
    const segments = segments2to20.filter((s) => s.segNo !== 12);
    const result = plan({ to: '2026-11-20T11:50:00Z' }, { windows, segments, backups: [backupA, backupB, backupC] });
    expect(result.baseBackup.name).toBe(backupC.name);
    expect(result.range).toBe(windows[1]);
  });

  it('refuses when the segments show a gap the windows did not (stale window): names the missing segment', () => {
    const segments = segments2to20.filter((s) => s.segNo !== 9);
    const error = refusal({ to: '2026-11-20T10:45:00Z' }, { segments });
    expect(error.reason).toBe('wal-gap');
    expect(error.message).toContain('000000010000000000000009');
  });

  it('ignores backups without a finish time (incomplete) and never orders by anything but metadata times', () => {
    const incomplete: BaseBackup = { ...backup(9, 80), finishTime: undefined };
    const result = plan({ to: '2026-11-20T12:00:00Z' }, { backups: [incomplete, backupA, backupB] });
    expect(result.baseBackup.name).toBe(backupB.name);
  });

  it('refuses when there is nothing restorable', () => {
    expect(refusal({ to: 'latest' }, { windows: [] }).reason).toBe('no-restorable-range');
    expect(refusal({ to: 'latest' }, { backups: [] }).message).toContain('walcat backup');
  });
});

describe('planRestore to latest, a restore point or an xid', () => {
  it('latest: newest backup of the newest range, WAL to the end of the chain', () => {
    const result = plan({ to: 'latest' });
    expect(result.baseBackup.name).toBe(backupB.name);
    expect(result.wal.to.segNo).toBe(20);
    expect(result.wal.count).toBe(13);
  });

  it('latest stops at the first gap after the backup', () => {
    const segments = segments2to20.filter((s) => s.segNo !== 15);
    const result = plan({ to: 'latest' }, { segments, windows: [range(minutes(15), minutes(140), backupA.name)] });
    expect(result.wal.to.segNo).toBe(14);
  });

  it.each([[{ name: 'before-migration' }], [{ xid: '9000' }]])(
    '%j: oldest backup of the newest range so any point in it is reachable',
    (target) => {
      const result = plan(target);
      expect(result.baseBackup.name).toBe(backupA.name);
      expect(result.wal.to.segNo).toBe(20);
    },
  );
});

describe('planRestore at the end of the WAL space', () => {
  // 16 MiB segments: the last segment of the last log id is FFFFFFFF000000FF, segment number 2^40 - 1.
  const LAST = 2 ** 40 - 1;
  const tail: ArchivedSegment[] = Array.from({ length: 4 }, (_, index) => ({
    timeline: TL1,
    segNo: segmentNumber(LAST - 3 + index),
    size: 1000,
    uploadedAt: minutes(10 * index),
  }));
  const start = BigInt(LAST - 3) * BigInt(SIZE) + 0x28n;
  const lastBackup: BaseBackup = {
    name: 'base_00000001FFFFFFFF000000FC',
    kind: 'full',
    timeline: TL1,
    startLsn: lsnFromInteger(start),
    finishLsn: lsnFromInteger(start + 0x1000n),
    startSegment: { timeline: TL1, segNo: segmentNumber(LAST - 3) },
    startTime: minutes(0),
    finishTime: minutes(1),
    permanent: false,
  };
  const overrides: Partial<RestorePlanInput> = {
    backups: [lastBackup],
    segments: tail,
    windows: [range(minutes(1), minutes(30), lastBackup.name)],
  };

  it('latest with segments up to ...FFFFFFFF000000FF ends the chain at that segment', () => {
    const result = plan({ to: 'latest' }, overrides);
    expect(result.wal.to.segNo).toBe(LAST);
    expect(result.wal.count).toBe(4);
    expect(restorePlanToJson(result, SIZE).wal.to).toBe('00000001FFFFFFFF000000FF');
  });

  it('an LSN in the last segment plans up to it', () => {
    expect(plan({ lsn: 'FFFFFFFF/FF000100' }, overrides).wal.to.segNo).toBe(LAST);
  });
});

describe('planRestore to an LSN', () => {
  it('picks the newest backup that finished before the LSN and reads to its segment', () => {
    const result = plan({ lsn: '0/C000100' });
    expect(result.baseBackup.name).toBe(backupB.name);
    expect(result.wal.to.segNo).toBe(12);
  });

  it('falls back to the older backup for an LSN before the newer backup finished', () => {
    expect(plan({ lsn: '0/5000000' }).baseBackup.name).toBe(backupA.name);
  });

  it('refuses an LSN past the last archived segment', () => {
    const error = refusal({ lsn: '0/20000000' });
    expect(error.reason).toBe('past-last-wal');
    expect(error.message).toContain('recovery ended before configured recovery target was reached');
  });

  it('refuses an LSN before the first backup finished', () => {
    expect(refusal({ lsn: '0/1000000' }).reason).toBe('before-window');
  });
});

describe('planRestore across a timeline switch', () => {
  // Timeline 2 branched off timeline 1 inside segment 12. Timeline 1 kept archiving segments 12..14 (an abandoned
  // branch); a restore on timeline 2 must read timeline 1 below segment 12 and timeline 2 from 12 on.
  const history = parseTimelineHistory(TL2, '1\t0/C000100\tno recovery target specified\n');
  const segments = [
    ...Array.from({ length: 13 }, (_, index) => segment(index + 2)),
    ...Array.from({ length: 6 }, (_, index) => segment(index + 12, TL2)),
  ];
  const windows = [range(minutes(15), minutes(140), backupA.name), range(minutes(15), minutes(170), backupA.name, TL2)];

  it('follows the history: parent segments before the switch, child segments from it', () => {
    const result = plan({ to: 'latest' }, { segments, windows, histories: [history] });
    expect(result.timeline).toBe(2);
    expect(result.wal.to).toEqual({ timeline: 2, segNo: 17 });
    expect(result.wal.count).toBe(10);
    expect(result.wal.bytes).toBe([8, 9, 10, 11, 12, 13, 14, 15, 16, 17].reduce((sum, n) => sum + 1000 + n, 0));
  });

  it('prefers the newest timeline when a time lies in ranges of both', () => {
    const result = plan({ to: '2026-11-20T11:05:00Z' }, { segments, windows, histories: [history] });
    expect(result.timeline).toBe(2);
    expect(result.wal.to).toEqual({ timeline: 2, segNo: 13 });
  });
});

describe('restorePlanToJson', () => {
  it('renders the restore plan --json contract', () => {
    const json = restorePlanToJson(plan({ to: '2026-11-20T11:30:00+01:00' }), SIZE);
    expect(json).toMatchObject({
      cluster: 'orders-main',
      target: '2026-11-20T10:30:00.000Z',
      targetKind: 'time',
      baseBackup: backupB.name,
      timeline: 1,
      wal: { from: '000000010000000000000008', to: '000000010000000000000009', count: 2, bytes: 2017 },
    });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});
