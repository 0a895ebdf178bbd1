import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KeyRange } from '../../../lib/domain/catalog/key-range.ts';
import { catalogListingRanges } from '../../../lib/domain/catalog/listing-ranges.ts';
import { keyInRange } from '../../../lib/domain/catalog/wal-key-bounds.ts';
import { walSegmentSize } from '../../../lib/domain/wal/segment-size.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../../../lib/domain/wal/wal-segment.ts';

const size = walSegmentSize(16 * 2 ** 20);
const root = 'db/';
const walKey = (timeline: number, segNo: number, suffix = '.br') =>
  `${root}wal_005/${walFileName({ timeline: timelineId(timeline), segNo: segmentNumber(segNo) }, size)}${suffix}`;

const spansArbitrary = fc.uniqueArray(
  fc
    .record({ timeline: fc.integer({ min: 1, max: 6 }), first: fc.nat(5000), count: fc.integer({ min: 1, max: 5000 }) })
    .map(({ timeline, first, count }) => ({ timeline, first, last: first + count - 1 })),
  { selector: (span) => span.timeline, minLength: 1, maxLength: 4 },
);

describe('catalogListingRanges', () => {
  it('cuts the backups folder, equal shares of the catalogued segments and the tail', () => {
    expect(catalogListingRanges(root, size, [{ timeline: 1, first: 1, last: 100 }], 2)).toEqual([
      { after: '', until: 'db/wal_005/' },
      { after: 'db/wal_005/', until: `${root}wal_005/000000010000000000000032~` },
      { after: `${root}wal_005/000000010000000000000032~`, until: `${root}wal_005/000000010000000000000064~` },
      { after: `${root}wal_005/000000010000000000000064~` },
    ]);
  });

  it('has nothing to cut at without a catalogued segment', () => {
    expect(catalogListingRanges(root, size, [], 16)).toBeUndefined();
  });

  it('tiles any range exactly and places every key in exactly one range', () => {
    fc.assert(
      fc.property(
        spansArbitrary,
        fc.integer({ min: 1, max: 40 }),
        fc.array(
          fc.oneof(
            fc.record({ t: fc.integer({ min: 1, max: 7 }), s: fc.nat(12_000) }).map(({ t, s }) => walKey(t, s)),
            fc
              .record({ t: fc.integer({ min: 1, max: 7 }), s: fc.nat(12_000) })
              .map(({ t, s }) => walKey(t, s, '.partial')),
            fc.nat(99).map((n) => `${root}basebackups_005/base_${n}/tar_partitions/part_1.tar.br`),
            fc.constantFrom(`${root}wal_005/00000002.history.br`, `${root}other/x`, `${root}zzz`, 'db', 'db/'),
          ),
          { maxLength: 60 },
        ),
        fc.option(
          fc.tuple(fc.nat(12_000), fc.nat(12_000)).map(([a, b]) => ({
            after: walKey(1, Math.min(a, b)),
            until: walKey(3, Math.max(a, b)),
          })),
        ),
        (spans, parts, keys, within) => {
          const listed: KeyRange = within ?? { after: '' };
          const ranges = catalogListingRanges(root, size, spans, parts, within ?? undefined) ?? [];
          expect(ranges[0]?.after).toBe(listed.after);
          expect(ranges.at(-1)?.until).toBe(listed.until);
          ranges.forEach((range, index) => {
            if (index > 0) expect(range.after).toBe(ranges[index - 1]?.until);
            if (range.until !== undefined) expect(range.until > range.after).toBe(true);
          });
          for (const key of keys.filter((k) => keyInRange(k, listed))) {
            expect(ranges.filter((range) => keyInRange(key, range))).toHaveLength(1);
          }
          // Without a range to stay in: the backups folder apart, the catalogued segments in `parts` shares.
          const total = spans.reduce((sum, span) => sum + span.last - span.first + 1, 0);
          if (within === null && total >= parts) expect(ranges).toHaveLength(parts + 2);
        },
      ),
      { numRuns: 300 },
    );
  });
});
