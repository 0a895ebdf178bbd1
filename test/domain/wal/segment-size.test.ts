import { describe, expect, it } from 'vitest';
import { InvalidWalNameError } from '../../../lib/domain/errors.ts';
import {
  DEFAULT_WAL_SEGMENT_SIZE,
  formatWalSegmentSize,
  MAX_WAL_SEGMENT_SIZE,
  MIN_WAL_SEGMENT_SIZE,
  parseWalSegmentSize,
  segmentsPerLogId,
  walSegmentSize,
} from '../../../lib/domain/wal/segment-size.ts';

const MIB = 1024 * 1024;
const ALL_SIZES_MIB = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

describe('walSegmentSize', () => {
  it.each(ALL_SIZES_MIB)('accepts %i MiB', (mib) => {
    expect(walSegmentSize(mib * MIB)).toBe(mib * MIB);
  });

  it.each([0, -MIB, MIB / 2, 3 * MIB, 2048 * MIB, 1.5 * MIB, Number.NaN])('rejects %s bytes', (bytes) => {
    expect(() => walSegmentSize(bytes)).toThrow(InvalidWalNameError);
    expect(() => walSegmentSize(bytes)).toThrow('power of two between 1 MiB and 1 GiB');
  });

  it('has the initdb bounds and the 16 MiB default', () => {
    expect(MIN_WAL_SEGMENT_SIZE).toBe(MIB);
    expect(MAX_WAL_SEGMENT_SIZE).toBe(1024 * MIB);
    expect(DEFAULT_WAL_SEGMENT_SIZE).toBe(16 * MIB);
  });
});

describe('parseWalSegmentSize', () => {
  it.each([
    ['1MiB', MIB],
    ['16MiB', 16 * MIB],
    ['16 MiB', 16 * MIB],
    ['64MB', 64 * MIB],
    ['1GiB', 1024 * MIB],
    ['1GB', 1024 * MIB],
    ['1024MiB', 1024 * MIB],
  ])('reads %j', (text, bytes) => {
    expect(parseWalSegmentSize(text)).toBe(bytes);
  });

  it.each(['16', '16mib', '16KiB', '2GiB', '3MiB', '', 'MiB'])('rejects %j', (text) => {
    expect(() => parseWalSegmentSize(text)).toThrow(InvalidWalNameError);
  });

  it.each(ALL_SIZES_MIB)('round-trips %i MiB through formatWalSegmentSize', (mib) => {
    const size = walSegmentSize(mib * MIB);
    expect(parseWalSegmentSize(formatWalSegmentSize(size))).toBe(size);
  });
});

describe('segmentsPerLogId', () => {
  it.each([
    [1, 4096],
    [16, 256],
    [64, 64],
    [1024, 4],
  ])('%i MiB segments: %i per 4 GiB log id', (mib, perLog) => {
    expect(segmentsPerLogId(walSegmentSize(mib * MIB))).toBe(perLog);
  });
});
