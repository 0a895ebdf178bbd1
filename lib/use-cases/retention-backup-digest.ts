/**
 * Keeps a cluster's retention backup digest (lib/domain/retention/backup-digest.ts) up to date and reads the
 * backups a plan decides over from it.
 *
 * The digest is built from every backup record when there is none, when it cannot be read, when the interpretation
 * basis changed, and once a week; in between, each plan reads the change index of the cluster's backup items from
 * the digest's stamp on (less the overlap continuity uses too) and reads again from the catalog each chunk whose
 * range a changed backup falls in. A chunk is always a whole read of its range, so reading a change twice costs a
 * Query and changes nothing. Stores without the digest or the index are read in full, as before.
 */
import { compareBackupRecords } from '../domain/catalog/backup-order.ts';
import type { BackupRecord } from '../domain/catalog/catalog-records.ts';
import type { ClusterConfig } from '../domain/cluster.ts';
import { CHANGE_READ_OVERLAP_MS } from '../domain/continuity/verification-cursor.ts';
import { InvalidInputError } from '../domain/errors.ts';
import {
  type BackupDigestChunk,
  type BackupDigestEntry,
  backupDigestBasis,
  backupDigestChunkOf,
  backupDigestEntry,
  backupDigestRanges,
  backupDigestRebuildReason,
  recordFromBackupDigestEntry,
  splitBackupDigestChunk,
  unheldBackupEntry,
} from '../domain/retention/backup-digest.ts';
import { type CatalogStore, ChangeIndexUnavailableError } from '../ports/catalog-store.ts';
import type { RetentionBackupDigestStore, StoredBackupDigestChunk } from '../ports/retention-digest-store.ts';
import { mapInOrder } from './map-in-order.ts';

/** Chunk ranges read again from the catalog at once during an update. */
const CHUNK_READS_IN_FLIGHT = 4;
/** Backups the digest could not hold, read one by one at once. */
const UNHELD_READS_IN_FLIGHT = 8;

/** How the backup digest was brought up to date for this plan. */
export type BackupDigestRefresh =
  | {
      readonly mode: 'built';
      /** Why it was built rather than updated. */
      readonly reason: string;
      readonly backupsRead: number;
      readonly chunksWritten: number;
      /** Why the built digest could not be stored (the plan is still made from it). */
      readonly notStored?: string;
    }
  | {
      readonly mode: 'updated';
      readonly changesRead: number;
      readonly chunksReread: number;
      readonly backupsRead: number;
      readonly chunksWritten: number;
      readonly notStored?: string;
    };

/** The backups a retention plan decides over, and how the digest they came from was brought up to date. */
export interface RetentionBackups {
  /** Every backup record of the cluster, as `listBackups` orders them. */
  readonly records: BackupRecord[];
  /** Absent when the catalog keeps no backup digest: the records were read in full. */
  readonly refresh?: BackupDigestRefresh;
}

type DigestCatalog = CatalogStore &
  Required<Pick<CatalogStore, 'retentionBackupDigest' | 'listBackupChanges' | 'listBackupsInRange' | 'changeStamp'>>;

const hasBackupDigest = (catalog: CatalogStore): catalog is DigestCatalog =>
  catalog.retentionBackupDigest !== undefined &&
  catalog.listBackupChanges !== undefined &&
  catalog.listBackupsInRange !== undefined &&
  catalog.changeStamp !== undefined;

const byName = (a: BackupRecord, b: BackupRecord): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The entries of records sorted by name. */
const entriesOf = (records: readonly BackupRecord[], cluster: ClusterConfig): BackupDigestEntry[] =>
  [...records].sort(byName).map((record) => backupDigestEntry(record, cluster));

/**
 * The records (in name order) as listBackups orders them. WAL-G and WAL-E name a backup after its first WAL
 * segment, so name order is nearly always that order already: checked in one pass before a sort.
 */
function inListOrder(records: BackupRecord[]): BackupRecord[] {
  for (let index = 1; index < records.length; index++) {
    if (compareBackupRecords(records[index - 1] as BackupRecord, records[index] as BackupRecord) > 0) {
      return records.sort(compareBackupRecords);
    }
  }
  return records;
}

/** What a range of the stored digest holds: its records, and the names it could not hold (read from the catalog). */
interface DecodedRange {
  readonly records: (BackupRecord | string)[];
}

/** Every range's records, or why one cannot be read from (the digest is rebuilt then). */
function decodeRanges(ranges: readonly BackupDigestChunk[], cluster: ClusterConfig): DecodedRange[] | string {
  try {
    return ranges.map((range) => ({
      records: range.entries.map((entry) => recordFromBackupDigestEntry(entry, cluster) ?? (entry[0] as string)),
    }));
  } catch (error) {
    if (error instanceof InvalidInputError) return error.message;
    throw error;
  }
}

/**
 * Writes chunks, splitting in halves any too large for one item; an entry too large alone is stored as "read it
 * from the catalog".
 */
async function writeChunks(
  store: RetentionBackupDigestStore,
  cluster: ClusterConfig,
  chunks: readonly StoredBackupDigestChunk[],
): Promise<number> {
  let written = 0;
  let pending = chunks;
  while (pending.length > 0) {
    const outcome = await store.writeChunks(cluster.id, pending);
    written += outcome.written;
    pending = outcome.tooLarge.flatMap((chunk): StoredBackupDigestChunk[] => {
      if (chunk.entries.length <= 1) {
        const name = chunk.entries[0]?.[0];
        return [{ ...chunk, entries: typeof name === 'string' ? [unheldBackupEntry(name)] : [] }];
      }
      const half = Math.ceil(chunk.entries.length / 2);
      const second = chunk.entries.slice(half);
      return [
        { ...chunk, entries: chunk.entries.slice(0, half) },
        { first: second[0]?.[0] as string, entries: second, readAt: chunk.readAt },
      ];
    });
  }
  return written;
}

