/**
 * Storage classes S3 cannot serve with a plain GetObject: the object must first be thawed with RestoreObject
 * (minutes to 48 hours, depending on the class and the retrieval tier). A GetObject before that fails with
 * `InvalidObjectState`, which is how WAL-G's `backup-fetch` and `wal-fetch` then fail.
 */
export const THAW_STORAGE_CLASSES: readonly string[] = ['GLACIER', 'DEEP_ARCHIVE'];

/**
 * True when an object in this storage class must be thawed before it can be read. INTELLIGENT_TIERING is readable
 * as such; only its opt-in archive tiers (an Intelligent-Tiering archive configuration on the bucket) need a thaw.
 *
 * @example needsThaw('DEEP_ARCHIVE') === true; needsThaw('GLACIER_IR') === false
 */
export function needsThaw(storageClass: string): boolean {
  return THAW_STORAGE_CLASSES.includes(storageClass.toUpperCase());
}

/** How long the documented retrieval tiers take, for the words a person reads. */
export function thawTimeWords(storageClass: string): string {
  return storageClass.toUpperCase() === 'DEEP_ARCHIVE'
    ? 'a thaw of 12 to 48 hours (RestoreObject)'
    : 'a thaw of minutes to 12 hours (RestoreObject)';
}
