/**
 * Full sync (reconcile) of one cluster, or of one key range of it: list its storage, compare with the catalog, add
 * what the catalog lacks, update what changed (ETag, size), mark what vanished, read sentinels, metadata.json and
 * `.history` texts not yet read.
 *
 * Memory stays bounded whatever the archive size: the listing is consumed page by page, and each page is compared
 * with the catalog's WAL records of exactly the key range that page covers (a sort-key range query, streamed; only
 * records whose key the page lists are held). Backups and `.history` files, a few per cluster, are read up front.
 * Changes are written per page. Ignored keys are counted, not kept. Every change is conditional on the stored
 * record still being the one compared (catalog-change.ts), and what the sync writes carries its listing observation,
 * so events applied during or after the sync are never overwritten by older knowledge.
 */
import { MAX_BACKUP_METADATA_BYTES } from '../domain/backup/backup-document.ts';
import { catalogStorageClass } from '../domain/bucket/storage-class.ts';
import type { BackupChange, BackupSource, WalObjectChange } from '../domain/catalog/catalog-change.ts';
import type { BackupSourceObject, WalObjectRecord } from '../domain/catalog/catalog-records.ts';
import type { KeyRange } from '../domain/catalog/key-range.ts';
import { catalogListingRanges, clipSpans, segmentsWithin, type WalSpan } from '../domain/catalog/listing-ranges.ts';
import { objectEffect } from '../domain/catalog/object-effect.ts';
import { keyInRange, timelineSegmentRange, walKeyBounds } from '../domain/catalog/wal-key-bounds.ts';
import type { ClusterConfig, ClusterId } from '../domain/cluster.ts';
import { InvalidInputError } from '../domain/errors.ts';
import { classifyKey } from '../domain/layout/classify-key.ts';
import type { StorageObject } from '../domain/layout/storage-object.ts';
import { BASEBACKUPS_FOLDER } from '../domain/layout/wal-g-layout.ts';
import type { TimelineId } from '../domain/wal/timeline.ts';
import type { BucketInspector } from '../ports/bucket-inspector.ts';
import type { CatalogStore, SegmentRange } from '../ports/catalog-store.ts';
import type { ObjectSummary } from '../ports/object-store.ts';
import { type EffectReaders, withHistoryContent } from './catalog-effects.ts';
import { forEachListedPage, type ListedPage, type ListingProgress } from './list-objects-sharded.ts';
import { readBucketDigest } from './review-bucket-lifecycle.ts';

/** Keys S3 returns per ListObjectsV2 page. */
const LIST_PAGE_KEYS = 1000;
/**
 * Catalogued segments per listing range: one page with room for a segment's other objects (`.backup`, `.partial`,
 * a second compression), so a range costs one list request and one catalog query.
 */
const SEGMENTS_PER_RANGE = 900;
/** A root expected to fit this many pages is listed sequentially: as many requests as pages, no more. */
const SEQUENTIAL_PAGES = 2;
/** At most this many ranges per worker (more than one, so a range that holds more than its share does not idle the others). */
const MAX_RANGES_PER_WORKER = 8;

export interface SyncDependencies extends EffectReaders {
  readonly catalog: CatalogStore;
  /**
   * Reads the bucket's lifecycle rules, versioning and Object Lock once per whole-cluster sync, stored with the sync
   * mark so the answers that need them read no S3; absent: the stored digest is left as it is.
   */
  readonly bucket?: BucketInspector;
  /** When each page is listed (the listing observation events are ordered against); `now` when absent. */
  readonly clock?: () => Date;
}

export interface SyncOptions {
  readonly now: Date;
  /** Parallel listing requests (default 16). */
  readonly concurrency?: number;
  readonly onProgress?: (progress: SyncProgress) => void;
  /** Only this key range of the cluster's root (full object keys, `(after, until]`); the whole root when absent. */
  readonly range?: KeyRange;
  /** Set `lastFullSyncAt` when done (default true); a key-range part leaves that to whoever saw all parts finish. */
  readonly commitSyncMark?: boolean;
}

export type SyncProgress =
  | { readonly phase: 'catalog' }
  | ({ readonly phase: 'listing' } & ListingProgress)
  | { readonly phase: 'applying'; readonly changes: number };

export interface SyncOutcome {
  readonly cluster: string;
  readonly listed: number;
  readonly added: number;
  readonly updated: number;
  readonly removed: number;
  /** Sentinel and metadata.json texts read. */
  readonly backupDocumentsRead: number;
  /** Changes that lost against an event applied while the sync ran. */
  readonly superseded: number;
  readonly ignored: number;
}

/** A backup source or `.history` record the catalog holds, by key, sorted, so a page finds its range quickly. */
interface KeyedEntry<T> {
  readonly key: string;
  readonly value: T;
}

