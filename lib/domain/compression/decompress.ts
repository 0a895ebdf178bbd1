import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
// The decoder-only build, loaded directly: the package's index resolves its worker through `__dirname`, which
// breaks once bundled as ESM for Lambda (the function fails at import).
import lzmaDecoder from 'lzma/src/lzma-d.js';
import { InvalidInputError } from '../errors.ts';
import type { Compression } from '../layout/storage-object.ts';
import { decodeLz4Frames } from './lz4-frame.ts';

/** Data that does not decode with the compression its name says. */
export class DecompressionError extends InvalidInputError {
  override readonly name: string = 'DecompressionError';
}

/** A compression walcat cannot decode (lzo: written only by WAL-E, and there is no maintained JS decoder). */
export class UnsupportedCompressionError extends InvalidInputError {
  override readonly name: string = 'UnsupportedCompressionError';
}

function lzmaAlone(bytes: Uint8Array): Uint8Array {
  const result = lzmaDecoder.LZMA.decompress(bytes);
  if (typeof result === 'string') {
    // LZMA-JS hands back text when the output is valid UTF-8; encoding it again gives the same bytes.
    return new TextEncoder().encode(result);
  }
  return Uint8Array.from(result, (byte) => byte & 0xff);
}

const DECODERS: Readonly<Record<Exclude<Compression, 'lzo'>, (bytes: Uint8Array) => Uint8Array>> = {
  lz4: decodeLz4Frames,
  zstd: (bytes) => zstdDecompress(bytes),
  brotli: (bytes) => new Uint8Array(brotliDecompressSync(bytes)),
  gzip: (bytes) => new Uint8Array(gunzipSync(bytes)),
  lzma: lzmaAlone,
  none: (bytes) => bytes,
  'none-trailing-dot': (bytes) => bytes,
};

/**
 * Decodes the bytes of a (small) WAL-G / WAL-E object stored with `compression`: lz4 frames, zstd, brotli, gzip,
 * LZMA-alone (`.lzma`, what WAL-G's lzma method writes), or none. Meant for history files and similar small
 * objects: everything happens in memory.
 *
 * @param objectName how errors name the object (e.g. its key).
 * @throws UnsupportedCompressionError for lzo; DecompressionError for data that does not decode.
 * @example new TextDecoder().decode(decompress(gzipSync('1\t0/3000060\tx\n'), 'gzip', 'wal_005/00000002.history.gz'))
 */
export function decompress(bytes: Uint8Array, compression: Compression, objectName = 'object'): Uint8Array {
  if (compression === 'lzo') {
    throw new UnsupportedCompressionError(
      `${objectName}: lzo (WAL-E) objects cannot be decoded by walcat; decompress it on a host with lzop, or re-archive with WAL-G`,
    );
  }
  try {
    return DECODERS[compression](bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DecompressionError(
      `${objectName}: does not decode as ${compression} (${reason}); the object is damaged or its suffix does not match its content`,
      { cause: error },
    );
  }
}
