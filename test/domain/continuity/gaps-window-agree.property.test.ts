/**
 * Gaps and the restorable window agree on every bucket: wherever the window splits (a range ends before the newest
 * segment), the missing segment after it is either reported as a gap, listed as deleted by retention (a tombstone
 * explains it), or lies before the oldest non-permanent backup (WAL-G's delete pattern: only permanent backups are
 * older), whatever the policy's window would excuse. And a
 * hole is never both a gap and retention's. Random one-timeline catalogs: backups (some permanent), holes, and
 * tombstones over some of the holes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RetentionTombstone } from '../../../lib/domain/catalog/retention-tombstones.ts';
import { detectGaps } from '../../../lib/domain/continuity/gap-detection.ts';
import { restorableWindows } from '../../../lib/domain/continuity/restorable-window.ts';
import { DEFAULT_WAL_SEGMENT_SIZE } from '../../../lib/domain/wal/segment-size.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber } from '../../../lib/domain/wal/wal-segment.ts';
import { backupRecord, DAY, type PresentStretch, policy, presentSegments } from './continuity-fixtures.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const HEAD = 80;

const caseArbitrary = fc.record({
  backups: fc.uniqueArray(
    fc.record({
      start: fc.integer({ min: 2, max: 70 }),
      span: fc.integer({ min: 1, max: 3 }),
      permanent: fc.boolean(),
    }),
    { minLength: 1, maxLength: 6, selector: (backup) => backup.start },
  ),
  holes: fc.uniqueArray(fc.integer({ min: 1, max: HEAD - 1 }), { maxLength: 12 }),
  /** Which holes a retention tombstone covers. */
  tombstoned: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
});

describe('gaps and the restorable window', () => {
  it('agree: every split of the window is a gap, retention’s recorded hole, or before the chain base', () => {
    fc.assert(
      fc.property(caseArbitrary, ({ backups, holes, tombstoned }) => {
        const sorted = [...backups].sort((a, b) => a.start - b.start);
        const records = sorted.map((spec, index) =>
          backupRecord({
            startSegNo: spec.start,
            finishSegNo: spec.start + spec.span - 1,
            finishTime: new Date(NOW.getTime() - (sorted.length - index) * 3 * DAY),
            permanent: spec.permanent,
          }),
        );
        const missing = new Set(holes);
        const stretches: PresentStretch[] = [];
        for (let segNo = 1; segNo <= HEAD; segNo++) {
          if (missing.has(segNo)) continue;
          stretches.push({
            timeline: 1,
            from: segNo,
            to: segNo,
            firstAt: new Date(NOW.getTime() - (HEAD - segNo + 10) * 60_000),
          });
        }
        const tombstones: RetentionTombstone[] = holes
          .filter((_, index) => tombstoned[index])
          .map((segNo) => ({
            timeline: timelineId(1),
            fromSegNo: segmentNumber(segNo),
            toSegNo: segmentNumber(segNo),
            planId: `plan-${segNo}`,
            deletedAt: NOW,
          }));
        const input = {
          backups: records,
          histories: [],
          present: presentSegments(stretches),
          retentionTombstones: tombstones,
          policy: policy(),
          walSegmentSize: DEFAULT_WAL_SEGMENT_SIZE,
          uploadGraceMs: 60_000,
          now: NOW,
        };
        const report = detectGaps(input);
        const windows = restorableWindows(input);
        const inGap = (segNo: number) => report.gaps.some((gap) => gap.fromSegNo <= segNo && segNo <= gap.toSegNo);
        const inRetention = (segNo: number) =>
          report.deletedByRetention.some((hole) => hole.fromSegNo <= segNo && segNo <= hole.toSegNo);
        // The spec, not the report: the chain starts at the oldest non-permanent backup (the newest permanent one
        // when there is no other), whatever the policy's window says.
        const nonPermanent = sorted.filter((spec) => !spec.permanent);
        const baseStart = nonPermanent.length > 0 ? nonPermanent[0]?.start : sorted.at(-1)?.start;
        for (const range of windows.ranges) {
          if (range.endSegNo >= HEAD) continue;
          const next = range.endSegNo + 1;
          expect(missing.has(next), `range ends at ${range.endSegNo} before a present segment`).toBe(true);
          const beforeBase = baseStart !== undefined && next < baseStart;
          expect(inGap(next) || inRetention(next) || beforeBase, `split after ${range.endSegNo} unexplained`).toBe(
            true,
          );
        }
        for (let segNo = 1; segNo <= HEAD; segNo++) {
          expect(inGap(segNo) && inRetention(segNo), `segment ${segNo} both a gap and retention's`).toBe(false);
          // A hole after the chain base that no tombstone covers is a gap.
          if (
            missing.has(segNo) &&
            baseStart !== undefined &&
            segNo >= baseStart &&
            !tombstones.some((t) => t.fromSegNo === segNo)
          ) {
            expect(inGap(segNo), `untombstoned hole ${segNo} after the chain base not reported`).toBe(true);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
