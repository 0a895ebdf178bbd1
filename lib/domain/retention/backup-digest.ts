/**
 * Retention's digest of a cluster's backups: what a retention decision reads of each backup record, kept compact in
 * a few chunks so a plan reads them in a few pages instead of every backup item with its sentinel and metadata.json
 * texts and its payload registers (87,600 items for 10 years of hourly backups: about 130 pages of 1 MB).
 *
 * A chunk holds the backups whose names fall in its range, `[first, the next chunk's first)`, sorted by name; the
 * first chunk's `first` is the empty string. Each backup is one entry, a JSON array:
 *
 *     [name, status, firstSeenAt, updatedAt, lastSignOfLifeAt, expiredAt, sequencer, problem, sentinel, backup]
 *
 * with times as epoch milliseconds (null when absent), `sentinel` as `[key, present, text]` (the key null when it is
 * the usual `<prefix>basebackups_005/<name>_backup_stop_sentinel.json`; the text only for a present sentinel that
 * was not read into a backup: retention reads the parent it declares from it), and `backup` as
 * lib/domain/backup/base-backup-codec.ts encodes it. A record whose backup that encoding cannot hold exactly is the
 * entry `[name, 0]`: read it from the catalog. What a record has beyond these (its metadata.json, its payload
 * registers, the sentinel's ETag and observation) retention never reads, so a record from the digest decides
 * exactly as the record read from its item.
 */
import { decodeBaseBackup, encodeBaseBackup } from '../backup/base-backup-codec.ts';
import { backupInterpretationBasis } from '../catalog/backup-interpreter.ts';
import type { BackupRecord, BackupSourceObject, BackupStatus } from '../catalog/catalog-records.ts';
import type { ClusterConfig, ClusterId } from '../cluster.ts';
import { InvalidInputError } from '../errors.ts';
import { BASEBACKUPS_FOLDER, SENTINEL_SUFFIX } from '../layout/wal-g-layout.ts';

/** Raised with every change to what an entry holds or how: every stored digest is rebuilt then. */
const BACKUP_DIGEST_FORMAT = 1;
/** Backups a chunk holds after a split; a chunk read with more than twice as many is split into chunks of this. */
export const BACKUP_DIGEST_CHUNK_TARGET = 512;
/** A full build reads every backup again this often, so what no change marks (a hand-made delete) heals too. */
export const BACKUP_DIGEST_REBUILD_EVERY_MS = 7 * 24 * 3600_000;

export type BackupDigestEntry = readonly unknown[];

export interface BackupDigestChunk {
  /** The lowest name of the chunk's range; the empty string for the first chunk. */
  readonly first: string;
  /** Sorted by name, every name in the chunk's range. */
  readonly entries: readonly BackupDigestEntry[];
}

export interface BackupDigestHead {
  /** The entry format and the interpretation basis the entries were made under. */
  readonly basis: string;
  /** Change stamp of the last full build. */
  readonly builtAt: string;
  /** Change stamp taken before the last update (or build) read the change index. */
  readonly changesThrough: string;
}

const STATUSES: readonly BackupStatus[] = ['complete', 'incomplete', 'unreadable', 'deleted', 'expired'];
const STATUS_CODE = new Map<BackupStatus, number>(STATUSES.map((status, index) => [status, index]));
const UNHELD = 0;

/** The basis a cluster's digest entries are made under: a digest of another basis is rebuilt. */
export function backupDigestBasis(cluster: Pick<ClusterConfig, 'layout' | 'walSegmentSize'>): string {
  return `${BACKUP_DIGEST_FORMAT}/${backupInterpretationBasis(cluster)}`;
}

const timeOf = (date: Date | undefined): number | null => (date === undefined ? null : date.getTime());

/** Where the entries of a cluster's digest are read and written: what the usual sentinel key is made of. */
export interface BackupDigestScope {
  readonly id: ClusterId;
  readonly storage: { readonly prefix: string };
}

const usualSentinelKey = (scope: BackupDigestScope, name: string): string =>
  `${scope.storage.prefix}${BASEBACKUPS_FOLDER}${name}${SENTINEL_SUFFIX}`;

/**
 * The digest entry of a backup record of the cluster `scope`.
 *
 * @example backupDigestEntry(record, cluster)[0] === record.name
 */
