import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BackupRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import type { RetentionTombstone } from '../../../lib/domain/catalog/retention-tombstones.ts';
import type { ContinuityInput, KnownHistory } from '../../../lib/domain/continuity/continuity-input.ts';
import { detectGaps, gapsJson, PITR_CHAIN } from '../../../lib/domain/continuity/gap-detection.ts';
import { PresentSegmentsBuilder } from '../../../lib/domain/continuity/present-segments.ts';
import { parseLsn } from '../../../lib/domain/wal/lsn.ts';
import { DEFAULT_WAL_SEGMENT_SIZE, walSegmentSize } from '../../../lib/domain/wal/segment-size.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { readHistoryFiles } from '../../../lib/domain/wal/timeline-history.ts';
import { segmentNumber } from '../../../lib/domain/wal/wal-segment.ts';
import { backupRecord, DAY, history, type PresentStretch, policy, presentSegments } from './continuity-fixtures.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const GRACE = 5 * 60_000;
const ago = (ms: number): Date => new Date(NOW.getTime() - ms);
const HOUR = 3_600_000;

function input(parts: {
  backups: BackupRecord[];
  present: PresentStretch[];
  histories?: KnownHistory[];
  size?: number;
  windowDays?: number;
}): ContinuityInput {
  return {
    backups: parts.backups,
    histories: parts.histories ?? [],
    present: presentSegments(parts.present),
    policy: policy({ pitrWindowMs: (parts.windowDays ?? 7) * DAY }),
    walSegmentSize: parts.size === undefined ? DEFAULT_WAL_SEGMENT_SIZE : walSegmentSize(parts.size),
    uploadGraceMs: GRACE,
    now: NOW,
  };
}

/** Tl 1, segments 1..100 uploaded a minute apart, the last one 10 minutes ago. */
const healthyStretch = (from = 1, to = 100): PresentStretch => ({
  timeline: 1,
  from,
  to,
  firstAt: ago(10 * 60_000 + (to - from) * 60_000),
});

describe('detectGaps: unreadable backups', () => {
  it('reports a backup whose sentinel exists but cannot be interpreted as an unreadable-backup finding', () => {
    const good = backupRecord({ startSegNo: 2, finishSegNo: 4, finishTime: ago(2 * DAY), name: 'base-2' });
    const bad: BackupRecord = {
      cluster: good.cluster,
      name: 'base-9',
      status: 'unreadable',
      problem: 'WAL-G sentinel k: the document is not valid JSON',
      firstSeenAt: ago(DAY),
      updatedAt: ago(DAY),
    };
    const report = detectGaps(input({ backups: [good, bad], present: [healthyStretch()] }));
    expect(report.status).toBe('WARNING');
    expect(report.findings).toEqual([
      { kind: 'unreadable-backup', severity: 'WARNING', backup: 'base-9', problem: bad.problem },
    ]);
    expect(report.chainBase).toBe('base-2');
  });
});

describe('detectGaps: a backup of another database system', () => {
  it('is a foreign-system finding (FAILURE) and never the chain base', () => {
    const withId = (record: BackupRecord, id: bigint): BackupRecord => ({
      ...record,
      backup: { ...(record.backup as NonNullable<BackupRecord['backup']>), systemIdentifier: id },
    });
    const ours = withId(
      backupRecord({ startSegNo: 2, finishSegNo: 4, finishTime: ago(9 * DAY) }),
      7321456789012345678n,
    );
    const ours2 = withId(
      backupRecord({ startSegNo: 50, finishSegNo: 51, finishTime: ago(8 * DAY) }),
      7321456789012345678n,
    );
    // Another database pushed a backup (its own segment numbers, which this cluster never archived) into the prefix.
    const foreign = withId(
      backupRecord({ startSegNo: 500, finishSegNo: 501, finishTime: ago(DAY) }),
      7399999999999999999n,
    );
    const report = detectGaps(input({ backups: [ours, ours2, foreign], present: [healthyStretch()] }));
    expect(report.findings).toEqual([
      {
        kind: 'foreign-system',
        severity: 'FAILURE',
        backup: foreign.name,
        systemIdentifier: '7399999999999999999',
        clusterSystemIdentifier: '7321456789012345678',
      },
    ]);
    expect(report.status).toBe('FAILURE');
    // Its own range (segments 500..501, never archived here) is no gap: it is no part of this cluster's chain.
    expect(report.gaps).toEqual([]);
    expect(report.chainBase).toBe(ours.name);
  });
});

