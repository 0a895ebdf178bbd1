import { pipeline, Readable, type Transform } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { InvalidInputError } from '../domain/errors.ts';

/**
 * wal-g-local writes brotli (WAL-G's `.br`, which Node ships in node:zlib) and reads every compression WAL-G can
 * write, so it can restore from a bucket a real `wal-g` filled.
 */
export const WRITE_EXTENSION = '.br';
/** Suffixes tried when fetching, in order; `''` is an uncompressed object (WAL-G >= 3.0.9 with compression none). */
export const READ_EXTENSIONS = ['.br', '.lz4', '.zst', '.lzma', ''] as const;

/** Quality 3 keeps compression of 16 MiB segments around 0.1 s; WAL compresses well even at low levels. */
const BROTLI_OPTIONS: zlib.BrotliOptions = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 3 } };

const brotliCompress = promisify(zlib.brotliCompress);

export function compress(data: Uint8Array): Promise<Buffer> {
  return brotliCompress(data, BROTLI_OPTIONS);
}

/** A streaming brotli compressor with the archiver's settings. */
export function createCompressor(): Transform {
  return zlib.createBrotliCompress(BROTLI_OPTIONS);
}

/** Decompresses a whole object by the extension it was found under. */
export async function decompress(data: Buffer, extension: string): Promise<Buffer> {
  // Decoders other than brotli load only when needed: wal-push and wal-fetch of .br start faster without them.
  switch (extension) {
    case '.br':
      return promisify(zlib.brotliDecompress)(data);
    case '.lz4': {
      const { default: lz4js } = await import('lz4js');
      return Buffer.from(lz4js.decompress(data));
    }
    case '.zst': {
      const { decompress: zstd } = await import('fzstd');
      return Buffer.from(zstd(data));
    }
    case '.lzma': {
      const { default: lzma } = await import('lzma');
      const result = lzma.decompress(data);
      // LZMA-JS returns a string when the bytes happen to be valid UTF-8.
      return typeof result === 'string' ? Buffer.from(result, 'utf8') : Buffer.from(Uint8Array.from(result));
    }
    case '':
      return data;
    default:
      throw new InvalidInputError(`compression extension ${JSON.stringify(extension)} is not supported by wal-g-local`);
  }
}

/** A decompressed stream of an object found under `extension`; brotli streams, the others are decompressed whole. */
export async function decompressStream(body: Readable, extension: string): Promise<Readable> {
  if (extension === '.br') {
    // pipeline (not pipe) so a failing download errors the decompressed stream instead of leaving it hanging.
    return pipeline(body, zlib.createBrotliDecompress(), () => undefined);
  }
  if (extension === '') return body;
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Readable.from([await decompress(Buffer.concat(chunks), extension)]);
}
