import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PresentSegmentsBuilder } from '../../../lib/domain/continuity/present-segments.ts';
import { restorableWindows, windowJson } from '../../../lib/domain/continuity/restorable-window.ts';
import { switchBreaks } from '../../../lib/domain/continuity/timeline-path.ts';
import { DEFAULT_WAL_SEGMENT_SIZE } from '../../../lib/domain/wal/segment-size.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber } from '../../../lib/domain/wal/wal-segment.ts';
import { backupRecord, history, policy, presentSegments } from './continuity-fixtures.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const ago = (ms: number): Date => new Date(NOW.getTime() - ms);
const MINUTE = 60_000;
const common = { policy: policy(), walSegmentSize: DEFAULT_WAL_SEGMENT_SIZE, uploadGraceMs: 5 * MINUTE, now: NOW };

describe('restorableWindows', () => {
  // Segments 1..100 on timeline 1, one a minute, segment n uploaded at T0 + n minutes.
  const T0 = ago(200 * MINUTE);
  const at = (segNo: number): Date => new Date(T0.getTime() + segNo * MINUTE);
  const first = backupRecord({ startSegNo: 10, finishSegNo: 12, finishTime: at(12), name: 'first' });
  const second = backupRecord({ startSegNo: 60, finishSegNo: 61, finishTime: at(61), name: 'second' });

  it('runs from the oldest consistent backup to the upload time of the last segment', () => {
    const report = restorableWindows({
      ...common,
      backups: [first, second],
      histories: [],
      present: presentSegments([{ timeline: 1, from: 1, to: 100, firstAt: at(1), stepMs: MINUTE }]),
    });
    expect(windowJson(report)).toMatchObject({
      ranges: [{ timeline: 1, from: at(12).toISOString(), to: at(100).toISOString(), baseBackup: 'first' }],
    });
    expect(report.backups).toEqual([
      { name: 'first', consistent: true },
      { name: 'second', consistent: true },
    ]);
  });

  it('is split by a gap: the older backup reaches up to the segment before it', () => {
    const report = restorableWindows({
      ...common,
      backups: [first, second],
      histories: [],
      present: presentSegments([
        { timeline: 1, from: 1, to: 39, firstAt: at(1), stepMs: MINUTE },
        { timeline: 1, from: 41, to: 100, firstAt: at(41), stepMs: MINUTE },
      ]),
    });
    expect(windowJson(report).ranges).toMatchObject([
      { timeline: 1, from: at(12).toISOString(), to: at(39).toISOString(), baseBackup: 'first' },
      { timeline: 1, from: at(61).toISOString(), to: at(100).toISOString(), baseBackup: 'second' },
    ]);
  });

  it('leaves out a backup missing a segment of its own range', () => {
    const report = restorableWindows({
      ...common,
      backups: [first, second],
      histories: [],
      present: presentSegments([
        { timeline: 1, from: 1, to: 10, firstAt: at(1), stepMs: MINUTE },
        { timeline: 1, from: 12, to: 100, firstAt: at(12), stepMs: MINUTE },
      ]),
    });
    expect(report.backups).toContainEqual({ name: 'first', consistent: false });
    expect(windowJson(report).ranges.map((range) => range.baseBackup)).toEqual(['second']);
  });

  it('follows a timeline switch and ends on the child', () => {
    const tl2 = history(2, '1\t0/32000060\tpromote\n', at(50));
    const breaks = switchBreaks([tl2.history], DEFAULT_WAL_SEGMENT_SIZE);
    const report = restorableWindows({
      ...common,
      backups: [first],
      histories: [tl2],
      // The old primary's leftover segments 50..55 on timeline 1 are not on the chain.
      present: presentSegments(
        [
          { timeline: 1, from: 1, to: 55, firstAt: at(1), stepMs: MINUTE },
          { timeline: 2, from: 50, to: 80, firstAt: at(50), stepMs: MINUTE },
        ],
        breaks,
      ),
    });
    expect(windowJson(report).ranges).toMatchObject([
      { timeline: 2, from: at(12).toISOString(), to: at(80).toISOString(), baseBackup: 'first' },
    ]);
  });

  it('ends at the parent’s last segment when the child’s first segment is missing', () => {
    const tl2 = history(2, '1\t0/32000060\tpromote\n', at(50));
    const report = restorableWindows({
      ...common,
      backups: [first],
      histories: [tl2],
      present: presentSegments(
        [
          { timeline: 1, from: 1, to: 55, firstAt: at(1), stepMs: MINUTE },
          { timeline: 2, from: 51, to: 80, firstAt: at(51), stepMs: MINUTE },
        ],
        switchBreaks([tl2.history], DEFAULT_WAL_SEGMENT_SIZE),
      ),
    });
    expect(windowJson(report).ranges).toMatchObject([
      { timeline: 1, from: at(12).toISOString(), to: at(49).toISOString(), baseBackup: 'first' },
    ]);
  });

  it('has ranges that never overlap, each starting at a consistent backup’s finish (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 120 }), { maxLength: 15 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 115 }), { minLength: 1, maxLength: 6 }),
        (removed, starts) => {
          const removedSet = new Set(removed);
          const builder = new PresentSegmentsBuilder();
          for (let segNo = 0; segNo <= 120; segNo++) {
            if (!removedSet.has(segNo)) builder.add(timelineId(1), segmentNumber(segNo), T0.getTime() + segNo * MINUTE);
          }
          const backups = starts.map((start) =>
            backupRecord({ startSegNo: start, finishSegNo: start + 2, finishTime: at(start + 2), name: `b${start}` }),
          );
          const report = restorableWindows({ ...common, backups, histories: [], present: builder.build() });
          const ranges = report.ranges;
          for (let index = 1; index < ranges.length; index++) {
            expect((ranges[index - 1]?.to.getTime() ?? 0) < (ranges[index]?.from.getTime() ?? 0)).toBe(true);
          }
          for (const range of ranges) {
            const start = Number(range.baseBackup.slice(1));
            expect(range.from.getTime()).toBe(at(start + 2).getTime());
            // The range ends at the segment before the first missing one after the backup's start.
            let end = start;
            while (end + 1 <= 120 && !removedSet.has(end + 1)) end++;
            expect(range.to.getTime()).toBe(T0.getTime() + end * MINUTE);
          }
        },
      ),
    );
  });
});
