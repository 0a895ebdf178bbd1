import type { BaseBackup } from './base-backup.ts';

/**
 * A BaseBackup as a compact JSON array, `[field mask, ...values]`: the values of the fields present after `name`, in
 * BACKUP_FIELDS order (bigints as decimal strings, Dates as epoch milliseconds, the start segment as
 * `[timeline, segNo]`, the rest as they are). The name is not in it: whoever stores the array stores the name beside
 * it. Both the catalog's kept interpretations and retention's backup digest hold backups this way, so a backup read
 * back is the very object `readBaseBackup` made, field order included.
 */

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

/** True for a value JSON gives back exactly as it is: no bigint, Date, -0, class instance or `__proto__` key. */
export function isPlainJson(value: unknown): boolean {
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
 * `[field mask, ...values]` of a backup named `name`; undefined when it holds something this encoding would not give
 * back exactly (an unknown field, fields out of order, user data with a number JSON cannot hold).
 *
 * @example encodeBaseBackup(backup, 'base_000000010000000000000002')?.[0]
 */
export function encodeBaseBackup(backup: BaseBackup, name: string): unknown[] | undefined {
  const keys = Object.keys(backup);
  if (keys[0] !== 'name' || backup.name !== name || Object.getOwnPropertySymbols(backup).length > 0) return undefined;
  let mask = 0;
  let last = -1;
  const encoded: unknown[] = [0];
  for (let at = 1; at < keys.length; at++) {
    const key = keys[at] as string;
    const index = FIELD_INDEX.get(key);
    // An unknown field, or one out of readBaseBackup's order: the decoded record would differ.
    if (index === undefined || index <= last) return undefined;
    last = index;
    const value = (backup as unknown as Record<string, unknown>)[key];
    const field = value === undefined ? undefined : encodeField(key as BackupField, value);
    if (field === undefined) return undefined;
    mask |= 1 << index;
    encoded.push(field);
  }
  encoded[0] = mask;
  return encoded;
}

/**
 * The backup named `name` held by `values` from `offset` on (`[field mask, ...values]`, to the end of the array);
 * undefined when they are not such an encoding. Throws on a malformed value (a bigint field that is no integer).
 *
 * @example decodeBaseBackup(JSON.parse(text), 5, item.name)?.startLsn
 */
export function decodeBaseBackup(values: readonly unknown[], offset: number, name: string): BaseBackup | undefined {
  const mask = values[offset];
  if (typeof mask !== 'number') return undefined;
  const backup: Record<string, unknown> = { name };
  let at = offset + 1;
  for (let index = 0; index < BACKUP_FIELDS.length; index++) {
    if ((mask & (1 << index)) === 0) continue;
    const field = BACKUP_FIELDS[index] as BackupField;
    const value: unknown = values[at++];
    if (BIGINT_FIELDS.has(field)) backup[field] = BigInt(value as string);
    else if (DATE_FIELDS.has(field)) backup[field] = new Date(value as number);
    else if (field === SEGMENT_FIELD) {
      const [timeline, segNo] = value as [number, number];
      backup[field] = { timeline, segNo };
    } else backup[field] = value;
  }
  return at === values.length ? (backup as unknown as BaseBackup) : undefined;
}
