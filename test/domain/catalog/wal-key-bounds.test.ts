import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyInRange, timelineSegmentRange, walKeyBounds } from '../../../lib/domain/catalog/wal-key-bounds.ts';
import { walSegmentSize } from '../../../lib/domain/wal/segment-size.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../../../lib/domain/wal/wal-segment.ts';

const ROOT = 'orders-main/';
const sizes = [1, 16, 64].map((mib) => walSegmentSize(mib * 1024 * 1024));

const segmentKey = fc
  .record({
    size: fc.constantFrom(...sizes),
    timeline: fc.integer({ min: 1, max: 4 }),
    segNo: fc.integer({ min: 0, max: 20_000 }),
    suffix: fc.constantFrom('.br', '.lz4', '.partial', '.00000028.backup', ''),
  })
  .map(({ size, timeline, segNo, suffix }) => ({
    size,
    timeline,
    segNo,
    key: `${ROOT}wal_005/${walFileName({ timeline: timelineId(timeline), segNo: segmentNumber(segNo) }, size)}${suffix}`,
  }));

/** Range bounds as the sync meets them: other keys, split boundaries (hex fractions, `~`), other folders. */
const bound = fc.oneof(
  segmentKey.map((k) => k.key),
  segmentKey.map((k) => `${k.key}~`),
  fc
    .array(fc.constantFrom(...'0123456789ABCDEF._a'), { minLength: 1, maxLength: 40 })
    .map((chars) => `${ROOT}wal_005/${chars.join('')}`),
  fc.constantFrom(`${ROOT}basebackups_005/base_1`, `${ROOT}wal_005/00000002.history`, `${ROOT}zzz`, ''),
);

describe('walKeyBounds', () => {
  it('holds every WAL key of the range: the bounds are a superset, never a subset', () => {
    fc.assert(
      fc.property(segmentKey, bound, fc.option(bound, { nil: undefined }), (object, low, high) => {
        // Bounds on the right sides of the key; a bound on the wrong side leaves that side open.
        const after = low < object.key ? low : '';
        const range = high === undefined || high < object.key ? { after } : { after, until: high };
        expect(keyInRange(object.key, range)).toBe(true);
        const bounds = walKeyBounds(range, ROOT, object.size);
        expect(bounds).toBeDefined();
        const segments = bounds && timelineSegmentRange(bounds, timelineId(object.timeline));
        expect(segments).toBeDefined();
        expect(object.segNo).toBeGreaterThanOrEqual(segments?.fromSegNo ?? 0);
        expect(object.segNo).toBeLessThanOrEqual(segments?.toSegNo ?? Number.MAX_SAFE_INTEGER);
      }),
      { numRuns: 3000 },
    );
  });

  it('finds no WAL in a range before or after the WAL folder', () => {
    const size = sizes[1] as (typeof sizes)[number];
    expect(walKeyBounds({ after: '', until: `${ROOT}basebackups_005/z` }, ROOT, size)).toBeUndefined();
    expect(walKeyBounds({ after: `${ROOT}zzz` }, ROOT, size)).toBeUndefined();
    // The sharded sync's backups range ends at the WAL folder itself: no WAL key lies in it.
    expect(walKeyBounds({ after: '', until: `${ROOT}wal_005/` }, ROOT, size)).toBeUndefined();
    expect(
      walKeyBounds(
        { after: `${ROOT}wal_005/000000010000000000000003.br`, until: `${ROOT}wal_005/000000010000000100000002~` },
        ROOT,
        size,
      ),
    ).toEqual({ from: { timeline: 1, segNo: 3 }, to: { timeline: 1, segNo: 0x102 } });
  });

  it('queries nothing for a range between two boundaries that name no segment of the size', () => {
    const size = sizes[1] as (typeof sizes)[number];
    // With 16 MiB segments the segment part stops at FF: nothing lies between ...00001000 and ...00001001.
    const bounds = walKeyBounds(
      { after: `${ROOT}wal_005/000000010000000000001000`, until: `${ROOT}wal_005/000000010000000000001001` },
      ROOT,
      size,
    );
    expect(bounds && timelineSegmentRange(bounds, timelineId(1))).toBeUndefined();
  });
});
