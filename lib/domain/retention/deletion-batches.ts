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
  const maxKeys = limits.maxKeys ?? MAX_KEYS_PER_DELETE;
  const maxBytes = limits.maxBytes ?? MAX_BATCH_KEY_BYTES;
  const batches: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const key of keys) {
    const size = encoder.encode(key).length;
    if (current.length > 0 && (current.length >= maxKeys || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(key);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