describe('detectGaps: unreadable history files', () => {
  it('a broken history of the newest timeline is an unreadable-history FAILURE, not also a missing-history', () => {
    const base = backupRecord({ startSegNo: 2, finishSegNo: 4, finishTime: ago(2 * DAY), name: 'base-2' });
    const reading = readHistoryFiles([
      { timeline: timelineId(2), key: 'wal_005/00000002.history.br', content: '2\t0/3000000\tnot my parent\n' },
    ]);
    const report = detectGaps({
      ...input({
        backups: [base],
        present: [healthyStretch(1, 50), { timeline: 2, from: 51, to: 60, firstAt: ago(20 * 60_000) }],
      }),
      unreadableHistories: reading.unreadable,
    });
    expect(report.status).toBe('FAILURE');
    expect(report.findings).toEqual([
      {
        kind: 'unreadable-history',
        severity: 'FAILURE',
        timeline: 2,
        file: 'wal_005/00000002.history.br',
        problem: expect.stringContaining('not below the file'),
      },
    ]);
  });

  it('a broken history of an older, unused timeline is a WARNING', () => {
    const base = backupRecord({ startSegNo: 2, finishSegNo: 4, finishTime: ago(2 * DAY), name: 'base-2' });
    const report = detectGaps({
      ...input({
        backups: [base],
        present: [healthyStretch()],
        histories: [history(3, '1\t0/70000000\tx', ago(3 * DAY))],
      }),
      unreadableHistories: [{ timeline: timelineId(2), key: 'wal_005/00000002.history', problem: 'garbage' }],
    });
    expect(report.findings).toMatchObject([{ kind: 'unreadable-history', severity: 'WARNING', timeline: 2 }]);
  });
});

describe('detectGaps: walSegmentSize that does not match the bucket', () => {
  it('1 MiB segments read with the 16 MiB default: a segment-size-mismatch finding naming 1MiB, no false losses', () => {
    const MIB = 1024 * 1024;
    const oneMiB = walSegmentSize(MIB);
    // The backups and WAL of a 1 MiB cluster: names and LSNs in 1 MiB segments, segments 0x10..0x90 archived.
    const backups = [0x20, 0x40, 0x60].map((segNo, index) =>
      backupRecord({
        startSegNo: segNo,
        finishSegNo: segNo + 1,
        finishTime: ago((3 - index) * DAY),
        segmentSize: oneMiB,
      }),
    );
    const report = detectGaps(
      input({ backups, present: [{ timeline: 1, from: 0x10, to: 0x90, firstAt: ago(4 * DAY), stepMs: 60_000 }] }),
    );
    expect(report.status).toBe('FAILURE');
    expect(report.gaps).toEqual([]);
    expect(report.findings).toEqual([
      {
        kind: 'segment-size-mismatch',
        severity: 'FAILURE',
        walSegmentSize: '16MiB',
        fits: '1MiB',
        backups: 3,
        problem: expect.stringContaining('set walSegmentSize: 1MiB'),
      },
    ]);
    // With the right size the same bucket is whole.
    const right = detectGaps({
      ...input({ backups, present: [{ timeline: 1, from: 0x10, to: 0x90, firstAt: ago(4 * DAY), stepMs: 60_000 }] }),
      walSegmentSize: oneMiB,
    });
    expect(right.findings.filter((finding) => finding.kind === 'segment-size-mismatch')).toEqual([]);
  });
});

