/**
 * The object storage walcat reads (S3 or an S3-compatible store). Keys are exact object keys (already decoded);
 * ordering of listings is ascending UTF-8 byte order, as ListObjectsV2 returns them.
 */

/** One object of a listing. `lastModified` is informational only: it changes on storage-class transitions. */
export interface ObjectSummary {
  readonly key: string;
  readonly size: number;
  /** Without surrounding quotes. */
  readonly etag: string;
  readonly lastModified: Date;
  /** The listing's StorageClass (absent when the store names none). */
  readonly storageClass?: string;
}

export interface ListPageRequest {
  readonly prefix: string;
  /** Exclusive lower bound (S3 `StartAfter`). */
  readonly startAfter?: string;
  readonly continuationToken?: string;
  /** At most 1,000 (the S3 page size). */
  readonly maxKeys?: number;
  readonly signal?: AbortSignal;
}

export interface ObjectPage {
  readonly objects: readonly ObjectSummary[];
  /** Present when the listing was truncated; pass it back to get the next page. */
  readonly continuationToken?: string;
}

export interface ObjectHead {
  readonly size: number;
  readonly etag: string;
  readonly lastModified: Date;
}

export interface DeleteObjectsOutcome {
  readonly deleted: readonly string[];
  /** Per-key failures; an Object Lock retention shows up here as `AccessDenied`, never as a thrown error. */
  readonly failed: readonly { readonly key: string; readonly code: string; readonly message: string }[];
}

export interface ObjectStore {
  /** One ListObjectsV2 page. */
  listPage(bucket: string, request: ListPageRequest): Promise<ObjectPage>;
  /** Every object under `prefix`, page after page, in key order. */
  list(
    bucket: string,
    prefix: string,
    options?: { readonly startAfter?: string; readonly signal?: AbortSignal },
  ): AsyncIterable<ObjectSummary>;
  /** The object as UTF-8 text; undefined when it does not exist. Throws `InvalidInputError` when it is larger than
   * `maxBytes` (permanent: retrying cannot shrink it). */
  getObjectText(bucket: string, key: string, maxBytes: number): Promise<string | undefined>;
  /** The object's bytes; undefined when it does not exist. Throws when it is larger than `maxBytes`. */
  getObjectBytes(bucket: string, key: string, maxBytes: number): Promise<Uint8Array | undefined>;
  /** Undefined when the object does not exist. */
  headObject(bucket: string, key: string): Promise<ObjectHead | undefined>;
  /** Deletes in requests of at most 1,000 keys; never throws for per-key failures. */
  deleteObjects(bucket: string, keys: readonly string[]): Promise<DeleteObjectsOutcome>;
  putObject(bucket: string, key: string, body: string | Uint8Array): Promise<{ readonly etag: string }>;
}
