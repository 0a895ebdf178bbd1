import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import lz4 from 'lz4js';
import type { Compression } from '../../domain/layout/storage-object.ts';

/**
 * Decompresses a small WAL-G object (a `.history` file) to text. Returns undefined for compressions walcat does
 * not decode here (lzma, lzo): the catalog then records the object without its text.
 */
export function decompressText(bytes: Uint8Array, compression: Compression): string | undefined {
  const decoder = new TextDecoder();
  switch (compression) {
    case 'none':
    case 'none-trailing-dot':
      return decoder.decode(bytes);
    case 'brotli':
      return decoder.decode(brotliDecompressSync(bytes));
    case 'gzip':
      return decoder.decode(gunzipSync(bytes));
    case 'zstd':
      return decoder.decode(zstdDecompress(bytes));
    case 'lz4':
      return decoder.decode(Uint8Array.from(lz4.decompress(bytes)));
    default:
      return undefined;
  }
}
