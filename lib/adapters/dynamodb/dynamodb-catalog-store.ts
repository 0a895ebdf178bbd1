import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type BucketDigest, bucketDigestJson, parseBucketDigest } from '../../domain/bucket/bucket-digest.ts';
import { compareBackupRecords } from '../../domain/catalog/backup-order.ts';
import {
  type BackupChange,
  type BackupInterpreter,
  deriveBackupRecord,
  mergeBackup,
  mergeWalObject,
  type WalObjectChange,
} from '../../domain/catalog/catalog-change.ts';
import { ClusterStateConflictError } from '../../domain/catalog/catalog-errors.ts';
import type {
  BackupPayloadObject,
  BackupRecord,
  BackupSourceObject,
  ListingObservation,
  WalObjectKind,
  WalObjectRecord,
} from '../../domain/catalog/catalog-records.ts';
import type { KeyRange } from '../../domain/catalog/key-range.ts';
import { parseRetentionTombstones, retentionTombstonesJson } from '../../domain/catalog/retention-tombstones.ts';
import type { SyncGeneration } from '../../domain/catalog/sync-generation.ts';
import type { ClusterId } from '../../domain/cluster.ts';
import { TransientError } from '../../domain/errors.ts';
import type { Compression } from '../../domain/layout/storage-object.ts';
import { parseTimelineHex, type TimelineId } from '../../domain/wal/timeline.ts';
import { type SegmentNumber, segmentNumber } from '../../domain/wal/wal-segment.ts';
import {
  type ApplyOutcome,
  type CatalogStore,
  ChangeIndexUnavailableError,
  type ClusterOverview,
  type ClusterState,
  type ClusterStateUpdate,
  type RetentionWalItem,
  type SegmentRange,
  type WalChange,
} from '../../ports/catalog-store.ts';
import type { RetentionBackupDigestStore, RetentionDigestStore } from '../../ports/retention-digest-store.ts';
import type { SyncBegin, SyncPartLedger, SyncPartStatus } from '../../ports/sync-part-ledger.ts';
import {
  ALERT_SK_PREFIX,
  BACKUP_SK_PREFIX,
  backupSk,
  CHANGED_AT,
  CHANGES_INDEX,
  CHANGES_OF,
  clusterPk,
  HISTORY_SK_PREFIX,
  historySk,
  OVERVIEW_FIRST_RANGE,
  OVERVIEW_SECOND_RANGE,
  STATE_SK,
  segNoSortKey,
  syncPartsSk,
  TIMELINE_SK_PREFIX,
  timelineSk,
  walPk,
  walSk,
} from './catalog-keys.ts';
import { ensureCatalogTable } from './catalog-table.ts';
import { alertFromItem } from './dynamodb-alert-store.ts';
import { DynamoDbRetentionBackupDigestStore } from './dynamodb-retention-backup-digest-store.ts';
import { DynamoDbRetentionDigestStore } from './dynamodb-retention-digest-store.ts';
import {
  type Condition,
  type ConditionalPut,
  type Item,
  type ItemKey,
  inParallel,
  type RetryPolicy,
  SingleTable,
  type TableQuery,
  TRANSACTION_WRITES,
  type TransactionWrite,
  type Update,
} from './single-table.ts';
import {
  decodeStoredInterpretation,
  encodeStoredInterpretation,
  type SourceRevisions,
} from './stored-interpretation.ts';

const PARALLEL_REQUESTS = 4;
/** Conditional writes sent one request per item: this many run at once per invocation. */
const PARALLEL_WRITES = 16;

/**
 * How long a tombstone (a removed WAL object or `.history` file) is kept before DynamoDB's TTL deletes it: longer
 * than any event can be late (SQS keeps a message at most 14 days, its dead-letter queue 14 more), so no late
 * create event can outlive the tombstone that makes it stale. The attribute is `ttl` (epoch seconds).
 */
export const TOMBSTONE_TTL_DAYS = 30;
const TOMBSTONE_TTL_SECONDS = TOMBSTONE_TTL_DAYS * 24 * 3600;

/** A write that lost its condition re-reads and merges again; with 8 writers on one key a few rounds suffice. */
const MAX_CONFLICT_ROUNDS = 20;

/**
 * From this many changed items in one batch on, they go up to 100 to a TransactWriteItems request instead of one
 * conditional PutItem each. A transaction bills two write units per item where PutItem bills one, so it pays only
 * where it saves requests: one or two items would save at most one request for one or two more units, and the
 * batches real WAL rates hand the function (one to a few events) stay at the one-unit floor. From three on, every
 * item beyond the first saves a request, and a full batch of 1,000 costs 10 requests instead of 1,000.
 */
export const TRANSACTION_THRESHOLD = 3;
/**
 * DynamoDB refuses a transaction over 4 MB; the items of one request are kept under this (WAL items are under
 * 1 KB, a `.history` item holds its text).
 */
const TRANSACTION_BYTES = 3_000_000;
/** A sync generation's item outlives its parts by far: the schedule plans a newer one every 6 hours. */
const SYNC_PARTS_TTL_SECONDS = 24 * 3600;

export interface DynamoDbCatalogStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Reads backups from their sentinel and metadata texts (see createBackupInterpreter). */
  readonly interpret: BackupInterpreter;
  /** Resending unprocessed batch items (default: the single-table module's). */
  readonly retry?: RetryPolicy;
  readonly sleep?: (ms: number) => Promise<void>;
  /** The clock that stamps WAL writes for the change index (default: the system clock). */
  readonly now?: () => Date;
}

const keyId = (key: ItemKey): string => `${key.pk}\u0000${key.sk}`;
/** What `listRetentionWal` reads of a WAL item. */
const RETENTION_WAL_ATTRIBUTES = ['key', 'kind', 'segNo', 'size', 'uploadedAt', 'deleted'] as const;
/** The change index: WAL items by cluster (`changesOf`) in the order they were written (`changedAt`). */
const CHANGES = { name: CHANGES_INDEX, hashKey: CHANGES_OF, rangeKey: CHANGED_AT } as const;
const putArguments = (put: ConditionalPut): [Item, Condition] => [put.item, put.condition];

/** How one kind of catalog item is keyed, read, merged and written. */
interface ItemCodec<C, R> {
  readonly keyOf: (change: C) => ItemKey;
  readonly fromItem: (item: Item) => R;
  readonly merge: (stored: R | undefined, change: C) => R | undefined;
  readonly toItem: (record: R) => Item;
  /** Changes that may be written "if absent" without reading first (a read follows only when the key exists). */
  readonly writeBlind: (change: C) => boolean;
  /** Field-by-field conditional update instead of a whole-item put on the version read. */
  readonly fieldWise?: boolean;
}

/** The changes of one key merged in order onto the stored record; `record` undefined when nothing changed. */
function foldChanges<C, R>(
  stored: R | undefined,
  changes: readonly C[],
  merge: (stored: R | undefined, change: C) => R | undefined,
): { record: R | undefined; applied: number; stale: number } {
  let current = stored;
  let dirty = false;
  let applied = 0;
  for (const change of changes) {
    const merged = merge(current, change);
    if (merged === undefined) continue;
    applied++;
    current = merged;
    dirty = true;
  }
  return { record: dirty ? current : undefined, applied, stale: changes.length - applied };
}
const fileNameOf = (key: string): string => key.slice(key.lastIndexOf('/') + 1);

function walItemKey(record: WalObjectRecord): ItemKey {
  if (record.kind === 'history' || record.segNo === undefined) {
    return { pk: clusterPk(record.cluster), sk: historySk(record.timeline, fileNameOf(record.key)) };
  }
  return { pk: walPk(record.cluster, record.timeline), sk: walSk(record.segNo, fileNameOf(record.key)) };
}

const iso = (date: Date | undefined): string | undefined => date?.toISOString();
const date = (text: unknown): Date | undefined => (typeof text === 'string' ? new Date(text) : undefined);

