import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClusterHealth } from '../../../lib/domain/continuity/cluster-health.ts';
import type { ContinuityInput, KnownHistory } from '../../../lib/domain/continuity/continuity-input.ts';
import { detectGaps } from '../../../lib/domain/continuity/gap-detection.ts';
import { restorableWindows, windowJson } from '../../../lib/domain/continuity/restorable-window.ts';
import { watchdogConditions } from '../../../lib/domain/continuity/watchdog-conditions.ts';
import { formatLsn, lsnFromInteger } from '../../../lib/domain/wal/lsn.ts';
import { DEFAULT_WAL_SEGMENT_SIZE } from '../../../lib/domain/wal/segment-size.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { readHistoryFiles, type UnreadableHistory } from '../../../lib/domain/wal/timeline-history.ts';
import { backupRecord, DAY, history, type PresentStretch, policy, presentSegments } from './continuity-fixtures.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const ago = (ms: number): Date => new Date(NOW.getTime() - ms);
const MINUTE = 60_000;
const SIZE = DEFAULT_WAL_SEGMENT_SIZE;

/** Random bytes as the catalog decodes them: what a libsodium or OpenPGP ciphertext of a history file looks like. */
const CIPHERTEXT = new TextDecoder().decode(Uint8Array.from([0x8c, 0x0d, 0x04, 0x09, 0x03, 0x02, 0xff, 0x00, 0x7a]));

function encrypted(timeline: number): UnreadableHistory {
  const key = `wal_005/0000000${timeline}.history.br`;
  const reading = readHistoryFiles([{ timeline: timelineId(timeline), key, content: CIPHERTEXT }]);
  return reading.unreadable[0] as UnreadableHistory;
}

/** Tl 1 up to the switch, then each later timeline from its first segment on, a minute apart, ending 10 min ago. */
function stretches(switches: readonly number[], last: number): PresentStretch[] {
  const bounds = [1, ...switches, last + 1];
  const total = last;
  return bounds.slice(0, -1).map((from, index) => ({
    timeline: index + 1,
    from,
    to: (bounds[index + 1] as number) - 1,
    firstAt: ago(10 * MINUTE + (total - from) * MINUTE),
  }));
}

function input(
  present: PresentStretch[],
  histories: KnownHistory[],
  unreadable: UnreadableHistory[] = [],
): ContinuityInput {
  return {
    backups: [backupRecord({ startSegNo: 2, finishSegNo: 4, finishTime: ago(2 * DAY), name: 'base-2' })],
    histories,
    unreadableHistories: unreadable,
    present: presentSegments(present),
    policy: policy(),
    walSegmentSize: SIZE,
    uploadGraceMs: 5 * MINUTE,
    now: NOW,
  };
}

describe('readHistoryFiles: history files that are not text', () => {
  it('marks ciphertext and undecodable objects as likely encrypted, and a text that does not parse as not', () => {
    const reading = readHistoryFiles([
      { timeline: timelineId(2), key: 'wal_005/00000002.history.br', content: CIPHERTEXT },
      { timeline: timelineId(3), key: 'wal_005/00000003.history.lz4' },
      { timeline: timelineId(4), key: 'wal_005/00000004.history', content: 'hello world\n' },
    ]);
    expect(reading.unreadable.map((file) => [file.timeline, file.likelyEncrypted])).toEqual([
      [2, true],
      [3, true],
      [4, false],
    ]);
  });
});

