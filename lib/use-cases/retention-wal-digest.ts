/**
 * Keeps a cluster's retention digest (lib/domain/retention/wal-digest.ts) up to date and plans over it.
 *
 * The digest is built from the whole catalog when there is none, when it cannot be read, and once a week; in
 * between, each plan reads the change index from the digest's stamp on (less the overlap continuity uses too) and
 * re-reads from the catalog only the chunks a change touched. Re-reading a chunk is idempotent, so reading a change
 * twice costs a Query and changes nothing. Stores without a digest or a change index are planned as before, over
 * every WAL object.
 */
import type { ClusterConfig } from '../domain/cluster.ts';
import { CHANGE_READ_OVERLAP_MS } from '../domain/continuity/verification-cursor.ts';
import { InvalidInputError } from '../domain/errors.ts';
import {
  planRetentionOverRuns,
  type RetentionDecision,
  type RetentionPlan,
} from '../domain/retention/retention-plan.ts';
import {
  checkDigestChunk,
  digestChunkId,
  digestChunkSegments,
  digestRebuildReason,
  retentionRunsFromDigest,
  touchedDigestChunk,
  WAL_DIGEST_LAYOUT,
  WalDigestBuilder,
  type WalDigestChunk,
} from '../domain/retention/wal-digest.ts';
import { walRunBreaks } from '../domain/retention/wal-retention.ts';
import type { TimelineId } from '../domain/wal/timeline.ts';
import { type CatalogStore, ChangeIndexUnavailableError } from '../ports/catalog-store.ts';
import type { StoredDigestChunk } from '../ports/retention-digest-store.ts';
import { mapInOrder } from './map-in-order.ts';

/** Chunks re-read from the catalog at once during an update. */
const CHUNK_READS_IN_FLIGHT = 8;

/** How the digest was brought up to date for this plan. */
export type DigestRefresh =
  | {
      readonly mode: 'built';
      /** Why it was built rather than updated. */
      readonly reason: string;
      readonly walObjectsRead: number;
      readonly chunksWritten: number;
      /** Why the built digest could not be stored (the plan is still made from it). */
      readonly notStored?: string;
    }
  | {
      readonly mode: 'updated';
      readonly changesRead: number;
      readonly chunksReread: number;
      readonly chunksWritten: number;
      readonly notStored?: string;
    };

/** The live WAL of a cluster as retention plans over it. */
export interface RetentionWalDigest {
  readonly chunks: readonly WalDigestChunk[];
  readonly alwaysKeptObjects: number;
  /** The most recently uploaded live WAL object, for the clock check. */
  readonly newestUpload?: { readonly key: string; readonly uploadedAt: Date };
  readonly refresh: DigestRefresh;
}

type UploadedWal = { readonly key: string; readonly uploadedAt: Date };

function newestOf(chunks: readonly WalDigestChunk[]): UploadedWal | undefined {
  let newest: UploadedWal | undefined;
  for (const chunk of chunks) {
    if (chunk.newest && (!newest || chunk.newest.uploadedAt > newest.uploadedAt)) newest = chunk.newest;
  }
  return newest;
}

const emptyChunk = (timeline: TimelineId, chunk: number): WalDigestChunk => ({
  timeline,
  chunk,
  data: new Uint8Array(0),
  segments: 0,
  objects: 0,
  bytes: 0,
});

/** The chunks of `objects` (one timeline, catalog order), and what they held without a segment number. */
async function digestOf(
  timeline: TimelineId,
  objects: AsyncIterable<Parameters<WalDigestBuilder['add']>[0]>,
): Promise<{ chunks: WalDigestChunk[]; alwaysKeptObjects: number; read: number }> {
  const builder = new WalDigestBuilder(timeline);
  let read = 0;
  for await (const object of objects) {
    builder.add(object);
    read++;
  }
  return { ...builder.build(), read };
}

/** Why the stored chunks cannot be planned from, or undefined when every one decodes to its totals. */
function damagedChunk(chunks: readonly WalDigestChunk[]): string | undefined {
  for (const chunk of chunks) {
    try {
      checkDigestChunk(chunk);
    } catch (error) {
      if (error instanceof InvalidInputError) return error.message;
      throw error;
    }
  }
  return undefined;
}

/**
 * The cluster's digest, brought up to date from the catalog and stored back (best effort: a digest that cannot be
 * stored is still right for this plan, and the next one reads more). Undefined when the catalog keeps no digest or
 * no change index: plan over every WAL object then.
 */