function listingToItem(listing: ListingObservation | undefined): Item | undefined {
  if (listing === undefined) return undefined;
  return { at: listing.at.toISOString(), lastModified: iso(listing.lastModified) };
}

function listingFromItem(item: unknown): { listing?: ListingObservation } {
  if (item === undefined || item === null || typeof item !== 'object') return {};
  const at = date((item as Item).at);
  const lastModified = date((item as Item).lastModified);
  return at === undefined ? {} : { listing: { at, ...(lastModified ? { lastModified } : {}) } };
}

/** Epoch seconds after which DynamoDB deletes a tombstone. */
const tombstoneTtl = (deletedAt: Date): number => Math.ceil(deletedAt.getTime() / 1000) + TOMBSTONE_TTL_SECONDS;

function walToItem(record: WalObjectRecord): Item {
  return {
    ...walItemKey(record),
    itemType: 'wal',
    cluster: record.cluster,
    key: record.key,
    kind: record.kind,
    timeline: record.timeline,
    segNo: record.segNo,
    compression: record.compression,
    size: record.size,
    etag: record.etag,
    uploadedAt: iso(record.uploadedAt),
    sequencer: record.sequencer,
    deleted: record.deleted,
    deletedAt: iso(record.deletedAt),
    content: record.content,
    listing: listingToItem(record.listing),
    storageClass: record.storageClass,
    thawedUntil: iso(record.thawedUntil),
    ttl: record.deleted ? tombstoneTtl(record.deletedAt ?? record.uploadedAt) : undefined,
  };
}

/**
 * A WAL item as its record. Assigned field by field in the record's order rather than spread from one object per
 * optional field: a full sync reads every item of a cluster through here, millions of them.
 */
function walFromItem(item: Item): WalObjectRecord {
  const record: Record<string, unknown> = {
    cluster: item.cluster as ClusterId,
    key: item.key as string,
    kind: item.kind as WalObjectKind,
    timeline: item.timeline as TimelineId,
  };
  if (item.segNo !== undefined) record.segNo = item.segNo as SegmentNumber;
  if (item.compression !== undefined) record.compression = item.compression as Compression;
  record.size = item.size as number;
  if (item.etag !== undefined) record.etag = item.etag as string;
  record.uploadedAt = date(item.uploadedAt) ?? new Date(0);
  if (item.sequencer !== undefined) record.sequencer = item.sequencer as string;
  record.deleted = item.deleted === true;
  if (typeof item.deletedAt === 'string') record.deletedAt = new Date(item.deletedAt);
  if (item.content !== undefined) record.content = item.content as string;
  const listing = listingFromItem(item.listing).listing;
  if (listing !== undefined) record.listing = listing;
  if (item.storageClass !== undefined) record.storageClass = item.storageClass as string;
  if (typeof item.thawedUntil === 'string') record.thawedUntil = new Date(item.thawedUntil);
  return record as unknown as WalObjectRecord;
}

function sourceToItem(source: BackupSourceObject | undefined): Item | undefined {
  if (source === undefined) return undefined;
  return {
    ...source,
    observedAt: source.observedAt.toISOString(),
    listing: listingToItem(source.listing),
    thawedUntil: iso(source.thawedUntil),
  };
}

/**
 * A stored source as its record: the stored fields in their order with `observedAt` as a Date, then `listing` and
 * `thawedUntil` when set. Assigned in one pass rather than spread: a cluster's read passes two per backup through here.
 */
function sourceFromItem(item: unknown): BackupSourceObject | undefined {
  if (item === undefined || item === null) return undefined;
  const stored = item as Item;
  const source: Record<string, unknown> = {};
  for (const name in stored) {
    if (name === 'listing' || name === 'thawedUntil') continue;
    source[name] = name === 'observedAt' ? (date(stored.observedAt) ?? new Date(0)) : stored[name];
  }
  if (!('observedAt' in source)) source.observedAt = new Date(0);
  const { listing } = listingFromItem(stored.listing);
  if (listing !== undefined) source.listing = listing;
  const thawed = date(stored.thawedUntil);
  if (thawed !== undefined) source.thawedUntil = thawed;
  return source as unknown as BackupSourceObject;
}

/** Top-level Date fields of a backup record (stored as ISO strings); a new Date field is added here. */
const BACKUP_DATE_FIELDS = ['firstSeenAt', 'updatedAt', 'expiredAt', 'lastSignOfLifeAt'] as const;
/** JSON with object keys sorted, so a map read back from DynamoDB compares equal to the one written. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Set)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** Backup fields that only move one way: a write applies when it moves them further (no revision needed). */
const FIELD_ORDER: Readonly<Record<string, 'earliest' | 'latest'>> = {
  firstSeenAt: 'earliest',
  expiredAt: 'earliest',
  updatedAt: 'latest',
  lastSignOfLifeAt: 'latest',
};
/** Fields every writer sets to the same value. */
const CONSTANT_FIELDS = new Set(['itemType', 'cluster', 'name']);
/** `rev_<field>`: how often the field was written, the condition of the next write of it. */
const REVISION_PREFIX = 'rev_';

/** The attribute that keeps the interpretation of the item's sources (stored-interpretation.ts). */
const INTERPRETATION = 'interpretation';
/**
 * Fields written without a revision or condition: a stale value is harmless, as its read checks it against the
 * revisions of what it was made from.
 */
const UNCONDITIONAL_FIELDS = new Set([INTERPRETATION]);
/** Attributes of a backup item that are not record fields (keys, bookkeeping) or are derived on read. */
const BACKUP_ITEM_ONLY = new Set([
  'pk',
  'sk',
  'itemType',
  'version',
  'status',
  'problem',
  'backup',
  'sequencer',
  INTERPRETATION,
  CHANGES_OF,
  CHANGED_AT,
]);
const isBookkeeping = (name: string): boolean => BACKUP_ITEM_ONLY.has(name) || name.startsWith(REVISION_PREFIX);

/**
 * The interpretation a backup item is written with, until the revisions its sources will have after the write are
 * known (sealInterpretation, once the item read is at hand).
 */
class InterpretationDraft {
  constructor(
    readonly backup: NonNullable<BackupRecord['backup']>,
    readonly name: string,
    readonly basis: string,
  ) {}

  seal(revisions: SourceRevisions): string | undefined {
    return encodeStoredInterpretation(this.backup, this.name, this.basis, revisions);
  }

  /** As JSON (what a transaction's size is estimated by): about the attribute it becomes. */
  toJSON(): string | undefined {
    return this.seal({ sentinel: 0, metadata: 0 });
  }
}

/**
 * Backup items store the observed sources; the record is derived on read so a better interpreter heals old rows.
 * Beside them the item keeps what the interpreter read them into (`interpretation`), which a read uses instead of
 * parsing the sources again only while it is provably theirs (see stored-interpretation.ts). Every other field of
 * the record is stored as it is (Dates as ISO strings), so a new field needs no code here beyond BACKUP_DATE_FIELDS
 * when it is a Date.
 */
function backupToItem(record: BackupRecord, interpret: BackupInterpreter): Item {
  // Status, problem and the parsed backup are derived on read (a field every writer would race on).
  const { backup, sequencer: _s, status: _st, problem: _p, sentinel, metadata, ...fields } = record;
  const item: Item = { pk: clusterPk(record.cluster), sk: backupSk(record.name), itemType: 'backup' };
  for (const [name, value] of Object.entries(fields)) item[name] = value instanceof Date ? value.toISOString() : value;
  item.sentinel = sourceToItem(sentinel);
  item.metadata = sourceToItem(metadata);
  // Payload registers carry Dates inside the map: stored as ISO strings like the top-level Date fields.
  item.payload = payloadToItem(record.payload);
  const basis = interpret.basisOf?.(record.cluster);
  // Only a backup the interpreter read from a present sentinel: anything else is derived without parsing anyway.
  item[INTERPRETATION] =
    backup !== undefined && basis !== undefined && sentinel?.present === true && sentinel.text !== undefined
      ? new InterpretationDraft(backup, record.name, basis)
      : undefined;
  return item;
}

