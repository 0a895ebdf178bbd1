import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BackupLayout } from '../../../lib/domain/cluster.ts';
import { classifyKey } from '../../../lib/domain/layout/classify-key.ts';
import type { Compression, StorageObject } from '../../../lib/domain/layout/storage-object.ts';
import { COMPRESSION_EXTENSIONS, EXTENSION_OF_COMPRESSION } from '../../../lib/domain/layout/wal-g-layout.ts';
import { walSegmentSize } from '../../../lib/domain/wal/segment-size.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../../../lib/domain/wal/wal-segment.ts';

const MIB = 1024 * 1024;
const SIZE_16MIB = walSegmentSize(16 * MIB);
const SIZE_1MIB = walSegmentSize(MIB);
const SIZE_1GIB = walSegmentSize(1024 * MIB);

function seg(timeline: number, segNo: number) {
  return { timeline: timelineId(timeline), segNo: segmentNumber(segNo) };
}

const ALL_COMPRESSIONS = Object.keys(EXTENSION_OF_COMPRESSION) as Compression[];

const FULL = 'base_000000010000000A000000F1';
const DELTA = 'base_000000010000000A000000F9_D_000000010000000A000000F1';
const WALE = 'base_000000010000000A000000F1_00000040';

describe('classifyKey, WAL-G layout: every WAL shape with every compression suffix', () => {
  const cases = ALL_COMPRESSIONS.flatMap((compression): [string, StorageObject][] => {
    const ext = EXTENSION_OF_COMPRESSION[compression];
    return [
      [
        `wal_005/000000010000000A000000FF${ext}`,
        { kind: 'wal-segment', segment: seg(1, 0xa * 256 + 0xff), compression },
      ],
      [`wal_005/000000020000000B00000000${ext}`, { kind: 'wal-segment', segment: seg(2, 0xb * 256), compression }],
      [`wal_005/000000010000000000000005.partial${ext}`, { kind: 'wal-partial', segment: seg(1, 5), compression }],
      [
        `wal_005/000000010000000000000002.00000028.backup${ext}`,
        { kind: 'wal-backup-history', segment: seg(1, 2), offset: 0x28, compression },
      ],
      [`wal_005/00000002.history${ext}`, { kind: 'wal-history', timeline: timelineId(2), compression }],
      [`wal_005/0000000A.history${ext}`, { kind: 'wal-history', timeline: timelineId(10), compression }],
      [`wal_005/000000010000000000000007_delta${ext}`, { kind: 'wal-delta', segment: seg(1, 7), compression }],
      [
        `basebackups_005/${FULL}/tar_partitions/part_001.tar${ext}`,
        { kind: 'backup-payload', backupName: FULL, part: 'tar-partition', partNumber: 1, compression },
      ],
      [
        `basebackups_005/${FULL}/tar_partitions/part_1234.tar${ext}`,
        { kind: 'backup-payload', backupName: FULL, part: 'tar-partition', partNumber: 1234, compression },
      ],
      [
        `basebackups_005/${DELTA}/tar_partitions/pg_control.tar${ext}`,
        { kind: 'backup-payload', backupName: DELTA, part: 'pg_control', compression },
      ],
      [
        `basebackups_005/${FULL}/tar_partitions/backup_label.tar${ext}`,
        { kind: 'backup-payload', backupName: FULL, part: 'backup_label', compression },
      ],
    ];
  });

  it.each(cases)('%s', (key, expected) => {
    expect(classifyKey(key, 'wal-g', SIZE_16MIB)).toEqual(expected);
  });
});

describe('classifyKey agrees with the layout constants', () => {
  it.each(COMPRESSION_EXTENSIONS)('extension %s is compression %s', (extension, compression) => {
    expect(EXTENSION_OF_COMPRESSION[compression]).toBe(extension);
    expect(classifyKey(`wal_005/000000010000000000000001${extension}`, 'wal-g', SIZE_16MIB)).toMatchObject({
      kind: 'wal-segment',
      compression,
    });
  });
});

