import { InvalidInputError } from '../domain/errors.ts';

/**
 * The ustar subset pg_basebackup writes (`src/port/tar.c`): 512-byte headers, names up to 99 bytes plus the ustar
 * prefix, sizes in octal or, above 8 GiB, base-256. The archiver copies header blocks verbatim into the partitions,
 * so every attribute PostgreSQL wrote survives the round trip.
 */
export const TAR_BLOCK = 512;
/** Two zero blocks end an archive. */
export const TAR_END = Buffer.alloc(TAR_BLOCK * 2);

export type TarEntryType = 'file' | 'directory' | 'symlink';

export interface TarHeader {
  readonly path: string;
  readonly type: TarEntryType;
  readonly mode: number;
  readonly size: number;
  readonly linkTarget: string;
  /** The original 512-byte header block. */
  readonly block: Buffer;
}

function field(block: Buffer, offset: number, length: number): string {
  const raw = block.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

function octal(block: Buffer, offset: number, length: number): number {
  const first = block[offset] ?? 0;
  if (first & 0x80) {
    // base-256: big-endian binary in the remaining bytes (GNU extension PostgreSQL uses for files >= 8 GiB).
    let value = 0;
    for (let i = offset + 1; i < offset + length; i += 1) value = value * 256 + (block[i] ?? 0);
    return value;
  }
  const text = field(block, offset, length).trim();
  return text === '' ? 0 : Number.parseInt(text, 8);
}

/** Parses a header block; `undefined` for the zero block that ends the archive. */
export function parseTarHeader(block: Buffer): TarHeader | undefined {
  if (block.every((byte) => byte === 0)) return undefined;
  const name = field(block, 0, 100);
  const prefix = field(block, 345, 155);
  const path = prefix ? `${prefix}/${name}` : name;
  const typeFlag = String.fromCharCode(block[156] ?? 0);
  const type: TarEntryType | undefined =
    typeFlag === '0' || typeFlag === '\0' || typeFlag === '7'
      ? 'file'
      : typeFlag === '5'
        ? 'directory'
        : typeFlag === '2'
          ? 'symlink'
          : undefined;
  if (type === undefined) {
    throw new InvalidInputError(
      `tar entry ${JSON.stringify(path)} has type ${JSON.stringify(typeFlag)}, which pg_basebackup never writes`,
    );
  }
  return {
    path,
    type,
    mode: octal(block, 100, 8) & 0o7777,
    size: type === 'file' ? octal(block, 124, 12) : 0,
    linkTarget: field(block, 157, 100),
    block,
  };
}

/** Bytes of zero padding after `size` bytes of data. */
export function tarPadding(size: number): number {
  return (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
}

/** Path without a trailing slash and leading `./`. */
export function normalizeTarPath(path: string): string {
  return path.replace(/^\.\//, '').replace(/\/+$/, '');
}
