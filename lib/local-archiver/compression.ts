import { createRequire } from 'node:module';
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

type Lz4 = { decompress(data: Uint8Array): Uint8Array };
type Lzma = { decompress(data: Uint8Array, done: (result: string | number[] | null, error?: Error) => void): void };

/** Decompresses a whole object by the extension it was found under. */
export async function decompress(data: Buffer, extension: string): Promise<Buffer> {
  const require = createRequire(import.meta.url);
  switch (extension) {
    case '.br':
      return promisify(zlib.brotliDecompress)(data);
    case '.lz4':
      return Buffer.from((require('lz4js') as Lz4).decompress(data));
    case '.zst': {
      const { decompress: zstd } = await import('fzstd');
      return Buffer.from(zstd(data));
    }
    case '.lzma':
      return new Promise((resolve, reject) =>
        (require('lzma') as Lzma).decompress(data, (result, error) => {
          if (error || result === null) reject(error ?? new Error('lzma decompression failed'));
          else resolve(typeof result === 'string' ? Buffer.from(result, 'latin1') : Buffer.from(result));
        }),
      );
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
