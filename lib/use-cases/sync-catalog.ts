/**
 * Full sync (reconcile) of one cluster: list its storage, compare with the catalog, add what the catalog lacks,
 * update what changed (ETag, size), mark what vanished, read sentinels, metadata.json and `.history` texts not yet
 * read. The catalog is read before the listing starts, and every change is conditional on the stored record still
 * being the one compared (catalog-change.ts), so events applied during the sync are never overwritten.
 */
import { MAX_BACKUP_METADATA_BYTES } from '../domain/backup/backup-document.ts';
import type { BackupChange, BackupSource, WalObjectChange } from '../domain/catalog/catalog-change.ts';
import type { BackupRecord, BackupSourceObject, WalObjectRecord } from '../domain/catalog/catalog-records.ts';
import { objectEffect } from '../domain/catalog/object-effect.ts';
import type { ClusterConfig } from '../domain/cluster.ts';
import { InvalidInputError } from '../domain/errors.ts';
import { classifyKey } from '../domain/layout/classify-key.ts';
import type { CatalogStore } from '../ports/catalog-store.ts';
import { type EffectReaders, withHistoryContent } from './catalog-effects.ts';
import { type ListingProgress, listObjectsSharded } from './list-objects-sharded.ts';

export interface SyncDependencies extends EffectReaders {
  readonly catalog: CatalogStore;
}

export interface SyncOptions {
  readonly now: Date;
  /** Parallel listing requests (default 16). */
  readonly concurrency?: number;
  readonly onProgress?: (progress: SyncProgress) => void;
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

interface CatalogSnapshot {
  readonly wal: Map<string, WalObjectRecord>;
  readonly backups: Map<string, BackupRecord>;
}

async function readSnapshot(catalog: CatalogStore, cluster: ClusterConfig): Promise<CatalogSnapshot> {
  const wal = new Map<string, WalObjectRecord>();
  for (const timeline of await catalog.listTimelines(cluster.id)) {
    for await (const record of catalog.listWalObjects(cluster.id, timeline, {}, { includeDeleted: true })) {
      wal.set(record.key, record);
    }
  }
  for (const record of await catalog.listHistoryFiles(cluster.id)) wal.set(record.key, record);
  const backups = new Map((await catalog.listBackups(cluster.id)).map((record) => [record.name, record]));
  return { wal, backups };
}

const sameContent = (stored: WalObjectRecord, size: number, etag: string): boolean =>
  !stored.deleted && stored.size === size && stored.etag === etag;

export async function syncCatalog(
  deps: SyncDependencies,
  cluster: ClusterConfig,
  options: SyncOptions,
): Promise<SyncOutcome> {
  const { bucket, prefix } = cluster.storage;
  options.onProgress?.({ phase: 'catalog' });
  const snapshot = await readSnapshot(deps.catalog, cluster);
  const listing = await listObjectsSharded(deps.objects, bucket, prefix, {
    concurrency: options.concurrency ?? 16,
    onProgress: (progress) => options.onProgress?.({ phase: 'listing', ...progress }),
  });

  const wal: WalObjectChange[] = [];
  const backups: BackupChange[] = [];
  const listedKeys = new Set<string>();
  let added = 0;
  let updated = 0;
  let removed = 0;
  let backupDocumentsRead = 0;
  let ignored = 0;
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

  const reconcileSource = async (
    name: string,
    source: BackupSource,
    object: { key: string; etag: string; lastModified: Date },
  ) => {
    const basis = snapshot.backups.get(name)?.[source];
    if (basis?.present && basis.etag === object.etag && basis.text !== undefined) return;
    const text = await readSource(object.key);
    const observation: BackupSourceObject = {
      key: object.key,
      present: true,
      etag: object.etag,
      observedAt: object.lastModified,
      ...(text === undefined ? {} : { text }),
      ...(basis?.sequencer === undefined ? {} : { sequencer: basis.sequencer }),
    };
    if (basis === undefined) added++;
    else updated++;
    backups.push({
      type: 'source-observed',
      origin: 'reconcile',
      cluster: cluster.id,
      name,
      source,
      observation,
      basis,
    });
  };

  const work = listing.map((object) => async () => {
    listedKeys.add(object.key);
    const classified = classifyKey(object.key.slice(prefix.length), cluster.layout, cluster.walSegmentSize);
    const effect = objectEffect(cluster.id, classified, {
      key: object.key,
      present: true,
      size: object.size,
      etag: object.etag,
      at: object.lastModified,
    });
    switch (effect.type) {
      case 'ignored':
        ignored++;
        return;
      case 'backup-payload':
        if (
          effect.change.type === 'payload-seen' &&
          !snapshot.backups.has(effect.change.name) &&
          !payloadSeen.has(effect.change.name)
        ) {
          payloadSeen.add(effect.change.name);
          added++;
          backups.push(effect.change);
        }
        return;
      case 'backup-source':
        await reconcileSource(effect.name, effect.source, object);
        return;
      case 'wal': {
        const stored = snapshot.wal.get(object.key);
        const needsContent = effect.readContent && stored?.content === undefined;
        if (stored && sameContent(stored, object.size, object.etag) && !needsContent) return;
        const listedRecord: WalObjectRecord = {
          ...effect.record,
          ...(stored?.sequencer === undefined ? {} : { sequencer: stored.sequencer }),
          ...(stored && !stored.deleted ? { uploadedAt: stored.uploadedAt } : {}),
        };
        const record = await withHistoryContent(deps, bucket, listedRecord, effect.readContent);
        if (record === undefined) return;
        if (stored === undefined || stored.deleted) added++;
        else updated++;
        wal.push({ origin: 'reconcile', record, basis: stored });
      }
    }
  });
  await runLimited(work, options.concurrency ?? 16);

  for (const stored of snapshot.wal.values()) {
    if (stored.deleted || listedKeys.has(stored.key)) continue;
    removed++;
    wal.push({ origin: 'reconcile', record: { ...stored, deleted: true, deletedAt: options.now }, basis: stored });
  }
  for (const record of snapshot.backups.values()) {
    for (const source of ['sentinel', 'metadata'] as const) {
      const basis = record[source];
      if (!basis?.present || listedKeys.has(basis.key)) continue;
      if (source === 'sentinel') removed++;
      const { text: _text, etag: _etag, ...kept } = basis;
      backups.push({
        type: 'source-observed',
        origin: 'reconcile',
        cluster: cluster.id,
        name: record.name,
        source,
        observation: { ...kept, present: false, observedAt: options.now },
        basis,
      });
    }
  }

  options.onProgress?.({ phase: 'applying', changes: wal.length + backups.length });
  const walOutcome = await deps.catalog.applyWalChanges(wal);
  const backupOutcome = await deps.catalog.applyBackupChanges(backups);
  await deps.catalog.updateClusterState(cluster.id, { lastFullSyncAt: options.now });
  return {
    cluster: cluster.id,
    listed: listing.length,
    added,
    updated,
    removed,
    backupDocumentsRead,
    superseded: walOutcome.stale + backupOutcome.stale,
    ignored,
  };
}

async function runLimited(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) await (tasks[next++] as () => Promise<void>)();
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, worker));
}