describe('continuity with client-side encrypted history files', () => {
  it('says so once for the cluster, infers each switch from the first segment, and finds no gap across it', () => {
    const report = detectGaps(input(stretches([51, 61], 70), [], [encrypted(3), encrypted(2)]));
    expect(report.gaps).toEqual([]);
    expect(report.findings).toEqual([
      {
        kind: 'encrypted-history',
        severity: 'WARNING',
        file: 'wal_005/00000002.history.br',
        files: ['wal_005/00000002.history.br', 'wal_005/00000003.history.br'],
        inferredTimelines: [2, 3],
        problem: expect.stringMatching(/00000002\.history\.br and 1 more.*client-side \(libsodium or OpenPGP\)/),
      },
    ]);
    expect(report.status).toBe('WARNING');
  });

  it('the watchdog opens one alert for the cluster, not one per file, and none of the per-timeline kind', () => {
    const gaps = detectGaps(input(stretches([51, 61], 70), [], [encrypted(3), encrypted(2)]));
    const conditions = watchdogConditions({
      gaps,
      health: {} as ClusterHealth,
      backups: [],
      alerts: { archiveLagMaxMs: 600_000, backupMaxAgeMs: 26 * 3_600_000, uploadGraceMs: 300_000 },
      walSegmentSize: SIZE,
      incompleteGraceMs: DAY,
      catalogStaleAfterMs: DAY,
      lastFullSyncAt: NOW,
      now: NOW,
    }).filter((condition) => condition.kind.endsWith('history'));
    expect(conditions).toMatchObject([
      {
        kind: 'encrypted-history',
        subject: 'history',
        severity: 'WARNING',
        facts: { File: 'wal_005/00000002.history.br', 'Inferred timelines': '2, 3' },
      },
    ]);
    expect(conditions[0]?.summary).toMatch(/2 timeline history files .* client-side encryption/);
  });

  it('marks the range that crosses an inferred switch as inferred, in the report and in window --json', () => {
    const report = restorableWindows(input(stretches([51, 61], 70), [], [encrypted(2), encrypted(3)]));
    expect(report.ranges).toHaveLength(1);
    expect(report.ranges[0]).toMatchObject({ timeline: 3, endSegNo: 70, baseBackup: 'base-2', confidence: 'inferred' });
    expect(windowJson(report).ranges[0]?.confidence).toBe('inferred');
  });

  it('a range that never crosses an inferred switch keeps full confidence', () => {
    const base = backupRecord({ timeline: 2, startSegNo: 53, finishSegNo: 54, finishTime: ago(DAY), name: 'base-53' });
    const report = restorableWindows({ ...input(stretches([51], 70), [], [encrypted(2)]), backups: [base] });
    expect(report.ranges).toHaveLength(1);
    expect(report.ranges[0]?.confidence).toBeUndefined();
    expect(windowJson(report).ranges[0]).not.toHaveProperty('confidence');
  });

  it('a timeline with no segment yet cannot be inferred: its ancestry stays unknown and the finding is a FAILURE', () => {
    const report = detectGaps(input(stretches([], 70), [], [encrypted(2)]));
    expect(report.findings).toMatchObject([{ kind: 'encrypted-history', severity: 'FAILURE', inferredTimelines: [] }]);
    expect(report.findings[0]).toMatchObject({ problem: expect.stringContaining('timeline 2 stays unknown') });
  });

  it('property: in any order, inferred ancestry gives the gaps and window a readable history with the switch anywhere in that segment gives', () => {
    fc.assert(
      fc.property(
        fc
          .uniqueArray(fc.integer({ min: 6, max: 60 }), { minLength: 1, maxLength: 3 })
          .map((s) => s.sort((a, b) => a - b)),
        fc.array(fc.integer({ min: 0, max: SIZE - 1 }), { minLength: 3, maxLength: 3 }),
        fc.boolean(),
        (switches, offsets, reversed) => {
          const present = stretches(switches, 70);
          // The true history files: each copies its parent's lines and adds one, switchpoint inside the child's first segment.
          const lines: string[] = [];
          const truth = switches.map((segNo, index) => {
            const lsn = lsnFromInteger(BigInt(segNo) * BigInt(SIZE) + BigInt(offsets[index] as number));
            lines.push(`${index + 1}\t${formatLsn(lsn)}\tpromoted`);
            return history(index + 2, lines.join('\n'), ago(DAY));
          });
          const broken = switches.map((_, index) => encrypted(index + 2));
          const guessed = input(present, [], reversed ? broken.reverse() : broken);
          const known = input(present, truth);
          expect(detectGaps(guessed).gaps).toEqual(detectGaps(known).gaps);
          const strip = (json: ReturnType<typeof windowJson>) =>
            json.ranges.map(({ confidence: _confidence, ...range }) => range);
          const guessedWindow = windowJson(restorableWindows(guessed));
          expect(strip(guessedWindow)).toEqual(strip(windowJson(restorableWindows(known))));
          expect(guessedWindow.ranges.every((range) => range.confidence === 'inferred')).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});