describe('classifyKey, WAL-G layout: backups and metadata', () => {
  const cases: [string, StorageObject][] = [
    [`basebackups_005/${FULL}_backup_stop_sentinel.json`, { kind: 'backup-sentinel', backupName: FULL }],
    [`basebackups_005/${DELTA}_backup_stop_sentinel.json`, { kind: 'backup-sentinel', backupName: DELTA }],
    [
      'basebackups_005/base_000000010000000A000000F9_D_ZZZZZZZZZZZZZZZZZZZZZZZZ_backup_stop_sentinel.json',
      { kind: 'backup-sentinel', backupName: 'base_000000010000000A000000F9_D_ZZZZZZZZZZZZZZZZZZZZZZZZ' },
    ],
    // WAL-G reads WAL-E backups, so a cluster migrated from WAL-E keeps its old backups visible.
    [`basebackups_005/${WALE}_backup_stop_sentinel.json`, { kind: 'backup-sentinel', backupName: WALE }],
    [`basebackups_005/${FULL}/metadata.json`, { kind: 'backup-metadata', backupName: FULL }],
    [
      `basebackups_005/${FULL}/files_metadata.json`,
      { kind: 'backup-payload', backupName: FULL, part: 'files_metadata' },
    ],
    [
      `basebackups_005/${WALE}/extended_version.txt`,
      { kind: 'backup-payload', backupName: WALE, part: 'extended_version' },
    ],
    [
      `basebackups_005/${WALE}/tar_partitions/part_00000000.tar.lzo`,
      { kind: 'backup-payload', backupName: WALE, part: 'tar-partition', partNumber: 0, compression: 'lzo' },
    ],
    [
      'wal_005/000000010000000000000001.json',
      { kind: 'wal-metadata', fileName: '000000010000000000000001.json', segment: seg(1, 1) },
    ],
    ['wal_005/00000001000000000000000.json', { kind: 'wal-metadata', fileName: '00000001000000000000000.json' }],
  ];

  it.each(cases)('%s', (key, expected) => {
    expect(classifyKey(key, 'wal-g', SIZE_16MIB)).toEqual(expected);
  });
});

describe('classifyKey, WAL-E layout', () => {
  const cases: [string, StorageObject][] = [
    [`basebackups_005/${WALE}_backup_stop_sentinel.json`, { kind: 'backup-sentinel', backupName: WALE }],
    [
      `basebackups_005/${WALE}/extended_version.txt`,
      { kind: 'backup-payload', backupName: WALE, part: 'extended_version' },
    ],
    [
      `basebackups_005/${WALE}/tar_partitions/part_00000000.tar.lzo`,
      { kind: 'backup-payload', backupName: WALE, part: 'tar-partition', partNumber: 0, compression: 'lzo' },
    ],
    [
      `basebackups_005/${WALE}/tar_partitions/part_00000017.tar.lzo`,
      { kind: 'backup-payload', backupName: WALE, part: 'tar-partition', partNumber: 17, compression: 'lzo' },
    ],
    ['wal_005/000000010000000000000003.lzo', { kind: 'wal-segment', segment: seg(1, 3), compression: 'lzo' }],
    [
      'wal_005/000000010000000000000003.00000060.backup.lzo',
      { kind: 'wal-backup-history', segment: seg(1, 3), offset: 0x60, compression: 'lzo' },
    ],
    ['wal_005/00000002.history.lzo', { kind: 'wal-history', timeline: timelineId(2), compression: 'lzo' }],
    ['wal_005/000000010000000000000004.partial.lzo', { kind: 'wal-partial', segment: seg(1, 4), compression: 'lzo' }],
  ];

  it.each(cases)('%s', (key, expected) => {
    expect(classifyKey(key, 'wal-e', SIZE_16MIB)).toEqual(expected);
  });

  it.each([
    [`basebackups_005/${FULL}_backup_stop_sentinel.json`, "lacks WAL-E's _<8-digit start offset>"],
    [`basebackups_005/${DELTA}_backup_stop_sentinel.json`, 'set layout: wal-g'],
    [`basebackups_005/${WALE}/metadata.json`, 'set layout: wal-g'],
    [`basebackups_005/${WALE}/files_metadata.json`, 'set layout: wal-g'],
    [`basebackups_005/${WALE}/tar_partitions/part_001.tar.lzo`, 'part_<8 digits>.tar.lzo'],
    [`basebackups_005/${WALE}/tar_partitions/part_00000001.tar.lz4`, 'set layout: wal-g'],
    [`basebackups_005/${WALE}/tar_partitions/pg_control.tar.lzo`, 'set layout: wal-g'],
    ['wal_005/000000010000000000000003.lz4', 'compression lz4 is written by WAL-G'],
    ['wal_005/000000010000000000000003', 'compression none is written by WAL-G'],
    ['wal_005/000000010000000000000003_delta.lzo', 'set layout: wal-g'],
    ['wal_005/000000010000000000000003.json', 'set layout: wal-g'],
  ])('ignores the WAL-G-only object %s', (key, reasonPart) => {
    const result = classifyKey(key, 'wal-e', SIZE_16MIB);
    expect(result.kind).toBe('ignored');
    expect(result.kind === 'ignored' && result.reason).toContain(reasonPart);
  });
});

