/**
 * The retention digest is an exact summary: the runs retention plans over come out the same from the digest as from
 * the catalog's WAL objects fed one by one, whatever the objects (several per segment, tombstones, gaps, timelines,
 * chunk boundaries, sizes past 2^32) and wherever protection breaks the runs; and a damaged chunk is refused, never
 * planned from.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lib/domain/errors.ts';
import {
  decodeDigestChunk,
  digestChunkOf,
  digestRebuildReason,
  retentionRunsFromDigest,
  touchedDigestChunk,
  WAL_DIGEST_CHUNK_SEGMENTS,
  WAL_DIGEST_LAYOUT,
  WAL_DIGEST_REBUILD_EVERY_MS,
  WalDigestBuilder,
  type WalDigestChunk,
} from '../../../lib/domain/retention/wal-digest.ts';
import {
  type ProtectedWalRange,
  type RetentionWalObject,
  RetentionWalRunsBuilder,
  walRunBreaks,
} from '../../../lib/domain/retention/wal-retention.ts';
import { type TimelineId, timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber } from '../../../lib/domain/wal/wal-segment.ts';

const CHUNK = WAL_DIGEST_CHUNK_SEGMENTS;

/** Objects of one timeline around chunk boundaries, in catalog order, with duplicates and tombstones. */
const timelineObjects = (timeline: TimelineId) =>
  fc
    .array(
      fc.record({
        // Near the boundaries of chunks 0..3, where a digest could go wrong, and anywhere in between.
        segNo: fc.oneof(
          fc.integer({ min: 0, max: 4 * CHUNK }),
          fc
            .integer({ min: 1, max: 3 })
            .chain((boundary) => fc.integer({ min: boundary * CHUNK - 3, max: boundary * CHUNK + 2 })),
        ),
        copies: fc.integer({ min: 1, max: 3 }),
        size: fc.oneof(fc.integer({ min: 0, max: 16 * 2 ** 20 }), fc.constant(2 ** 33 + 7)),
        deleted: fc.boolean(),
        uploadedAtMs: fc.integer({ min: 0, max: 10 ** 12 }),
      }),
      { maxLength: 60 },
    )
    .map((drafts) => {
      const objects: (RetentionWalObject & { uploadedAt: Date })[] = [];
      for (const draft of [...drafts].sort((a, b) => a.segNo - b.segNo)) {
        for (let copy = 0; copy < draft.copies; copy++) {
          objects.push({
            key: `wal_005/${timeline}-${draft.segNo}-${copy}`,
            kind: 'segment',
            timeline,
            segNo: segmentNumber(draft.segNo),
            size: draft.size,
            deleted: draft.deleted && copy === 0,
            uploadedAt: new Date(draft.uploadedAtMs + copy),
          });
        }
      }
      return objects;
    });

const protectedRanges = fc.array(
  fc.record({
    timeline: fc.option(fc.constantFrom(timelineId(1), timelineId(2)), { nil: undefined }),
    fromSegNo: fc.integer({ min: 0, max: 4 * CHUNK }),
    length: fc.option(fc.integer({ min: 0, max: 2 * CHUNK }), { nil: undefined }),
  }),
  { maxLength: 5 },
);

function digestOf(objects: readonly (RetentionWalObject & { uploadedAt?: Date })[], timeline: TimelineId) {
  const builder = new WalDigestBuilder(timeline);
  for (const object of objects) builder.add(object);
  return builder.build();
}

