/**
 * Changes to the catalog and the one rule that merges them into stored records. The DynamoDB adapter and the pure
 * reducer (catalog-state.ts) both merge through these functions, so they converge the same way.
 *
 * Ordering rule: every catalogued S3 key is a last-writer-wins register ordered by the S3 event sequencer of that
 * key (sequencer.ts). A change whose sequencer is not newer than the stored one is stale and changes nothing, so
 * replays, duplicates and reordering of the same events end in the same state. Changes from a full sync
 * (`reconcile`) carry no sequencer; they apply only when the stored record is still the one the sync compared
 * against (`basis`), so an event applied in between wins. What a sync wrote carries its listing observation (when
 * it listed, the LastModified it saw): an event of the same key that happened before that observation is stale,
 * so a late create event cannot revive an object the sync found gone (`eventBeatsListing`).
 */

import { payloadProblem } from '../backup/backup-payload.ts';
import type { BaseBackup } from '../backup/base-backup.ts';
import { deeperStorageClass } from '../bucket/storage-class.ts';
import type { ClusterId } from '../cluster.ts';
import type {
  BackupPayloadObject,
  BackupRecord,
  BackupSourceObject,
  ListingObservation,
  WalObjectRecord,
} from './catalog-records.ts';
import { compareSequencers } from './sequencer.ts';

export type WalObjectChange =
  | { readonly origin: 'event'; readonly record: WalObjectRecord }
  | {
      readonly origin: 'reconcile';
      readonly record: WalObjectRecord;
      /** The stored record the sync compared the listing with; undefined when the catalog had none. */
      readonly basis: WalObjectRecord | undefined;
    }
  | ({
      /** A lifecycle transition or a thaw of a stored object (`record` names the key; only the class changes). */
      readonly origin: 'storage-class';
      readonly record: WalObjectRecord;
    } & StorageClassObservation);

/**
 * A change of where an object is stored, from an event without a sequencer (S3 sends none on transitions and
 * restores). It applies to the stored version only when that version existed at `observedAt`.
 */
export interface StorageClassObservation {
  readonly observedAt: Date;
  /** The new class (absent when the event names none). */
  readonly storageClass?: string;
  /** A thaw completed: until when the thawed copy can be read. */
  readonly thawedUntil?: Date;
}

export type BackupSource = 'sentinel' | 'metadata';

export type BackupChange =
  | {
      /** A sentinel or metadata.json was created, overwritten or removed (from an event). */
      readonly type: 'source-observed';
      readonly origin: 'event';
      readonly cluster: ClusterId;
      readonly name: string;
      readonly source: BackupSource;
      readonly observation: BackupSourceObject;
    }
  | {
      /** A full sync saw the source in this state; applies only if the stored source still equals `basis`. */
      readonly type: 'source-observed';
      readonly origin: 'reconcile';
      readonly cluster: ClusterId;
      readonly name: string;
      readonly source: BackupSource;
      readonly observation: BackupSourceObject;
      readonly basis: BackupSourceObject | undefined;
    }
  | {
      /** A payload object (tar partition, pg_control...) exists: the backup is at least `incomplete`. */
      readonly type: 'payload-seen';
      readonly cluster: ClusterId;
      readonly name: string;
      readonly observedAt: Date;
    }
  | {
      /**
       * A payload object was created or removed (event), or a sync saw it in this state (reconcile: applies only if
       * the stored register still equals `basis`).
       */
      readonly type: 'payload-observed';
      readonly origin: 'event' | 'reconcile';
      readonly cluster: ClusterId;
      readonly name: string;
      /** Key relative to the backup folder, e.g. `tar_partitions/part_001.tar.lz4`. */
      readonly part: string;
      readonly observation: BackupPayloadObject;
      readonly basis?: BackupPayloadObject;
    }
  | ({
      /** A lifecycle transition or a thaw of one object of a backup: its sentinel, metadata.json or a payload part. */
      readonly type: 'storage-class';
      readonly cluster: ClusterId;
      readonly name: string;
      readonly object: { readonly source: BackupSource } | { readonly part: string };
    } & StorageClassObservation)
  | {
      /** Retention deleted the backup. */
      readonly type: 'expired';
      readonly cluster: ClusterId;
      readonly name: string;
      readonly expiredAt: Date;
    };

/** What a sentinel (with its metadata.json, when present) says about a backup, or why it cannot be read. */
export type BackupInterpretation =
  | { readonly backup: BaseBackup; readonly problem?: undefined }
  | { readonly backup?: undefined; readonly problem: string };