export function backupDigestEntry(record: BackupRecord, scope: BackupDigestScope): BackupDigestEntry {
  const code = STATUS_CODE.get(record.status);
  const backup = record.backup === undefined ? null : encodeBaseBackup(record.backup, record.name);
  const sentinel = record.sentinel;
  const text = sentinel?.present && record.backup === undefined ? sentinel.text : undefined;
  if (code === undefined || backup === undefined || (text !== undefined && text.length > HELD_TEXT_LIMIT)) {
    return unheldBackupEntry(record.name);
  }
  return [
    record.name,
    code,
    record.firstSeenAt.getTime(),
    record.updatedAt.getTime(),
    timeOf(record.lastSignOfLifeAt),
    timeOf(record.expiredAt),
    record.sequencer ?? null,
    record.problem ?? null,
    sentinel === undefined
      ? null
      : [sentinel.key === usualSentinelKey(scope, record.name) ? null : sentinel.key, sentinel.present, text ?? null],
    backup,
  ];
}

/**
 * A sentinel text longer than this is not held (the entry says "read it from the catalog"): only an unreadable
 * backup's sentinel is held at all, and a chunk item must stay within DynamoDB's 400 KB.
 */
const HELD_TEXT_LIMIT = 4096;

/** The name of an entry, or undefined when the value is no entry. */
export function backupDigestEntryName(entry: unknown): string | undefined {
  return Array.isArray(entry) && typeof entry[0] === 'string' ? entry[0] : undefined;
}

/** The entry that says "read the backup `name` from the catalog". */
export const unheldBackupEntry = (name: string): BackupDigestEntry => [name, UNHELD];

/** True for an entry that says "read this backup from the catalog". */
export function isUnheldBackupEntry(entry: BackupDigestEntry): boolean {
  return entry.length === 2 && entry[1] === UNHELD;
}

function malformed(entry: unknown, what: string): InvalidInputError {
  const name = backupDigestEntryName(entry) ?? JSON.stringify(entry)?.slice(0, 80);
  return new InvalidInputError(`backup digest entry ${name}: ${what}; the digest is rebuilt from the catalog`);
}

