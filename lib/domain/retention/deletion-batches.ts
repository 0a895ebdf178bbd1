/** S3 DeleteObjects takes at most 1,000 keys per request. */
export const MAX_KEYS_PER_DELETE = 1000;
/**
 * Key text per stored batch: a DynamoDB item holds at most 400 KB, and a batch item stores its keys plus, after
 * apply, up to one short failure entry per key. 150 KB of keys leaves room for both.
 */
export const MAX_BATCH_KEY_BYTES = 150_000;

const encoder = new TextEncoder();

/**
 * Splits the keys of a plan into the batches apply deletes one DeleteObjects request at a time, in order: at most
 * `maxKeys` keys and `maxBytes` of UTF-8 key text each.
 *
 * @example deletionBatches(['a', 'b', 'c'], { maxKeys: 2 }) // [['a', 'b'], ['c']]
 */
export function deletionBatches(
  keys: readonly string[],
  limits: { readonly maxKeys?: number; readonly maxBytes?: number } = {},
): string[][] {
  const batcher = new DeletionBatcher(limits);
  const batches: string[][] = [];
  for (const key of keys) batcher.add(key, batches);
  batcher.flush(batches);
  return batches;
}

/**
 * {@link deletionBatches} one key at a time, for keys that arrive as a stream (read from the catalog range by
 * range): each full batch is handed to `into` as soon as the next key would not fit.
 *
 * @example const batcher = new DeletionBatcher(); batcher.add('a', out); batcher.flush(out); // out = [['a']]
 */
export class DeletionBatcher {
  readonly #maxKeys: number;
  readonly #maxBytes: number;
  #current: string[] = [];
  #bytes = 0;

  constructor(limits: { readonly maxKeys?: number; readonly maxBytes?: number } = {}) {
    this.#maxKeys = limits.maxKeys ?? MAX_KEYS_PER_DELETE;
    this.#maxBytes = limits.maxBytes ?? MAX_BATCH_KEY_BYTES;
  }

  add(key: string, into: string[][]): void {
    const size = encoder.encode(key).length;
    if (this.#current.length > 0 && (this.#current.length >= this.#maxKeys || this.#bytes + size > this.#maxBytes)) {
      this.flush(into);
    }
    this.#current.push(key);
    this.#bytes += size;
  }

  /** Hands over the batch being filled, if any. */
  flush(into: string[][]): void {
    if (this.#current.length > 0) into.push(this.#current);
    this.#current = [];
    this.#bytes = 0;
  }
}