/**
 * Reads a backup from its sentinel and metadata texts (built per cluster from its layout and segment size).
 * `basisOf` names what, besides the two texts, a cluster's interpretation depends on (the interpreter's version,
 * the layout, the segment size): a store may keep an interpretation beside the texts and trust it on read only
 * while the basis is the same. An interpreter without it is always asked again.
 */
export type BackupInterpreter = ((
  cluster: ClusterId,
  name: string,
  sentinel: BackupSourceObject,
  metadata: BackupSourceObject | undefined,
) => BackupInterpretation) & { readonly basisOf?: (cluster: ClusterId) => string | undefined };

const earlier = (a: Date, b: Date): Date => (a.getTime() <= b.getTime() ? a : b);
const later = (a: Date, b: Date): Date => (a.getTime() >= b.getTime() ? a : b);

/** What an event or a stored state says about one object, for ordering an event against a listing. */
interface ObjectState {
  readonly present: boolean;
  readonly etag?: string | undefined;
  /** Event time of the event (creation or removal). */
  readonly at: Date;
}

/**
 * Whether an event happened after the listing observation a sync stored. Against an absence (the sync found no
 * object): only an event after the listing ran. Against a listed object: the same version (same ETag) always, as it
 * only adds the event's sequencer; another version or a removal only when it is not older than the listed
 * LastModified. Ties within LastModified's one-second precision favour the event.
 *
 * @example eventBeatsListing({ present: true, etag: 'a', at: t0 }, { present: false }, { at: t1 }) === (t0 > t1)
 */
export function eventBeatsListing(
  event: ObjectState,
  stored: { readonly present: boolean; readonly etag?: string | undefined },
  listing: ListingObservation,
): boolean {
  if (!stored.present || listing.lastModified === undefined) return event.at.getTime() > listing.at.getTime();
  if (event.present && event.etag !== undefined && event.etag === stored.etag) return true;
  return event.at.getTime() >= Math.floor(listing.lastModified.getTime() / 1000) * 1000;
}

const walEventState = (record: WalObjectRecord): ObjectState => ({
  present: !record.deleted,
  etag: record.etag,
  at: (record.deleted ? record.deletedAt : undefined) ?? record.uploadedAt,
});

/** An event beats the stored register: a newer sequencer, and not older than a listing that produced the state. */
function walEventWins(stored: WalObjectRecord, event: WalObjectRecord): boolean {
  if (compareSequencers(event.sequencer, stored.sequencer) <= 0) return false;
  return (
    stored.listing === undefined ||
    eventBeatsListing(walEventState(event), { present: !stored.deleted, etag: stored.etag }, stored.listing)
  );
}

function sourceEventWins(stored: BackupSourceObject, event: BackupSourceObject): boolean {
  if (compareSequencers(event.sequencer, stored.sequencer) <= 0) return false;
  return (
    stored.listing === undefined ||
    eventBeatsListing({ present: event.present, etag: event.etag, at: event.observedAt }, stored, stored.listing)
  );
}

/** Same stored state: what a reconcile change compares against. */
function sameWalObject(a: WalObjectRecord | undefined, b: WalObjectRecord | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.sequencer === b.sequencer &&
    a.deleted === b.deleted &&
    a.etag === b.etag &&
    a.size === b.size &&
    a.storageClass === b.storageClass &&
    a.listing?.at.getTime() === b.listing?.at.getTime()
  );
}

function samePayload(a: BackupPayloadObject | undefined, b: BackupPayloadObject | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.sequencer === b.sequencer && a.present === b.present && a.size === b.size && a.storageClass === b.storageClass
  );
}

function sameSource(a: BackupSourceObject | undefined, b: BackupSourceObject | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.sequencer === b.sequencer &&
    a.present === b.present &&
    a.etag === b.etag &&
    a.text === b.text &&
    a.storageClass === b.storageClass &&
    a.listing?.at.getTime() === b.listing?.at.getTime()
  );
}

/**
 * Merges one change into the stored WAL object record; undefined when nothing must be written (a duplicate, a stale
 * event, or a reconcile change that lost against an event applied since the sync read the catalog).
 *
 * @example mergeWalObject(undefined, { origin: 'event', record }) === record
 * @example mergeWalObject(newerRecord, { origin: 'event', record: olderRecord }) === undefined
 */
export function mergeWalObject(
  stored: WalObjectRecord | undefined,
  change: WalObjectChange,
): WalObjectRecord | undefined {
  if (change.origin === 'storage-class') {
    if (stored === undefined || stored.deleted) return undefined;
    return withStorageClass(stored, stored.uploadedAt, change);
  }
  if (change.origin === 'reconcile') {
    if (!sameWalObject(stored, change.basis) || sameWalObject(stored, change.record)) return undefined;
    return change.record;
  }
  if (stored === undefined) return change.record;
  return walEventWins(stored, change.record) ? change.record : undefined;
}

