/**
 * The retention digest kept in the catalog table (dynalite, the real DynamoDB store and its change index): after
 * any sequence of WAL arrivals, deletions and plans, some of them at once, the digest a plan uses is exactly the
 * digest of the catalog as it is, and so is the one it leaves stored; a damaged or missing digest is rebuilt from
 * the catalog instead of being planned from.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { digestChunkSk, digestPk } from '../../lib/adapters/dynamodb/dynamodb-retention-digest-store.ts';
import { createBackupInterpreter } from '../../lib/domain/catalog/backup-interpreter.ts';
import type { WalObjectRecord } from '../../lib/domain/catalog/catalog-records.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import {
  WAL_DIGEST_CHUNK_SEGMENTS,
  WalDigestBuilder,
  type WalDigestChunk,
} from '../../lib/domain/retention/wal-digest.ts';
import { type TimelineId, timelineId } from '../../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../../lib/domain/wal/wal-segment.ts';
import { refreshRetentionWalDigest } from '../../lib/use-cases/retention-wal-digest.ts';
import { type CatalogTableFixture, startCatalogTable } from '../support/catalog-table.ts';
import { testConfig } from './catalog-test-setup.ts';

const cluster = testConfig().clusters[0] as ClusterConfig;
const CHUNK = WAL_DIGEST_CHUNK_SEGMENTS;
const START = Date.parse('2026-12-01T00:00:00Z');

let table: CatalogTableFixture;
beforeAll(async () => {
  table = await startCatalogTable();
});
afterAll(async () => {
  await table?.close();
});

/** A catalog whose writes are stamped by a clock the test moves. */
async function newCatalog(clock: { now: number }): Promise<DynamoDbCatalogStore> {
  const tableName = await table.newTable();
  const catalog = new DynamoDbCatalogStore({
    client: table.client,
    tableName,
    interpret: createBackupInterpreter([cluster]),
    now: () => new Date(clock.now),
  });
  tableNames.set(catalog, tableName);
  return catalog;
}
const tableNames = new WeakMap<DynamoDbCatalogStore, string>();

const record = (timeline: TimelineId, segNo: number, copy: number, sequencer: number, deleted: boolean) => {
  const name = walFileName({ timeline, segNo: segmentNumber(segNo) }, cluster.walSegmentSize);
  return {
    cluster: cluster.id,
    key: `orders-main/wal_005/${name}${copy === 0 ? '.lz4' : '.br'}`,
    kind: 'segment',
    timeline,
    segNo: segmentNumber(segNo),
    compression: copy === 0 ? 'lz4' : 'brotli',
    size: deleted ? 0 : 1000 + segNo + copy,
    uploadedAt: new Date(START + segNo * 1000 + copy),
    sequencer: sequencer.toString(16).padStart(16, '0'),
    deleted,
    ...(deleted ? { deletedAt: new Date(START + 10 ** 9) } : {}),
  } as WalObjectRecord;
};

/** The digest of the catalog as it is now, built from its WAL objects one by one. */
async function truth(catalog: DynamoDbCatalogStore): Promise<WalDigestChunk[]> {
  const chunks: WalDigestChunk[] = [];
  for (const timeline of await catalog.listTimelines(cluster.id)) {
    const builder = new WalDigestBuilder(timeline);
    for await (const object of catalog.listWalObjects(cluster.id, timeline)) builder.add(object);
    chunks.push(...builder.build().chunks);
  }
  return chunks;
}

/** Chunks without their read stamp, in order, for comparison. */
const comparable = (chunks: readonly WalDigestChunk[]) =>
  chunks
    .filter((chunk) => chunk.segments > 0)
    .map(({ timeline, chunk, data, segments, objects, bytes, newest }) => ({
      timeline,
      chunk,
      data: [...data],
      segments,
      objects,
      bytes,
      newest,
    }))
    .sort((a, b) => a.timeline - b.timeline || a.chunk - b.chunk);

type Step =
  | {
      readonly kind: 'write';
      readonly timeline: 1 | 2;
      readonly segNos: number[];
      readonly copy: 0 | 1;
      readonly deleted: boolean;
    }
  | { readonly kind: 'delete'; readonly picks: number[] }
  | { readonly kind: 'plan'; readonly together: 1 | 2; readonly quietMinutes: number }
  | { readonly kind: 'wait'; readonly minutes: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      timeline: fc.constantFrom(1 as const, 2 as const),
      // Mostly a few segments written again and again (arrivals, second copies, deletions of what is there), at chunk
      // edges; sometimes anywhere.
      segNos: fc.array(
        fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 5, 3 * CHUNK) },
          { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 * CHUNK }) },
        ),
        { minLength: 1, maxLength: 6 },
      ),
      copy: fc.constantFrom(0 as const, 1 as const),
      deleted: fc.boolean(),
    }),
  },
  // Deletions of objects that are there (picked among the live ones when the step runs).
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('delete' as const),
      picks: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
    }),
  },
  {
    weight: 2,
    // Often after a quiet spell longer than the change read's overlap: the next update then must find every later
    // change in the index, none of these writes re-read along with them.
    arbitrary: fc.record({
      kind: fc.constant('plan' as const),
      together: fc.constantFrom(1 as const, 2 as const),
      quietMinutes: fc.constantFrom(0, 10),
    }),
  },
  // Past the change read's overlap, so an update sees only what changed since the last plan.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), minutes: fc.integer({ min: 5, max: 90 }) }) },
);