/**
 * The cluster's backup records for a retention plan: from the backup digest, brought up to date and stored back
 * (best effort: a digest that cannot be stored is still right for this plan, and the next one reads more), or read
 * in full when the catalog keeps no digest or no change index.
 */
export async function retentionBackups(
  catalog: CatalogStore,
  cluster: ClusterConfig,
  now: Date,
  options: {
    /** Backups per chunk once a range is split (BACKUP_DIGEST_CHUNK_TARGET). */
    readonly chunkTarget?: number;
  } = {},
): Promise<RetentionBackups> {
  const split = (first: string, entries: readonly BackupDigestEntry[]) =>
    splitBackupDigestChunk(first, entries, options.chunkTarget);
  if (!hasBackupDigest(catalog)) return { records: await catalog.listBackups(cluster.id) };
  const store = catalog.retentionBackupDigest;
  const stored = await store.read(cluster.id);
  const head = stored.head;
  const basis = backupDigestBasis(cluster);
  const rebuild =
    (stored.unreadable.length > 0
      ? `unreadable backup digest items: ${stored.unreadable.slice(0, 3).join('; ')}`
      : undefined) ?? backupDigestRebuildReason(head, basis, now);
  const ranges = backupDigestRanges(stored.chunks);
  const decoded = rebuild === undefined ? decodeRanges(ranges, cluster) : rebuild;
  // Taken before anything is read: a write this plan does not see is stamped after it, less one write's latency.
  const stamp = catalog.changeStamp();
  const persist = async (
    chunks: readonly BackupDigestChunk[],
    builtAt: string,
    expectedVersion: number | undefined,
  ): Promise<{ chunksWritten: number; notStored?: string }> => {
    try {
      const chunksWritten = await writeChunks(
        store,
        cluster,
        chunks.map((chunk) => ({ ...chunk, readAt: stamp })),
      );
      const headWritten = await store.writeHead(cluster.id, { basis, builtAt, changesThrough: stamp }, expectedVersion);
      return headWritten ? { chunksWritten } : { chunksWritten, notStored: 'another plan moved the digest meanwhile' };
    } catch (error) {
      return { chunksWritten: 0, notStored: error instanceof Error ? error.message : String(error) };
    }
  };

  if (typeof decoded === 'string' || head === undefined) {
    const records = await catalog.listBackups(cluster.id);
    // Every stored chunk's range stays a range: a chunk left out would stand, stale, for a stretch of the new ones.
    const boundaries = [...new Set(['', ...stored.chunks.map((chunk) => chunk.first)])].sort();
    const builtRanges = boundaries.map((first): BackupDigestChunk => ({ first, entries: [] }));
    const grouped = builtRanges.map((): BackupDigestEntry[] => []);
    for (const entry of entriesOf(records, cluster)) {
      grouped[backupDigestChunkOf(builtRanges, entry[0] as string)]?.push(entry);
    }
    const chunks = builtRanges.flatMap((range, index) => split(range.first, grouped[index] ?? []));
    const written = await persist(chunks, stamp, undefined);
    return {
      records,
      refresh: {
        mode: 'built',
        reason: typeof decoded === 'string' ? decoded : 'no backup digest stored',
        backupsRead: records.length,
        ...written,
      },
    };
  }

  const since = new Date(Date.parse(head.changesThrough) - CHANGE_READ_OVERLAP_MS).toISOString();
  const touched = new Set<number>();
  let changesRead = 0;
  try {
    for await (const name of catalog.listBackupChanges(cluster.id, since)) {
      changesRead++;
      touched.add(backupDigestChunkOf(ranges, name));
    }
  } catch (error) {
    if (error instanceof ChangeIndexUnavailableError) return { records: await catalog.listBackups(cluster.id) };
    throw error;
  }
  const reread = await mapInOrder(
    [...touched].sort((a, b) => a - b),
    CHUNK_READS_IN_FLIGHT,
    async (index) => {
      const range = ranges[index] as BackupDigestChunk;
      const records = await catalog.listBackupsInRange(cluster.id, range.first, ranges[index + 1]?.first);
      return { index, records, chunks: split(range.first, entriesOf(records, cluster)) };
    },
  );
  const rereadAt = new Map(reread.map((read) => [read.index, read]));
  // In name order, as listBackups reads them, so the sort below breaks ties the same way.
  const inNameOrder = ranges.flatMap(
    (_range, index): (BackupRecord | string)[] => rereadAt.get(index)?.records ?? decoded[index]?.records ?? [],
  );
  const unheld = inNameOrder.filter((record): record is string => typeof record === 'string');
  const fetched = new Map(
    (await mapInOrder(unheld, UNHELD_READS_IN_FLIGHT, (name) => catalog.getBackup(cluster.id, name))).map(
      (record, index) => [unheld[index] as string, record],
    ),
  );
  const records: BackupRecord[] = [];
  for (const record of inNameOrder) {
    const found = typeof record === 'string' ? fetched.get(record) : record;
    if (found !== undefined) records.push(found);
  }
  const written = await persist(
    reread.flatMap((read) => read.chunks),
    head.builtAt,
    head.version,
  );
  return {
    records: inListOrder(records),
    refresh: {
      mode: 'updated',
      changesRead,
      chunksReread: reread.length,
      backupsRead: reread.reduce((sum, read) => sum + read.records.length, 0) + unheld.length,
      ...written,
    },
  };
}