describe('classifyKey: ignored keys carry a reason a person understands', () => {
  const cases: [string, string][] = [
    ['', 'not under basebackups_005/ or wal_005/'],
    ['README.txt', 'not under basebackups_005/ or wal_005/'],
    ['wal_006/000000010000000000000001.lz4', 'not under basebackups_005/ or wal_005/'],
    ['catchup_005/base_000000010000000000000002_backup_stop_sentinel.json', 'catchup backups are not catalogued'],
    ['wal_005/', 'zero-byte folder marker wal_005/'],
    ['basebackups_005/', 'zero-byte folder marker basebackups_005/'],
    [`basebackups_005/${FULL}/`, `zero-byte folder marker basebackups_005/${FULL}/`],
    [`basebackups_005/${FULL}/tar_partitions/`, `zero-byte folder marker basebackups_005/${FULL}/tar_partitions/`],
    ['wal_005/0000000100000000000001000.lz4', 'WAL name 0000000100000000000001000 has 25 hex digits'],
    ['wal_005/00000001000000000000001.lz4', 'WAL name 00000001000000000000001 has 23 hex digits'],
    ['wal_005/0000000100000000000001FF.lz4', 'walSegmentSize 16MiB'],
    ['wal_005/000000000000000000000001.lz4', 'timeline 0'],
    ['wal_005/00000000.history', 'timeline 0'],
    ['wal_005/000000010000000000000001.xz', 'unknown compression suffix .xz'],
    ['wal_005/000000010000000000000001.LZ4', 'unknown compression suffix .LZ4'],
    ['wal_005/000000010000000000000001.lz4.partial', 'unknown compression suffix .lz4.partial'],
    ['wal_005/000000010000000000000001..lz4', 'unknown compression suffix ..lz4'],
    ['wal_005/0000000100000000000000ab.lz4', 'lower-case hex'],
    ['wal_005/000000010000000000000001X', 'unexpected text after its 24 hex digits'],
    ['wal_005/000000010000000000000002.0000002.backup', 'unknown compression suffix'],
    ['wal_005/000000010000000000000002.01000000.backup.lz4', 'walSegmentSize'],
    ['wal_005/sub/000000010000000000000001.lz4', 'sub-folder of wal_005/'],
    ['wal_005/.DS_Store', 'is not a WAL file name'],
    ['basebackups_005/base_000000010000000000000002_backup_stop_sentinel.jsonx', 'neither a sentinel'],
    ['basebackups_005/base_0000000100000000000001FF_backup_stop_sentinel.json', 'walSegmentSize 16MiB'],
    ['basebackups_005/base_00000001000000000000002_backup_stop_sentinel.json', '24 upper-case hex digits'],
    ['basebackups_005/backup_20261120_backup_stop_sentinel.json', 'does not start with base_'],
    ['basebackups_005/base_000000010000000000000002_0000004A_backup_stop_sentinel.json', 'must be 8 decimal digits'],
    ['basebackups_005/base_000000010000000000000002_D_0000_backup_stop_sentinel.json', '_D_ must be followed'],
    ['basebackups_005/base_000000010000000000000002_1234_backup_stop_sentinel.json', 'unexpected text'],
    [`basebackups_005/${FULL}/stream_metadata.json`, 'not a known object of backup'],
    [`basebackups_005/${FULL}/tar_partitions/part_01.tar.lz4`, 'is not part_<3 to 9 digits>.tar'],
    [`basebackups_005/${FULL}/tar_partitions/part_001.lz4`, 'is not part_<3 to 9 digits>.tar'],
    [`basebackups_005/${FULL}/tar_partitions/part_001.tar.xz`, 'unknown compression suffix .xz'],
    [`basebackups_005/${FULL}/tar_partitions/other.tar.lz4`, 'not a part, pg_control or backup_label tar'],
    [`basebackups_005/${FULL}/tar_partitions/x/part_001.tar.lz4`, 'unknown sub-folder'],
    [`basebackups_005/${FULL}/x/metadata.json`, 'unknown sub-folder'],
    ['basebackups_005/not-a-backup/metadata.json', 'backup folder not-a-backup/'],
  ];

  it.each(cases)('%s', (key, reasonPart) => {
    const result = classifyKey(key, 'wal-g', SIZE_16MIB);
    expect(result.kind).toBe('ignored');
    expect(result.kind === 'ignored' && result.reason).toContain(reasonPart);
  });
});

