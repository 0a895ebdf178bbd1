import { decompress } from '../compression/decompress.ts';
import { InvalidInputError } from '../errors.ts';
import type { Compression } from '../layout/storage-object.ts';

const UTF8 = new TextDecoder('utf-8');

/**
 * The text of a `.history` object as WAL-G or WAL-E stored it (compressed with the method its suffix names), ready
 * for `parseTimelineHistory`. PostgreSQL writes history files as text; a reason that is not valid UTF-8 (a restore
 * point name in another encoding) is decoded with replacement characters rather than refused.
 *
 * @param objectName how errors name the object (e.g. its key).
 * @throws UnsupportedCompressionError for lzo (WAL-E only); DecompressionError for data that does not decode.
 * @example decodeHistoryFile(bytes, 'lz4', 'wal_005/00000002.history.lz4') // '1\t0/3000060\tno recovery target specified\n'
 */
export function decodeHistoryFile(bytes: Uint8Array, compression: Compression, objectName?: string): string {
  return UTF8.decode(decompress(bytes, compression, objectName ?? `history file (${compression})`));
}

/**
 * The catalog's reading of a `.history` object: its text, or undefined when it cannot be decoded here (lzo, corrupt
 * data). The object is still catalogued; continuity then reports the history as unreadable instead of guessing.
 *
 * @example historyTextOrUndefined(bytes, 'lzo') === undefined
 */
export function historyTextOrUndefined(bytes: Uint8Array, compression: Compression): string | undefined {
  try {
    return decodeHistoryFile(bytes, compression);
  } catch (error) {
    if (error instanceof InvalidInputError) return undefined;
    throw error;
  }
}
