import { InvalidInputError } from '../errors.ts';

/**
 * Decodes an object key as S3 event notifications carry it: URL-encoded with `+` for a space. The `+` are replaced
 * first, so an encoded plus (`%2B`) survives as `+`.
 *
 * @example decodeS3EventKey('orders+main/wal_005/000000010000000000000001.lz4') === 'orders main/wal_005/000000010000000000000001.lz4'
 * @example decodeS3EventKey('a%2Bb') === 'a+b'
 * @throws InvalidInputError naming the key when a `%` escape is malformed (e.g. `%G1` or a truncated `%2`).
 */
export function decodeS3EventKey(encoded: string): string {
  if (encoded.indexOf('%') < 0 && encoded.indexOf('+') < 0) return encoded;
  try {
    return decodeURIComponent(encoded.replaceAll('+', ' '));
  } catch (error) {
    throw new InvalidInputError(
      `S3 event object key ${JSON.stringify(encoded)} is not valid URL encoding (a % must start a %XX escape of UTF-8 bytes); the event is malformed and cannot be applied: run walcat sync to reconcile the bucket`,
      { cause: error },
    );
  }
}