describe('classifyKey: segment names depend on walSegmentSize', () => {
  it.each([
    ['0000000100000000000001FF', SIZE_1MIB, 'wal-segment'],
    ['000000010000000000000FFF', SIZE_1MIB, 'wal-segment'],
    ['000000010000000000001000', SIZE_1MIB, 'ignored'],
    ['0000000100000000000000FF', SIZE_16MIB, 'wal-segment'],
    ['000000010000000000000100', SIZE_16MIB, 'ignored'],
    ['000000010000000000000003', SIZE_1GIB, 'wal-segment'],
    ['000000010000000000000004', SIZE_1GIB, 'ignored'],
  ] as const)('%s at %d bytes is %s', (name, size, kind) => {
    const result = classifyKey(`wal_005/${name}.lz4`, 'wal-g', size);
    expect(result.kind).toBe(kind);
    if (result.kind === 'ignored') expect(result.reason).toContain('walSegmentSize');
  });

  it('numbers 1 MiB segments across the log id (4096 per log)', () => {
    expect(classifyKey('wal_005/000000030000000200000FFF.br', 'wal-g', SIZE_1MIB)).toEqual({
      kind: 'wal-segment',
      segment: seg(3, 2 * 4096 + 0xfff),
      compression: 'brotli',
    });
  });
});

const MAX_LOG = 0xffffffff;
const layouts: BackupLayout[] = ['wal-g', 'wal-e'];
const sizeArbitrary = fc.integer({ min: 20, max: 30 }).map((exponent) => walSegmentSize(2 ** exponent));

describe('classifyKey properties', () => {
  it('every valid segment key classifies back to the same segment, kind and compression', () => {
    const kindArbitrary = fc.constantFrom('wal-segment', 'wal-partial', 'wal-backup-history', 'wal-delta');
    fc.assert(
      fc.property(
        sizeArbitrary,
        fc.integer({ min: 1, max: 0xffffffff }),
        fc.integer({ min: 0, max: MAX_LOG }),
        fc.nat(),
        fc.constantFrom(...layouts),
        fc.constantFrom(...ALL_COMPRESSIONS),
        kindArbitrary,
        fc.nat(),
        (size, timeline, log, segSeed, layout, anyCompression, kind, offsetSeed) => {
          const perLog = 0x1_0000_0000 / size;
          const segment = seg(timeline, log * perLog + (segSeed % perLog));
          const compression: Compression = layout === 'wal-e' ? 'lzo' : anyCompression;
          const effectiveKind = layout === 'wal-e' && kind === 'wal-delta' ? 'wal-segment' : kind;
          const offset = offsetSeed % size;
          const name = walFileName(segment, size);
          const middle = {
            'wal-segment': '',
            'wal-partial': '.partial',
            'wal-backup-history': `.${offset.toString(16).toUpperCase().padStart(8, '0')}.backup`,
            'wal-delta': '_delta',
          }[effectiveKind];
          const key = `wal_005/${name}${middle}${EXTENSION_OF_COMPRESSION[compression]}`;
          const expected =
            effectiveKind === 'wal-backup-history'
              ? { kind: effectiveKind, segment, offset, compression }
              : { kind: effectiveKind, segment, compression };
          expect(classifyKey(key, layout, size)).toEqual(expected);
        },
      ),
    );
  });

  it('arbitrary strings never throw and always yield one StorageObject', () => {
    const prefixed = fc
      .tuple(
        fc.constantFrom(
          '',
          'wal_005/',
          'basebackups_005/',
          `basebackups_005/${FULL}/`,
          `basebackups_005/${FULL}/tar_partitions/`,
        ),
        fc.string({
          unit: fc.constantFrom(...'0123456789ABCDEFabcdef._/_-DZbase_partlzo4jsonhistorybackup'.split('')),
        }),
      )
      .map(([prefix, rest]) => prefix + rest);
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), prefixed),
        sizeArbitrary,
        fc.constantFrom(...layouts),
        (key, size, layout) => {
          const result = classifyKey(key, layout, size);
          expect(typeof result.kind).toBe('string');
          if (result.kind === 'ignored') expect(result.reason.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('every valid backup name classifies as a sentinel and its folder objects as that backup', () => {
    const hex24 = fc.tuple(fc.integer({ min: 1, max: 0xffffffff }), fc.integer({ min: 0, max: MAX_LOG }), fc.nat(0xff));
    fc.assert(
      fc.property(hex24, fc.option(hex24), (start, parent) => {
        const name24 = ([t, l, s]: [number, number, number]) => walFileName(seg(t, l * 256 + s), SIZE_16MIB);
        const backupName = `base_${name24(start)}${parent ? `_D_${name24(parent)}` : ''}`;
        expect(classifyKey(`basebackups_005/${backupName}_backup_stop_sentinel.json`, 'wal-g', SIZE_16MIB)).toEqual({
          kind: 'backup-sentinel',
          backupName,
        });
        expect(classifyKey(`basebackups_005/${backupName}/metadata.json`, 'wal-g', SIZE_16MIB)).toEqual({
          kind: 'backup-metadata',
          backupName,
        });
      }),
    );
  });
});