function sortedByKey<T>(entries: KeyedEntry<T>[]): KeyedEntry<T>[] {
  return entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The entries whose key lies in `range`. */
function entriesIn<T>(entries: readonly KeyedEntry<T>[], range: KeyRange): KeyedEntry<T>[] {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((entries[middle] as KeyedEntry<T>).key <= range.after) low = middle + 1;
    else high = middle;
  }
  const found: KeyedEntry<T>[] = [];
  for (let index = low; index < entries.length; index++) {
    const entry = entries[index] as KeyedEntry<T>;
    if (!keyInRange(entry.key, range)) break;
    found.push(entry);
  }
  return found;
}

const sameContent = (stored: WalObjectRecord, object: ObjectSummary): boolean =>
  !stored.deleted &&
  stored.size === object.size &&
  stored.etag === object.etag &&
  stored.storageClass === catalogStorageClass(object.storageClass);

/** The kinds objectEffect turns into a WAL record (catalogued by key, compared by content). */
const WAL_OBJECT_KINDS: ReadonlySet<StorageObject['kind']> = new Set([
  'wal-segment',
  'wal-partial',
  'wal-backup-history',
  'wal-history',
  'wal-delta',
]);

/** The timeline's WAL records of `range`, tombstones included, by query page (per record for a store without pages). */
async function* walObjectPages(
  catalog: CatalogStore,
  cluster: ClusterId,
  timeline: TimelineId,
  range: SegmentRange,
): AsyncIterable<readonly WalObjectRecord[]> {
  if (catalog.listWalObjectPages !== undefined) {
    yield* catalog.listWalObjectPages(cluster, timeline, range, { includeDeleted: true });
    return;
  }
  for await (const record of catalog.listWalObjects(cluster, timeline, range, { includeDeleted: true })) yield [record];
}

/** Each timeline's first and newest catalogued live segment: two short queries per timeline. */
export async function catalogWalSpans(
  catalog: CatalogStore,
  cluster: ClusterId,
  timelines?: readonly TimelineId[],
): Promise<WalSpan[]> {
  const spans: WalSpan[] = [];
  for (const timeline of timelines ?? (await catalog.listTimelines(cluster))) {
    let first: number | undefined;
    for await (const record of catalog.listWalObjects(cluster, timeline)) {
      first = record.segNo;
      break;
    }
    const last = (await catalog.latestWalObject(cluster, timeline))?.segNo;
    if (first !== undefined && last !== undefined) spans.push({ timeline, first, last });
  }
  return spans;
}

