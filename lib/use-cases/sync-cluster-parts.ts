/**
 * A cluster's full sync at any archive size. The per-cluster run estimates from the catalog's own segments whether
 * one invocation can list and compare the whole root; if so it syncs there and then. If not it plans one
 * generation: key ranges of about equal segment counts that tile the root, recorded once in the part ledger and
 * sent one message per range. Each part lists and reconciles its range only (sync-catalog.ts with `range`: what it
 * marks gone is what its own listing lacks), records itself finished, and the part that completes the set commits
 * the one sync mark, `lastFullSyncAt = plannedAt`, so the mark never claims more than every part has seen.
 *
 * Redelivery is harmless everywhere: a replanned run of the same tick finds its generation and resends the same
 * parts; a part already finished skips its listing and only retries the commit; every catalog write of a part is
 * conditional on what it compared. A generation replaced by a newer plan is stale: its parts do not run and it
 * never commits, and the mark never moves back.
 */
import type { KeyRange } from '../domain/catalog/key-range.ts';
import { segmentQuantiles, type WalSpan } from '../domain/catalog/listing-ranges.ts';
import { type SyncGeneration, syncIdAt, syncPartCount } from '../domain/catalog/sync-generation.ts';
import type { ClusterConfig } from '../domain/cluster.ts';
import type { SyncPartLedger } from '../ports/sync-part-ledger.ts';
import type { SyncPartQueue, SyncPartRequest } from '../ports/sync-part-queue.ts';
import { readBucketDigest } from './review-bucket-lifecycle.ts';
import { catalogWalSpans, type SyncDependencies, type SyncOutcome, syncCatalog } from './sync-catalog.ts';

export type { SyncPartRequest } from '../ports/sync-part-queue.ts';

/**
 * Catalogued segments one invocation syncs at most. A steady-state sync of 2M segments is about 2,000 list pages
 * and as many catalog query pages; at 16 requests in flight of tens of milliseconds each that is a few minutes,
 * which leaves a 15-minute invocation room for a slow DynamoDB partition or a range with many changes.
 */
export const SEGMENTS_PER_PART = 2_000_000;
/** At most this many parts per generation (the ledger's number set and the plan stay small). */
export const MAX_PARTS = 64;

export interface SyncPlanOptions {
  readonly now: Date;
  /** Catalogued segments one part syncs at most (default {@link SEGMENTS_PER_PART}). */
  readonly segmentsPerPart?: number;
  /** At most this many parts (default {@link MAX_PARTS}). */
  readonly maxParts?: number;
}

/**
 * The key ranges that split one cluster's root into `parts` parts of about equal WAL segment counts. The ranges tile
 * the root: the first starts at its beginning (backups included), the last is open-ended, so a key the catalog
 * does not know yet is still listed by some part.
 *
 * @example splitClusterKeyRanges(cluster, [{ timeline: 1, first: 1, last: 100 }], 2)
 *   // [{ after: '', until: 'root/wal_005/000000010000000000000032~' }, { after: 'root/wal_005/000000010000000000000032~' }]
 */
export function splitClusterKeyRanges(cluster: ClusterConfig, spans: readonly WalSpan[], parts: number): KeyRange[] {
  const boundaries = segmentQuantiles(cluster.storage.prefix, cluster.walSegmentSize, spans, parts);
  return [
    ...boundaries.map((until, index) => ({ after: boundaries[index - 1] ?? '', until })),
    { after: boundaries.at(-1) ?? '' },
  ];
}

/** The generation a sync of `cluster` planned at `now` would run: one range when one invocation suffices. */
export async function planClusterSync(
  deps: Pick<SyncDependencies, 'catalog'>,
  cluster: ClusterConfig,
  options: SyncPlanOptions,
): Promise<SyncGeneration> {
  const spans = await catalogWalSpans(deps.catalog, cluster.id);
  const segments = spans.reduce((sum, span) => sum + span.last - span.first + 1, 0);
  const parts = syncPartCount(segments, options.segmentsPerPart ?? SEGMENTS_PER_PART, options.maxParts ?? MAX_PARTS);
  return {
    syncId: syncIdAt(options.now),
    plannedAt: options.now,
    ranges: splitClusterKeyRanges(cluster, spans, parts),
  };
}