describe('detectGaps: single timeline', () => {
  const base = backupRecord({ startSegNo: 2, finishSegNo: 4, finishTime: ago(2 * DAY), name: 'base-2' });

  it('reports OK for an unbroken chain from the backup to the head', () => {
    const report = detectGaps(input({ backups: [base], present: [healthyStretch()] }));
    expect(report).toMatchObject({ status: 'OK', gaps: [], findings: [], chainBase: 'base-2' });
    expect(report.head?.segNo).toBe(100);
  });

  it('reports a missing segment whose successor arrived long ago as lost', () => {
    const report = detectGaps(input({ backups: [base], present: [healthyStretch(1, 49), healthyStretch(51, 100)] }));
    expect(report.status).toBe('FAILURE');
    expect(report.gaps).toEqual([
      { timeline: 1, fromSegNo: 50, toSegNo: 50, count: 1, status: 'lost', neededBy: [PITR_CHAIN] },
    ]);
  });

  it('reports a missing segment whose successor arrived within the upload grace as uploading', () => {
    const present: PresentStretch[] = [
      { timeline: 1, from: 1, to: 98, firstAt: ago(2 * DAY) },
      { timeline: 1, from: 100, to: 100, firstAt: ago(60_000) },
    ];
    const report = detectGaps(input({ backups: [base], present }));
    expect(report.status).toBe('WARNING');
    expect(report.gaps).toMatchObject([{ timeline: 1, fromSegNo: 99, toSegNo: 99, status: 'uploading' }]);
  });

  it('does not report WAL missing before the oldest backup', () => {
    const late = backupRecord({ startSegNo: 20, finishSegNo: 21, finishTime: ago(DAY) });
    const report = detectGaps(input({ backups: [late], present: [healthyStretch(15, 100)] }));
    expect(report).toMatchObject({ status: 'OK', gaps: [] });
  });

  it('crosses a log-id boundary at 16 MiB (…000000FF then …0000000100000000)', () => {
    const report = detectGaps(input({ backups: [base], present: [healthyStretch(1, 254), healthyStretch(257, 300)] }));
    expect(gapsJson(report, DEFAULT_WAL_SEGMENT_SIZE).gaps).toEqual([
      { timeline: 1, from: '0000000100000000000000FF', to: '000000010000000100000000', count: 2, status: 'lost' },
    ]);
  });

  it('uses the segment size for names and LSN math (64 MiB: 64 segments per log id)', () => {
    const size = 64 * 1024 * 1024;
    const backup = backupRecord({
      startSegNo: 2,
      finishSegNo: 3,
      finishTime: ago(DAY),
      segmentSize: walSegmentSize(size),
    });
    const report = detectGaps(
      input({ backups: [backup], present: [healthyStretch(1, 62), healthyStretch(65, 80)], size }),
    );
    expect(gapsJson(report, walSegmentSize(size)).gaps).toEqual([
      { timeline: 1, from: '00000001000000000000003F', to: '000000010000000100000000', count: 2, status: 'lost' },
    ]);
  });

  it('gives FAILURE with a no-backup finding and no gaps when no backup is complete', () => {
    const incomplete = backupRecord({ startSegNo: 2, finishSegNo: 4, finishTime: ago(DAY), status: 'incomplete' });
    const report = detectGaps(
      input({ backups: [incomplete], present: [healthyStretch(1, 10), healthyStretch(20, 30)] }),
    );
    expect(report).toMatchObject({ status: 'FAILURE', gaps: [], findings: [{ kind: 'no-backup' }] });
  });

  it('reports the live position as delayed segments', () => {
    const report = detectGaps({
      ...input({ backups: [base], present: [healthyStretch()] }),
      livePosition: { timeline: timelineId(1), lsn: parseLsn('0/67000100') },
    });
    expect(report.status).toBe('WARNING');
    expect(report.findings).toEqual([
      { kind: 'delayed', severity: 'WARNING', timeline: 1, fromSegNo: 101, toSegNo: 102, count: 2 },
    ]);
  });
});