export async function syncCatalog(
  deps: SyncDependencies,
  cluster: ClusterConfig,
  options: SyncOptions,
): Promise<SyncOutcome> {
  const { bucket, prefix } = cluster.storage;
  const clock = deps.clock ?? (() => options.now);
  // Read beside the listing; it never fails, so a sync that fails leaves nothing unawaited behind.
  const digest =
    deps.bucket !== undefined && options.commitSyncMark !== false
      ? readBucketDigest(deps.bucket, cluster, options.now)
      : undefined;
  options.onProgress?.({ phase: 'catalog' });
  const backups = new Map((await deps.catalog.listBackups(cluster.id)).map((record) => [record.name, record]));
  const historyFiles = sortedByKey(
    (await deps.catalog.listHistoryFiles(cluster.id)).map((record) => ({ key: record.key, value: record })),
  );
  const backupSources = sortedByKey(
    [...backups.values()].flatMap((record) =>
      (['sentinel', 'metadata'] as const).flatMap((source) => {
        const basis = record[source];
        return basis ? [{ key: basis.key, value: { name: record.name, source, basis } }] : [];
      }),
    ),
  );
  // Each payload object a backup record holds (tar partitions, pg_control...), by its full key.
  const payloadObjects = sortedByKey(
    [...backups.values()].flatMap((record) =>
      Object.entries(record.payload ?? {}).map(([part, basis]) => ({
        key: `${prefix}${BASEBACKUPS_FOLDER}${record.name}/${part}`,
        value: { name: record.name, part, basis },
      })),
    ),
  );
  const timelines = await deps.catalog.listTimelines(cluster.id);

  let listed = 0;
  let added = 0;
  let updated = 0;
  let removed = 0;
  let backupDocumentsRead = 0;
  let ignored = 0;
  let superseded = 0;
  let changesWritten = 0;
  /** Newest payload time sent per backup in this sync. */
  const payloadSeen = new Set<string>();

  const readSource = async (key: string): Promise<string | undefined> => {
    try {
      backupDocumentsRead++;
      return await deps.objects.getObjectText(bucket, key, MAX_BACKUP_METADATA_BYTES);
    } catch (error) {
      if (error instanceof InvalidInputError) return undefined;
      throw error;
    }
  };

  /**
   * The catalog's WAL records (tombstones included) of the covered range, in sort-key order, a query page at a time
   * (filter by `keyInRange`: the segment bounds are a superset of the range).
   */
  async function* catalogWalPagesIn(range: KeyRange): AsyncIterable<readonly WalObjectRecord[]> {
    const bounds = walKeyBounds(range, prefix, cluster.walSegmentSize);
    if (bounds === undefined) return;
    for (const timeline of timelines) {
      const segments = timelineSegmentRange(bounds, timeline);
      if (segments === undefined) continue;
      yield* walObjectPages(deps.catalog, cluster.id, timeline, segments);
    }
  }

  const comparePage = async (page: ListedPage): Promise<void> => {
    const listedAt = clock();
    const wal: WalObjectChange[] = [];
    const backupChanges: BackupChange[] = [];
    // One map per page for both questions: is a key listed (has), and what the catalog holds for it (get).
    const storedWal = new Map<string, WalObjectRecord | undefined>();
    for (const object of page.objects) storedWal.set(object.key, undefined);
    const listedByKey = storedWal;
    listed += page.objects.length;

    // Catalog records of the covered range: those listed are compared below, the others vanished.
    for await (const records of catalogWalPagesIn(page.covered)) {
      for (const record of records) {
        if (!keyInRange(record.key, page.covered)) continue;
        if (listedByKey.has(record.key)) storedWal.set(record.key, record);
        else if (!record.deleted) {
          removed++;
          wal.push({ origin: 'reconcile', record: tombstone(record, listedAt), basis: record });
        }
      }
    }
    for (const { key, value: record } of entriesIn(historyFiles, page.covered)) {
      if (listedByKey.has(key)) storedWal.set(key, record);
      else if (!record.deleted) {
        removed++;
        wal.push({ origin: 'reconcile', record: tombstone(record, listedAt), basis: record });
      }
    }
    for (const { key, value } of entriesIn(backupSources, page.covered)) {
      if (listedByKey.has(key) || !value.basis.present) continue;
      if (value.source === 'sentinel') removed++;
      const { text: _text, etag: _etag, ...kept } = value.basis;
      backupChanges.push({
        type: 'source-observed',
        origin: 'reconcile',
        cluster: cluster.id,
        name: value.name,
        source: value.source,
        observation: { ...kept, present: false, observedAt: options.now, listing: { at: listedAt } },
        basis: value.basis,
      });
    }

    // A payload object the catalog holds as present but the listing lacks was removed: the backup lost data.
    for (const { key, value } of entriesIn(payloadObjects, page.covered)) {
      if (listedByKey.has(key) || !value.basis.present) continue;
      backupChanges.push({
        type: 'payload-observed',
        origin: 'reconcile',
        cluster: cluster.id,
        name: value.name,
        part: value.part,
        observation: { ...value.basis, present: false, size: 0, observedAt: listedAt },
        basis: value.basis,
      });
    }

    const reconcileSource = async (name: string, source: BackupSource, object: ObjectSummary) => {
      const basis = backups.get(name)?.[source];
      const storageClass = catalogStorageClass(object.storageClass);
      if (basis?.present && basis.etag === object.etag && basis.text !== undefined) {
        if (basis.storageClass === storageClass) return;
        // Only the class moved (a lifecycle transition): the text stays, and a frozen object could not be read.
        const { storageClass: _class, ...rest } = basis;
        backupChanges.push({
          type: 'source-observed',
          origin: 'reconcile',
          cluster: cluster.id,
          name,
          source,
          observation: {
            ...rest,
            ...(storageClass === undefined ? {} : { storageClass }),
            listing: { at: listedAt, lastModified: object.lastModified },
          },
          basis,
        });
        updated++;
        return;
      }
      const text = await readSource(object.key);
      const observation: BackupSourceObject = {
        key: object.key,
        present: true,
        etag: object.etag,
        observedAt: object.lastModified,
        listing: { at: listedAt, lastModified: object.lastModified },
        ...(text === undefined ? {} : { text }),
        ...(basis?.sequencer === undefined ? {} : { sequencer: basis.sequencer }),
        ...(storageClass === undefined ? {} : { storageClass }),
      };
      if (basis === undefined) added++;
      else updated++;
      backupChanges.push({
        type: 'source-observed',
        origin: 'reconcile',
        cluster: cluster.id,
        name,
        source,
        observation,
        basis,
      });
    };

    for (const object of page.objects) {
      const classified = classifyKey(object.key.slice(prefix.length), cluster.layout, cluster.walSegmentSize);
      // The steady state: a WAL object the catalog holds unchanged (and a `.history` whose text it has) needs no
      // effect built. This is the test the `wal` case below makes, taken before its record is allocated.
      if (WAL_OBJECT_KINDS.has(classified.kind)) {
        const stored = storedWal.get(object.key);
        if (
          stored !== undefined &&
          sameContent(stored, object) &&
          (classified.kind !== 'wal-history' || stored.content !== undefined)
        )
          continue;
      }
      const effect = objectEffect(cluster.id, classified, {
        key: object.key,
        present: true,
        size: object.size,
        etag: object.etag,
        at: object.lastModified,
        ...storageOf(object),
      });
      switch (effect.type) {
        case 'ignored':
          ignored++;
          break;
        case 'backup-payload': {
          const change = effect.change;
          if (change.type !== 'payload-observed') break;
          const basis = backups.get(change.name)?.payload?.[change.part];
          if (
            basis?.present &&
            basis.size === change.observation.size &&
            basis.storageClass === change.observation.storageClass
          )
            break;
          if (!backups.has(change.name) && !payloadSeen.has(change.name)) added++;
          payloadSeen.add(change.name);
          // A listing has no sequencer: keep the stored one, so the register stays ordered against later events.
          const { sequencer: _none, ...observation } = change.observation;
          backupChanges.push({
            ...change,
            origin: 'reconcile',
            observation: { ...observation, ...(basis?.sequencer === undefined ? {} : { sequencer: basis.sequencer }) },
            ...(basis === undefined ? {} : { basis }),
          });
          break;
        }
        case 'backup-source':
          await reconcileSource(effect.name, effect.source, object);
          break;
        case 'wal': {
          const stored = storedWal.get(object.key);
          const needsContent = effect.readContent && stored?.content === undefined;
          if (stored && sameContent(stored, object) && !needsContent) break;
          const listedRecord: WalObjectRecord = {
            ...effect.record,
            ...(stored?.sequencer === undefined ? {} : { sequencer: stored.sequencer }),
            ...(stored && !stored.deleted ? { uploadedAt: stored.uploadedAt } : {}),
            listing: { at: listedAt, lastModified: object.lastModified },
          };
          const record = await withHistoryContent(deps, bucket, listedRecord, effect.readContent);
          if (record === undefined) break;
          if (stored === undefined || stored.deleted) added++;
          else updated++;
          wal.push({ origin: 'reconcile', record, basis: stored });
        }
      }
    }
    if (wal.length > 0) superseded += (await deps.catalog.applyWalChanges(wal)).stale;
    if (backupChanges.length > 0) superseded += (await deps.catalog.applyBackupChanges(backupChanges)).stale;
    changesWritten += wal.length + backupChanges.length;
  };

  // Ranges cut where the catalog's own segments say the objects are, about one list page each, so each costs one
  // request; a cluster of a page or two is listed sequentially (splitting it costs requests and gains nothing).
  // Without a catalogued segment (a first sync) the listing splits as it goes.
  const spans = await catalogWalSpans(deps.catalog, cluster.id, timelines);
  const within = options.range ?? { after: '' };
  const known = segmentsWithin(spans, within, prefix, cluster.walSegmentSize);
  const expectedPages = Math.ceil(
    (known + backupSources.length + payloadObjects.length + historyFiles.length) / LIST_PAGE_KEYS,
  );
  const wanted = options.concurrency ?? 16;
  const shares = Math.min(MAX_RANGES_PER_WORKER * wanted, Math.ceil(known / SEGMENTS_PER_RANGE));
  const concurrency = spans.length > 0 && expectedPages <= SEQUENTIAL_PAGES ? 1 : wanted;
  const ranges =
    concurrency > 1
      ? catalogListingRanges(
          prefix,
          cluster.walSegmentSize,
          clipSpans(spans, within, prefix, cluster.walSegmentSize),
          shares,
          options.range,
        )
      : undefined;
  await forEachListedPage(
    deps.objects,
    bucket,
    prefix,
    {
      concurrency,
      ...(ranges ? { ranges } : options.range ? { range: options.range } : {}),
      onProgress: (progress) => options.onProgress?.({ phase: 'listing', ...progress }),
    },
    comparePage,
  );
  options.onProgress?.({ phase: 'applying', changes: changesWritten });
  if (options.commitSyncMark !== false) {
    const bucket = await digest;
    await deps.catalog.updateClusterState(cluster.id, {
      lastFullSyncAt: options.now,
      ...(bucket === undefined ? {} : { bucket }),
    });
  }
  return { cluster: cluster.id, listed, added, updated, removed, backupDocumentsRead, superseded, ignored };
}

/** The listed object's storage class as the catalog records it (absent for STANDARD). */
function storageOf(object: ObjectSummary): { storageClass?: string } {
  const storageClass = catalogStorageClass(object.storageClass);
  return storageClass === undefined ? {} : { storageClass };
}

/** The record of an object the listing did not find, stamped with that listing. */
const tombstone = (record: WalObjectRecord, listedAt: Date): WalObjectRecord => ({
  ...record,
  deleted: true,
  deletedAt: listedAt,
  listing: { at: listedAt },
});
