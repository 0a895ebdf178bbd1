import type { BaseBackup } from '../../domain/backup/base-backup.ts';

/**
 * A backup item's `interpretation` attribute: the backup its sentinel and metadata.json were read into when the item
 * was written, so a read builds the record without parsing the two documents again (lossless JSON and schema
 * validation were most of the time of reading a catalog of 87,600 backups).
 *
 * It is trusted only while it is the interpretation of what the item holds now: the same interpreter basis (its
 * version, the cluster's layout and segment size) and the same sentinel and metadata.json, which the item's
 * revisions of the two attributes (`rev_sentinel`, `rev_metadata`, raised with every write of either) tell. A write
 * that changes either source writes the interpretation of the result; one that raced it changes a revision, so the
 * other's interpretation no longer matches and the read interprets the texts, as for an item written before
 * interpretations were kept, or one whose backup this encoding cannot hold exactly.
 *
 * The text is one JSON array: `[FORMAT, basis, sentinel revision, metadata revision, field mask, ...values]`, the
 * values of the fields present in BACKUP_FIELDS order (bigints as decimal strings, Dates as epoch milliseconds,
 * the start segment as `[timeline, segNo]`, the rest as they are). The name is the item's own.
 */
const FORMAT = 1;

/** The fields of a BaseBackup after `name`, in the order `readBaseBackup` builds them (a record keeps that order). */
const BACKUP_FIELDS = [
  'kind',
  'deltaFrom',
  'deltaFullName',
  'deltaCount',
  'timeline',
  'startLsn',
  'finishLsn',
  'startSegment',
  'startTime',
  'finishTime',
  'pgVersion',
  'systemIdentifier',
  'uncompressedSize',
  'compressedSize',
  'hostname',
  'dataDir',
  'userData',
  'permanent',
  'walRangeUnknown',
] as const;
type BackupField = (typeof BACKUP_FIELDS)[number];
const BIGINT_FIELDS: ReadonlySet<BackupField> = new Set(['startLsn', 'finishLsn', 'systemIdentifier']);
const DATE_FIELDS: ReadonlySet<BackupField> = new Set(['startTime', 'finishTime']);
const SEGMENT_FIELD: BackupField = 'startSegment';
const FIELD_INDEX = new Map<string, number>(BACKUP_FIELDS.map((field, index) => [field, index]));

/** Which revisions of the item's two sources an interpretation was made from. */
export interface SourceRevisions {
  readonly sentinel: number;
  readonly metadata: number;
}

/** True for a value JSON gives back exactly as it is: no bigint, Date, -0, class instance or `__proto__` key. */
function isPlainJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      if (!(index in value) || !isPlainJson(value[index])) return false;
    }
    return true;
  }
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key of Object.keys(value)) {
    if (key === '__proto__' || !isPlainJson((value as Record<string, unknown>)[key])) return false;
  }
  return Object.getOwnPropertySymbols(value).length === 0;
}

function encodeField(field: BackupField, value: unknown): unknown {
  if (BIGINT_FIELDS.has(field)) return typeof value === 'bigint' ? value.toString() : undefined;
  if (DATE_FIELDS.has(field)) {
    return value instanceof Date && Number.isFinite(value.getTime()) ? value.getTime() : undefined;
  }
  if (field === SEGMENT_FIELD) {
    const segment = value as Record<string, unknown>;
    const keys = typeof value === 'object' && value !== null ? Object.keys(segment) : [];
    return keys.length === 2 &&
      keys[0] === 'timeline' &&
      keys[1] === 'segNo' &&
      Object.getPrototypeOf(value) === Object.prototype &&
      isPlainJson(segment.timeline) &&
      isPlainJson(segment.segNo) &&
      typeof segment.timeline === 'number' &&
      typeof segment.segNo === 'number'
      ? [segment.timeline, segment.segNo]
      : undefined;
  }
  return isPlainJson(value) ? value : undefined;
}

/**
 * The attribute text of a backup read from the sources at `revisions` with the interpreter of `basis`; undefined
 * when the backup holds something this encoding would not give back exactly (the read then interprets the texts).
 *
 * @example encodeStoredInterpretation(backup, 'orders-main', '1:wal-g:16777216', { sentinel: 1, metadata: 1 })
 */
export function encodeStoredInterpretation(
  backup: BaseBackup,
  name: string,
  basis: string,
  revisions: SourceRevisions,
): string | undefined {
  const keys = Object.keys(backup);
  if (keys[0] !== 'name' || backup.name !== name || Object.getOwnPropertySymbols(backup).length > 0) return undefined;
  let mask = 0;
  let last = -1;
  const values: unknown[] = [];
  for (let at = 1; at < keys.length; at++) {
    const key = keys[at] as string;
    const index = FIELD_INDEX.get(key);
    // An unknown field, or one out of readBaseBackup's order: the decoded record would differ.
    if (index === undefined || index <= last) return undefined;
    last = index;
    const value = (backup as unknown as Record<string, unknown>)[key];
    const encoded = value === undefined ? undefined : encodeField(key as BackupField, value);
    if (encoded === undefined) return undefined;
    mask |= 1 << index;
    values.push(encoded);
  }
  return JSON.stringify([FORMAT, basis, revisions.sentinel, revisions.metadata, mask, ...values]);
}

/**
 * The backup an `interpretation` attribute holds, when it was made with `basis` from the sources at `revisions`;
 * undefined otherwise (another basis, other sources, another format, or not this attribute at all).
 *
 * @example decodeStoredInterpretation(item.interpretation, item.name, basis, { sentinel: 1, metadata: 1 })?.startLsn
 */
export function decodeStoredInterpretation(
  text: unknown,
  name: string,
  basis: string,
  revisions: SourceRevisions,
): BaseBackup | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    return decoded(JSON.parse(text), name, basis, revisions);
  } catch {
    // Not this attribute's text (a hand-edited item, a malformed number): the texts are interpreted instead.
    return undefined;
  }
}

function decoded(parsed: unknown, name: string, basis: string, revisions: SourceRevisions): BaseBackup | undefined {
  if (!Array.isArray(parsed) || parsed.length < 5) return undefined;
  if (parsed[0] !== FORMAT || parsed[1] !== basis) return undefined;
  if (parsed[2] !== revisions.sentinel || parsed[3] !== revisions.metadata) return undefined;
  const mask = parsed[4];
  if (typeof mask !== 'number') return undefined;
  const backup: Record<string, unknown> = { name };
  let at = 5;
  for (let index = 0; index < BACKUP_FIELDS.length; index++) {
    if ((mask & (1 << index)) === 0) continue;
    const field = BACKUP_FIELDS[index] as BackupField;
    const value: unknown = parsed[at++];
    if (BIGINT_FIELDS.has(field)) backup[field] = BigInt(value as string);
    else if (DATE_FIELDS.has(field)) backup[field] = new Date(value as number);
    else if (field === SEGMENT_FIELD) {
      const [timeline, segNo] = value as [number, number];
      backup[field] = { timeline, segNo };
    } else backup[field] = value;
  }
  return at === parsed.length ? (backup as unknown as BaseBackup) : undefined;
}
