/**
 * Thawing frozen objects (GLACIER, DEEP_ARCHIVE, the archive tiers of INTELLIGENT_TIERING) before a restore reads
 * them: ask S3 for a readable copy (RestoreObject) and look at how far that got (HeadObject's `x-amz-restore`).
 */

/** Where one object stands: readable now, a thaw under way, or frozen with no thaw asked for. */
export type ThawState =
  | { readonly state: 'readable'; readonly until?: Date }
  | { readonly state: 'thawing' }
  | { readonly state: 'frozen'; readonly storageClass: string }
  | { readonly state: 'missing' };

/** S3's retrieval tiers: Expedited (minutes; not for DEEP_ARCHIVE), Standard, Bulk. */
export type RetrievalTierName = 'Expedited' | 'Standard' | 'Bulk';

export interface ObjectThaw {
  thawState(bucket: string, key: string): Promise<ThawState>;
  /**
   * Asks for a readable copy for `days` days (INTELLIGENT_TIERING archive tiers: back to the frequent tier). A thaw already under way, or an object that is readable anyway, is
   * not an error.
   */
  requestThaw(
    bucket: string,
    key: string,
    options: { readonly days: number; readonly tier: RetrievalTierName; readonly storageClass: string },
  ): Promise<void>;
}
