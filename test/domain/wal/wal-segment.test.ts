import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidWalNameError } from '../../../lib/domain/errors.ts';
import { type Lsn, parseLsn } from '../../../lib/domain/wal/lsn.ts';
import { segmentsPerLogId, type WalSegmentSize, walSegmentSize } from '../../../lib/domain/wal/segment-size.ts';
import { type TimelineId, timelineId } from '../../../lib/domain/wal/timeline.ts';
import {
  compareSegments,
  isWalFileName,
  nextSegment,
  parseWalFileName,
  previousSegment,
  segmentNumber,
  segmentOfLsn,
  segmentStartLsn,
  segNoOfByteBefore,
  segNoOfLsn,
  type WalSegment,
  walFileName,
} from '../../../lib/domain/wal/wal-segment.ts';

const MIB = 1024 * 1024;
const SIZES: readonly WalSegmentSize[] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024].map((mib) =>
  walSegmentSize(mib * MIB),
);
const SIXTEEN = walSegmentSize(16 * MIB);
const TLI1 = timelineId(1);

const anyTimeline = fc.integer({ min: 1, max: 0xffffffff }).map((value) => value as TimelineId);
/** A segment that exists for `size`: its LSN fits in 64 bits. */
const segmentFor = (size: WalSegmentSize) =>
  fc.record({
    timeline: anyTimeline,
    segNo: fc.integer({ min: 0, max: 2 ** 64 / size - 1 }).map(segmentNumber),
  });

describe('parseWalFileName / walFileName', () => {
  it.each([
    ['000000010000000000000001', 16, 1, 1],
    ['0000000100000000000000FF', 16, 1, 255],
    ['000000010000000100000000', 16, 1, 256],
    ['0000000B000000A3000000F1', 16, 11, 0xa3 * 256 + 0xf1],
    ['000000010000000000000FFF', 1, 1, 4095],
    ['000000010000000100000000', 1, 1, 4096],
    ['000000020000000100000003', 1024, 2, 7],
    ['FFFFFFFFFFFFFFFF000000FF', 16, 0xffffffff, 2 ** 40 - 1],
  ])('%s at %i MiB is timeline %i segment %i', (name, mib, timeline, segNo) => {
    const size = walSegmentSize(mib * MIB);
    expect(parseWalFileName(name, size)).toEqual({ timeline, segNo });
    expect(walFileName({ timeline: timelineId(timeline), segNo: segmentNumber(segNo) }, size)).toBe(name);
  });

  it.each([
    ['000000010000000000000100', 16, 'is not below 100 for 16 MiB segments; check walSegmentSize'],
    ['000000010000000000000004', 1024, 'is not below 4 for 1024 MiB segments'],
    ['000000010000000000001000', 1, 'is not below 1000 for 1 MiB segments'],
    ['00000000000000000000000F', 16, 'timeline'],
    ['00000001000000000000000f', 16, 'not 24 upper-case hex digits'],
    ['00000001000000000000000', 16, 'not 24 upper-case hex digits'],
    ['000000010000000000000001.partial', 16, 'not 24 upper-case hex digits'],
  ])('rejects %s at %i MiB (%s)', (name, mib, message) => {
    expect(() => parseWalFileName(name, walSegmentSize(mib * MIB))).toThrow(InvalidWalNameError);
    expect(() => parseWalFileName(name, walSegmentSize(mib * MIB))).toThrow(message);
  });

  it.each(SIZES.map((size) => [size / MIB, size] as const))('round-trips every segment at %i MiB', (_mib, size) => {
    fc.assert(
      fc.property(segmentFor(size), (segment) => {
        const name = walFileName(segment, size);
        return isWalFileName(name) && name.length === 24 && equalSegments(parseWalFileName(name, size), segment);
      }),
    );
  });

  it.each(SIZES.map((size) => [size / MIB, size] as const))(
    'round-trips every well-formed name at %i MiB',
    (_mib, size) => {
      const perLog = segmentsPerLogId(size);
      const hex8 = (max: number) =>
        fc.integer({ min: 0, max }).map((value) => value.toString(16).toUpperCase().padStart(8, '0'));
      fc.assert(
        fc.property(
          hex8(0xfffffffe).map((tli) => tli.replace(/^00000000$/, '00000001')),
          hex8(0xffffffff),
          hex8(perLog - 1),
          (tli, log, seg) => {
            const name = tli + log + seg;
            return walFileName(parseWalFileName(name, size), size) === name;
          },
        ),
      );
    },
  );

  it('refuses to name a segment number beyond the 64-bit LSN space of the size', () => {
    expect(() => walFileName({ timeline: TLI1, segNo: segmentNumber(2 ** 40) }, SIXTEEN)).toThrow(InvalidWalNameError);
  });
});