describe('detectGaps: retention-thinned WAL', () => {
  // Permanent backup a year ago and monthly backups outside the 7-day window keep only their own WAL.
  const permanent = backupRecord({
    startSegNo: 5,
    finishSegNo: 6,
    finishTime: ago(365 * DAY),
    permanent: true,
    name: 'permanent',
  });
  const monthly = backupRecord({ startSegNo: 20, finishSegNo: 23, finishTime: ago(40 * DAY), name: 'monthly' });
  const weekly = backupRecord({ startSegNo: 40, finishSegNo: 41, finishTime: ago(9 * DAY), name: 'weekly' });
  const daily = backupRecord({ startSegNo: 60, finishSegNo: 61, finishTime: ago(3 * DAY), name: 'daily' });
  const backups = [permanent, monthly, weekly, daily];
  const thinned: PresentStretch[] = [
    { timeline: 1, from: 5, to: 6, firstAt: ago(365 * DAY) },
    { timeline: 1, from: 20, to: 23, firstAt: ago(40 * DAY) },
    { timeline: 1, from: 40, to: 100, firstAt: ago(9 * DAY), stepMs: 3 * HOUR },
  ];
  // What walcat's retention recorded when it deleted the WAL between the monthly and the weekly backup.
  const tombstone: RetentionTombstone = {
    timeline: timelineId(1),
    fromSegNo: segmentNumber(24),
    toSegNo: segmentNumber(39),
    planId: 'plan-7',
    deletedAt: ago(8 * DAY),
  };

  it('does not alert on WAL that walcat’s retention recorded deleting between long-term backups', () => {
    const report = detectGaps({ ...input({ backups, present: thinned }), retentionTombstones: [tombstone] });
    expect(report).toMatchObject({ status: 'OK', gaps: [], chainBase: 'monthly' });
    expect(report.deletedByRetention).toEqual([
      {
        timeline: 1,
        fromSegNo: 24,
        toSegNo: 39,
        count: 16,
        planId: 'plan-7',
        deletedAt: tombstone.deletedAt,
      },
    ]);
  });

  it('reports the same hole as a gap when retention did not make it (a lifecycle rule, an operator)', () => {
    const report = detectGaps(input({ backups, present: thinned }));
    expect(report.status).toBe('FAILURE');
    expect(report.gaps).toMatchObject([{ fromSegNo: 24, toSegNo: 39, status: 'lost', neededBy: [PITR_CHAIN] }]);
    expect(report.deletedByRetention).toEqual([]);
  });

  it('reports only the part of a hole that no tombstone covers', () => {
    const narrower = { ...tombstone, fromSegNo: segmentNumber(24), toSegNo: segmentNumber(30) };
    const report = detectGaps({ ...input({ backups, present: thinned }), retentionTombstones: [narrower] });
    expect(report.gaps).toMatchObject([{ fromSegNo: 31, toSegNo: 39, status: 'lost' }]);
    expect(report.deletedByRetention).toMatchObject([{ fromSegNo: 24, toSegNo: 30, planId: 'plan-7' }]);
  });

  it('does not alert on WAL before the oldest non-permanent backup (WAL-G’s delete garbage pattern)', () => {
    const report = detectGaps(
      input({ backups: [permanent, weekly, daily], present: [thinned[0], thinned[2]] as PresentStretch[] }),
    );
    expect(report).toMatchObject({ status: 'OK', gaps: [], chainBase: 'weekly' });
  });

  it('alerts on a segment missing inside a long-term backup’s own range, tombstone or not', () => {
    const present = [
      ...thinned.filter((stretch) => stretch.from !== 20),
      { timeline: 1, from: 20, to: 21, firstAt: ago(40 * DAY) },
      { timeline: 1, from: 23, to: 23, firstAt: ago(40 * DAY) },
    ];
    const covering = { ...tombstone, fromSegNo: segmentNumber(22), toSegNo: segmentNumber(39) };
    const report = detectGaps({ ...input({ backups, present }), retentionTombstones: [covering] });
    expect(report.status).toBe('FAILURE');
    expect(report.gaps).toMatchObject([{ fromSegNo: 22, toSegNo: 22, status: 'lost', neededBy: ['monthly'] }]);
    expect(report.deletedByRetention).toMatchObject([{ fromSegNo: 24, toSegNo: 39 }]);
  });

  it('alerts on a segment missing in the chain even outside the promised window', () => {
    const present = [
      thinned[0],
      thinned[1],
      { timeline: 1, from: 40, to: 44, firstAt: ago(9 * DAY) },
      { timeline: 1, from: 46, to: 100, firstAt: ago(8 * DAY), stepMs: HOUR },
    ] as PresentStretch[];
    const report = detectGaps({ ...input({ backups, present }), retentionTombstones: [tombstone] });
    expect(report.gaps).toMatchObject([{ fromSegNo: 45, toSegNo: 45, status: 'lost', neededBy: [PITR_CHAIN] }]);
  });
});

