import { describe, expect, it } from 'vitest';
import { InvalidBackupNameError } from '../../../lib/domain/backup/backup-errors.ts';
import { parseBackupName } from '../../../lib/domain/layout/backup-name.ts';
import { walSegmentSize } from '../../../lib/domain/wal/segment-size.ts';

const SIZE = walSegmentSize(16 * 1024 * 1024);

describe('parseBackupName', () => {
  it('parses a full WAL-G name: timeline and start segment from the 24-hex run', () => {
    expect(parseBackupName('base_000000020000000A000000F1', SIZE)).toEqual({
      startSegment: { timeline: 2, segNo: 0xa * 256 + 0xf1 },
      timeline: 2,
      isDelta: false,
    });
  });

  it('parses a delta name with the parent start segment', () => {
    expect(parseBackupName('base_000000020000000A000000F9_D_000000010000000A00000010', SIZE)).toEqual({
      startSegment: { timeline: 2, segNo: 0xa * 256 + 0xf9 },
      timeline: 2,
      isDelta: true,
      deltaParentStart: { timeline: 1, segNo: 0xa * 256 + 0x10 },
    });
  });

  it('parses a delta whose parent had no 24-hex run (24 Z)', () => {
    expect(parseBackupName('base_000000010000000000000009_D_ZZZZZZZZZZZZZZZZZZZZZZZZ', SIZE)).toEqual({
      startSegment: { timeline: 1, segNo: 9 },
      timeline: 1,
      isDelta: true,
    });
  });

  it('parses a WAL-E name with its decimal start offset', () => {
    expect(parseBackupName('base_000000010000000000000002_00000040', SIZE)).toEqual({
      startSegment: { timeline: 1, segNo: 2 },
      timeline: 1,
      isDelta: false,
      waleOffset: 40,
    });
  });

  it.each([
    ['backup_000000010000000000000002', 'does not start with base_'],
    ['base_00000001000000000000002', '24 upper-case hex digits'],
    ['base_0000000100000000000000ff', '24 upper-case hex digits'],
    ['base_000000000000000000000002', 'timeline 0'],
    ['base_000000010000000000000100', 'walSegmentSize 16MiB'],
    ['base_000000010000000000000002_D_000000010000000000000100', 'delta parent'],
    ['base_000000010000000000000002_D_00000001', '_D_ must be followed'],
    ['base_000000010000000000000002_0000004A', 'must be 8 decimal digits'],
    ['base_000000010000000000000002_99999999', 'walSegmentSize'],
    ['base_000000010000000000000002_123', 'unexpected text'],
    ['base_000000010000000000000002x', 'unexpected text'],
  ])('rejects %s (%s)', (name, reasonPart) => {
    expect(() => parseBackupName(name, SIZE)).toThrow(InvalidBackupNameError);
    expect(() => parseBackupName(name, SIZE)).toThrow(reasonPart);
  });
});
