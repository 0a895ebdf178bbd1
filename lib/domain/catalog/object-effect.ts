/**
 * What one object (seen in an event or a listing) means for the catalog, before any object is read. Sentinels,
 * metadata.json and `.history` files need their text, which the use case reads through the object store.
 */

import type { ClusterId } from '../cluster.ts';
import type { StorageObject } from '../layout/storage-object.ts';
import type { BackupChange, BackupSource, WalObjectChange } from './catalog-change.ts';
import type { BackupPayloadKind, BackupSourceObject, WalObjectKind, WalObjectRecord } from './catalog-records.ts';
import type { ObjectEvent } from './object-event.ts';

export type ObjectEffect =
  | {
      readonly type: 'wal';
      readonly record: WalObjectRecord;
      /** A created `.history` file: read its text into `record.content`. */
      readonly readContent: boolean;
    }
  | {
      readonly type: 'backup-source';
      readonly cluster: ClusterId;
      readonly name: string;
      readonly source: BackupSource;
      /** Without `text`; read it when `present`. */
      readonly observation: BackupSourceObject;
    }
  | { readonly type: 'backup-payload'; readonly change: BackupChange }
  | { readonly type: 'ignored'; readonly reason: string };

/** The state of one object at a point in time: from an event, or from a listing (no sequencer, present). */
export interface ObjectObservation {
  readonly key: string;
  readonly present: boolean;
  readonly size?: number;
  readonly etag?: string;
  readonly sequencer?: string;
  /** Event time, or LastModified at first sight in a listing. */
  readonly at: Date;
  /** The storage class as the catalog records it (absent for STANDARD). */
  readonly storageClass?: string;
}

const WAL_KIND: Partial<Record<StorageObject['kind'], WalObjectKind>> = {
  'wal-segment': 'segment',
  'wal-partial': 'partial',
  'wal-backup-history': 'backup-history',
  'wal-history': 'history',
  'wal-delta': 'delta',
};

/**
 * Maps an observed object of a cluster, classified by its layout, to its catalog effect. WAL-G's per-segment
 * metadata files and catch-up folders are not catalogued.
 *
 * @example objectEffect(cluster, { kind: 'wal-segment', segment, compression: 'br' }, observation).type === 'wal'
 */
export function objectEffect(cluster: ClusterId, object: StorageObject, seen: ObjectObservation): ObjectEffect {
  const at = seen.at;
  const stored = seen.present && seen.storageClass !== undefined ? { storageClass: seen.storageClass } : {};
  switch (object.kind) {
    case 'backup-sentinel':
    case 'backup-metadata':
      return {
        type: 'backup-source',
        cluster,
        name: object.backupName,
        source: object.kind === 'backup-sentinel' ? 'sentinel' : 'metadata',
        observation: {
          key: seen.key,
          present: seen.present,
          observedAt: at,
          ...(seen.sequencer === undefined ? {} : { sequencer: seen.sequencer }),
          ...(seen.present && seen.etag !== undefined ? { etag: seen.etag } : {}),
          ...stored,
        },
      };
    case 'backup-payload': {
      // Creations and removals both count: a backup is complete only while its payload is in the bucket.
      const folder = `/${object.backupName}/`;
      const part = seen.key.slice(seen.key.lastIndexOf(folder) + folder.length);
      const kind: BackupPayloadKind =
        object.part === 'tar-partition' || object.part === 'pg_control' || object.part === 'backup_label'
          ? object.part
          : 'other';
      return {
        type: 'backup-payload',
        change: {
          type: 'payload-observed',
          origin: 'event',
          cluster,
          name: object.backupName,
          part,
          observation: {
            kind,
            present: seen.present,
            size: seen.present ? (seen.size ?? 0) : 0,
            observedAt: at,
            ...(seen.sequencer === undefined ? {} : { sequencer: seen.sequencer }),
            ...stored,
          },
        },
      };
    }
    case 'wal-segment':
    case 'wal-partial':
    case 'wal-backup-history':
    case 'wal-history':
    case 'wal-delta': {
      const kind = WAL_KIND[object.kind] as WalObjectKind;
      const timeline = object.kind === 'wal-history' ? object.timeline : object.segment.timeline;
      const record: WalObjectRecord = {
        cluster,
        key: seen.key,
        kind,
        timeline,
        ...(object.kind === 'wal-history' ? {} : { segNo: object.segment.segNo }),
        compression: object.compression,
        size: seen.present ? (seen.size ?? 0) : 0,
        ...(seen.present && seen.etag !== undefined ? { etag: seen.etag } : {}),
        uploadedAt: at,
        ...(seen.sequencer === undefined ? {} : { sequencer: seen.sequencer }),
        deleted: !seen.present,
        ...(seen.present ? {} : { deletedAt: at }),
        ...stored,
      };
      return { type: 'wal', record, readContent: seen.present && object.kind === 'wal-history' };
    }
    case 'wal-metadata':
      return { type: 'ignored', reason: 'WAL-G per-segment metadata is not catalogued' };
    case 'ignored':
      return { type: 'ignored', reason: object.reason };
  }
}

/** What a `storage-class` event changes in the catalog: the class or thaw of one stored object. */
export type StorageClassEffect =
  | { readonly type: 'wal'; readonly change: WalObjectChange }
  | { readonly type: 'backup'; readonly change: BackupChange }
  | { readonly type: 'ignored'; readonly reason: string };

/**
 * Maps a `storage-class` event (lifecycle transition, Intelligent-Tiering archive move, thaw completed or ended) of
 * a classified key to the change of the stored object's class. It never creates an object: a key the catalog does
 * not hold is left to its own create event or the next sync.
 *
 * @example storageClassEffect(cluster, walSegmentObject, { ...event, kind: 'storage-class', storageClass: 'GLACIER' }).type === 'wal'
 */
export function storageClassEffect(cluster: ClusterId, object: StorageObject, event: ObjectEvent): StorageClassEffect {
  const classes = {
    observedAt: event.eventTime,
    ...(event.storageClass === undefined ? {} : { storageClass: event.storageClass }),
    ...(event.thawedUntil === undefined ? {} : { thawedUntil: event.thawedUntil }),
  };
  const effect = objectEffect(cluster, object, { key: event.key, present: true, at: event.eventTime });
  switch (effect.type) {
    case 'wal':
      return { type: 'wal', change: { origin: 'storage-class', record: effect.record, ...classes } };
    case 'backup-source':
      return {
        type: 'backup',
        change: { type: 'storage-class', cluster, name: effect.name, object: { source: effect.source }, ...classes },
      };
    case 'backup-payload':
      return effect.change.type === 'payload-observed'
        ? {
            type: 'backup',
            change: {
              type: 'storage-class',
              cluster,
              name: effect.change.name,
              object: { part: effect.change.part },
              ...classes,
            },
          }
        : { type: 'ignored', reason: 'not a catalogued object' };
    case 'ignored':
      return effect;
  }
}

/** An event as an observation. */
export const observationOfEvent = (event: ObjectEvent): ObjectObservation => ({
  key: event.key,
  present: event.kind === 'created',
  at: event.eventTime,
  ...(event.size === undefined ? {} : { size: event.size }),
  ...(event.etag === undefined ? {} : { etag: event.etag }),
  ...(event.sequencer === undefined ? {} : { sequencer: event.sequencer }),
});