describe('detectGaps: timelines', () => {
  const size = DEFAULT_WAL_SEGMENT_SIZE;
  const base = backupRecord({ startSegNo: 5, finishSegNo: 6, finishTime: ago(3 * DAY), name: 'base-tl1' });
  // Timeline 2 branched from 1 at 0/1E000060, inside segment 30 (0x1E).
  const tl2History = history(2, '1\t0/1E000060\tno recovery target specified\n', ago(2 * DAY));

  it('follows the child from the switch segment on, with the parent’s .partial not counted', () => {
    const report = detectGaps(
      input({
        backups: [base],
        histories: [tl2History],
        present: [
          { timeline: 1, from: 1, to: 29, firstAt: ago(3 * DAY) },
          { timeline: 2, from: 30, to: 60, firstAt: ago(2 * DAY) },
        ],
      }),
    );
    expect(report).toMatchObject({ status: 'OK', gaps: [], findings: [], newestTimeline: 2 });
    expect(report.head).toMatchObject({ timeline: 2, segNo: 60 });
  });

  it('follows a switch exactly on a segment boundary', () => {
    const boundary = history(2, '1\t0/1E000000\tno recovery target specified\n', ago(2 * DAY));
    const report = detectGaps(
      input({
        backups: [base],
        histories: [boundary],
        present: [
          { timeline: 1, from: 1, to: 29, firstAt: ago(3 * DAY) },
          { timeline: 2, from: 30, to: 60, firstAt: ago(2 * DAY) },
        ],
      }),
    );
    expect(report).toMatchObject({ status: 'OK', gaps: [] });
  });

  it('reports the child’s first segment as missing even when the parent’s segment S exists', () => {
    const report = detectGaps(
      input({
        backups: [base],
        histories: [tl2History],
        present: [
          { timeline: 1, from: 1, to: 30, firstAt: ago(3 * DAY) },
          { timeline: 2, from: 31, to: 60, firstAt: ago(2 * DAY) },
        ],
      }),
    );
    expect(gapsJson(report, size).gaps).toEqual([
      { timeline: 2, from: '00000002000000000000001E', to: '00000002000000000000001E', count: 1, status: 'lost' },
    ]);
  });

  it('ignores an abandoned branch that stopped before the newer timeline began', () => {
    const report = detectGaps(
      input({
        backups: [base],
        histories: [
          history(2, '1\t0/14000060\ttest restore\n', ago(2.5 * DAY)),
          history(3, '1\t0/28000060\tfailover\n', ago(DAY)),
        ],
        present: [
          { timeline: 1, from: 1, to: 45, firstAt: ago(3 * DAY), stepMs: 60_000 },
          { timeline: 2, from: 20, to: 25, firstAt: ago(2.5 * DAY) },
          { timeline: 3, from: 40, to: 70, firstAt: ago(DAY) },
        ],
      }),
    );
    expect(report).toMatchObject({ status: 'OK', gaps: [], findings: [], newestTimeline: 3 });
  });

  it('reports a parent that kept archiving after its child began as divergence naming both timelines', () => {
    const report = detectGaps(
      input({
        backups: [base],
        histories: [tl2History],
        present: [
          { timeline: 1, from: 1, to: 29, firstAt: ago(3 * DAY) },
          { timeline: 1, from: 30, to: 40, firstAt: ago(DAY) },
          { timeline: 2, from: 30, to: 60, firstAt: ago(2 * DAY) },
        ],
      }),
    );
    expect(report.status).toBe('FAILURE');
    expect(report.gaps).toEqual([]);
    expect(report.findings).toEqual([
      { kind: 'divergence', severity: 'FAILURE', timeline: 1, rivalTimeline: 2, fromSegNo: 30, toSegNo: 40, count: 11 },
    ]);
  });

  it('follows a restored copy promoted to a newer timeline and flags the old primary still archiving', () => {
    const report = detectGaps(
      input({
        backups: [base],
        histories: [tl2History, history(3, '1\t0/0A000060\trestored copy\n', ago(HOUR))],
        present: [
          { timeline: 1, from: 1, to: 29, firstAt: ago(3 * DAY) },
          { timeline: 2, from: 30, to: 90, firstAt: ago(2 * DAY), stepMs: 47.5 * 60_000 },
          { timeline: 3, from: 10, to: 12, firstAt: ago(30 * 60_000) },
        ],
      }),
    );
    expect(report.newestTimeline).toBe(3);
    expect(report.head).toMatchObject({ timeline: 3, segNo: 12 });
    expect(report.findings).toContainEqual(
      expect.objectContaining({ kind: 'divergence', timeline: 2, rivalTimeline: 3 }),
    );
    expect(report.status).toBe('FAILURE');
  });

  it('reports a missing history file for the newest timeline', () => {
    const report = detectGaps(
      input({
        backups: [base],
        present: [
          { timeline: 1, from: 1, to: 29, firstAt: ago(3 * DAY) },
          { timeline: 2, from: 30, to: 60, firstAt: ago(2 * DAY) },
        ],
      }),
    );
    expect(report.status).toBe('FAILURE');
    expect(report.findings).toContainEqual({ kind: 'missing-history', severity: 'FAILURE', timeline: 2 });
  });
});

