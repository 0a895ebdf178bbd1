/**
 * Storage classes S3 cannot serve with a plain GetObject: the object must first be thawed with RestoreObject
 * (minutes to 48 hours, depending on the class and the retrieval tier). A GetObject before that fails with
 * `InvalidObjectState`, which is how WAL-G's `backup-fetch` and `wal-fetch` then fail.
 */
export const THAW_STORAGE_CLASSES: readonly string[] = ['GLACIER', 'DEEP_ARCHIVE'];

/**
 * INTELLIGENT_TIERING objects moved to an opt-in archive tier are recorded as the class and the tier joined by a
 * slash (`INTELLIGENT_TIERING/ARCHIVE_ACCESS`, `INTELLIGENT_TIERING/DEEP_ARCHIVE_ACCESS`): they need a thaw too.
 */
export const INTELLIGENT_TIERING_ARCHIVE_TIERS: readonly string[] = [
  'INTELLIGENT_TIERING/ARCHIVE_ACCESS',
  'INTELLIGENT_TIERING/DEEP_ARCHIVE_ACCESS',
];

/**
 * True when an object in this storage class must be thawed before it can be read. INTELLIGENT_TIERING is readable
 * as such; only its opt-in archive tiers need a thaw.
 *
 * @example needsThaw('DEEP_ARCHIVE') === true; needsThaw('GLACIER_IR') === false
 */
export function needsThaw(storageClass: string): boolean {
  const upper = storageClass.toUpperCase();
  return THAW_STORAGE_CLASSES.includes(upper) || INTELLIGENT_TIERING_ARCHIVE_TIERS.includes(upper);
}

/**
 * The storage class as the catalog records it: absent for STANDARD (and for a listing that names none), so records
 * of ordinary buckets keep their shape; an INTELLIGENT_TIERING archive tier joined to the class.
 *
 * @example catalogStorageClass('STANDARD') === undefined; catalogStorageClass('GLACIER') === 'GLACIER'
 * @example catalogStorageClass('INTELLIGENT_TIERING', 'ARCHIVE_ACCESS') === 'INTELLIGENT_TIERING/ARCHIVE_ACCESS'
 */
export function catalogStorageClass(storageClass: string | undefined, archiveTier?: string): string | undefined {
  // Every object of a listing carries its class, nearly all STANDARD: answered without a new string.
  if (storageClass === undefined || storageClass === '' || storageClass === 'STANDARD') return undefined;
  const upper = storageClass.toUpperCase();
  if (upper === 'STANDARD') return undefined;
  if (upper === 'INTELLIGENT_TIERING' && archiveTier !== undefined && archiveTier !== '') {
    return `${upper}/${archiveTier.toUpperCase()}`;
  }
  return upper;
}

const DEPTH: Readonly<Record<string, number>> = {
  GLACIER_IR: 2,
  GLACIER: 3,
  'INTELLIGENT_TIERING/ARCHIVE_ACCESS': 3,
  DEEP_ARCHIVE: 4,
  'INTELLIGENT_TIERING/DEEP_ARCHIVE_ACCESS': 4,
};

/** 0 for STANDARD (absent), 1 for the other directly readable classes, then deeper archives. */
const depthOf = (storageClass: string | undefined): number =>
  storageClass === undefined ? 0 : (DEPTH[storageClass] ?? 1);

/**
 * The deeper of two classes (catalog form). Lifecycle transitions only move an object deeper, so this is the class
 * of the one version after both observations, whatever order they arrive in; equal depths pick the greater name,
 * so the choice does not depend on the order either.
 *
 * @example deeperStorageClass('GLACIER', 'DEEP_ARCHIVE') === 'DEEP_ARCHIVE'; deeperStorageClass('GLACIER', undefined) === 'GLACIER'
 */
export function deeperStorageClass(a: string | undefined, b: string | undefined): string | undefined {
  const [da, db] = [depthOf(a), depthOf(b)];
  if (da !== db) return da > db ? a : b;
  if (a === undefined || b === undefined) return a ?? b;
  return a >= b ? a : b;
}

/** What the catalog knows of an object's storage: its class and until when a thawed copy can be read. */
export interface StoredClass {
  readonly storageClass?: string;
  readonly thawedUntil?: Date;
}

/**
 * True when the object cannot be read at `now`: its class needs a thaw and no thawed copy is readable then.
 *
 * @example isFrozen({ storageClass: 'GLACIER' }, now) === true
 * @example isFrozen({ storageClass: 'GLACIER', thawedUntil: tomorrow }, now) === false
 */
export function isFrozen(object: StoredClass, now: Date): boolean {
  if (object.storageClass === undefined || !needsThaw(object.storageClass)) return false;
  return object.thawedUntil === undefined || object.thawedUntil.getTime() <= now.getTime();
}

/** One documented retrieval tier of a frozen class, and how long a thaw through it takes. */
export interface RetrievalTier {
  readonly storageClass: string;
  readonly tier: 'Expedited' | 'Standard' | 'Bulk';
  /** Documented upper bound of the thaw, in hours. */
  readonly hours: number;
  readonly words: string;
}

/**
 * The retrieval tiers S3 documents for a frozen class (Expedited does not exist for DEEP_ARCHIVE, nor for the
 * Intelligent-Tiering Deep Archive Access tier).
 *
 * @example retrievalTiers('DEEP_ARCHIVE').map((t) => t.tier) // ['Standard', 'Bulk']
 */
export function retrievalTiers(storageClass: string): RetrievalTier[] {
  const upper = storageClass.toUpperCase();
  const tier = (name: RetrievalTier['tier'], hours: number, words: string): RetrievalTier => ({
    storageClass: upper,
    tier: name,
    hours,
    words,
  });
  if (upper === 'DEEP_ARCHIVE' || upper === 'INTELLIGENT_TIERING/DEEP_ARCHIVE_ACCESS') {
    return [tier('Standard', 12, 'within 12 hours'), tier('Bulk', 48, 'within 48 hours')];
  }
  // GLACIER (Flexible Retrieval) and the Intelligent-Tiering Archive Access tier.
  return [
    tier('Expedited', 5 / 60, '1 to 5 minutes'),
    tier('Standard', 5, '3 to 5 hours'),
    tier('Bulk', 12, '5 to 12 hours'),
  ];
}

/** How long the documented retrieval tiers take, for the words a person reads. */
export function thawTimeWords(storageClass: string): string {
  const upper = storageClass.toUpperCase();
  return upper === 'DEEP_ARCHIVE' || upper === 'INTELLIGENT_TIERING/DEEP_ARCHIVE_ACCESS'
    ? 'a thaw of 12 to 48 hours (RestoreObject)'
    : 'a thaw of minutes to 12 hours (RestoreObject)';
}
