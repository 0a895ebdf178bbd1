import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidBackupMetadataError } from '../../../lib/domain/backup/backup-errors.ts';
import { MAX_BACKUP_METADATA_BYTES, readBaseBackup } from '../../../lib/domain/backup/read-base-backup.ts';
import { InvalidInputError } from '../../../lib/domain/errors.ts';
import { walSegmentSize } from '../../../lib/domain/wal/segment-size.ts';

const SIZE = walSegmentSize(16 * 1024 * 1024);
const SYSTEM_ID = 7321456789012345678n;

function fixture(path: string): string {
  return readFileSync(new URL(`../../fixtures/${path}`, import.meta.url), 'utf8');
}

const FULL = 'base_0000000100000000000000A3';
const DELTA = 'base_0000000100000000000000A9_D_0000000100000000000000A3';
const sentinelKey = (name: string) => `orders-main/basebackups_005/${name}_backup_stop_sentinel.json`;
const metadataKey = (name: string) => `orders-main/basebackups_005/${name}/metadata.json`;

function walg(name: string, sentinelText: string, metadataText?: string) {
  return readBaseBackup({
    name,
    layout: 'wal-g',
    walSegmentSize: SIZE,
    sentinelKey: sentinelKey(name),
    sentinelText,
    ...(metadataText === undefined ? {} : { metadataKey: metadataKey(name), metadataText }),
  });
}

function expectMetadataError(read: () => unknown, key: string, field: string, messagePart: string): void {
  let caught: unknown;
  try {
    read();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidBackupMetadataError);
  expect(caught).toBeInstanceOf(InvalidInputError);
  const error = caught as InvalidBackupMetadataError;
  expect(error.key).toBe(key);
  expect(error.field).toBe(field);
  expect(error.message).toContain(key);
  expect(error.message).toContain(messagePart);
  // Every message ends with what a person can do about it.
  expect(error.message).toMatch(/wal-g backup-mark|re-run the backup|set layout/);
}

