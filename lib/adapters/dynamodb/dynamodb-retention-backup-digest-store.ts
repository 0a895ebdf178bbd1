/**
 * Retention's backup digest in the catalog table, one partition per cluster (docs/catalog-table.md):
 *
 * | item  | pk                    | sk                    |
 * |-------|-----------------------|-----------------------|
 * | head  | `BACKUPDIGEST#<id>`   | `HEAD`                |
 * | chunk | `BACKUPDIGEST#<id>`   | `CHUNK#<first name>`  |
 *
 * A chunk's entries are one JSON array, gzip-compressed into a binary attribute (`data`): 2,048 entries are about
 * 500 KB of JSON and 50-70 KB compressed, so the 87,600 backups of ten hourly years are 43 items, read in a few
 * pages. Writes follow the WAL digest's rules: a chunk only over one from an earlier read, the head on its version.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ClusterId } from '../../domain/cluster.ts';
import type { BackupDigestEntry, BackupDigestHead } from '../../domain/retention/backup-digest.ts';
import type {
  BackupDigestChunkWrites,
  RetentionBackupDigestStore,
  StoredBackupDigest,
  StoredBackupDigestChunk,
  StoredBackupDigestHead,
} from '../../ports/retention-digest-store.ts';
import { putChunksUnlessNewer, readDigestPartition } from './digest-partition.ts';
import type { Item, SingleTable } from './single-table.ts';

export const backupDigestPk = (cluster: ClusterId): string => `BACKUPDIGEST#${cluster}`;
export const BACKUP_DIGEST_HEAD_SK = 'HEAD';
export const BACKUP_DIGEST_CHUNK_SK_PREFIX = 'CHUNK#';
export const backupDigestChunkSk = (first: string): string => `${BACKUP_DIGEST_CHUNK_SK_PREFIX}${first}`;
/**
 * The most bytes of compressed entries one item carries: DynamoDB's item limit is 400 KB, names and the other
 * attributes included.
 */
const MAX_CHUNK_DATA_BYTES = 380_000;

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

function headFromItem(item: Item | undefined): StoredBackupDigestHead | undefined {
  if (item === undefined) return undefined;
  const { basis, builtAt, changesThrough, version } = item;
  if (
    typeof basis !== 'string' ||
    typeof builtAt !== 'string' ||
    typeof changesThrough !== 'string' ||
    !isCount(version)
  ) {
    return undefined;
  }
  return { basis, builtAt, changesThrough, version };
}

function chunkFromItem(item: Item): StoredBackupDigestChunk | string {
  const sk = String(item.sk);
  const { data, count, readAt } = item;
  const first = sk.slice(BACKUP_DIGEST_CHUNK_SK_PREFIX.length);
  if (!sk.startsWith(BACKUP_DIGEST_CHUNK_SK_PREFIX)) return `${sk}: not a backup digest item`;
  if (!(data instanceof Uint8Array) || !isCount(count)) return `${sk}: its data or count is missing`;
  if (typeof readAt !== 'string') return `${sk}: no read stamp`;
  let entries: unknown;
  try {
    entries = JSON.parse(gunzipSync(data).toString('utf8'));
  } catch (error) {
    return `${sk}: its data is not compressed JSON (${error instanceof Error ? error.message : String(error)})`;
  }
  if (!Array.isArray(entries) || entries.length !== count) {
    return `${sk}: holds ${Array.isArray(entries) ? entries.length : 'no list of'} entries, its count says ${count}`;
  }
  return { first, entries: entries as BackupDigestEntry[], readAt };
}

export class DynamoDbRetentionBackupDigestStore implements RetentionBackupDigestStore {
  readonly #table: SingleTable;

  constructor(table: SingleTable) {
    this.#table = table;
  }

  async read(cluster: ClusterId): Promise<StoredBackupDigest> {
    return readDigestPartition(
      this.#table,
      backupDigestPk(cluster),
      BACKUP_DIGEST_HEAD_SK,
      headFromItem,
      chunkFromItem,
    );
  }

  async writeChunks(cluster: ClusterId, chunks: readonly StoredBackupDigestChunk[]): Promise<BackupDigestChunkWrites> {
    const tooLarge: StoredBackupDigestChunk[] = [];
    const items: Item[] = [];
    for (const chunk of chunks) {
      const data = gzipSync(JSON.stringify(chunk.entries));
      if (data.byteLength > MAX_CHUNK_DATA_BYTES) {
        tooLarge.push(chunk);
        continue;
      }
      items.push({
        pk: backupDigestPk(cluster),
        sk: backupDigestChunkSk(chunk.first),
        itemType: 'retention-backup-digest-chunk',
        cluster,
        data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        count: chunk.entries.length,
        readAt: chunk.readAt,
      });
    }
    return { written: await putChunksUnlessNewer(this.#table, items), tooLarge };
  }

  async writeHead(cluster: ClusterId, head: BackupDigestHead, expectedVersion?: number): Promise<boolean> {
    return this.#table.update(
      { pk: backupDigestPk(cluster), sk: BACKUP_DIGEST_HEAD_SK },
      {
        expression:
          'SET itemType = :itemType, #cluster = :cluster, basis = :basis, builtAt = :builtAt, changesThrough = :changesThrough ADD version :one',
        values: {
          ':itemType': 'retention-backup-digest-head',
          ':cluster': cluster,
          ':basis': head.basis,
          ':builtAt': head.builtAt,
          ':changesThrough': head.changesThrough,
          ':one': 1,
        },
        names: { '#cluster': 'cluster' },
      },
      expectedVersion === undefined
        ? undefined
        : { expression: 'version = :expectedVersion', values: { ':expectedVersion': expectedVersion } },
    );
  }
}