/**
 * The object with the class and thaw a storage-class event reports; undefined when nothing changes or the event
 * is about an earlier version (it happened before the stored version was written). Both are max registers, so
 * events of one version converge in any order and duplication: lifecycle moves an object only deeper
 * (`deeperStorageClass`), and a thawed copy is readable until the latest expiry S3 announced. (A new version of the
 * key is a create event, which replaces the record; a listing sets the class it saw.)
 *
 * @example withStorageClass({ ...record }, record.uploadedAt, { observedAt: later, storageClass: 'GLACIER' })?.storageClass === 'GLACIER'
 */
export function withStorageClass<T extends { readonly storageClass?: string; readonly thawedUntil?: Date }>(
  stored: T,
  writtenAt: Date,
  change: StorageClassObservation,
): T | undefined {
  if (change.observedAt.getTime() < writtenAt.getTime()) return undefined;
  const storageClass = deeperStorageClass(stored.storageClass, change.storageClass);
  const thawedUntil =
    change.thawedUntil !== undefined &&
    (stored.thawedUntil === undefined || change.thawedUntil.getTime() > stored.thawedUntil.getTime())
      ? change.thawedUntil
      : stored.thawedUntil;
  if (storageClass === stored.storageClass && thawedUntil === stored.thawedUntil) return undefined;
  const { storageClass: _class, thawedUntil: _thaw, ...rest } = stored;
  return {
    ...rest,
    ...(storageClass === undefined ? {} : { storageClass }),
    ...(thawedUntil === undefined ? {} : { thawedUntil }),
  } as T;
}

type BackupFields = Omit<BackupRecord, 'status' | 'backup' | 'problem' | 'sequencer'>;

/**
 * The record a backup's observed sources imply: a present, readable sentinel makes it `complete`; a present sentinel
 * that cannot be interpreted makes it `unreadable` with the `problem` (never `incomplete`: the backup finished, walcat
 * just cannot tell what it restores); a removed sentinel `deleted` (or `expired` when retention
 * removed it); payload or metadata without a sentinel `incomplete`.
 *
 * @example deriveBackupRecord({ cluster, name, firstSeenAt, updatedAt }, interpret).status === 'incomplete'
 */
export function deriveBackupRecord(fields: BackupFields, interpret: BackupInterpreter): BackupRecord {
  const { sentinel } = fields;
  if (sentinel?.present) {
    const metadata = fields.metadata?.present ? fields.metadata : undefined;
    const reading: BackupInterpretation =
      sentinel.text === undefined
        ? { problem: `sentinel ${sentinel.key} exists but its text was not read; run walcat sync to re-read it` }
        : interpret(fields.cluster, fields.name, sentinel, metadata);
    // A readable sentinel is not enough: the data it describes must be in the bucket too.
    const missing = reading.backup && fields.payload ? payloadProblem(reading.backup, fields.payload) : undefined;
    return {
      ...fields,
      status: reading.backup && missing === undefined ? 'complete' : 'unreadable',
      ...(reading.backup ? { backup: reading.backup } : {}),
      ...(reading.problem !== undefined ? { problem: reading.problem } : missing ? { problem: missing } : {}),
      ...(sentinel.sequencer === undefined ? {} : { sequencer: sentinel.sequencer }),
    };
  }
  const status = fields.expiredAt ? 'expired' : sentinel ? 'deleted' : 'incomplete';
  return { ...fields, status, ...(sentinel?.sequencer === undefined ? {} : { sequencer: sentinel.sequencer }) };
}

function fieldsOf(record: BackupRecord): BackupFields {
  const { status: _status, backup: _backup, problem: _problem, sequencer: _sequencer, ...fields } = record;
  return fields;
}

/**
 * Merges one change into the stored backup record; undefined when nothing must be written. Each source (sentinel,
 * metadata.json) is a register that only a newer sequencer replaces; `firstSeenAt` is the earliest observation and
 * `expiredAt` the earliest expiry, so the result does not depend on the order of changes.
 *
 * @example mergeBackup(undefined, { type: 'payload-seen', cluster, name, observedAt }, interpret)?.status === 'incomplete'
 */
