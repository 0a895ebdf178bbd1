import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lib/domain/errors.ts';
import { formatLsn, type Lsn, parseLsn } from '../../../lib/domain/wal/lsn.ts';
import { walSegmentSize } from '../../../lib/domain/wal/segment-size.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import {
  InvalidTimelineHistoryError,
  parseTimelineHistory,
  readHistoryFiles,
  requiredSegments,
  rootTimelineHistory,
  switchSegments,
  type TimelineHistory,
  timelineAncestry,
  timelineOfLsn,
} from '../../../lib/domain/wal/timeline-history.ts';
import { segNoOfByteBefore, segNoOfLsn } from '../../../lib/domain/wal/wal-segment.ts';

const MIB = 1024 * 1024;
const SIXTEEN = walSegmentSize(16 * MIB);
const ONE = walSegmentSize(MIB);

/** Timeline 3 after 1 -> 2 mid-segment 3 and 2 -> 3 exactly at the start of segment 5 (16 MiB). */
const THREE_LEVELS = [
  '1\t0/3000060\tno recovery target specified',
  '',
  '2\t0/05000000\tbefore 2026-11-20 14:30:00+00',
  '',
].join('\n');

describe('parseTimelineHistory', () => {
  it('reads entries in both LSN forms and keeps the reason text', () => {
    const history = parseTimelineHistory(timelineId(3), THREE_LEVELS);
    expect(history).toEqual({
      timeline: 3,
      entries: [
        { parent: 1, switchpoint: 0x3000060n, reason: 'no recovery target specified' },
        { parent: 2, switchpoint: 0x5000000n, reason: 'before 2026-11-20 14:30:00+00' },
      ],
    });
    expect(Object.isFrozen(history)).toBe(true);
    expect(Object.isFrozen(history.entries)).toBe(true);
    expect(Object.isFrozen(history.entries[0])).toBe(true);
  });

  it('ignores comments, blank and white-space lines, CRLF line ends and accepts a missing reason', () => {
    const text =
      '# written by a test\r\n\r\n   \n  # indented comment\n1\t0/3000060\r\n2 0/5000000   at restore point "x"\n';
    expect(parseTimelineHistory(timelineId(3), text).entries).toEqual([
      { parent: 1, switchpoint: 0x3000060n, reason: '' },
      { parent: 2, switchpoint: 0x5000000n, reason: 'at restore point "x"' },
    ]);
  });

  it('reads the file PostgreSQL 15 wrote after a promotion', () => {
    const history = parseTimelineHistory(timelineId(2), '1\t0/30000A0\tno recovery target specified\n');
    expect(history.entries).toEqual([{ parent: 1, switchpoint: 0x30000a0n, reason: 'no recovery target specified' }]);
  });

  it.each([
    ['1\tnot-an-lsn\treason\n', 1, 'is not "parentTLI<TAB>X/Y<TAB>reason"'],
    ['# header\nx\t0/1\treason\n', 2, 'is not "parentTLI<TAB>X/Y<TAB>reason"'],
    ['1\n', 1, 'is not "parentTLI<TAB>X/Y<TAB>reason"'],
    ['1\t0/123456789\treason\n', 1, '0/123456789'],
    ['0\t0/1\treason\n', 1, 'parent timeline 0 is not in 1..4294967295'],
    ['1\t0/1\ta\n1\t0/2\tb\n', 2, 'parent timeline 1 does not increase'],
    ['1\t0/1\ta\n3\t0/2\tb\n', 2, "parent timeline 3 is not below the file's own timeline 3"],
    ['1\t0/5000000\ta\n2\t0/3000000\tb\n', 2, 'switchpoint 0/3000000 is before the previous switchpoint 0/5000000'],
  ])('rejects %j naming line %i', (text, lineNumber, message) => {
    const parse = () => parseTimelineHistory(timelineId(3), text, 'wal_005/00000003.history.lz4');
    expect(parse).toThrow(InvalidTimelineHistoryError);
    expect(parse).toThrow(InvalidInputError);
    expect(parse).toThrow(`wal_005/00000003.history.lz4 line ${lineNumber}: `);
    expect(parse).toThrow(message);
  });

  it('names the history file by its timeline when no source is given', () => {
    expect(() => parseTimelineHistory(timelineId(10), 'garbage')).toThrow('0000000A.history line 1: ');
  });

  it('rejects an empty file for a timeline above 1', () => {
    expect(() => parseTimelineHistory(timelineId(2), '# only a comment\n')).toThrow(
      '00000002.history: has no entries, but timeline 2 must have at least one parent',
    );
  });

  it('round-trips generated histories written in either LSN form', () => {
    fc.assert(
      fc.property(arbitraryHistory(), fc.boolean(), (history, padded) => {
        const text = history.entries
          .map((entry) => `${entry.parent}\t${lsnText(entry.switchpoint, padded)}\t${entry.reason}\n`)
          .join('');
        expect(parseTimelineHistory(history.timeline, text)).toEqual(history);
      }),
    );
  });
});