const dateAt = (entry: BackupDigestEntry, index: number): Date | undefined => {
  const value = entry[index];
  if (value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw malformed(entry, `field ${index} is no time`);
  return new Date(value);
};

const textAt = (entry: BackupDigestEntry, index: number): string | undefined => {
  const value = entry[index];
  if (value === null) return undefined;
  if (typeof value !== 'string') throw malformed(entry, `field ${index} is no text`);
  return value;
};

/**
 * The record an entry holds, as retention reads it; undefined for an entry that says "read it from the catalog".
 *
 * @throws InvalidInputError for a value that is no entry of this format (the digest is rebuilt then).
 */
export function recordFromBackupDigestEntry(
  entry: BackupDigestEntry,
  scope: BackupDigestScope,
): BackupRecord | undefined {
  const name = backupDigestEntryName(entry);
  if (name === undefined) throw malformed(entry, 'it is not an array starting with a name');
  if (isUnheldBackupEntry(entry)) return undefined;
  if (entry.length !== 10) throw malformed(entry, `it has ${entry.length} fields, not 10`);
  const status = typeof entry[1] === 'number' ? STATUSES[entry[1]] : undefined;
  if (status === undefined) throw malformed(entry, `status ${JSON.stringify(entry[1])} is unknown`);
  const firstSeenAt = dateAt(entry, 2);
  const updatedAt = dateAt(entry, 3);
  if (firstSeenAt === undefined || updatedAt === undefined)
    throw malformed(entry, 'it has no first-seen or update time');
  const lastSignOfLifeAt = dateAt(entry, 4);
  const expiredAt = dateAt(entry, 5);
  const sequencer = textAt(entry, 6);
  const problem = textAt(entry, 7);
  const rawSentinel = entry[8];
  let sentinel: BackupSourceObject | undefined;
  if (rawSentinel !== null) {
    if (
      !Array.isArray(rawSentinel) ||
      (rawSentinel[0] !== null && typeof rawSentinel[0] !== 'string') ||
      typeof rawSentinel[1] !== 'boolean' ||
      (rawSentinel[2] !== null && typeof rawSentinel[2] !== 'string')
    ) {
      throw malformed(entry, 'its sentinel is not [key, present, text]');
    }
    // The observation time is not kept: retention never reads it.
    const key: string = rawSentinel[0] ?? usualSentinelKey(scope, name);
    sentinel =
      typeof rawSentinel[2] === 'string'
        ? { key, present: rawSentinel[1], text: rawSentinel[2], observedAt: updatedAt }
        : { key, present: rawSentinel[1], observedAt: updatedAt };
  }
  let backup: BackupRecord['backup'];
  if (entry[9] !== null) {
    try {
      backup = Array.isArray(entry[9]) ? decodeBaseBackup(entry[9], 0, name) : undefined;
    } catch {
      backup = undefined;
    }
    if (backup === undefined) throw malformed(entry, 'its backup is not an encoded backup');
  }
  // Assigned field by field (no spreads): a ten-year plan builds 87,600 of these.
  const record: { -readonly [K in keyof BackupRecord]: BackupRecord[K] } = {
    cluster: scope.id,
    name,
    firstSeenAt,
    updatedAt,
    status,
  };
  if (lastSignOfLifeAt !== undefined) record.lastSignOfLifeAt = lastSignOfLifeAt;
  if (expiredAt !== undefined) record.expiredAt = expiredAt;
  if (sentinel !== undefined) record.sentinel = sentinel;
  if (backup !== undefined) record.backup = backup;
  if (problem !== undefined) record.problem = problem;
  if (sequencer !== undefined) record.sequencer = sequencer;
  return record;
}

/** Why a stored digest is rebuilt from the catalog rather than updated, or undefined when it can be updated. */
export function backupDigestRebuildReason(
  head: BackupDigestHead | undefined,
  basis: string,
  now: Date,
): string | undefined {
  if (head === undefined) return 'no backup digest stored';
  if (head.basis !== basis)
    return `the stored backup digest was made under ${head.basis}, the cluster now reads ${basis}`;
  const builtAtMs = Date.parse(head.builtAt);
  if (!Number.isFinite(builtAtMs)) return `the backup digest's build stamp ${JSON.stringify(head.builtAt)} is no time`;
  if (now.getTime() - builtAtMs >= BACKUP_DIGEST_REBUILD_EVERY_MS) return 'weekly rebuild';
  if (!Number.isFinite(Date.parse(head.changesThrough))) {
    return `the backup digest's change stamp ${JSON.stringify(head.changesThrough)} is no time`;
  }
  return undefined;
}

const byFirst = (a: BackupDigestChunk, b: BackupDigestChunk): number =>
  a.first < b.first ? -1 : a.first > b.first ? 1 : 0;

/**
 * The chunks in name order, each with only the entries of its own range. Two planners that split one chunk at once
 * can leave chunks whose ranges overlap as written; read this way, each name belongs to exactly one chunk, whose
 * entries came from a read of (at least) its whole range.
 */
export function backupDigestRanges(chunks: readonly BackupDigestChunk[]): BackupDigestChunk[] {
  const sorted = [...chunks].sort(byFirst);
  return sorted.map((chunk, index) => {
    const end = sorted[index + 1]?.first;
    const inRange = chunk.entries.every((entry) => {
      const name = backupDigestEntryName(entry) ?? '';
      return name >= chunk.first && (end === undefined || name < end);
    });
    if (inRange) return chunk;
    return {
      first: chunk.first,
      entries: chunk.entries.filter((entry) => {
        const name = backupDigestEntryName(entry) ?? '';
        return name >= chunk.first && (end === undefined || name < end);
      }),
    };
  });
}

/**
 * The index of the chunk whose range holds `name`, in chunks sorted by `first` (as backupDigestRanges gives them);
 * the first chunk's `first` is the empty string, so every name has one.
 */
export function backupDigestChunkOf(sorted: readonly BackupDigestChunk[], name: string): number {
  let low = 0;
  let high = sorted.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if ((sorted[middle] as BackupDigestChunk).first <= name) low = middle;
    else high = middle - 1;
  }
  return low;
}

/**
 * The chunks a range's entries (sorted by name) are stored as: one, or chunks of `target` entries when there are
 * more than twice as many. The first keeps the range's `first`.
 */
export function splitBackupDigestChunk(
  first: string,
  entries: readonly BackupDigestEntry[],
  target = BACKUP_DIGEST_CHUNK_TARGET,
): BackupDigestChunk[] {
  if (entries.length <= 2 * target) return [{ first, entries }];
  const chunks: BackupDigestChunk[] = [];
  for (let at = 0; at < entries.length; at += target) {
    const part = entries.slice(at, at + target);
    chunks.push({ first: at === 0 ? first : (backupDigestEntryName(part[0]) as string), entries: part });
  }
  return chunks;
}