export function mergeBackup(
  stored: BackupRecord | undefined,
  change: BackupChange,
  interpret: BackupInterpreter,
): BackupRecord | undefined {
  if (change.type === 'storage-class') return mergeBackupStorageClass(stored, change, interpret);
  const at =
    change.type === 'expired'
      ? change.expiredAt
      : change.type === 'payload-seen'
        ? change.observedAt
        : change.observation.observedAt;
  if (change.type === 'payload-observed') {
    const fields: BackupFields = stored
      ? fieldsOf(stored)
      : { cluster: change.cluster, name: change.name, firstSeenAt: at, updatedAt: at };
    const current = fields.payload?.[change.part];
    const wins =
      change.origin === 'reconcile'
        ? samePayload(current, change.basis) && !samePayload(current, change.observation)
        : current === undefined || compareSequencers(change.observation.sequencer, current.sequencer) > 0;
    const firstSeenAt = earlier(fields.firstSeenAt, at);
    // A part that exists is a sign of life of a backup still uploading: a max register over every part's upload
    // time, so the result does not depend on the order the parts arrive in (removals are no sign of life).
    const signOfLife = fields.lastSignOfLifeAt;
    const lastSignOfLifeAt =
      change.observation.present && (signOfLife === undefined || at.getTime() > signOfLife.getTime()) ? at : signOfLife;
    const lifeMoved = lastSignOfLifeAt !== signOfLife;
    if (!wins) {
      const seenEarlier = stored !== undefined && firstSeenAt.getTime() < stored.firstSeenAt.getTime();
      return stored === undefined || seenEarlier || lifeMoved
        ? deriveBackupRecord({ ...fields, firstSeenAt, ...(lastSignOfLifeAt ? { lastSignOfLifeAt } : {}) }, interpret)
        : undefined;
    }
    return deriveBackupRecord(
      {
        ...fields,
        firstSeenAt,
        ...(lastSignOfLifeAt ? { lastSignOfLifeAt } : {}),
        payload: { ...fields.payload, [change.part]: change.observation },
        updatedAt: later(fields.updatedAt, at),
      },
      interpret,
    );
  }
  const fields: BackupFields = stored
    ? fieldsOf(stored)
    : { cluster: change.cluster, name: change.name, firstSeenAt: at, updatedAt: at };
  const firstSeenAt = earlier(fields.firstSeenAt, at);
  const seenEarlier = stored !== undefined && firstSeenAt.getTime() < stored.firstSeenAt.getTime();
  const onlyFirstSeen = (): BackupRecord | undefined =>
    seenEarlier ? deriveBackupRecord({ ...fields, firstSeenAt }, interpret) : undefined;

  switch (change.type) {
    case 'payload-seen': {
      if (stored === undefined) return deriveBackupRecord({ ...fields, lastSignOfLifeAt: at }, interpret);
      // A new part of a backup still uploading moves its sign of life: the newest payload observation, a max
      // register, so the result does not depend on the order the parts arrive in.
      const signOfLife = fields.lastSignOfLifeAt;
      if (signOfLife !== undefined && at.getTime() <= signOfLife.getTime()) return onlyFirstSeen();
      return deriveBackupRecord({ ...fields, firstSeenAt, lastSignOfLifeAt: at }, interpret);
    }
    case 'expired':
      if (stored?.expiredAt !== undefined && stored.expiredAt.getTime() <= change.expiredAt.getTime()) {
        return onlyFirstSeen();
      }
      return deriveBackupRecord(
        { ...fields, firstSeenAt, expiredAt: change.expiredAt, updatedAt: later(fields.updatedAt, at) },
        interpret,
      );
    case 'source-observed': {
      const current = fields[change.source];
      const wins =
        change.origin === 'reconcile'
          ? sameSource(current, change.basis) && !sameSource(current, change.observation)
          : current === undefined || sourceEventWins(current, change.observation);
      if (!wins) return onlyFirstSeen();
      return deriveBackupRecord(
        { ...fields, firstSeenAt, [change.source]: change.observation, updatedAt: later(fields.updatedAt, at) },
        interpret,
      );
    }
  }
}

/** A storage-class event of one object of a stored backup; a backup or object the catalog lacks is left alone. */
function mergeBackupStorageClass(
  stored: BackupRecord | undefined,
  change: Extract<BackupChange, { type: 'storage-class' }>,
  interpret: BackupInterpreter,
): BackupRecord | undefined {
  if (stored === undefined) return undefined;
  const fields = fieldsOf(stored);
  if ('part' in change.object) {
    const current = fields.payload?.[change.object.part];
    if (current === undefined || !current.present) return undefined;
    const next = withStorageClass(current, current.observedAt, change);
    if (next === undefined) return undefined;
    return deriveBackupRecord({ ...fields, payload: { ...fields.payload, [change.object.part]: next } }, interpret);
  }
  const source = change.object.source;
  const current = fields[source];
  if (current === undefined || !current.present) return undefined;
  const next = withStorageClass(current, current.observedAt, change);
  return next === undefined ? undefined : deriveBackupRecord({ ...fields, [source]: next }, interpret);
}
