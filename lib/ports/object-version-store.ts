/**
 * Deleting every version of an object on a versioned bucket. A DeleteObjects without version ids only stacks a
 * delete marker on top: the bytes of every version stay billed until a NoncurrentVersionExpiration rule removes
 * them. Deleting by version id removes the bytes at once, and it cannot be undone, so only retention's apply asks
 * for it, and only for the keys a stored plan dooms.
 */
import type { DeleteObjectsOutcome } from './object-store.ts';

export interface DeleteVersionsOutcome extends DeleteObjectsOutcome {
  /** Versions and delete markers removed. */
  readonly versionsDeleted: number;
  /** The sizes of the versions removed (delete markers hold no bytes): what leaves the bill. */
  readonly bytesFreed: number;
}

export interface ObjectVersionStore {
  /**
   * Lists the versions (current and noncurrent) and delete markers of exactly these keys, and deletes each by its
   * version id. A key counts as deleted once none of its versions is left (a key with no version is already gone);
   * a key any version of which S3 refused is in `failed` with that refusal's code. Versions of other keys, even
   * ones that begin with a doomed key, are never touched. Never throws for per-key refusals.
   */
  deleteAllVersions(bucket: string, keys: readonly string[]): Promise<DeleteVersionsOutcome>;
}
