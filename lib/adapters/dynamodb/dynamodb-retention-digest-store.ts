/**
 * The retention digest in the catalog table, one partition per cluster (docs/catalog-table.md):
 *
 * | item  | pk                | sk                                   |
 * |-------|-------------------|--------------------------------------|
 * | head  | `DIGEST#<id>`     | `HEAD`                               |
 * | chunk | `DIGEST#<id>`     | `CHUNK#<tli 8hex>#<chunk 8hex>`      |
 *
 * Reading the digest is one Query of its partition (a ten-year archive is about 200 chunks of 20 KB). Chunk writes
 * are conditional on the stamp of the read they came from, the head's on its version, so two planners that run at
 * once never leave an older chunk over a newer one.
 */
import type { ClusterId } from '../../domain/cluster.ts';
import type { WalDigestHead } from '../../domain/retention/wal-digest.ts';
import { formatTimelineHex, type TimelineId, timelineId } from '../../domain/wal/timeline.ts';
import type {
  RetentionDigestStore,
  StoredDigestChunk,
  StoredDigestHead,
  StoredRetentionDigest,
} from '../../ports/retention-digest-store.ts';
import { putChunksUnlessNewer, readDigestPartition } from './digest-partition.ts';
import type { Item, SingleTable } from './single-table.ts';

export const digestPk = (cluster: ClusterId): string => `DIGEST#${cluster}`;
export const DIGEST_HEAD_SK = 'HEAD';
export const DIGEST_CHUNK_SK_PREFIX = 'CHUNK#';
export const digestChunkSk = (timeline: TimelineId, chunk: number): string =>
  `${DIGEST_CHUNK_SK_PREFIX}${formatTimelineHex(timeline)}#${chunk.toString(16).toUpperCase().padStart(8, '0')}`;

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

function headFromItem(item: Item | undefined): StoredDigestHead | undefined {
  if (item === undefined) return undefined;
  const { layout, segmentSize, builtAt, changesThrough, alwaysKeptObjects, version } = item;
  if (
    !isCount(layout) ||
    !isCount(segmentSize) ||
    typeof builtAt !== 'string' ||
    typeof changesThrough !== 'string' ||
    !isCount(alwaysKeptObjects) ||
    !isCount(version)
  ) {
    return undefined;
  }
  return { layout, segmentSize, builtAt, changesThrough, alwaysKeptObjects, version };
}

function chunkFromItem(item: Item): StoredDigestChunk | string {
  const { timeline, chunk, data, segments, objects, bytes, readAt, newestKey, newestUploadedAt } = item;
  const sk = String(item.sk);
  let tli: TimelineId;
  try {
    tli = timelineId(timeline as number);
  } catch {
    return `${sk}: timeline ${JSON.stringify(timeline)} is no timeline`;
  }
  if (!isCount(chunk) || sk !== digestChunkSk(tli, chunk)) {
    return `${sk}: timeline ${JSON.stringify(timeline)} and chunk ${JSON.stringify(chunk)} do not name this item`;
  }
  if (!(data instanceof Uint8Array) || !isCount(segments) || !isCount(objects) || !isCount(bytes)) {
    return `${sk}: its data or totals are missing or not numbers`;
  }
  if (typeof readAt !== 'string') return `${sk}: no read stamp`;
  const uploadedAt = typeof newestUploadedAt === 'string' ? new Date(newestUploadedAt) : undefined;
  const newest =
    typeof newestKey === 'string' && uploadedAt !== undefined && Number.isFinite(uploadedAt.getTime())
      ? { key: newestKey, uploadedAt }
      : undefined;
  return {
    timeline: tli,
    chunk,
    data,
    segments,
    objects,
    bytes,
    readAt,
    ...(newest ? { newest } : {}),
  };
}

export class DynamoDbRetentionDigestStore implements RetentionDigestStore {
  readonly #table: SingleTable;

  constructor(table: SingleTable) {
    this.#table = table;
  }

  async read(cluster: ClusterId): Promise<StoredRetentionDigest> {
    return readDigestPartition(this.#table, digestPk(cluster), DIGEST_HEAD_SK, headFromItem, chunkFromItem);
  }

  async writeChunks(cluster: ClusterId, chunks: readonly StoredDigestChunk[]): Promise<number> {
    return putChunksUnlessNewer(
      this.#table,
      chunks.map(
        (chunk): Item => ({
          pk: digestPk(cluster),
          sk: digestChunkSk(chunk.timeline, chunk.chunk),
          itemType: 'retention-digest-chunk',
          cluster,
          timeline: chunk.timeline,
          chunk: chunk.chunk,
          data: chunk.data,
          segments: chunk.segments,
          objects: chunk.objects,
          bytes: chunk.bytes,
          readAt: chunk.readAt,
          ...(chunk.newest
            ? { newestKey: chunk.newest.key, newestUploadedAt: chunk.newest.uploadedAt.toISOString() }
            : {}),
        }),
      ),
    );
  }

  async writeHead(cluster: ClusterId, head: WalDigestHead, expectedVersion?: number): Promise<boolean> {
    const values: Item = {
      ':itemType': 'retention-digest-head',
      ':cluster': cluster,
      ':layout': head.layout,
      ':segmentSize': head.segmentSize,
      ':builtAt': head.builtAt,
      ':changesThrough': head.changesThrough,
      ':alwaysKeptObjects': head.alwaysKeptObjects,
      ':one': 1,
    };
    return this.#table.update(
      { pk: digestPk(cluster), sk: DIGEST_HEAD_SK },
      {
        expression:
          'SET itemType = :itemType, #cluster = :cluster, layout = :layout, segmentSize = :segmentSize, builtAt = :builtAt, changesThrough = :changesThrough, alwaysKeptObjects = :alwaysKeptObjects ADD version :one',
        values,
        names: { '#cluster': 'cluster' },
      },
      expectedVersion === undefined
        ? undefined
        : { expression: 'version = :expectedVersion', values: { ':expectedVersion': expectedVersion } },
    );
  }
}