describe('next and previous segment', () => {
  it.each([
    [16, '0000000100000000000000FE', '0000000100000000000000FF'],
    [16, '0000000100000000000000FF', '000000010000000100000000'],
    [16, '0000000B00000000000000FF', '0000000B0000000100000000'],
    [16, '00000001000000A3000000FF', '00000001000000A400000000'],
    [1, '000000010000000000000FFF', '000000010000000100000000'],
    [64, '00000001000000000000003F', '000000010000000100000000'],
    [1024, '000000010000000000000003', '000000010000000100000000'],
    [1024, '000000010000000100000000', '000000010000000100000001'],
  ])('at %i MiB, after %s comes %s', (mib, before, after) => {
    const size = walSegmentSize(mib * MIB);
    expect(walFileName(nextSegment(parseWalFileName(before, size)), size)).toBe(after);
    expect(walFileName(previousSegment(parseWalFileName(after, size)), size)).toBe(before);
  });

  it('segment 0 has no predecessor', () => {
    expect(() => previousSegment({ timeline: TLI1, segNo: segmentNumber(0) })).toThrow(InvalidWalNameError);
  });

  it('next then previous is the identity and keeps the timeline', () => {
    fc.assert(
      fc.property(segmentFor(walSegmentSize(MIB)), (segment) => {
        fc.pre(segment.segNo < 2 ** 44 - 1);
        const next = nextSegment(segment);
        return next.timeline === segment.timeline && equalSegments(previousSegment(next), segment);
      }),
    );
  });
});

describe('segment of an LSN and of the byte before it', () => {
  it.each([
    ['0/0', 16, 0, 0],
    ['0/1', 16, 0, 0],
    ['0/1000000', 16, 1, 0],
    ['0/1000028', 16, 1, 1],
    ['0/FFFFFFF', 16, 15, 15],
    ['1/0', 16, 256, 255],
    ['16/B374D848', 16, 0x16b3, 0x16b3],
    ['0/100000', 1, 1, 0],
    ['0/3000060', 1, 48, 48],
    ['1/0', 1024, 4, 3],
    ['FFFFFFFF/FFFFFFFF', 16, 2 ** 40 - 1, 2 ** 40 - 1],
  ])('%s at %i MiB: holding segment %i, byte-before segment %i', (lsnText, mib, segNo, before) => {
    const size = walSegmentSize(mib * MIB);
    const lsn = parseLsn(lsnText);
    expect(segNoOfLsn(lsn, size)).toBe(segNo);
    expect(segNoOfByteBefore(lsn, size)).toBe(before);
  });

  it('segment and start LSN agree for every size', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SIZES), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (size, value) => {
        const lsn = value as Lsn;
        const segNo = segNoOfLsn(lsn, size);
        const start = segmentStartLsn(segNo, size);
        const byteBefore = segNoOfByteBefore(lsn, size);
        return (
          start <= lsn &&
          lsn - start < BigInt(size) &&
          (lsn === start && lsn > 0n ? byteBefore === segNo - 1 : byteBefore === segNo)
        );
      }),
    );
  });

  it('segmentOfLsn names the segment on the given timeline', () => {
    expect(walFileName(segmentOfLsn(parseLsn('0/3000060'), timelineId(2), SIXTEEN), SIXTEEN)).toBe(
      '000000020000000000000003',
    );
  });
});

describe('ordering', () => {
  it('file names of one timeline sort like segment numbers', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SIZES), fc.nat(), fc.nat(), (size, x, y) => {
        const limit = 2 ** 64 / size;
        const a = { timeline: TLI1, segNo: segmentNumber(x % limit) };
        const b = { timeline: TLI1, segNo: segmentNumber(y % limit) };
        const byName = Math.sign(walFileName(a, size).localeCompare(walFileName(b, size)));
        return byName === Math.sign(compareSegments(a, b));
      }),
    );
  });

  it('orders by segment number first, then timeline', () => {
    const segments: WalSegment[] = [
      { timeline: timelineId(2), segNo: segmentNumber(3) },
      { timeline: timelineId(1), segNo: segmentNumber(4) },
      { timeline: timelineId(1), segNo: segmentNumber(3) },
    ];
    expect([...segments].sort(compareSegments)).toEqual([segments[2], segments[0], segments[1]]);
  });
});

function equalSegments(a: WalSegment, b: WalSegment): boolean {
  return a.timeline === b.timeline && a.segNo === b.segNo;
}
