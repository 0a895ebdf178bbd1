/**
 * Applies S3 object events to the catalog. Permanent problems (a key no cluster owns, a key of unknown shape, a
 * malformed event) are skipped with the key and the reason; a malformed sentinel is still recorded, as an
 * `incomplete` backup with its `problem`. Transient failures (throttling, timeouts) fail only the records they
 * touch, so the queue redelivers those and nothing else.
 */
import type { BackupChange, WalObjectChange } from '../domain/catalog/catalog-change.ts';
import type { IngestRecord, SkippedEvent } from '../domain/catalog/ingest-record.ts';
import { objectEffect, observationOfEvent, storageClassEffect } from '../domain/catalog/object-effect.ts';
import type { ClusterConfig } from '../domain/cluster.ts';
import { resolveClusterOfKey } from '../domain/cluster-of-key.ts';
import { classifyKey } from '../domain/layout/classify-key.ts';
import type { CatalogStore } from '../ports/catalog-store.ts';
import { type EffectReaders, resolveEventEffect } from './catalog-effects.ts';

export interface IngestDependencies extends EffectReaders {
  readonly catalog: CatalogStore;
  readonly clusters: readonly ClusterConfig[];
}

export type { IngestRecord, SkippedEvent };

export interface IngestOutcome {
  /** Events whose changes reached the catalog (including stale ones that changed nothing). */
  readonly ingested: number;
  /** Changes that lost against a newer stored sequencer (duplicates, late events). */
  readonly stale: number;
  readonly skipped: readonly SkippedEvent[];
  /** Records to redeliver: they hit a transient failure. */
  readonly failedRecordIds: readonly string[];
  readonly transientErrors: readonly { readonly recordId: string; readonly error: unknown }[];
}

interface PendingChanges {
  readonly recordId: string;
  readonly wal: WalObjectChange[];
  readonly backups: BackupChange[];
}

export async function ingestObjectEvents(
  deps: IngestDependencies,
  records: readonly IngestRecord[],
): Promise<IngestOutcome> {
  const skipped: SkippedEvent[] = [];
  const failed = new Map<string, unknown>();
  const pending: PendingChanges[] = [];
  let ingested = 0;

  await Promise.all(
    records.map(async (record) => {
      skipped.push(...(record.malformed ?? []));
      const changes: PendingChanges = { recordId: record.recordId, wal: [], backups: [] };
      try {
        for (const event of record.events) {
          const owner = resolveClusterOfKey(deps.clusters, event.bucket, event.key);
          if (owner === undefined) {
            skipped.push({
              key: `s3://${event.bucket}/${event.key}`,
              reason: 'no configured cluster owns this bucket and prefix',
            });
            continue;
          }
          const { cluster, relativeKey } = owner;
          const object = classifyKey(relativeKey, cluster.layout, cluster.walSegmentSize);
          if (event.kind === 'storage-class') {
            // A transition or a thaw: the object stays, only where it is stored changes (nothing to read).
            const moved = storageClassEffect(cluster.id, object, event);
            if (moved.type === 'ignored') {
              skipped.push({ key: `s3://${event.bucket}/${event.key}`, reason: moved.reason });
              continue;
            }
            if (moved.type === 'wal') changes.wal.push(moved.change);
            else changes.backups.push(moved.change);
            ingested++;
            continue;
          }
          const effect = objectEffect(cluster.id, object, observationOfEvent(event));
          const resolved = await resolveEventEffect(deps, cluster, event.bucket, effect);
          if (resolved.type === 'skipped') {
            skipped.push({ key: `s3://${event.bucket}/${event.key}`, reason: resolved.reason });
            continue;
          }
          changes.wal.push(...resolved.wal);
          changes.backups.push(...resolved.backups);
          ingested++;
        }
        pending.push(changes);
      } catch (error) {
        failed.set(record.recordId, error);
      }
    }),
  );

  let stale = 0;
  const wal = pending.flatMap((p) => p.wal);
  const backups = pending.flatMap((p) => p.backups);
  const touching = (kind: 'wal' | 'backups') => pending.filter((p) => p[kind].length > 0).map((p) => p.recordId);
  try {
    if (wal.length > 0) stale += (await deps.catalog.applyWalChanges(wal)).stale;
  } catch (error) {
    for (const id of touching('wal')) failed.set(id, error);
  }
  try {
    if (backups.length > 0) stale += (await deps.catalog.applyBackupChanges(backups)).stale;
  } catch (error) {
    for (const id of touching('backups')) failed.set(id, error);
  }
  return {
    ingested,
    stale,
    skipped,
    failedRecordIds: [...failed.keys()],
    transientErrors: [...failed].map(([recordId, error]) => ({ recordId, error })),
  };
}