/** The revision an attribute of `item` has once written over `read`: raised when it changes (changedFieldsUpdate). */
function revisionAfterWrite(item: Item, read: Item | undefined, name: string): number {
  const before = (read?.[`${REVISION_PREFIX}${name}`] as number | undefined) ?? 0;
  return canonicalJson(item[name] ?? undefined) === canonicalJson(read?.[name] ?? undefined) ? before : before + 1;
}

/** The item with its interpretation draft made into the attribute text for the sources' revisions after the write. */
function sealInterpretation(item: Item, read: Item | undefined): Item {
  const draft = item[INTERPRETATION];
  if (!(draft instanceof InterpretationDraft)) return item;
  const sealed = draft.seal({
    sentinel: revisionAfterWrite(item, read, 'sentinel'),
    metadata: revisionAfterWrite(item, read, 'metadata'),
  });
  return { ...item, [INTERPRETATION]: sealed };
}

/** The revisions of a stored item's sources, as sealInterpretation counts them. */
function storedRevisions(item: Item): SourceRevisions {
  return {
    sentinel: (item[`${REVISION_PREFIX}sentinel`] as number | undefined) ?? 0,
    metadata: (item[`${REVISION_PREFIX}metadata`] as number | undefined) ?? 0,
  };
}

/** Payload registers (one per tar file of the backup), with ISO times. */
function payloadToItem(payload: BackupRecord['payload']): Item | undefined {
  if (payload === undefined) return undefined;
  return Object.fromEntries(
    Object.entries(payload).map(([part, object]) => [
      part,
      { ...object, observedAt: object.observedAt.toISOString(), thawedUntil: iso(object.thawedUntil) },
    ]),
  );
}

function payloadFromItem(item: unknown): BackupRecord['payload'] {
  if (item === undefined || item === null) return undefined;
  return Object.fromEntries(
    Object.entries(item as Record<string, Item>).map(([part, object]) => {
      const { thawedUntil, ...rest } = object;
      const thawed = date(thawedUntil);
      return [
        part,
        {
          ...(rest as unknown as BackupPayloadObject),
          observedAt: date(object.observedAt) ?? new Date(0),
          ...(thawed === undefined ? {} : { thawedUntil: thawed }),
        },
      ];
    }),
  );
}

const BACKUP_DATE_FIELD_SET: ReadonlySet<string> = new Set(BACKUP_DATE_FIELDS);

/**
 * The record of a backup item: its stored fields in their order (Dates revived, `firstSeenAt` and `updatedAt` always
 * set, the sources last), derived by the domain's rule. The item's interpretation stands in for the interpreter
 * when it is the interpretation of these very sources under the interpreter's basis; otherwise the texts are read.
 * Fields are assigned in one pass (no deletes, no spreads of the whole item): a cluster's read is 87,600 of these.
 */
function backupFromItem(item: Item, interpret: BackupInterpreter): BackupRecord {
  const fields: Record<string, unknown> = {};
  for (const name in item) {
    const value = item[name];
    if (value === undefined || value === null || isBookkeeping(name)) continue;
    if (name === 'sentinel' || name === 'metadata') continue;
    if (BACKUP_DATE_FIELD_SET.has(name)) {
      if (typeof value === 'string') fields[name] = new Date(value);
    } else if (name === 'payload') fields.payload = payloadFromItem(value);
    else fields[name] = value;
  }
  if (fields.firstSeenAt === undefined) fields.firstSeenAt = new Date(0);
  if (fields.updatedAt === undefined) fields.updatedAt = new Date(0);
  const sentinel = sourceFromItem(item.sentinel);
  const metadata = sourceFromItem(item.metadata);
  if (sentinel) fields.sentinel = sentinel;
  if (metadata) fields.metadata = metadata;
  const basis = item[INTERPRETATION] === undefined ? undefined : interpret.basisOf?.(item.cluster as ClusterId);
  const kept =
    basis === undefined
      ? undefined
      : decodeStoredInterpretation(item[INTERPRETATION], item.name as string, basis, storedRevisions(item));
  return deriveBackupRecord(
    fields as unknown as Parameters<typeof deriveBackupRecord>[0],
    kept === undefined ? interpret : () => ({ backup: kept }),
  );
}

/** JSON for the opaque `verifiedCursor`: bigints (LSNs) and dates survive the round trip. */
const encodeOpaque = (value: unknown): string =>
  JSON.stringify(value, function replace(this: Record<string, unknown>, key, v) {
    const raw = this[key];
    if (typeof raw === 'bigint') return { $bigint: raw.toString() };
    if (raw instanceof Date) return { $date: raw.toISOString() };
    return v;
  });
const decodeOpaque = (text: string): unknown =>
  JSON.parse(text, (_key, value) => {
    if (value && typeof value === 'object' && typeof value.$bigint === 'string') return BigInt(value.$bigint);
    if (value && typeof value === 'object' && typeof value.$date === 'string') return new Date(value.$date);
    return value;
  });

/** The changes of one key. */
interface KeyGroup<C> {
  readonly key: ItemKey;
  readonly changes: C[];
}
/** A key to write and the item read for it: undefined when absent, 'unread' when it must be read first. */
interface PendingWrite<C> {
  readonly group: KeyGroup<C>;
  readonly read: Item | undefined | 'unread';
}
interface FoldedWrite<C, R> {
  readonly write: PendingWrite<C>;
  readonly record: R;
  readonly item: Item;
  readonly applied: number;
  readonly stale: number;
}
const readOf = <C>(write: PendingWrite<C>): Item | undefined => (write.read === 'unread' ? undefined : write.read);

/** True for the error a plain write gets while a concurrent transaction holds its item: retried as a conflict. */
const isTransactionConflict = (error: unknown): boolean =>
  (error as { name?: string } | undefined)?.name === 'TransactionConflictException';

/** The wait before conflict round `round` (from 1): jittered, capped at 200 ms. */
const conflictBackoff = (round: number): number => Math.random() * Math.min(200, 5 * 2 ** round);