describe('the retention digest', () => {
  it('gives the runs of the objects fed one by one, wherever protection breaks them', () => {
    fc.assert(
      fc.property(
        timelineObjects(timelineId(1)),
        timelineObjects(timelineId(2)),
        protectedRanges,
        (one, two, drafts) => {
          const ranges: ProtectedWalRange[] = drafts.map((draft) => ({
            ...(draft.timeline === undefined ? {} : { timeline: draft.timeline }),
            fromSegNo: segmentNumber(draft.fromSegNo),
            ...(draft.length === undefined ? {} : { toSegNo: segmentNumber(draft.fromSegNo + draft.length) }),
            reason: 'test',
          }));
          const direct = new RetentionWalRunsBuilder(walRunBreaks(ranges));
          for (const object of [...one, ...two]) direct.add(object);
          const first = digestOf(one, timelineId(1));
          const second = digestOf(two, timelineId(2));
          // Chunks in any order: the digest sorts them.
          const chunks = [...second.chunks, ...first.chunks].reverse();
          expect(retentionRunsFromDigest(chunks, 0, walRunBreaks(ranges))).toEqual(direct.build());
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps the totals, the chunk of every segment and the newest live upload of each chunk', () => {
    fc.assert(
      fc.property(timelineObjects(timelineId(3)), (objects) => {
        const { chunks } = digestOf(objects, timelineId(3));
        const live = objects.filter((object) => !object.deleted);
        expect(chunks.reduce((sum, chunk) => sum + chunk.objects, 0)).toBe(live.length);
        expect(chunks.reduce((sum, chunk) => sum + chunk.bytes, 0)).toBe(
          live.reduce((sum, object) => sum + object.size, 0),
        );
        for (const chunk of chunks) {
          const inChunk = live.filter((object) => digestChunkOf(object.segNo as number) === chunk.chunk);
          const segments = decodeDigestChunk(chunk);
          expect(segments.map((segment) => segment.segNo)).toEqual([...new Set(inChunk.map((object) => object.segNo))]);
          const newest = Math.max(...inChunk.map((object) => object.uploadedAt.getTime()));
          expect(chunk.newest?.uploadedAt.getTime()).toBe(newest);
        }
      }),
    );
  });

  it('counts objects without a segment number apart and keeps them', () => {
    const builder = new WalDigestBuilder(timelineId(1));
    builder.add({ key: 'wal_005/00000002.history', kind: 'history', timeline: timelineId(1), size: 40 });
    builder.add({ key: 'wal_005/a', kind: 'segment', timeline: timelineId(1), segNo: segmentNumber(5), size: 9 });
    const built = builder.build();
    expect(built.alwaysKeptObjects).toBe(1);
    expect(retentionRunsFromDigest(built.chunks, built.alwaysKeptObjects, walRunBreaks([])).alwaysKeptObjects).toBe(1);
  });

  it('refuses objects out of order or of another timeline, naming the object', () => {
    const builder = new WalDigestBuilder(timelineId(1));
    builder.add({ key: 'b', kind: 'segment', timeline: timelineId(1), segNo: segmentNumber(9), size: 1 });
    expect(() =>
      builder.add({ key: 'a', kind: 'segment', timeline: timelineId(1), segNo: segmentNumber(8), size: 1 }),
    ).toThrow(/WAL object a \(segment 8\) arrived after segment 9/);
    expect(() =>
      builder.add({ key: 'c', kind: 'segment', timeline: timelineId(2), segNo: segmentNumber(10), size: 1 }),
    ).toThrow(/WAL object c is on timeline 2, not 1/);
  });
});

describe('a damaged chunk', () => {
  const good = (): WalDigestChunk => {
    const builder = new WalDigestBuilder(timelineId(1));
    for (const segNo of [CHUNK + 1, CHUNK + 2, CHUNK + 700]) {
      builder.add({
        key: `k${segNo}`,
        kind: 'segment',
        timeline: timelineId(1),
        segNo: segmentNumber(segNo),
        size: 300,
      });
    }
    return builder.build().chunks[0] as WalDigestChunk;
  };

  it('is refused when its data is cut short, leaves the chunk or disagrees with its totals', () => {
    const chunk = good();
    expect(decodeDigestChunk(chunk)).toHaveLength(3);
    const cases: [WalDigestChunk, RegExp][] = [
      [{ ...chunk, data: chunk.data.slice(0, chunk.data.length - 1) }, /chunk 1 of timeline 1 ends inside a number/],
      [{ ...chunk, segments: 4 }, /decodes to 3 segments, 3 objects, 900 bytes, but says 4, 3, 900/],
      [{ ...chunk, bytes: 901 }, /but says 3, 3, 901/],
      [{ ...chunk, data: Uint8Array.of(0xff, 0x7f, 1, 1) }, /holds segment 20479, outside the chunk/],
      [{ ...chunk, data: Uint8Array.of(0, 0, 5) }, /holds segment 4096 with no object/],
    ];
    for (const [damaged, message] of cases) {
      expect(() => decodeDigestChunk(damaged)).toThrow(InvalidInputError);
      expect(() => decodeDigestChunk(damaged)).toThrow(message);
      expect(() => retentionRunsFromDigest([damaged], 0, walRunBreaks([]))).toThrow(message);
    }
  });
});

describe('when a stored digest is rebuilt', () => {
  const now = new Date('2026-12-04T12:00:00Z');
  const head = {
    layout: WAL_DIGEST_LAYOUT,
    segmentSize: 16 * 2 ** 20,
    builtAt: '2026-12-01T12:00:00.000Z',
    changesThrough: '2026-12-04T11:00:00.000Z',
    alwaysKeptObjects: 0,
  };

  it('is updated in place while its layout, segment size and stamps hold and it is younger than a week', () => {
    expect(digestRebuildReason(head, 16 * 2 ** 20, now)).toBeUndefined();
    expect(digestRebuildReason(undefined, 16 * 2 ** 20, now)).toBe('no digest stored');
    expect(digestRebuildReason({ ...head, layout: 0 }, 16 * 2 ** 20, now)).toMatch(/layout 0, not 1/);
    expect(digestRebuildReason(head, 2 ** 20, now)).toMatch(/built for 16777216-byte segments, the cluster now has/);
    const weekOld = new Date(Date.parse(head.builtAt) + WAL_DIGEST_REBUILD_EVERY_MS);
    expect(digestRebuildReason(head, 16 * 2 ** 20, weekOld)).toBe('weekly rebuild');
    expect(digestRebuildReason({ ...head, builtAt: 'yesterday' }, 16 * 2 ** 20, now)).toMatch(/"yesterday" is no time/);
    expect(digestRebuildReason({ ...head, changesThrough: '' }, 16 * 2 ** 20, now)).toMatch(/change stamp "" is no/);
  });

  it('re-reads the chunk a changed segment is in, none for a history file', () => {
    expect(touchedDigestChunk({ timeline: timelineId(2), segNo: segmentNumber(CHUNK), kind: 'segment' })).toEqual({
      timeline: 2,
      chunk: 1,
    });
    expect(touchedDigestChunk({ timeline: timelineId(1), segNo: segmentNumber(CHUNK - 1), kind: 'partial' })).toEqual({
      timeline: 1,
      chunk: 0,
    });
    expect(touchedDigestChunk({ timeline: timelineId(2), kind: 'history' })).toBeUndefined();
  });
});