/** The messages of a generation's parts. */
export function partRequests(cluster: ClusterConfig, generation: SyncGeneration): SyncPartRequest[] {
  return generation.ranges.map((range, part) => ({
    cluster: cluster.id,
    syncId: generation.syncId,
    plannedAt: generation.plannedAt,
    part,
    parts: generation.ranges.length,
    range,
  }));
}

export type ClusterSyncOutcome =
  | ({ readonly kind: 'synced' } & SyncOutcome)
  | { readonly kind: 'split'; readonly cluster: string; readonly syncId: string; readonly parts: number }
  | { readonly kind: 'superseded'; readonly cluster: string; readonly syncId: string; readonly newer: string };

export interface ClusterSyncDependencies extends SyncDependencies {
  /** Without a part queue (the CLI, a manual invoke outside the stack) every cluster syncs in one run. */
  readonly parts?: { readonly queue: SyncPartQueue; readonly ledger: SyncPartLedger };
}

/**
 * One cluster's scheduled sync: in this invocation when one suffices (or no part queue is wired), else one
 * generation's parts sent to the part queue.
 */
export async function runClusterSync(
  deps: ClusterSyncDependencies,
  cluster: ClusterConfig,
  options: SyncPlanOptions & { readonly concurrency?: number },
): Promise<ClusterSyncOutcome> {
  const planned = deps.parts === undefined ? undefined : await planClusterSync(deps, cluster, options);
  if (deps.parts === undefined || planned === undefined || planned.ranges.length === 1) {
    const outcome = await syncCatalog(deps, cluster, {
      now: options.now,
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    });
    return { kind: 'synced', ...outcome };
  }
  const begun = await deps.parts.ledger.beginSync(cluster.id, planned);
  if (!begun.current) return { kind: 'superseded', cluster: cluster.id, syncId: planned.syncId, newer: begun.newer };
  await deps.parts.queue.enqueue(partRequests(cluster, begun.generation));
  return { kind: 'split', cluster: cluster.id, syncId: begun.generation.syncId, parts: begun.generation.ranges.length };
}

export type SyncPartOutcome =
  | ({
      readonly kind: 'synced';
      /** True when this part finished the set and its call set the cluster's sync mark. */
      readonly committed: boolean;
    } & SyncOutcome)
  /** Recorded as finished by an earlier delivery: only the commit was retried. */
  | { readonly kind: 'already-finished'; readonly cluster: string; readonly committed: boolean }
  /** A newer generation replaced this part's: nothing listed, nothing committed. */
  | { readonly kind: 'superseded'; readonly cluster: string };

/** Runs one part; the part that finishes the set commits `lastFullSyncAt = plannedAt`. */
export async function syncClusterPart(
  deps: SyncDependencies & { readonly ledger: SyncPartLedger },
  cluster: ClusterConfig,
  request: SyncPartRequest,
  options: { readonly concurrency?: number } = {},
): Promise<SyncPartOutcome> {
  const status = await deps.ledger.syncPartStatus(cluster.id, request.syncId, request.part);
  if (!status.current) return { kind: 'superseded', cluster: cluster.id };
  const commit = async (): Promise<boolean> =>
    (await deps.ledger.finishSyncPart(cluster.id, request.syncId, request.part, request.parts)) &&
    deps.ledger.commitSync(cluster.id, request.syncId, request.plannedAt);
  if (status.finished) return { kind: 'already-finished', cluster: cluster.id, committed: await commit() };
  const outcome = await syncCatalog(deps, cluster, {
    now: request.plannedAt,
    range: request.range,
    commitSyncMark: false,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  });
  const committed = await commit();
  // The bucket's lifecycle rules, versioning and Object Lock, read once per whole sync, as a one-invocation sync does.
  if (committed && deps.bucket !== undefined) {
    await deps.catalog.updateClusterState(cluster.id, {
      bucket: await readBucketDigest(deps.bucket, cluster, request.plannedAt),
    });
  }
  return { kind: 'synced', ...outcome, committed };
}