describe('timelineAncestry', () => {
  it('spans a three-level history oldest first; the newest is open-ended', () => {
    expect(timelineAncestry(parseTimelineHistory(timelineId(3), THREE_LEVELS))).toEqual([
      { timeline: 1, beginLsn: 0n, endLsn: 0x3000060n },
      { timeline: 2, beginLsn: 0x3000060n, endLsn: 0x5000000n },
      { timeline: 3, beginLsn: 0x5000000n },
    ]);
  });

  it('is just timeline 1 from LSN 0 without a history file', () => {
    expect(timelineAncestry(rootTimelineHistory())).toEqual([{ timeline: 1, beginLsn: 0n }]);
  });

  it('keeps a timeline that skipped numbers (3 forked from 1 after 2 was abandoned)', () => {
    const history = parseTimelineHistory(timelineId(3), '1\t0/4000000\tno recovery target specified\n');
    expect(timelineAncestry(history)).toEqual([
      { timeline: 1, beginLsn: 0n, endLsn: 0x4000000n },
      { timeline: 3, beginLsn: 0x4000000n },
    ]);
  });
});

describe('timelineOfLsn', () => {
  const history = parseTimelineHistory(timelineId(3), THREE_LEVELS);
  it.each([
    ['0/0', 1],
    ['0/300005F', 1],
    ['0/3000060', 2],
    ['0/4FFFFFF', 2],
    ['0/5000000', 3],
    ['FF/0', 3],
  ])('%s is on timeline %i (the switchpoint belongs to the child)', (lsn, timeline) => {
    expect(timelineOfLsn(history, parseLsn(lsn))).toBe(timeline);
  });

  it('agrees with the ancestry spans for every LSN', () => {
    fc.assert(
      fc.property(arbitraryHistory(), fc.bigInt({ min: 0n, max: 80n * BigInt(MIB) }), (generated, value) => {
        const lsn = value as Lsn;
        const span = timelineAncestry(generated).find(
          (candidate) => candidate.beginLsn <= lsn && (candidate.endLsn === undefined || lsn < candidate.endLsn),
        );
        expect(timelineOfLsn(generated, lsn)).toBe(span?.timeline);
      }),
    );
  });
});

describe('switchSegments', () => {
  it('locates each switch in segment space, parent to child', () => {
    expect(switchSegments(parseTimelineHistory(timelineId(3), THREE_LEVELS), SIXTEEN)).toEqual([
      { parent: 1, child: 2, switchpoint: 0x3000060n, segNo: 3 },
      { parent: 2, child: 3, switchpoint: 0x5000000n, segNo: 5 },
    ]);
  });
});

describe('requiredSegments', () => {
  const history = parseTimelineHistory(timelineId(3), THREE_LEVELS);

  it.each([
    {
      case: 'backup on timeline 1 restored to the head of timeline 3',
      from: '0/1000028',
      to: '0/8000000',
      expected: [
        { timeline: 1, fromSegNo: 1, toSegNo: 2 },
        { timeline: 2, fromSegNo: 3, toSegNo: 4 },
        { timeline: 3, fromSegNo: 5, toSegNo: 7 },
      ],
    },
    {
      case: 'mid-segment switch: parent segment 3 (the .partial) is not needed, the child segment 3 is',
      from: '0/2000000',
      to: '0/3000061',
      expected: [
        { timeline: 1, fromSegNo: 2, toSegNo: 2 },
        { timeline: 2, fromSegNo: 3, toSegNo: 3 },
      ],
    },
    {
      case: 'switch at a segment boundary: the child starts at the switch segment',
      from: '0/4000000',
      to: '0/5000001',
      expected: [
        { timeline: 2, fromSegNo: 4, toSegNo: 4 },
        { timeline: 3, fromSegNo: 5, toSegNo: 5 },
      ],
    },
    {
      case: 'end exactly at a boundary does not need the next segment',
      from: '0/4000000',
      to: '0/5000000',
      expected: [{ timeline: 2, fromSegNo: 4, toSegNo: 4 }],
    },
    {
      case: 'a range inside the newest timeline',
      from: '0/6000028',
      to: '0/6100000',
      expected: [{ timeline: 3, fromSegNo: 6, toSegNo: 6 }],
    },
    { case: 'an empty range', from: '0/6000028', to: '0/6000028', expected: [] },
  ])('$case', ({ from, to, expected }) => {
    expect(requiredSegments(history, parseLsn(from), parseLsn(to), SIXTEEN)).toEqual(expected);
  });

  it('skips a timeline whose whole life fits inside one segment', () => {
    const short = parseTimelineHistory(timelineId(3), '1\t0/3000010\ta\n2\t0/3000080\tb\n');
    expect(requiredSegments(short, parseLsn('0/1000000'), parseLsn('0/4000001'), SIXTEEN)).toEqual([
      { timeline: 1, fromSegNo: 1, toSegNo: 2 },
      { timeline: 3, fromSegNo: 3, toSegNo: 4 },
    ]);
  });

  it('uses the segment size: the same switch is segment 48 at 1 MiB', () => {
    expect(requiredSegments(history, parseLsn('0/2F00000'), parseLsn('0/3100000'), ONE)).toEqual([
      { timeline: 1, fromSegNo: 47, toSegNo: 47 },
      { timeline: 2, fromSegNo: 48, toSegNo: 48 },
    ]);
  });

  it('covers exactly the needed segments, each from the timeline that owns its last byte', () => {
    fc.assert(
      fc.property(
        arbitraryHistory(),
        fc.bigInt({ min: 0n, max: 80n * BigInt(MIB) }),
        fc.bigInt({ min: 1n, max: 30n * BigInt(MIB) }),
        (generated, start, length) => {
          const from = start as Lsn;
          const to = (start + length) as Lsn;
          const ranges = requiredSegments(generated, from, to, ONE);
          const covered = ranges.flatMap((range) =>
            Array.from({ length: range.toSegNo - range.fromSegNo + 1 }, (_, offset) => ({
              timeline: range.timeline,
              segNo: range.fromSegNo + offset,
            })),
          );
          const first = segNoOfLsn(from, ONE);
          const last = segNoOfByteBefore(to, ONE);
          expect(covered.map((segment) => segment.segNo)).toEqual(
            Array.from({ length: last - first + 1 }, (_, offset) => first + offset),
          );
          for (const segment of covered) {
            const lastByte = ((BigInt(segment.segNo) + 1n) * BigInt(MIB) - 1n) as Lsn;
            expect(segment.timeline).toBe(timelineOfLsn(generated, lastByte));
          }
        },
      ),
    );
  });
});