describe('PresentSegmentsBuilder', () => {
  it('counts a segment stored under two suffixes once, with its earliest upload', () => {
    const builder = new PresentSegmentsBuilder();
    const tl = timelineId(1);
    builder.add(tl, segmentNumber(7), 2_000).add(tl, segmentNumber(7), 1_000).add(tl, segmentNumber(8), 3_000);
    const present = builder.build();
    expect(present.count(tl)).toBe(2);
    expect(present.runs(tl)).toEqual([{ fromSegNo: 7, toSegNo: 8, firstUploadedAtMs: 1_000, lastUploadedAtMs: 3_000 }]);
  });

  it('builds the same runs for any order and duplication of adds', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { maxLength: 120 }),
        fc.infiniteStream(fc.boolean()),
        (segNos, duplicates) => {
          const tl = timelineId(1);
          const sorted = [...segNos].sort((a, b) => a - b);
          const reference = new PresentSegmentsBuilder();
          for (const segNo of sorted) reference.add(tl, segmentNumber(segNo), segNo * 10);
          const shuffled = new PresentSegmentsBuilder();
          const iterator = duplicates[Symbol.iterator]();
          for (const segNo of segNos) {
            shuffled.add(tl, segmentNumber(segNo), segNo * 10);
            if (iterator.next().value) shuffled.add(tl, segmentNumber(segNo), segNo * 10 + 5);
          }
          expect(shuffled.build().runs(tl)).toEqual(reference.build().runs(tl));
          expect(shuffled.build().count(tl)).toBe(segNos.length);
        },
      ),
    );
  });
});

