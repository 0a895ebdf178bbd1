/**
 * Turns object effects into catalog changes by reading what the catalog stores besides the event: sentinel and
 * metadata.json texts, and `.history` file text. Shared by event ingestion and full sync.
 */
import { MAX_BACKUP_METADATA_BYTES } from '../domain/backup/backup-document.ts';
import type { BackupChange, WalObjectChange } from '../domain/catalog/catalog-change.ts';
import type { BackupSourceObject, WalObjectRecord } from '../domain/catalog/catalog-records.ts';
import type { ObjectEffect } from '../domain/catalog/object-effect.ts';
import type { ClusterConfig } from '../domain/cluster.ts';
import { InvalidInputError } from '../domain/errors.ts';
import type { Compression } from '../domain/layout/storage-object.ts';
import { BASEBACKUPS_FOLDER, METADATA_FILE_NAME } from '../domain/layout/wal-g-layout.ts';
import type { ObjectStore } from '../ports/object-store.ts';

/** History files are a few lines per timeline switch; anything larger is not one. */
export const MAX_HISTORY_FILE_BYTES = 1024 * 1024;

export type DecompressText = (bytes: Uint8Array, compression: Compression) => string | undefined;

export interface EffectReaders {
  readonly objects: ObjectStore;
  readonly decompress: DecompressText;
}

/** An effect resolved: the changes to apply, or why the object is skipped (permanent; never retried). */
export type ResolvedEffect =
  | { readonly type: 'changes'; readonly wal: WalObjectChange[]; readonly backups: BackupChange[] }
  | { readonly type: 'skipped'; readonly reason: string };

async function readText(readers: EffectReaders, bucket: string, key: string): Promise<string | undefined | Error> {
  try {
    return await readers.objects.getObjectText(bucket, key, MAX_BACKUP_METADATA_BYTES);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
}

/** The object key of a backup's metadata.json, from its sentinel's key. */
const metadataKeyOf = (cluster: ClusterConfig, name: string): string =>
  `${cluster.storage.prefix}${BASEBACKUPS_FOLDER}${name}/${METADATA_FILE_NAME}`;

/**
 * Resolves an event's effect: reads the sentinel (and metadata.json) or metadata.json it names, or the `.history`
 * text. A created object that no longer exists is skipped: its removal event, or the next sync, records that.
 * Read errors other than bad input are rethrown (transient: the platform retries the record).
 */
export async function resolveEventEffect(
  readers: EffectReaders,
  cluster: ClusterConfig,
  bucket: string,
  effect: ObjectEffect,
): Promise<ResolvedEffect> {
  switch (effect.type) {
    case 'ignored':
      return { type: 'skipped', reason: effect.reason };
    case 'backup-payload':
      return { type: 'changes', wal: [], backups: [effect.change] };
    case 'wal': {
      const record = await withHistoryContent(readers, bucket, effect.record, effect.readContent);
      return record === undefined
        ? {
            type: 'skipped',
            reason: 'object no longer exists; its removal is recorded by its own event or the next sync',
          }
        : { type: 'changes', wal: [{ origin: 'event', record }], backups: [] };
    }
    case 'backup-source': {
      const { observation } = effect;
      const backups: BackupChange[] = [];
      if (observation.present) {
        const text = await readText(readers, bucket, observation.key);
        if (text === undefined) {
          return {
            type: 'skipped',
            reason: 'object no longer exists; its removal is recorded by its own event or the next sync',
          };
        }
        const observed: BackupSourceObject = text instanceof Error ? observation : { ...observation, text };
        backups.push(sourceChange(effect.cluster, effect.name, effect.source, observed));
        if (effect.source === 'sentinel' && cluster.layout === 'wal-g') {
          // metadata.json is written before the sentinel; read it now in case its own event is late or lost.
          // Without a sequencer it never overrides an observation from a metadata event.
          const key = metadataKeyOf(cluster, effect.name);
          const metadataText = await readText(readers, bucket, key);
          if (typeof metadataText === 'string') {
            backups.push(
              sourceChange(effect.cluster, effect.name, 'metadata', {
                key,
                present: true,
                text: metadataText,
                observedAt: observation.observedAt,
              }),
            );
          }
        }
      } else {
        backups.push(sourceChange(effect.cluster, effect.name, effect.source, observation));
      }
      return { type: 'changes', wal: [], backups };
    }
  }
}

const sourceChange = (
  cluster: ClusterConfig['id'],
  name: string,
  source: 'sentinel' | 'metadata',
  observation: BackupSourceObject,
): BackupChange => ({ type: 'source-observed', origin: 'event', cluster, name, source, observation });

/** Adds the decompressed text of a created `.history` file; undefined when the object is gone. */
export async function withHistoryContent(
  readers: EffectReaders,
  bucket: string,
  record: WalObjectRecord,
  readContent: boolean,
): Promise<WalObjectRecord | undefined> {
  if (!readContent || record.compression === undefined) return record;
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readers.objects.getObjectBytes(bucket, record.key, MAX_HISTORY_FILE_BYTES);
  } catch (error) {
    if (error instanceof InvalidInputError) return record;
    throw error;
  }
  if (bytes === undefined) return undefined;
  try {
    const content = readers.decompress(bytes, record.compression);
    return content === undefined ? record : { ...record, content };
  } catch {
    // A corrupt compressed history file is still catalogued; continuity reports the missing text.
    return record;
  }
}