describe('the stored retention digest', () => {
  it('is, at every plan and afterwards, the digest of the catalog as it is', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), async (steps) => {
        const clock = { now: START };
        const catalog = await newCatalog(clock);
        let sequencer = 1;
        /** The objects written live and not deleted since, as [timeline, segNo, copy]. */
        const live = new Map<string, [TimelineId, number, 0 | 1]>();
        for (const next of [...steps, { kind: 'plan', together: 1, quietMinutes: 0 } as const]) {
          clock.now += 60_000;
          if (next.kind === 'wait') {
            clock.now += next.minutes * 60_000;
          } else if (next.kind === 'write') {
            const timeline = timelineId(next.timeline);
            const segNos = [...new Set(next.segNos)];
            await catalog.applyWalChanges(
              segNos.map((segNo) => ({
                origin: 'event' as const,
                record: record(timeline, segNo, next.copy, sequencer++, next.deleted),
              })),
            );
            for (const segNo of segNos) {
              const id = `${timeline}/${segNo}/${next.copy}`;
              if (next.deleted) live.delete(id);
              else live.set(id, [timeline, segNo, next.copy]);
            }
          } else if (next.kind === 'delete') {
            const candidates = [...live.entries()];
            if (candidates.length === 0) continue;
            const picked = new Map(
              next.picks.map((pick) => candidates[pick % candidates.length] as (typeof candidates)[number]),
            );
            await catalog.applyWalChanges(
              [...picked.values()].map(([timeline, segNo, copy]) => ({
                origin: 'event' as const,
                record: record(timeline, segNo, copy, sequencer++, true),
              })),
            );
            for (const id of picked.keys()) live.delete(id);
          } else {
            clock.now += next.quietMinutes * 60_000;
            const expected = comparable(await truth(catalog));
            const digests = await Promise.all(
              Array.from({ length: next.together }, () =>
                refreshRetentionWalDigest(catalog, cluster, new Date(clock.now)),
              ),
            );
            for (const digest of digests) {
              expect(digest).toBeDefined();
              expect(comparable(digest?.chunks ?? [])).toEqual(expected);
            }
          }
        }
        // What is left stored, read by the next plan with nothing new: still the catalog's digest, and only updated.
        clock.now += 60_000;
        const next = await refreshRetentionWalDigest(catalog, cluster, new Date(clock.now));
        expect(next?.refresh.mode).toBe('updated');
        expect(comparable(next?.chunks ?? [])).toEqual(comparable(await truth(catalog)));
        const stored = await catalog.retentionDigest.read(cluster.id);
        expect(comparable(stored.chunks)).toEqual(comparable(await truth(catalog)));
      }),
      { numRuns: 25 },
    );
  }, 240_000);

  it('sees a deletion at the next plan however long after the last one', async () => {
    const clock = { now: START };
    const catalog = await newCatalog(clock);
    const timeline = timelineId(1);
    await catalog.applyWalChanges(
      [0, 1].map((segNo) => ({ origin: 'event' as const, record: record(timeline, segNo, 0, 1, false) })),
    );
    // Past the overlap: the next plan's change read starts after these writes.
    clock.now += 10 * 60_000;
    await refreshRetentionWalDigest(catalog, cluster, new Date(clock.now));
    clock.now += 60 * 60_000;
    await catalog.applyWalChanges([{ origin: 'event', record: record(timeline, 1, 0, 2, true) }]);
    clock.now += 60 * 60_000;
    const next = await refreshRetentionWalDigest(catalog, cluster, new Date(clock.now));
    expect(next?.chunks.map((chunk) => chunk.segments)).toEqual([1]);
    expect(comparable(next?.chunks ?? [])).toEqual(comparable(await truth(catalog)));
  });

  it('is updated from the changes alone: the chunks they touch are read again, the rest is not', async () => {
    const clock = { now: START };
    const catalog = await newCatalog(clock);
    const timeline = timelineId(1);
    // Ten segments at the start of each of chunks 0, 1 and 2.
    const segNos = [0, 1, 2].flatMap((chunk) => Array.from({ length: 10 }, (_, index) => chunk * CHUNK + index));
    await catalog.applyWalChanges(
      segNos.map((segNo) => ({ origin: 'event', record: record(timeline, segNo, 0, 1, false) })),
    );
    // Later than the overlap: the next update's change read starts after these writes.
    clock.now += 10 * 60_000;
    const built = await refreshRetentionWalDigest(catalog, cluster, new Date(clock.now));
    expect(built?.refresh).toMatchObject({
      mode: 'built',
      reason: 'no digest stored',
      walObjectsRead: 30,
      chunksWritten: 3,
    });

    clock.now += 10 * 60_000;
    await catalog.applyWalChanges([
      { origin: 'event', record: record(timeline, 3 * CHUNK + 7, 0, 2, false) },
      { origin: 'event', record: record(timeline, 5, 0, 3, true) },
    ]);
    clock.now += 60_000;
    const updated = await refreshRetentionWalDigest(catalog, cluster, new Date(clock.now));
    // The new segment opens chunk 3; the deleted one is in chunk 0; chunks 1 and 2 are not read.
    expect(updated?.refresh).toEqual({ mode: 'updated', changesRead: 2, chunksReread: 2, chunksWritten: 2 });
    expect(comparable(updated?.chunks ?? [])).toEqual(comparable(await truth(catalog)));
  }, 120_000);

  it('keeps the chunk of the later read when two updates write at once, and the head of the first to move it', async () => {
    const clock = { now: START };
    const catalog = await newCatalog(clock);
    const builder = (segNos: number[]) => {
      const digest = new WalDigestBuilder(timelineId(1));
      for (const segNo of segNos) digest.add(record(timelineId(1), segNo, 0, 1, false));
      return digest.build().chunks[0] as WalDigestChunk;
    };
    const newer = { ...builder([1, 2, 3]), readAt: '2026-12-01T00:10:00.000Z' };
    const older = { ...builder([1, 2]), readAt: '2026-12-01T00:05:00.000Z' };
    expect(await catalog.retentionDigest.writeChunks(cluster.id, [newer])).toBe(1);
    // The update that read the catalog earlier comes second: it loses, and says so.
    expect(await catalog.retentionDigest.writeChunks(cluster.id, [older])).toBe(0);
    expect(comparable((await catalog.retentionDigest.read(cluster.id)).chunks)).toEqual(comparable([newer]));

    const head = {
      layout: 1,
      segmentSize: cluster.walSegmentSize,
      builtAt: newer.readAt,
      changesThrough: newer.readAt,
      alwaysKeptObjects: 0,
    };
    expect(await catalog.retentionDigest.writeHead(cluster.id, head)).toBe(true);
    const version = (await catalog.retentionDigest.read(cluster.id)).head?.version as number;
    expect(await catalog.retentionDigest.writeHead(cluster.id, { ...head, changesThrough: 'b' }, version)).toBe(true);
    expect(await catalog.retentionDigest.writeHead(cluster.id, { ...head, changesThrough: 'c' }, version)).toBe(false);
    expect((await catalog.retentionDigest.read(cluster.id)).head).toMatchObject({
      changesThrough: 'b',
      version: version + 1,
    });
  });

  it('is rebuilt from the catalog when a chunk is damaged, and says which', async () => {
    const clock = { now: START };
    const catalog = await newCatalog(clock);
    const timeline = timelineId(1);
    await catalog.applyWalChanges(
      [1, 2, 3, CHUNK + 1].map((segNo) => ({ origin: 'event' as const, record: record(timeline, segNo, 0, 1, false) })),
    );
    clock.now += 60_000;
    await refreshRetentionWalDigest(catalog, cluster, new Date(clock.now));
    const stored = await catalog.retentionDigest.read(cluster.id);
    const first = stored.chunks[0] as (typeof stored.chunks)[number];
    // Totals that disagree with the data: a chunk written by hand, or bytes lost.
    await table.client.send(
      new PutCommand({
        TableName: tableNames.get(catalog),
        Item: {
          pk: digestPk(cluster.id),
          sk: digestChunkSk(timeline, 0),
          timeline: 1,
          chunk: 0,
          data: first.data,
          segments: 2,
          objects: first.objects,
          bytes: first.bytes,
          readAt: first.readAt,
        },
      }),
    );
    clock.now += 60_000;
    const rebuilt = await refreshRetentionWalDigest(catalog, cluster, new Date(clock.now));
    expect(rebuilt?.refresh).toMatchObject({
      mode: 'built',
      reason:
        'retention digest chunk 0 of timeline 1 decodes to 3 segments, 3 objects, 3006 bytes, but says 2, 3, 3006; it is rebuilt',
    });
    expect(comparable(rebuilt?.chunks ?? [])).toEqual(comparable(await truth(catalog)));
    const again = await catalog.retentionDigest.read(cluster.id);
    expect(comparable(again.chunks)).toEqual(comparable(await truth(catalog)));
  }, 120_000);
});