describe('detectGaps: properties', () => {
  const sizes = [1, 16, 64, 1024].map((mib) => walSegmentSize(mib * 1024 * 1024));

  it('reports exactly the required segments that are missing (naive model, one timeline)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...sizes),
        fc.integer({ min: 0, max: 5_000 }),
        fc.array(
          fc.record({
            start: fc.integer({ min: 0, max: 150 }),
            length: fc.integer({ min: 0, max: 4 }),
            ageDays: fc.integer({ min: 0, max: 30 }),
            permanent: fc.boolean(),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        fc.uniqueArray(fc.integer({ min: 0, max: 200 }), { maxLength: 25 }),
        (size, offset, specs, removed) => {
          const backups = specs.map((spec, index) =>
            backupRecord({
              startSegNo: offset + spec.start,
              finishSegNo: offset + spec.start + spec.length,
              finishTime: ago(spec.ageDays * DAY + index),
              permanent: spec.permanent,
              segmentSize: size,
              name: `b${index}`,
            }),
          );
          const removedSet = new Set(removed.map((segNo) => offset + segNo));
          const builder = new PresentSegmentsBuilder();
          const tl = timelineId(1);
          for (let segNo = offset; segNo <= offset + 200; segNo++) {
            if (!removedSet.has(segNo)) builder.add(tl, segmentNumber(segNo), ago(DAY).getTime());
          }
          const report = detectGaps({
            backups,
            histories: [],
            present: builder.build(),
            policy: policy(),
            walSegmentSize: size,
            uploadGraceMs: GRACE,
            now: NOW,
          });
          const presentSegNos = [...Array(201).keys()].map((i) => offset + i).filter((segNo) => !removedSet.has(segNo));
          const head = Math.max(...presentSegNos);
          const required = new Set<number>();
          for (const spec of specs)
            for (let segNo = offset + spec.start; segNo <= offset + spec.start + spec.length; segNo++)
              required.add(segNo);
          const base = backups.find((record) => record.name === report.chainBase);
          if (base?.backup !== undefined)
            for (let segNo = base.backup.startSegment.segNo; segNo <= head; segNo++) required.add(segNo);
          const expected = [...required].filter((segNo) => removedSet.has(segNo)).sort((a, b) => a - b);
          const reported = report.gaps.flatMap((gap) => Array.from({ length: gap.count }, (_, i) => gap.fromSegNo + i));
          expect(reported).toEqual(expected);
          expect(report.status).toBe(expected.length > 0 ? 'FAILURE' : 'OK');
        },
      ),
    );
  });

  it('never reports gaps or divergence for a clean switch, with or without .partial and leftover parent WAL', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...sizes),
        fc.integer({ min: 10, max: 400 }),
        fc.integer({ min: 0, max: 1024 * 1024 - 1 }),
        fc.integer({ min: 0, max: 5 }),
        (size, switchSegNo, offsetInSegment, parentLeftover) => {
          const switchLsn = BigInt(switchSegNo) * BigInt(size) + BigInt(offsetInSegment % size);
          const text = `1\t${(switchLsn >> 32n).toString(16).toUpperCase()}/${(switchLsn & 0xffffffffn).toString(16).toUpperCase()}\tpromote\n`;
          const childBegan = ago(DAY);
          const builder = new PresentSegmentsBuilder();
          // Parent WAL up to S-1 plus, before the child began, segments the promoted standby never received.
          for (let segNo = 1; segNo < switchSegNo + parentLeftover; segNo++)
            builder.add(timelineId(1), segmentNumber(segNo), ago(2 * DAY).getTime() + segNo);
          for (let segNo = switchSegNo; segNo < switchSegNo + 20; segNo++)
            builder.add(timelineId(2), segmentNumber(segNo), childBegan.getTime() + segNo);
          const backup = backupRecord({ startSegNo: 2, finishSegNo: 3, finishTime: ago(3 * DAY), segmentSize: size });
          const report = detectGaps({
            backups: [backup],
            histories: [history(2, text, childBegan)],
            present: builder.build(),
            policy: policy(),
            walSegmentSize: size,
            uploadGraceMs: GRACE,
            now: NOW,
          });
          expect(report).toMatchObject({ status: 'OK', gaps: [], findings: [] });
          expect(report.head).toMatchObject({ timeline: 2, segNo: switchSegNo + 19 });
        },
      ),
    );
  });

  it('reports exactly the missing segments of the newest timeline’s path across a switch (naive model)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20, max: 120 }),
        fc.boolean(),
        fc.uniqueArray(fc.integer({ min: 1, max: 160 }), { maxLength: 12 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 160 }), { maxLength: 12 }),
        (switchSegNo, withPartialParent, removedParent, removedChild) => {
          const size = DEFAULT_WAL_SEGMENT_SIZE;
          const switchLsn = BigInt(switchSegNo) * BigInt(size) + 96n;
          const text = `1\t${(switchLsn >> 32n).toString(16).toUpperCase()}/${(switchLsn & 0xffffffffn).toString(16).toUpperCase()}\tpromote\n`;
          const childBegan = ago(DAY);
          const parentGone = new Set(removedParent);
          const childGone = new Set(removedChild);
          const builder = new PresentSegmentsBuilder();
          // The parent has everything up to S-1 (and, before the child began, S itself when it was not a .partial).
          const parentLast = withPartialParent ? switchSegNo - 1 : switchSegNo;
          for (let segNo = 1; segNo <= parentLast; segNo++) {
            if (!parentGone.has(segNo)) builder.add(timelineId(1), segmentNumber(segNo), ago(3 * DAY).getTime());
          }
          for (let segNo = switchSegNo; segNo <= 160; segNo++) {
            if (!childGone.has(segNo) || segNo === 160)
              builder.add(timelineId(2), segmentNumber(segNo), childBegan.getTime());
          }
          const backup = backupRecord({ startSegNo: 5, finishSegNo: 6, finishTime: ago(4 * DAY) });
          const report = detectGaps({
            backups: [backup],
            histories: [history(2, text, ago(DAY + 1))],
            present: builder.build(),
            policy: policy(),
            walSegmentSize: size,
            uploadGraceMs: GRACE,
            now: NOW,
          });
          const expected = [
            ...[...parentGone].filter((segNo) => segNo >= 5 && segNo < switchSegNo).map((segNo) => `1:${segNo}`),
            ...[...childGone].filter((segNo) => segNo >= switchSegNo && segNo < 160).map((segNo) => `2:${segNo}`),
          ].sort();
          const reported = report.gaps
            .flatMap((gap) => Array.from({ length: gap.count }, (_, i) => `${gap.timeline}:${gap.fromSegNo + i}`))
            .sort();
          expect(reported).toEqual(expected);
          expect(report.findings).toEqual([]);
          expect(report.head).toMatchObject({ timeline: 2, segNo: 160 });
        },
      ),
    );
  });

  it('flags exactly the parent segments from the switch segment on that arrived after the child began (divergence)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20, max: 100 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 30 }),
        (switchSegNo, before, after) => {
          const size = DEFAULT_WAL_SEGMENT_SIZE;
          const switchLsn = BigInt(switchSegNo) * BigInt(size) + 96n;
          const text = `1\t${(switchLsn >> 32n).toString(16).toUpperCase()}/${(switchLsn & 0xffffffffn).toString(16).toUpperCase()}\tpromote\n`;
          const childBegan = ago(DAY);
          const builder = new PresentSegmentsBuilder();
          for (let segNo = 1; segNo < switchSegNo; segNo++)
            builder.add(timelineId(1), segmentNumber(segNo), ago(3 * DAY).getTime());
          // The old primary: `before` segments it archived before the promotion, then `after` more once the child ran.
          for (let i = 0; i < before + after; i++) {
            const at = i < before ? ago(2 * DAY).getTime() : ago(DAY / 2).getTime();
            builder.add(timelineId(1), segmentNumber(switchSegNo + i), at);
          }
          for (let segNo = switchSegNo; segNo < switchSegNo + 40; segNo++)
            builder.add(timelineId(2), segmentNumber(segNo), childBegan.getTime());
          const backup = backupRecord({ startSegNo: 2, finishSegNo: 3, finishTime: ago(3 * DAY) });
          const report = detectGaps({
            backups: [backup],
            histories: [history(2, text, childBegan)],
            present: builder.build(),
            policy: policy(),
            walSegmentSize: size,
            uploadGraceMs: GRACE,
            now: NOW,
          });
          expect(report.gaps).toEqual([]);
          const divergence = report.findings.filter((finding) => finding.kind === 'divergence');
          if (after === 0) {
            expect(divergence).toEqual([]);
            expect(report.status).toBe('OK');
          } else {
            expect(report.status).toBe('FAILURE');
            expect(divergence).toHaveLength(1);
            expect(divergence[0]).toMatchObject({
              timeline: 1,
              rivalTimeline: 2,
              toSegNo: switchSegNo + before + after - 1,
            });
          }
        },
      ),
    );
  });
});