/** Writes in transaction-sized groups: at most TRANSACTION_WRITES each and TRANSACTION_BYTES of items. */
function transactionGroups<T extends { readonly bytes: number }>(writes: readonly T[]): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const write of writes) {
    if (current.length > 0 && (current.length >= TRANSACTION_WRITES || bytes + write.bytes > TRANSACTION_BYTES)) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(write);
    bytes += write.bytes;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

interface ApplyTally<R> {
  applied: number;
  stale: number;
  readonly written: R[];
}

/**
 * The put of `item` on the condition that the stored item is still `read`: absent, or present with the same
 * `version` (an item written before versions existed has none); the written item carries the next version.
 */
function conditionalPut(item: Item, read: Item | undefined): ConditionalPut {
  const readVersion = read === undefined ? undefined : ((read.version as number | undefined) ?? 0);
  const condition: Condition = {
    expression:
      read === undefined
        ? 'attribute_not_exists(pk)'
        : readVersion === 0
          ? 'attribute_exists(pk) AND attribute_not_exists(#version)'
          : '#version = :version',
    ...(read === undefined ? {} : { names: { '#version': 'version' } }),
    ...(readVersion ? { values: { ':version': readVersion } } : {}),
  };
  return { item: { ...item, version: (readVersion ?? 0) + 1 }, condition };
}

/** A field-wise update of one backup item: the expression and the condition that makes it safe. */
interface FieldUpdate {
  readonly key: ItemKey;
  readonly update: Update;
  readonly condition?: Condition;
}

/**
 * The update of the fields of `item` that differ from `read`, each on its own condition: a field that only moves one
 * way (FIELD_ORDER: the earliest first sighting, the latest update) on still being on the far side of the new value,
 * any other field on its own revision (`rev_<field>`, incremented with it). Fields nobody else changed meanwhile
 * never conflict, whatever else changed. Undefined when no field differs (nothing to write).
 */
function changedFieldsUpdate(draftItem: Item, read: Item | undefined): FieldUpdate | undefined {
  const item = sealInterpretation(draftItem, read);
  const sets: string[] = [];
  const removes: string[] = [];
  const conditions: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  let index = 0;
  for (const name of new Set([...Object.keys(item), ...Object.keys(read ?? {})])) {
    if (name === 'pk' || name === 'sk' || name.startsWith(REVISION_PREFIX) || name === 'version') continue;
    // The change stamp says when the item last changed: written with a change, never a change of its own.
    if (name === CHANGES_OF || name === CHANGED_AT) continue;
    const next = item[name] ?? undefined;
    const previous = read?.[name] ?? undefined;
    if (canonicalJson(next) === canonicalJson(previous)) continue;
    const at = ++index;
    names[`#f${at}`] = name;
    if (next === undefined) removes.push(`#f${at}`);
    else {
      sets.push(`#f${at} = :f${at}`);
      values[`:f${at}`] = next;
    }
    const order = FIELD_ORDER[name];
    if (order !== undefined && next !== undefined) {
      conditions.push(`(attribute_not_exists(#f${at}) OR #f${at} ${order === 'earliest' ? '>=' : '<='} :f${at})`);
      continue;
    }
    if (CONSTANT_FIELDS.has(name) || UNCONDITIONAL_FIELDS.has(name)) continue;
    const revision = read?.[`${REVISION_PREFIX}${name}`] as number | undefined;
    names[`#r${at}`] = `${REVISION_PREFIX}${name}`;
    sets.push(`#r${at} = :r${at}`);
    values[`:r${at}`] = (revision ?? 0) + 1;
    if (revision === undefined) conditions.push(`attribute_not_exists(#r${at})`);
    else {
      conditions.push(`#r${at} = :read${at}`);
      values[`:read${at}`] = revision;
    }
  }
  if (sets.length === 0 && removes.length === 0) return undefined;
  for (const name of [CHANGES_OF, CHANGED_AT]) {
    if (item[name] === undefined) continue;
    const at = ++index;
    names[`#f${at}`] = name;
    sets.push(`#f${at} = :f${at}`);
    values[`:f${at}`] = item[name];
  }
  return {
    key: { pk: item.pk as string, sk: item.sk as string },
    update: {
      expression: [
        sets.length > 0 ? `SET ${sets.join(', ')}` : '',
        removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '',
      ]
        .join(' ')
        .trim(),
      names,
      ...(Object.keys(values).length === 0 ? {} : { values }),
    },
    ...(conditions.length > 0 ? { condition: { expression: conditions.join(' AND ') } } : {}),
  };
}

/** The write of a folded item inside a transaction, on the same condition as alone; undefined when it changes nothing. */
function transactionWrite<C, R>(folded: FoldedWrite<C, R>, codec: ItemCodec<C, R>): TransactionWrite | undefined {
  const read = readOf(folded.write);
  if (!codec.fieldWise) return { put: conditionalPut(folded.item, read) };
  const update = changedFieldsUpdate(folded.item, read);
  return update === undefined ? undefined : { update };
}

/**
 * The catalog in one DynamoDB table (docs/catalog-table.md). New WAL keys cost no read: a batch of at least
 * TRANSACTION_THRESHOLD of them is one TransactWriteItems request per 100 ("if absent", two write units each), a
 * smaller one a conditional PutItem per key (one unit); keys that exist cost one BatchGetItem per 100 first.
 */
export class DynamoDbCatalogStore implements CatalogStore, SyncPartLedger {
  readonly #table: SingleTable;
  readonly #tableName: string;
  readonly #interpret: BackupInterpreter;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => Date;
  readonly #knownTimelines = new Set<string>();
  readonly #counts: Record<string, number> = {};
  readonly #capacity = { read: 0, write: 0 };
  /** The retention digest of each cluster's WAL, in its own partition of the same table. */
  readonly retentionDigest: RetentionDigestStore;
  /** Retention's digest of each cluster's backups, in a partition of its own of the same table. */
  readonly retentionBackupDigest: RetentionBackupDigestStore;
  #conflicts = 0;
  /**
   * Whether the endpoint runs TransactWriteItems: unknown until the first transaction is sent (alone), then
   * remembered for the store's life, so an endpoint without them (dynalite) costs one refused request.
   */
  #transactions: boolean | undefined;

  constructor(options: DynamoDbCatalogStoreOptions) {
    this.#tableName = options.tableName;
    this.#interpret = options.interpret;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#table = new SingleTable({
      client: options.client,
      tableName: options.tableName,
      sleep: this.#sleep,
      ...(options.retry === undefined ? {} : { retry: options.retry }),
      parallelBatches: PARALLEL_REQUESTS,
      onRequest: (operation) => this.#count(operation),
      onCapacity: (kind, units) => {
        this.#capacity[kind] += units;
      },
    });
    this.#now = options.now ?? (() => new Date());
    this.retentionDigest = new DynamoDbRetentionDigestStore(this.#table);
    this.retentionBackupDigest = new DynamoDbRetentionBackupDigestStore(this.#table);
  }

  /** DynamoDB requests sent, by operation (the ingest benchmark reports requests per 1,000 events). */
  get requestCounts(): Readonly<Record<string, number>> {
    return this.#counts;
  }

  /** Conditional writes that found the item changed since it was read (each re-read, merged and retried). */
  get conflicts(): number {
    return this.#conflicts;
  }

  /** Capacity units DynamoDB reported for catalog item reads and writes (what on-demand capacity bills). */
  get consumedCapacity(): Readonly<{ read: number; write: number }> {
    return this.#capacity;
  }

  get requestCount(): number {
    return Object.values(this.#counts).reduce((sum, n) => sum + n, 0);
  }

  #count(operation: string): void {
    this.#counts[operation] = (this.#counts[operation] ?? 0) + 1;
  }

  async ensureTable(): Promise<void> {
    await ensureCatalogTable({
      client: this.#table.client as unknown as DynamoDBClient,
      tableName: this.#tableName,
      sleep: this.#sleep,
      count: (operation) => this.#count(operation),
    });
  }

  async applyWalChanges(changes: readonly WalObjectChange[]): Promise<ApplyOutcome> {
    return this.#apply(
      changes,
      {
        keyOf: (change) => walItemKey(change.record),
        fromItem: walFromItem,
        merge: mergeWalObject,
        // Stamped at every write attempt (a retried write is stamped again), so the change index orders writes.
        toItem: (record) => ({ ...walToItem(record), ...changeStamp(record, this.#now()) }),
        // A WAL key is written once in the normal course: try "create if absent" first, without a read. So is a key
        // a sync found missing from the catalog (if it appeared since, the merge finds the basis changed).
        writeBlind: (change) =>
          change.origin === 'event' || (change.origin === 'reconcile' && change.basis === undefined),
      },
      (records) => this.#timelineMarkers(records),
    );
  }

  async applyBackupChanges(changes: readonly BackupChange[]): Promise<ApplyOutcome> {
    const interpret = this.#interpret;
    return this.#apply(
      changes,
      {
        keyOf: (change) => ({ pk: clusterPk(change.cluster), sk: backupSk(change.name) }),
        fromItem: (item) => backupFromItem(item, interpret),
        merge: (stored, change) => mergeBackup(stored, change, interpret),
        // Stamped like WAL items, under the cluster's backup key of the change index (retention's backup digest
        // reads it); continuity's reads of the cluster's own key never see them.
        toItem: (record) => ({
          ...backupToItem(record, interpret),
          [CHANGES_OF]: backupChangesOf(record.cluster),
          [CHANGED_AT]: this.#now().toISOString(),
        }),
        writeBlind: () => false,
        // The sentinel and metadata.json parts are updated each on its own condition, so events of the two in
        // concurrent invocations both land without a retry.
        fieldWise: true,
      },
      () => [],
    );
  }

  /**
   * Folds the changes per key with the domain merge and writes each changed item with a condition on what was read:
   * absent (`attribute_not_exists(pk)`) or the same `version` (incremented by every write). A write whose
   * condition fails re-reads the item (strongly consistent), merges again and retries, so concurrent invocations
   * never overwrite each other: the stored item is the merge of every change, in any interleaving. Groups marked
   * blind skip the first read and are written "if absent"; only an existing key costs the read. A batch of
   * TRANSACTION_THRESHOLD items or more is written in TransactWriteItems requests (#writeInRounds), a smaller one
   * (or any batch where the endpoint has no transactions) one conditional PutItem or UpdateItem per item.
   */
  async #apply<C, R>(
    changes: readonly C[],
    codec: ItemCodec<C, R>,
    /** Items implied by the records (written or already stored), written unconditionally: constant content. */
    extraItems: (records: readonly R[]) => Item[],
  ): Promise<ApplyOutcome> {
    const byKey = new Map<string, KeyGroup<C>>();
    for (const change of changes) {
      const key = codec.keyOf(change);
      const group = byKey.get(keyId(key)) ?? { key, changes: [] };
      group.changes.push(change);
      byKey.set(keyId(key), group);
    }
    const groups = [...byKey.values()];
    const blind = groups.filter((group) => group.changes.every(codec.writeBlind));
    const read = groups.filter((group) => !group.changes.every(codec.writeBlind));
    const stored = await this.#batchGet(
      read.map((group) => group.key),
      false,
    );
    const tally: ApplyTally<R> = { applied: 0, stale: 0, written: [] };
    const pending: PendingWrite<C>[] = [
      ...blind.map((group) => ({ group, read: undefined })),
      ...read.map((group) => ({ group, read: stored.get(keyId(group.key)) })),
    ];
    if (pending.length >= TRANSACTION_THRESHOLD && this.#transactions !== false) {
      await this.#writeInRounds(pending, codec, tally);
    } else {
      await inParallel(pending, PARALLEL_WRITES, (write) => this.#writeOneByOne(write, codec, tally));
    }
    const extras = extraItems(tally.written);
    await this.#table.batchWrite({ puts: extras });
    // Only a marker that reached the table may be skipped next time: a write that failed is redelivered to this
    // same (warm) container, which must then write the marker again.
    for (const item of extras)
      if (item.itemType === 'timeline') this.#knownTimelines.add(keyId(item as unknown as ItemKey));
    return { applied: tally.applied, stale: tally.stale };
  }

  /**
   * The key's changes folded onto what was read: the item to write, or undefined when nothing changes (the changes
   * are stale or already applied, and the tally says so).
   */
  #fold<C, R>(write: PendingWrite<C>, codec: ItemCodec<C, R>, tally: ApplyTally<R>): FoldedWrite<C, R> | undefined {
    const read = write.read === 'unread' ? undefined : write.read;
    const current = read === undefined ? undefined : codec.fromItem(read);
    const fold = foldChanges(current, write.group.changes, codec.merge);
    if (fold.record === undefined) {
      tally.stale += fold.stale;
      // A redelivered batch whose items landed but whose extra items (timeline markers) did not.
      if (current !== undefined) tally.written.push(current);
      return undefined;
    }
    return { write, record: fold.record, item: codec.toItem(fold.record), applied: fold.applied, stale: fold.stale };
  }

  #landed<C, R>(folded: FoldedWrite<C, R>, tally: ApplyTally<R>): void {
    tally.applied += folded.applied;
    tally.stale += folded.stale;
    tally.written.push(folded.record);
  }

  /** One key: conditional PutItem (or field-wise UpdateItem), re-read and merged again on a failed condition. */
  async #writeOneByOne<C, R>(first: PendingWrite<C>, codec: ItemCodec<C, R>, tally: ApplyTally<R>): Promise<void> {
    let write = first;
    for (let round = 0; round < MAX_CONFLICT_ROUNDS; round++) {
      if (write.read === 'unread') write = { group: write.group, read: await this.#table.get(write.group.key) };
      const folded = this.#fold(write, codec, tally);
      if (folded === undefined) return;
      if (await this.#writeAlone(folded, codec)) {
        this.#landed(folded, tally);
        return;
      }
      this.#conflicts++;
      write = { group: write.group, read: 'unread' };
      if (round > 0) await this.#sleep(conflictBackoff(round));
    }
    throw this.#contention(first.group.key);
  }

  /**
   * One attempt at a folded write in its own request; false when the stored item changed since it was read, or
   * when a concurrent transaction holds the item (DynamoDB refuses the write then; the retry reads it again).
   */
  async #writeAlone<C, R>(folded: FoldedWrite<C, R>, codec: ItemCodec<C, R>): Promise<boolean> {
    const read = readOf(folded.write);
    try {
      if (!codec.fieldWise) return await this.#table.putIf(...putArguments(conditionalPut(folded.item, read)));
      const update = changedFieldsUpdate(folded.item, read);
      return update === undefined || (await this.#table.update(update.key, update.update, update.condition));
    } catch (error) {
      if (isTransactionConflict(error)) return false;
      throw error;
    }
  }

  /**
   * The writes of a batch in rounds. Each round folds every pending key onto what was read and sends the changed
   * items, TRANSACTION_THRESHOLD or more of them in TransactWriteItems requests of up to 100 (fewer one request
   * each). A cancelled transaction says per item why: an item whose condition failed (another writer got there
   * first) is read again, strongly consistent and one BatchGetItem per 100, and merged again in the next round; an
   * item cancelled for another's sake, by a conflict with a concurrent transaction or by throttling is sent again
   * as it was. Rounds back off with jitter; after MAX_CONFLICT_ROUNDS the batch fails as transient, as a key does
   * item by item.
   */
  async #writeInRounds<C, R>(writes: readonly PendingWrite<C>[], codec: ItemCodec<C, R>, tally: ApplyTally<R>) {
    let pending = [...writes];
    for (let round = 0; pending.length > 0; round++) {
      if (round >= MAX_CONFLICT_ROUNDS) throw this.#contention((pending[0] as PendingWrite<C>).group.key);
      if (round > 0) await this.#sleep(conflictBackoff(round));
      const unread = pending.filter((write) => write.read === 'unread');
      if (unread.length > 0) {
        const reread = await this.#batchGet(
          unread.map((write) => write.group.key),
          true,
        );
        pending = pending.map((write) =>
          write.read === 'unread' ? { group: write.group, read: reread.get(keyId(write.group.key)) } : write,
        );
      }
      const folded = pending.flatMap((write) => this.#fold(write, codec, tally) ?? []);
      const retry: PendingWrite<C>[] = [];
      const alone =
        folded.length >= TRANSACTION_THRESHOLD && this.#transactions !== false
          ? await this.#writeTransacted(folded, codec, tally, retry)
          : folded;
      await inParallel(alone, PARALLEL_WRITES, async (write) => {
        if (await this.#writeAlone(write, codec)) this.#landed(write, tally);
        else {
          this.#conflicts++;
          retry.push({ group: write.write.group, read: 'unread' });
        }
      });
      pending = retry;
    }
  }

  /**
   * The folded writes in TransactWriteItems requests (several in flight; the first alone while it is unknown
   * whether the endpoint has transactions). Writes to send again go to `retry`: unread when their condition failed,
   * as they were otherwise. Returns the writes no transaction could carry (the endpoint has none), to be written
   * one request each.
   */
  async #writeTransacted<C, R>(
    folded: readonly FoldedWrite<C, R>[],
    codec: ItemCodec<C, R>,
    tally: ApplyTally<R>,
    retry: PendingWrite<C>[],
  ): Promise<FoldedWrite<C, R>[]> {
    const sendable: { folded: FoldedWrite<C, R>; write: TransactionWrite; bytes: number }[] = [];
    for (const write of folded) {
      const action = transactionWrite(write, codec);
      // A field-wise update that finds every field as read changes nothing: landed as it is.
      if (action === undefined) this.#landed(write, tally);
      else sendable.push({ folded: write, write: action, bytes: JSON.stringify(write.item).length });
    }
    const unsent: FoldedWrite<C, R>[] = [];
    const send = async (group: readonly (typeof sendable)[number][]): Promise<void> => {
      if (this.#transactions === false) {
        unsent.push(...group.map((entry) => entry.folded));
        return;
      }
      const outcome = await this.#table.transactWrite(group.map((entry) => entry.write));
      if (outcome === 'unsupported') {
        this.#transactions = false;
        unsent.push(...group.map((entry) => entry.folded));
        return;
      }
      this.#transactions = true;
      group.forEach((entry, index) => {
        const result = outcome === 'written' ? 'written' : outcome[index];
        if (result === 'written') this.#landed(entry.folded, tally);
        else if (result === 'condition-failed') {
          this.#conflicts++;
          retry.push({ group: entry.folded.write.group, read: 'unread' });
        } else retry.push(entry.folded.write);
      });
    };
    const groups = transactionGroups(sendable);
    const first = this.#transactions === undefined ? groups.shift() : undefined;
    if (first !== undefined) await send(first);
    await inParallel(groups, PARALLEL_REQUESTS, send);
    return unsent;
  }

  #contention(key: ItemKey): TransientError {
    return new TransientError(
      `DynamoDB table ${this.#tableName}: item ${key.pk} ${key.sk} changed under ${MAX_CONFLICT_ROUNDS} consecutive writes (heavy contention); the batch is retried by the platform`,
    );
  }

  #timelineMarkers(records: readonly WalObjectRecord[]): Item[] {
    const markers: Item[] = [];
    const added = new Set<string>();
    for (const record of records) {
      const marker = { pk: clusterPk(record.cluster), sk: timelineSk(record.timeline) };
      if (this.#knownTimelines.has(keyId(marker)) || added.has(keyId(marker))) continue;
      added.add(keyId(marker));
      markers.push({ ...marker, itemType: 'timeline', cluster: record.cluster, timeline: record.timeline });
    }
    return markers;
  }

  /** The stored items of `keys` by key id (eventually consistent unless asked otherwise). */
  async #batchGet(keys: readonly ItemKey[], consistent: boolean): Promise<Map<string, Item>> {
    const items = await this.#table.batchGet(keys, { consistent });
    return new Map(items.map((item) => [keyId(item as unknown as ItemKey), item]));
  }

  async #queryPrefix(pk: string, prefix: string): Promise<Item[]> {
    const items: Item[] = [];
    for await (const item of this.#table.query({ pk, skPrefix: prefix })) items.push(item);
    return items;
  }

  async listBackups(cluster: ClusterId): Promise<BackupRecord[]> {
    const records = await this.#readFromBothEnds({ pk: clusterPk(cluster), skPrefix: BACKUP_SK_PREFIX }, (item) =>
      backupFromItem(item, this.#interpret),
    );
    return records.sort(compareBackupRecords);
  }

  /**
   * Every item of a forward query, each made into a record by `read`, in sort-key order. A range of one page costs
   * that page; a longer one is read from both ends at once (the second stream backwards), pages until the two meet,
   * so the table answers one stream while the other's page is being read into records. At most the two pages
   * where they meet overlap (their shared items are read once into records). 87,600 backups are 111 pages of 1 MB.
   */
  async #readFromBothEnds<R>(query: TableQuery, read: (item: Item) => R): Promise<R[]> {
    const backwards: TableQuery = { ...query, forward: false };
    const first = await this.#table.queryPage(query);
    const front = first.items.map(read);
    const back: R[] = [];
    let frontKey = first.lastKey;
    if (frontKey === undefined) return front;
    let backKey: Item | undefined;
    // The last sort key taken from the front (ascending) and from the back (descending).
    let low = first.items.at(-1)?.sk as string;
    let high: string | undefined;
    let pages = Promise.all([this.#table.queryPage(query, frontKey), this.#table.queryPage(backwards, backKey)]);
    for (;;) {
      const [ahead, behind] = await pages;
      const taken: Item[] = [];
      let met = false;
      for (const item of ahead.items) {
        if (high !== undefined && (item.sk as string) >= high) {
          met = true;
          break;
        }
        taken.push(item);
        low = item.sk as string;
      }
      met ||= ahead.lastKey === undefined;
      const takenBehind: Item[] = [];
      if (!met) {
        for (const item of behind.items) {
          if ((item.sk as string) <= low) {
            met = true;
            break;
          }
          takenBehind.push(item);
          high = item.sk as string;
        }
        met ||= behind.lastKey === undefined;
      }
      frontKey = ahead.lastKey;
      backKey = behind.lastKey;
      // The next two pages are on their way while these are read into records.
      if (!met) {
        pages = Promise.all([this.#table.queryPage(query, frontKey), this.#table.queryPage(backwards, backKey)]);
      }
      for (const item of taken) front.push(read(item));
      for (const item of takenBehind) back.push(read(item));
      if (met) break;
    }
    back.reverse();
    return front.concat(back);
  }

  async getBackup(cluster: ClusterId, name: string): Promise<BackupRecord | undefined> {
    const item = await this.#table.get({ pk: clusterPk(cluster), sk: backupSk(name) }, { consistent: false });
    return item ? backupFromItem(item, this.#interpret) : undefined;
  }

  async *listBackupChanges(cluster: ClusterId, since: string): AsyncIterable<string> {
    const items = this.#table.query({ pk: backupChangesOf(cluster), index: CHANGES, skAtLeast: since });
    for await (const item of changesIndexed(items)) {
      const sk = item.sk as string;
      if (sk.startsWith(BACKUP_SK_PREFIX)) yield sk.slice(BACKUP_SK_PREFIX.length);
    }
  }

  async listBackupsInRange(cluster: ClusterId, from: string, to: string | undefined): Promise<BackupRecord[]> {
    // `$` sorts right after `#`: the upper end of every backup key. BETWEEN is inclusive, so `to` itself is dropped.
    const upper = to === undefined ? `${BACKUP_SK_PREFIX.slice(0, -1)}$` : backupSk(to);
    const records = await this.#readFromBothEnds(
      { pk: clusterPk(cluster), skBetween: [backupSk(from), upper] },
      (item) => backupFromItem(item, this.#interpret),
    );
    return to === undefined ? records : records.filter((record) => record.name !== to);
  }

  async listTimelines(cluster: ClusterId): Promise<TimelineId[]> {
    const items = await this.#queryPrefix(clusterPk(cluster), TIMELINE_SK_PREFIX);
    return items.map((item) => parseTimelineHex((item.sk as string).slice(TIMELINE_SK_PREFIX.length)));
  }

  async *listWalObjects(
    cluster: ClusterId,
    timeline: TimelineId,
    range: SegmentRange = {},
    options: { readonly includeDeleted?: boolean } = {},
  ): AsyncIterable<WalObjectRecord> {
    for await (const records of this.listWalObjectPages(cluster, timeline, range, options)) yield* records;
  }

  async *listWalObjectPages(
    cluster: ClusterId,
    timeline: TimelineId,
    range: SegmentRange = {},
    options: { readonly includeDeleted?: boolean } = {},
  ): AsyncIterable<readonly WalObjectRecord[]> {
    // DynamoDB rejects a BETWEEN whose bounds are reversed; such a range holds nothing.
    if (range.fromSegNo !== undefined && range.toSegNo !== undefined && range.fromSegNo > range.toSegNo) return;
    // Sort keys are `<12 hex segNo>#<file name>`; '$' sorts right after '#', closing the upper segment.
    // DynamoDB refuses an empty string as a key value, so an open lower end is `<=`, not BETWEEN ''.
    const to = `${range.toSegNo === undefined ? 'FFFFFFFFFFFF' : segNoSortKey(range.toSegNo)}$`;
    const pk = walPk(cluster, timeline);
    for await (const items of this.#table.queryPages(
      range.fromSegNo === undefined ? { pk, skAtMost: to } : { pk, skBetween: [segNoSortKey(range.fromSegNo), to] },
    )) {
      const records: WalObjectRecord[] = [];
      for (const item of items) if (options.includeDeleted || item.deleted !== true) records.push(walFromItem(item));
      if (records.length > 0) yield records;
    }
  }

  async *listRetentionWal(cluster: ClusterId, timeline: TimelineId): AsyncIterable<RetentionWalItem> {
    const pk = walPk(cluster, timeline);
    // DynamoDB's 1 MB page counts the items before projection: the pages stay as many, their answers a third.
    for await (const item of this.#table.query({
      pk,
      skAtMost: 'FFFFFFFFFFFF$',
      projection: RETENTION_WAL_ATTRIBUTES,
    })) {
      if (item.deleted === true) continue;
      const segNo = item.segNo as SegmentNumber | undefined;
      yield {
        key: item.key as string,
        kind: item.kind as WalObjectKind,
        timeline,
        ...(segNo === undefined ? {} : { segNo }),
        size: item.size as number,
        uploadedAt: date(item.uploadedAt) ?? new Date(0),
      };
    }
  }

  async latestWalObject(cluster: ClusterId, timeline: TimelineId): Promise<WalObjectRecord | undefined> {
    for await (const item of this.#table.query({ pk: walPk(cluster, timeline), forward: false, pageSize: 50 })) {
      if (item.deleted !== true) return walFromItem(item);
    }
    return undefined;
  }

  async listHistoryFiles(cluster: ClusterId): Promise<WalObjectRecord[]> {
    const items = await this.#queryPrefix(clusterPk(cluster), HISTORY_SK_PREFIX);
    return items.map(walFromItem);
  }

  async readClusterOverview(cluster: ClusterId): Promise<ClusterOverview> {
    const pk = clusterPk(cluster);
    const range = (bounds: readonly [string, string]) => this.#table.query({ pk, skBetween: bounds });
    const collect = async (items: AsyncIterable<Item>): Promise<Item[]> => {
      const out: Item[] = [];
      for await (const item of items) out.push(item);
      return out;
    };
    const [first, second] = await Promise.all([
      collect(range(OVERVIEW_FIRST_RANGE)),
      collect(range(OVERVIEW_SECOND_RANGE)),
    ]);
    const startsWith = (prefix: string) => (item: Item) => (item.sk as string).startsWith(prefix);
    return {
      state: stateFromItem(
        cluster,
        second.find((item) => item.sk === STATE_SK),
      ),
      backups: first
        .filter(startsWith(BACKUP_SK_PREFIX))
        .map((item) => backupFromItem(item, this.#interpret))
        .sort(compareBackupRecords),
      histories: first.filter(startsWith(HISTORY_SK_PREFIX)).map(walFromItem),
      timelines: second
        .filter(startsWith(TIMELINE_SK_PREFIX))
        .map((item) => parseTimelineHex((item.sk as string).slice(TIMELINE_SK_PREFIX.length))),
      alerts: first.filter(startsWith(ALERT_SK_PREFIX)).map(alertFromItem),
    };
  }

  async *listWalChanges(
    cluster: ClusterId,
    since: string | undefined,
    options: { readonly storageOf?: (record: WalObjectRecord) => boolean } = {},
  ): AsyncIterable<WalChange> {
    const items = this.#table.query({
      pk: cluster,
      index: CHANGES,
      ...(since === undefined ? {} : { skAtLeast: since }),
    });
    const changes: WalChange[] = [];
    for await (const item of changesIndexed(items)) {
      changes.push({ record: walFromItem(item), changedAt: item[CHANGED_AT] as string });
    }
    // The index does not project storage classes (a GSI's projection cannot change on a deployed table), so the
    // class and thaw of each changed segment come from its item, a range Query per stretch of changed segments:
    // a lifecycle transition or a completed thaw then reaches the next incremental read. Only for the segments the
    // caller says may have moved (WAL just archived cannot have been transitioned yet), so at real WAL rates this
    // costs no Query.
    const storageOf = options.storageOf;
    const stored = await this.#storedClassesOf(
      cluster,
      storageOf === undefined ? changes : changes.filter(({ record }) => storageOf(record)),
    );
    for (const change of changes) {
      const { storageClass: _class, thawedUntil: _thaw, ...rest } = change.record;
      const found = stored.get(change.record.key);
      yield found === undefined ? change : { ...change, record: { ...rest, ...found } };
    }
  }

  /** The storage class and thaw of the live segments among `changes`, by key, read from their items. */
  async #storedClassesOf(
    cluster: ClusterId,
    changes: readonly WalChange[],
  ): Promise<Map<string, Pick<WalObjectRecord, 'storageClass' | 'thawedUntil'>>> {
    const segNos = new Map<TimelineId, number[]>();
    for (const { record } of changes) {
      if (record.kind !== 'segment' || record.deleted || record.segNo === undefined) continue;
      segNos.set(record.timeline, [...(segNos.get(record.timeline) ?? []), record.segNo]);
    }
    const found = new Map<string, Pick<WalObjectRecord, 'storageClass' | 'thawedUntil'>>();
    for (const [timeline, list] of segNos) {
      for (const [from, to] of stretches(list, CLASS_READ_JOIN)) {
        for await (const record of this.listWalObjects(cluster, timeline, {
          fromSegNo: segmentNumber(from),
          toSegNo: segmentNumber(to),
        })) {
          found.set(record.key, {
            ...(record.storageClass === undefined ? {} : { storageClass: record.storageClass }),
            ...(record.thawedUntil === undefined ? {} : { thawedUntil: record.thawedUntil }),
          });
        }
      }
    }
    return found;
  }

  changeStamp(): string {
    return this.#now().toISOString();
  }

  /**
   * A PutItem of the generation's item "if absent" (a replanned run of the same tick finds the first plan and reuses
   * its ranges), then an UpdateItem of the cluster state making it current unless a newer generation is.
   */
  async beginSync(cluster: ClusterId, generation: SyncGeneration): Promise<SyncBegin> {
    const key = { pk: clusterPk(cluster), sk: syncPartsSk(generation.syncId) };
    let recorded = generation;
    const planned = await this.#table.putIfAbsent({
      ...key,
      itemType: 'sync-parts',
      plannedAt: generation.plannedAt.toISOString(),
      ranges: JSON.stringify(generation.ranges),
      parts: generation.ranges.length,
      ttl: this.#syncPartsExpiry(),
    });
    if (!planned) recorded = syncGenerationFromItem(generation.syncId, await this.#table.get(key)) ?? generation;
    const current = await this.#table.update(
      { pk: clusterPk(cluster), sk: STATE_SK },
      // Not a state version bump: no reader of the state's versioned fields depends on the generation.
      {
        expression: 'SET #generation = :id, #itemType = :type, #cluster = :cluster',
        names: { '#generation': 'syncGeneration', '#itemType': 'itemType', '#cluster': 'cluster' },
        values: { ':id': generation.syncId, ':type': 'cluster-state', ':cluster': cluster },
      },
      { expression: 'attribute_not_exists(#generation) OR #generation <= :id' },
    );
    if (current) return { current: true, generation: recorded };
    const state = await this.#stateItem(cluster);
    return { current: false, newer: String(state?.syncGeneration ?? '') };
  }

  /** One BatchGetItem (consistent) of the cluster state and the generation's item. */
  async syncPartStatus(cluster: ClusterId, syncId: string, part: number): Promise<SyncPartStatus> {
    const keys = [
      { pk: clusterPk(cluster), sk: STATE_SK },
      { pk: clusterPk(cluster), sk: syncPartsSk(syncId) },
    ];
    const items = await this.#batchGet(keys, true);
    const state = items.get(keyId(keys[0] as ItemKey));
    const parts = items.get(keyId(keys[1] as ItemKey));
    const done = parts?.done as Set<number> | undefined;
    return { current: state?.syncGeneration === syncId, finished: done?.has(part) ?? false };
  }

  /** One UpdateItem adding the part to a number set; the answer holds every part finished so far. */
  async finishSyncPart(cluster: ClusterId, syncId: string, part: number, parts: number): Promise<boolean> {
    const after = await this.#table.updateAndRead(
      { pk: clusterPk(cluster), sk: syncPartsSk(syncId) },
      {
        expression: 'ADD #done :part SET #itemType = :type, #parts = :parts, #ttl = if_not_exists(#ttl, :ttl)',
        names: { '#done': 'done', '#itemType': 'itemType', '#parts': 'parts', '#ttl': 'ttl' },
        values: { ':part': new Set([part]), ':type': 'sync-parts', ':parts': parts, ':ttl': this.#syncPartsExpiry() },
      },
    );
    const done = after?.done as Set<number> | undefined;
    return done !== undefined && done.size >= parts;
  }

  /** One conditional UpdateItem: the generation is current and the mark older than its plan. */
  async commitSync(cluster: ClusterId, syncId: string, plannedAt: Date): Promise<boolean> {
    return this.#table.update(
      { pk: clusterPk(cluster), sk: STATE_SK },
      {
        expression: 'SET #mark = :at, #version = if_not_exists(#version, :zero) + :one',
        names: { '#mark': 'lastFullSyncAt', '#version': 'version', '#generation': 'syncGeneration' },
        values: { ':at': plannedAt.toISOString(), ':id': syncId, ':zero': 0, ':one': 1 },
      },
      { expression: '#generation = :id AND (attribute_not_exists(#mark) OR #mark < :at)' },
    );
  }

  /** A generation's item is needed while its parts run; a day covers the 6-hourly schedule with room. */
  #syncPartsExpiry(): number {
    return Math.ceil(this.#now().getTime() / 1000) + SYNC_PARTS_TTL_SECONDS;
  }

  async #stateItem(cluster: ClusterId): Promise<Item | undefined> {
    return this.#table.get({ pk: clusterPk(cluster), sk: STATE_SK });
  }

  async getClusterState(cluster: ClusterId): Promise<ClusterState> {
    return stateFromItem(
      cluster,
      await this.#table.get({ pk: clusterPk(cluster), sk: STATE_SK }, { consistent: false }),
    );
  }

  async updateClusterState(
    cluster: ClusterId,
    update: ClusterStateUpdate,
    expectedVersion?: number,
  ): Promise<ClusterState> {
    const sets = ['#version = if_not_exists(#version, :zero) + :one', '#itemType = :type', '#cluster = :cluster'];
    const names: Record<string, string> = { '#version': 'version', '#itemType': 'itemType', '#cluster': 'cluster' };
    const values: Record<string, unknown> = { ':zero': 0, ':one': 1, ':type': 'cluster-state', ':cluster': cluster };
    if (update.lastFullSyncAt !== undefined) {
      sets.push('#lastFullSyncAt = :lastFullSyncAt');
      names['#lastFullSyncAt'] = 'lastFullSyncAt';
      values[':lastFullSyncAt'] = update.lastFullSyncAt.toISOString();
    }
    if (update.verifiedCursor !== undefined) {
      sets.push('#verifiedCursor = :verifiedCursor');
      names['#verifiedCursor'] = 'verifiedCursor';
      values[':verifiedCursor'] = encodeOpaque(update.verifiedCursor);
    }
    if (update.lastDrill !== undefined) {
      sets.push('#lastDrill = :lastDrill');
      names['#lastDrill'] = 'lastDrill';
      values[':lastDrill'] = encodeOpaque(update.lastDrill);
    }
    if (update.bucket !== undefined) {
      sets.push('#bucket = :bucket');
      names['#bucket'] = 'bucketDigest';
      values[':bucket'] = JSON.stringify(bucketDigestJson(update.bucket));
    }
    if (update.retentionTombstones !== undefined) {
      sets.push('#retentionTombstones = :retentionTombstones');
      names['#retentionTombstones'] = 'retentionTombstones';
      values[':retentionTombstones'] = JSON.stringify(retentionTombstonesJson(update.retentionTombstones));
    }
    const after = await this.#table.updateAndRead(
      { pk: clusterPk(cluster), sk: STATE_SK },
      { expression: `SET ${sets.join(', ')}`, names, values },
      expectedVersion === undefined
        ? undefined
        : {
            expression:
              expectedVersion === 0 ? 'attribute_not_exists(version) OR version = :expected' : 'version = :expected',
            values: { ':expected': expectedVersion },
          },
    );
    if (after === undefined) throw new ClusterStateConflictError(cluster, expectedVersion ?? 0);
    return stateFromItem(cluster, after);
  }
}