describe('readBaseBackup: WAL-G V2 sentinel with metadata.json', () => {
  it('maps every field; metadata.json decides permanence, user data and times', () => {
    const backup = walg(FULL, fixture('walg/sentinel-v2-full.json'), fixture('walg/metadata-full.json'));
    expect(backup).toEqual({
      name: FULL,
      kind: 'full',
      timeline: 1,
      startLsn: 0xa3000028n,
      finishLsn: 0xa4001f08n,
      startSegment: { timeline: 1, segNo: 0xa3 },
      startTime: new Date('2026-11-20T01:00:02.318Z'),
      finishTime: new Date('2026-11-20T01:03:41.902Z'),
      pgVersion: 150010,
      systemIdentifier: SYSTEM_ID,
      uncompressedSize: 2147651584,
      compressedSize: 401236719,
      hostname: 'pg-orders-1.internal',
      dataDir: '/var/lib/postgresql/15/main',
      userData: { keep: 'quarterly audit', ticket: 'OPS-4411' },
      // The sentinel says false (push time); backup-mark later set metadata.json is_permanent to true.
      permanent: true,
    });
  });

  it('keeps the system identifier exact above 2^53', () => {
    const backup = walg(FULL, fixture('walg/sentinel-v2-full.json'));
    expect(typeof backup.systemIdentifier).toBe('bigint');
    expect(backup.systemIdentifier?.toString()).toBe('7321456789012345678');
    expect(SYSTEM_ID > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
  });

  it('uses the sentinel IsPermanent and UserData only when metadata.json is absent', () => {
    const sentinel = fixture('walg/sentinel-v2-full.json').replace('"IsPermanent":false', '"IsPermanent":true');
    expect(walg(FULL, sentinel).permanent).toBe(true);
    const unmarked = fixture('walg/metadata-full.json').replace('"is_permanent":true', '"is_permanent":false');
    expect(walg(FULL, sentinel, unmarked).permanent).toBe(false);
  });

  it('metadata.json without user_data clears the sentinel user data (backup-mark rewrote it)', () => {
    const metadata = JSON.stringify({ ...JSON.parse(fixture('walg/metadata-delta.json')), user_data: undefined });
    const backup = walg(DELTA, fixture('walg/sentinel-v2-delta.json'), metadata);
    expect(backup.userData).toBeUndefined();
  });

  it('maps a V2 delta with its parent, chain root and depth', () => {
    const backup = walg(DELTA, fixture('walg/sentinel-v2-delta.json'), fixture('walg/metadata-delta.json'));
    expect(backup).toMatchObject({
      name: DELTA,
      kind: 'delta',
      deltaFrom: FULL,
      deltaFullName: FULL,
      deltaCount: 1,
      timeline: 1,
      startLsn: 0xa9000028n,
      finishLsn: 0xa9000138n,
      startSegment: { timeline: 1, segNo: 0xa9 },
      startTime: new Date('2026-11-20T07:00:01.044Z'),
      permanent: false,
      userData: { trigger: 'walcat', job: 'JOB#2026-11-20T07:00:00Z#7f3a' },
    });
  });
});

describe('readBaseBackup: older WAL-G sentinels', () => {
  it('reads a V1 sentinel (no times, host or permanence): not permanent, times unknown', () => {
    const name = 'base_000000010000000000000003';
    const backup = walg(name, fixture('walg/sentinel-v1-full.json'));
    expect(backup).toEqual({
      name,
      kind: 'full',
      timeline: 1,
      startLsn: 0x3000028n,
      finishLsn: 0x3000100n,
      startSegment: { timeline: 1, segNo: 3 },
      pgVersion: 130004,
      systemIdentifier: SYSTEM_ID,
      uncompressedSize: 25489408,
      compressedSize: 3412871,
      permanent: false,
    });
  });

  it('reads a legacy delta whose parent LSN is DeltaFromLSN', () => {
    const name = 'base_000000010000000000000007_D_000000010000000000000003';
    const backup = walg(name, fixture('walg/sentinel-legacy-delta.json'));
    expect(backup).toMatchObject({
      kind: 'delta',
      deltaFrom: 'base_000000010000000000000003',
      deltaFullName: 'base_000000010000000000000003',
      deltaCount: 1,
      startLsn: 0x7000028n,
      finishLsn: 0x7000138n,
      pgVersion: 120007,
      permanent: false,
    });
    expect(backup.userData).toBeUndefined();
  });

  it('takes LSNs from metadata.json when the sentinel has them null', () => {
    const sentinel = fixture('walg/sentinel-v2-full.json')
      .replace('"LSN":2734686248', '"LSN":null')
      .replace('"FinishLSN":2751471368', '"FinishLSN":null');
    const backup = walg(FULL, sentinel, fixture('walg/metadata-full.json'));
    expect(backup.startLsn).toBe(0xa3000028n);
    expect(backup.finishLsn).toBe(0xa4001f08n);
  });

  it("treats Go's zero time as unknown", () => {
    const sentinel = fixture('walg/sentinel-v2-full.json').replace(
      '"StartTime":"2026-11-20T01:00:02.318842Z"',
      '"StartTime":"0001-01-01T00:00:00Z"',
    );
    expect(walg(FULL, sentinel).startTime).toBeUndefined();
  });

  it('parses integer LSNs above 2^53 exactly', () => {
    const big = 0x7fffffff_a3000028n;
    const name = 'base_000000017FFFFFFF000000A3';
    const sentinel = `{"LSN":${big},"FinishLSN":${big + 4096n}}`;
    expect(walg(name, sentinel).startLsn).toBe(big);
  });
});

describe('readBaseBackup: sentinels of old WAL-G releases (no FinishLSN, no metadata.json)', () => {
  it('reads an empty sentinel `{}` as a complete full backup whose WAL range is unknown', () => {
    const backup = walg(FULL, '{}');
    expect(backup).toMatchObject({
      name: FULL,
      kind: 'full',
      timeline: 1,
      startSegment: { timeline: 1, segNo: 0xa3 },
      startLsn: 0xa3000000n,
      walRangeUnknown: true,
      permanent: false,
    });
  });

  it('reads a sentinel with only LSN and Files as a full backup starting at that LSN, range unknown', () => {
    const text =
      '{"LSN":2734686248,"Files":{"base/1/112":{"IsIncremented":false,"IsSkipped":false,"MTime":"2019-01-01T00:00:00Z"}}}';
    const backup = walg(FULL, text);
    expect(backup).toMatchObject({ kind: 'full', startLsn: 0xa3000028n, walRangeUnknown: true });
  });

  it('still refuses a V2 sentinel or a backup with metadata.json that lacks the finish LSN', () => {
    const v2 = fixture('walg/sentinel-v2-full.json').replace('"FinishLSN":2751471368,', '');
    expectMetadataError(() => walg(FULL, v2), sentinelKey(FULL), 'FinishLSN', 'is missing');
    const metadata = fixture('walg/metadata-full.json').replace(/"finish_lsn":\s*\d+,?/, '');
    expect(() => walg(FULL, '{"LSN":2734686248}', metadata)).toThrow(InvalidBackupMetadataError);
  });

  it('a current sentinel has a known WAL range', () => {
    expect(walg(FULL, fixture('walg/sentinel-v2-full.json')).walRangeUnknown).toBeUndefined();
  });
});

describe('readBaseBackup: inconsistent times', () => {
  it('refuses metadata.json whose finish_time is before its start_time, naming the file, the field and both times', () => {
    const metadata = fixture('walg/metadata-full.json').replace(
      '"finish_time":"2026-11-20T01:03:41.902117Z"',
      '"finish_time":"2026-11-20T00:03:41.902117Z"',
    );
    let caught: unknown;
    try {
      walg(FULL, fixture('walg/sentinel-v2-full.json'), metadata);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidBackupMetadataError);
    const error = caught as InvalidBackupMetadataError;
    expect(error.key).toBe(metadataKey(FULL));
    expect(error.field).toBe('finish_time');
    expect(error.message).toContain('2026-11-20T00:03:41.902Z');
    expect(error.message).toContain('is before the start time (2026-11-20T01:00:02.318Z)');
  });

  it('refuses a sentinel whose FinishTime is before its StartTime when there is no metadata.json', () => {
    const sentinel = fixture('walg/sentinel-v2-full.json').replace(
      '"StartTime":"2026-11-20T01:00:02.318842Z"',
      '"StartTime":"2026-11-21T01:00:02.318842Z"',
    );
    expect(() => walg(FULL, sentinel)).toThrow(/FinishTime .* is before the start time/);
  });

  it('accepts equal start and finish times', () => {
    const metadata = fixture('walg/metadata-full.json').replace(
      '"finish_time":"2026-11-20T01:03:41.902117Z"',
      '"finish_time":"2026-11-20T01:00:02.318842Z"',
    );
    expect(walg(FULL, fixture('walg/sentinel-v2-full.json'), metadata).finishTime).toEqual(
      new Date('2026-11-20T01:00:02.318Z'),
    );
  });
});

describe('readBaseBackup: WAL-E', () => {
  const name = 'base_000000010000000000000002_00000040';
  const read = (sentinelText: string) =>
    readBaseBackup({ name, layout: 'wal-e', walSegmentSize: SIZE, sentinelKey: sentinelKey(name), sentinelText });

  it('takes the start from the name (decimal offset) and the stop from the sentinel (decimal offset)', () => {
    expect(read(fixture('wale/sentinel.json'))).toEqual({
      name,
      kind: 'full',
      timeline: 1,
      startLsn: 2n * 16777216n + 40n,
      finishLsn: 3n * 16777216n + 312n,
      startSegment: { timeline: 1, segNo: 2 },
      uncompressedSize: 23618048,
      permanent: false,
    });
  });

  it('reads a WAL-E backup found in a wal-g cluster (WAL-G restores them)', () => {
    const backup = readBaseBackup({
      name,
      layout: 'wal-g',
      walSegmentSize: SIZE,
      sentinelKey: sentinelKey(name),
      sentinelText: fixture('wale/sentinel.json'),
    });
    expect(backup.finishLsn).toBe(3n * 16777216n + 312n);
  });

  it.each([
    ['{"wal_segment_offset_backup_stop": "00000312"}', 'wal_segment_backup_stop', 'expected the 24-hex WAL file name'],
    [
      '{"wal_segment_backup_stop": "000000010000000000000003", "wal_segment_offset_backup_stop": "0000013A"}',
      'wal_segment_offset_backup_stop',
      'decimal',
    ],
    [
      '{"wal_segment_backup_stop": "000000010000000000000103", "wal_segment_offset_backup_stop": "00000312"}',
      'wal_segment_backup_stop',
      'walSegmentSize',
    ],
    [
      '{"wal_segment_backup_stop": "000000010000000000000001", "wal_segment_offset_backup_stop": "00000312"}',
      'wal_segment_backup_stop',
      'is before the backup start',
    ],
  ])('rejects %s (field %s)', (text, field, part) => {
    expectMetadataError(() => read(text), sentinelKey(name), field, part);
  });

  it('refuses a WAL-G name in a wal-e cluster', () => {
    expectMetadataError(
      () =>
        readBaseBackup({
          name: FULL,
          layout: 'wal-e',
          walSegmentSize: SIZE,
          sentinelKey: sentinelKey(FULL),
          sentinelText: fixture('walg/sentinel-v2-full.json'),
        }),
      sentinelKey(FULL),
      '(backup name)',
      'set layout: wal-g',
    );
  });
});

describe('readBaseBackup: malformed documents give typed errors naming key and field', () => {
  const v2 = fixture('walg/sentinel-v2-full.json');
  const key = sentinelKey(FULL);

  it.each([
    ['truncated JSON', v2.slice(0, 80), '(document)', 'is not valid JSON'],
    ['not an object', '[1,2,3]', '(document)', 'expected object'],
    ['empty', '', '(document)', 'is not valid JSON'],
    ['LSN as X/Y text', v2.replace('"LSN":2734686248', '"LSN":"0/A3000028"'), 'LSN', 'JSON integers'],
    ['fractional LSN', v2.replace('"LSN":2734686248', '"LSN":2734686248.5'), 'LSN', 'non-negative integer'],
    ['negative LSN', v2.replace('"LSN":2734686248', '"LSN":-1'), 'LSN', 'non-negative integer'],
    ['LSN above 2^64', v2.replace('"LSN":2734686248', '"LSN":18446744073709551616'), 'LSN', 'below 2^64'],
    ['missing LSN', v2.replace('"LSN":2734686248,', ''), 'LSN', 'is missing'],
    ['missing FinishLSN', v2.replace('"FinishLSN":2751471368,', ''), 'FinishLSN', 'is missing'],
    ['finish before start', v2.replace('"FinishLSN":2751471368', '"FinishLSN":1'), 'FinishLSN', 'before'],
    ['negative size', v2.replace('"CompressedSize":401236719', '"CompressedSize":-5'), 'CompressedSize', 'expected'],
    [
      'size as string',
      v2.replace('"CompressedSize":401236719', '"CompressedSize":"401236719"'),
      'CompressedSize',
      'byte count',
    ],
    [
      'system id as string',
      v2.replace(`"SystemIdentifier":${SYSTEM_ID}`, `"SystemIdentifier":"${SYSTEM_ID}"`),
      'SystemIdentifier',
      'integer',
    ],
    [
      'bad time',
      v2.replace('"StartTime":"2026-11-20T01:00:02.318842Z"', '"StartTime":"yesterday"'),
      'StartTime',
      'RFC 3339',
    ],
    ['IsPermanent as string', v2.replace('"IsPermanent":false', '"IsPermanent":"no"'), 'IsPermanent', 'boolean'],
  ])('sentinel: %s', (_label, text, field, part) => {
    expectMetadataError(() => walg(FULL, text), key, field, part);
  });

  it('rejects a delta sentinel without the parent LSN', () => {
    const text = fixture('walg/sentinel-v2-delta.json').replace('"DeltaLSN":2734686248,', '');
    expectMetadataError(() => walg(DELTA, text), sentinelKey(DELTA), 'DeltaLSN', 'is missing');
  });

  it('rejects a delta sentinel without the chain root', () => {
    const text = fixture('walg/sentinel-v2-delta.json').replace('"DeltaFullName":"base_0000000100000000000000A3",', '');
    expectMetadataError(() => walg(DELTA, text), sentinelKey(DELTA), 'DeltaFullName', 'is missing');
  });

  it.each([
    ['truncated', fixture('walg/metadata-full.json').slice(0, 50), '(document)', 'is not valid JSON'],
    [
      'no is_permanent',
      fixture('walg/metadata-full.json').replace('"is_permanent":true,', ''),
      'is_permanent',
      'true or false',
    ],
    [
      'start_lsn as text',
      fixture('walg/metadata-full.json').replace('"start_lsn":2734686248', '"start_lsn":"x"'),
      'start_lsn',
      'integer',
    ],
  ])('metadata.json: %s', (_label, text, field, part) => {
    expectMetadataError(() => walg(FULL, v2, text), metadataKey(FULL), field, part);
  });

  it('rejects a 10 MB document before parsing it, naming the limit', () => {
    const huge = `{"LSN":1,"FinishLSN":2,"UserData":"${'x'.repeat(10 * 1024 * 1024)}"}`;
    expectMetadataError(() => walg(FULL, huge), key, '(document)', String(MAX_BACKUP_METADATA_BYTES));
    expectMetadataError(() => walg(FULL, v2, huge), metadataKey(FULL), '(document)', 'MAX_BACKUP_METADATA_BYTES');
  });

  it('rejects a name that does not fit walSegmentSize', () => {
    const name = 'base_000000010000000000000100';
    expectMetadataError(() => walg(name, v2), sentinelKey(name), '(backup name)', 'walSegmentSize');
  });

  it('property: any text either maps to a BaseBackup or throws InvalidBackupMetadataError', () => {
    const jsonish = fc.oneof(
      fc.string(),
      fc.json(),
      fc
        .dictionary(
          fc.constantFrom('LSN', 'FinishLSN', 'DeltaFrom', 'DeltaLSN', 'SystemIdentifier', 'IsPermanent', 'UserData'),
          fc.jsonValue(),
        )
        .map((value) => JSON.stringify(value)),
    );
    fc.assert(
      fc.property(jsonish, (text) => {
        try {
          const backup = walg(FULL, text);
          expect(backup.finishLsn >= backup.startLsn).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidBackupMetadataError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
