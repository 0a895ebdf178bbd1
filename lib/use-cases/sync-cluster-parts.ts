/**
 * Full sync fanned out: one unit of work per cluster, and a cluster too large for one invocation split into key
 * ranges that run as separate invocations. Each part syncs its range (sync-catalog.ts with `range`, no sync mark);
 * the part that completes the set in the ledger commits the cluster's sync mark, stamped with the time the whole
 * sync was planned, so `lastFullSyncAt` never claims more than every part has seen.
 */
import type { KeyRange } from '../domain/catalog/key-range.ts';
import { segmentQuantiles, type WalSpan } from '../domain/catalog/listing-ranges.ts';
import type { ClusterConfig, ClusterId } from '../domain/cluster.ts';
import type { CatalogStore } from '../ports/catalog-store.ts';
import type { SyncPartLedger } from '../ports/sync-part-ledger.ts';
import { readBucketDigest } from './review-bucket-lifecycle.ts';
import { catalogWalSpans, type SyncDependencies, type SyncOutcome, syncCatalog } from './sync-catalog.ts';

/** One unit of sync work: what a scheduled fan-out sends per cluster (and per key range of a split cluster). */
export interface SyncPartRequest {
  readonly cluster: ClusterId;
  /** Identifies one sync of the cluster across its parts. */
  readonly syncId: string;
  /** When the sync was planned: the sync mark all parts commit together. */
  readonly plannedAt: Date;
  readonly part: number;
  readonly parts: number;
  readonly range: KeyRange;
}

export interface SyncPlanOptions {
  readonly now: Date;
  /** WAL segments one part syncs at most (about what one 15-minute invocation lists and compares). */
  readonly segmentsPerPart: number;
  /** At most this many parts per cluster. */
  readonly maxParts?: number;
}

export type { WalSpan } from '../domain/catalog/listing-ranges.ts';

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

/**
 * The fan-out of a scheduled sync: one request per cluster, several for a cluster whose catalog holds more than
 * `segmentsPerPart` segments. Each request is one invocation's work.
 */
export async function planClusterSyncs(
  catalog: CatalogStore,
  clusters: readonly ClusterConfig[],
  options: SyncPlanOptions,
): Promise<SyncPartRequest[]> {
  const requests: SyncPartRequest[] = [];
  for (const cluster of clusters) {
    const spans = await catalogWalSpans(catalog, cluster.id);
    const segments = spans.reduce((sum, span) => sum + span.last - span.first + 1, 0);
    const wanted = Math.min(options.maxParts ?? 64, Math.max(1, Math.ceil(segments / options.segmentsPerPart)));
    const ranges = splitClusterKeyRanges(cluster, spans, wanted);
    const syncId = `${options.now.toISOString()}#${cluster.id}`;
    ranges.forEach((range, part) => {
      requests.push({ cluster: cluster.id, syncId, plannedAt: options.now, part, parts: ranges.length, range });
    });
  }
  return requests;
}

export interface SyncPartOutcome extends SyncOutcome {
  /** True when this part was the last to finish and the cluster's sync mark was set. */
  readonly committed: boolean;
}

/** Runs one part; the part that finishes the set commits `lastFullSyncAt = plannedAt`. */
export async function syncClusterPart(
  deps: SyncDependencies & { readonly ledger: SyncPartLedger },
  cluster: ClusterConfig,
  request: SyncPartRequest,
  options: { readonly concurrency?: number } = {},
): Promise<SyncPartOutcome> {
  const outcome = await syncCatalog(deps, cluster, {
    now: request.plannedAt,
    range: request.range,
    commitSyncMark: false,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  });
  const allDone = await deps.ledger.finishSyncPart(cluster.id, request.syncId, request.part, request.parts);
  if (allDone) {
    const bucket =
      deps.bucket === undefined ? undefined : await readBucketDigest(deps.bucket, cluster, request.plannedAt);
    await deps.catalog.updateClusterState(cluster.id, {
      lastFullSyncAt: request.plannedAt,
      ...(bucket === undefined ? {} : { bucket }),
    });
  }
  return { ...outcome, committed: allDone };
}