/** Changed segments this close share one range Query of their items (the few between are read along). */
const CLASS_READ_JOIN = 64;

/** Ascending inclusive stretches covering the numbers, joining those at most `join` apart. */
function stretches(numbers: readonly number[], join: number): Array<[number, number]> {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  const result: Array<[number, number]> = [];
  for (const n of sorted) {
    const last = result.at(-1);
    if (last && n - last[1] <= join) last[1] = n;
    else result.push([n, n]);
  }
  return result;
}

/**
 * The change-index hash key of a cluster's backup items: apart from its WAL's (the cluster id), which continuity
 * reads. A cluster id has no `#`, so no id is ever another cluster's backup key.
 */
const backupChangesOf = (cluster: ClusterId): string => `BACKUPS#${cluster}`;

/** The change-index keys of a WAL item written at `at`. */
function changeStamp(record: WalObjectRecord, at: Date): Item {
  return { [CHANGES_OF]: record.cluster, [CHANGED_AT]: at.toISOString() };
}

/** Items of a change-index Query; a table without the index (or with it still being built) says so by its error. */
async function* changesIndexed(items: AsyncIterable<Item>): AsyncIterable<Item> {
  try {
    yield* items;
  } catch (error) {
    const { name, message } = error as { name?: string; message?: string };
    // DynamoDB says ValidationException ("does not have the specified index"); moto ResourceNotFoundException.
    if ((name === 'ValidationException' || name === 'ResourceNotFoundException') && /index/i.test(message ?? '')) {
      throw new ChangeIndexUnavailableError(
        `the catalog table has no usable index ${CHANGES_INDEX} (${message}); run walcat init to add it`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** The generation recorded in a sync-parts item, or undefined for an item without (or with unreadable) ranges. */
function syncGenerationFromItem(syncId: string, item: Item | undefined): SyncGeneration | undefined {
  if (typeof item?.ranges !== 'string' || typeof item.plannedAt !== 'string') return undefined;
  const ranges = JSON.parse(item.ranges) as KeyRange[];
  return { syncId, plannedAt: new Date(item.plannedAt), ranges };
}

function stateFromItem(cluster: ClusterId, item: Item | undefined): ClusterState {
  if (item === undefined) return { cluster, version: 0 };
  const lastFullSyncAt = date(item.lastFullSyncAt);
  return {
    cluster,
    version: (item.version as number | undefined) ?? 0,
    ...(lastFullSyncAt ? { lastFullSyncAt } : {}),
    ...(typeof item.verifiedCursor === 'string' ? { verifiedCursor: decodeOpaque(item.verifiedCursor) } : {}),
    ...(typeof item.lastDrill === 'string' ? { lastDrill: decodeOpaque(item.lastDrill) } : {}),
    ...bucketDigestOf(item.bucketDigest),
    ...(typeof item.retentionTombstones === 'string'
      ? { retentionTombstones: parseRetentionTombstones(cluster, JSON.parse(item.retentionTombstones)) }
      : {}),
  };
}

/** A digest this version cannot read is left out: readers take it as not read yet, and the next sync rewrites it. */
function bucketDigestOf(text: unknown): { bucket?: BucketDigest } {
  if (typeof text !== 'string') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  const bucket = parseBucketDigest(parsed);
  return bucket === undefined ? {} : { bucket };
}