function lsnText(lsn: Lsn, padded: boolean): string {
  if (!padded) {
    return formatLsn(lsn);
  }
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase().padStart(8, '0')}`;
}

/** Histories of up to four switches within the first 80 MiB, so several switches often share a segment. */
function arbitraryHistory(): fc.Arbitrary<TimelineHistory> {
  return fc
    .array(
      fc.record({
        timelineStep: fc.integer({ min: 1, max: 3 }),
        lsnStep: fc.oneof(
          fc.constant(0n),
          fc.bigInt({ min: 1n, max: 0x200n }),
          fc.bigInt({ min: 1n, max: 20n }).map((segments) => segments * BigInt(MIB)),
          fc.bigInt({ min: 1n, max: 20n * BigInt(MIB) }),
        ),
        reason: fc.constantFrom('no recovery target specified', 'before 2026-11-20 14:30:00+00', ''),
      }),
      { maxLength: 4 },
    )
    .chain((steps) =>
      fc.integer({ min: 1, max: 3 }).map((lastStep) => {
        let parent = 0;
        let switchpoint = 0n;
        const entries = steps.map((step) => {
          parent += step.timelineStep;
          switchpoint += step.lsnStep;
          return { parent: timelineId(parent), switchpoint: switchpoint as Lsn, reason: step.reason };
        });
        return { timeline: timelineId(steps.length === 0 ? 1 : parent + lastStep), entries };
      }),
    );
}

describe('readHistoryFiles: one policy for broken history files', () => {
  const file = (timeline: number, content: string | undefined) => ({
    timeline: timelineId(timeline),
    key: `orders-main/wal_005/${timeline.toString(16).toUpperCase().padStart(8, '0')}.history.br`,
    ...(content === undefined ? {} : { content }),
  });
  const TWO = '1\t0/3000060\tno recovery target specified\n';

  it('keeps readable files and reports the others with the reason, never throws', () => {
    const reading = readHistoryFiles([file(2, TWO), file(3, 'garbage'), file(4, undefined)]);
    expect(reading.readable.map((r) => r.history.timeline)).toEqual([2]);
    expect(reading.unreadable.map((u) => [u.timeline, u.key])).toEqual([
      [3, 'orders-main/wal_005/00000003.history.br'],
      [4, 'orders-main/wal_005/00000004.history.br'],
    ]);
    expect(reading.unreadable[0]?.problem).toContain('line 1');
    expect(reading.unreadable[1]?.problem).toContain('walcat sync');
  });

  it('refuses a file whose ancestry does not begin on timeline 1', () => {
    const reading = readHistoryFiles([file(2, TWO), file(3, '2\t0/5000060\tx\n')]);
    expect(reading.readable.map((r) => r.history.timeline)).toEqual([2]);
    expect(reading.unreadable[0]?.problem).toMatch(/begins on timeline 2, not 1 .* skips its real ancestors/);
  });

  it("refuses a file whose earlier lines contradict its parent's file", () => {
    const reading = readHistoryFiles([file(2, TWO), file(3, '1\t0/4000060\tx\n2\t0/5000060\tx\n')]);
    expect(reading.unreadable).toHaveLength(1);
    expect(reading.unreadable[0]?.problem).toContain('00000002.history lists 1 until 0/3000060');
  });

  it("accepts a child whose file is its parent's plus one line, and a child of timeline 1 that skips nothing", () => {
    const reading = readHistoryFiles([
      file(3, `${TWO}2\t0/5000060\tx\n`),
      file(2, TWO),
      file(4, '1\t0/7000000\tbranched off timeline 1 again\n'),
    ]);
    expect(reading.unreadable).toEqual([]);
    expect(reading.readable.map((r) => r.history.timeline)).toEqual([2, 3, 4]);
  });
});