export async function refreshRetentionWalDigest(
  catalog: CatalogStore,
  cluster: ClusterConfig,
  now: Date,
): Promise<RetentionWalDigest | undefined> {
  const store = catalog.retentionDigest;
  if (store === undefined || catalog.listWalChanges === undefined || catalog.changeStamp === undefined) {
    return undefined;
  }
  const stored = await store.read(cluster.id);
  const head = stored.head;
  const rebuild =
    (stored.unreadable.length > 0
      ? `unreadable digest items: ${stored.unreadable.slice(0, 3).join('; ')}`
      : undefined) ??
    digestRebuildReason(head, cluster.walSegmentSize, now) ??
    damagedChunk(stored.chunks);
  const stamp = catalog.changeStamp();
  const persist = async (
    chunks: readonly WalDigestChunk[],
    alwaysKeptObjects: number,
    builtAt: string,
    expectedVersion: number | undefined,
  ): Promise<{ chunksWritten: number; notStored?: string }> => {
    try {
      const chunksWritten = await store.writeChunks(
        cluster.id,
        chunks.map((chunk): StoredDigestChunk => ({ ...chunk, readAt: stamp })),
      );
      const headWritten = await store.writeHead(
        cluster.id,
        {
          layout: WAL_DIGEST_LAYOUT,
          segmentSize: cluster.walSegmentSize,
          builtAt,
          changesThrough: stamp,
          alwaysKeptObjects,
        },
        expectedVersion,
      );
      return headWritten ? { chunksWritten } : { chunksWritten, notStored: 'another plan moved the digest meanwhile' };
    } catch (error) {
      return { chunksWritten: 0, notStored: error instanceof Error ? error.message : String(error) };
    }
  };

  if (rebuild !== undefined || head === undefined) {
    const chunks: WalDigestChunk[] = [];
    let alwaysKeptObjects = 0;
    let walObjectsRead = 0;
    for (const timeline of await catalog.listTimelines(cluster.id)) {
      const built = await digestOf(
        timeline,
        catalog.listRetentionWal?.(cluster.id, timeline) ?? catalog.listWalObjects(cluster.id, timeline),
      );
      chunks.push(...built.chunks);
      alwaysKeptObjects += built.alwaysKeptObjects;
      walObjectsRead += built.read;
    }
    // A stored chunk the build did not make is a stretch with no live segment any more.
    const built = new Set(chunks.map((chunk) => digestChunkId(chunk.timeline, chunk.chunk)));
    const emptied = stored.chunks
      .filter((chunk) => !built.has(digestChunkId(chunk.timeline, chunk.chunk)))
      .map((chunk) => emptyChunk(chunk.timeline, chunk.chunk));
    const written = await persist([...chunks, ...emptied], alwaysKeptObjects, stamp, undefined);
    return {
      chunks,
      alwaysKeptObjects,
      ...optionalNewest(newestOf(chunks)),
      refresh: { mode: 'built', reason: rebuild ?? 'no digest stored', walObjectsRead, ...written },
    };
  }

  const since = new Date(Date.parse(head.changesThrough) - CHANGE_READ_OVERLAP_MS).toISOString();
  const touched = new Map<string, { timeline: TimelineId; chunk: number }>();
  let changesRead = 0;
  try {
    // Storage classes do not matter to retention: no record needs its class read from its item.
    for await (const { record } of catalog.listWalChanges(cluster.id, since, { storageOf: () => false })) {
      changesRead++;
      const chunk = touchedDigestChunk(record);
      if (chunk !== undefined) touched.set(digestChunkId(chunk.timeline, chunk.chunk), chunk);
    }
  } catch (error) {
    if (error instanceof ChangeIndexUnavailableError) return undefined;
    throw error;
  }
  const reread = await mapInOrder([...touched.values()], CHUNK_READS_IN_FLIGHT, async ({ timeline, chunk }) => {
    const built = await digestOf(timeline, catalog.listWalObjects(cluster.id, timeline, digestChunkSegments(chunk)));
    return built.chunks[0] ?? emptyChunk(timeline, chunk);
  });
  const merged = new Map<string, WalDigestChunk>();
  for (const chunk of [...stored.chunks, ...reread]) merged.set(digestChunkId(chunk.timeline, chunk.chunk), chunk);
  const chunks = [...merged.values()].filter((chunk) => chunk.segments > 0);
  const written = await persist(reread, head.alwaysKeptObjects, head.builtAt, head.version);
  return {
    chunks,
    alwaysKeptObjects: head.alwaysKeptObjects,
    ...optionalNewest(newestOf(chunks)),
    refresh: { mode: 'updated', changesRead, chunksReread: reread.length, ...written },
  };
}

const optionalNewest = (newest: UploadedWal | undefined): { newestUpload?: UploadedWal } =>
  newest === undefined ? {} : { newestUpload: newest };

/**
 * The plan of a decision over the digest: the same plan as over the catalog's WAL objects read one by one
 * (`planOverCatalogWal`), from a couple of hundred chunks.
 */
export function planOverDigest(
  digest: RetentionWalDigest,
  decision: RetentionDecision,
): { plan: RetentionPlan; newestUpload?: UploadedWal } {
  const runs = retentionRunsFromDigest(digest.chunks, digest.alwaysKeptObjects, walRunBreaks(decision.protectedWal));
  return { plan: planRetentionOverRuns(decision, runs), ...optionalNewest(digest.newestUpload) };
}
