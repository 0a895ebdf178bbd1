import { InvalidWalNameError } from '../errors.ts';

declare const segmentSizeBrand: unique symbol;
/** `wal_segment_size` in bytes: a power of two from 1 MiB to 1 GiB, fixed at initdb. */
export type WalSegmentSize = number & { readonly [segmentSizeBrand]: true };

const MIB = 1024 * 1024;
export const MIN_WAL_SEGMENT_SIZE = MIB;
export const MAX_WAL_SEGMENT_SIZE = 1024 * MIB;

/**
 * Validates a segment size in bytes.
 *
 * @example walSegmentSize(16 * 1024 * 1024)
 */
export function walSegmentSize(bytes: number): WalSegmentSize {
  const isPowerOfTwo = Number.isInteger(bytes) && bytes > 0 && (bytes & (bytes - 1)) === 0;
  if (!isPowerOfTwo || bytes < MIN_WAL_SEGMENT_SIZE || bytes > MAX_WAL_SEGMENT_SIZE) {
    throw new InvalidWalNameError(
      `wal segment size ${bytes} bytes is not a power of two between 1 MiB and 1 GiB (PostgreSQL's initdb --wal-segsize range)`,
    );
  }
  return bytes as WalSegmentSize;
}

export const DEFAULT_WAL_SEGMENT_SIZE: WalSegmentSize = walSegmentSize(16 * MIB);

const SIZE_TEXT = /^(\d+)\s*(MiB|GiB|MB|GB)$/;

/**
 * Parses `16MiB`, `1GiB` (also `MB`/`GB`, read as binary units as PostgreSQL does).
 *
 * @example parseWalSegmentSize('64MiB') === 64 * 1024 * 1024
 */
export function parseWalSegmentSize(text: string): WalSegmentSize {
  const match = SIZE_TEXT.exec(text.trim());
  if (!match) {
    throw new InvalidWalNameError(`wal segment size ${JSON.stringify(text)} is not like 16MiB or 1GiB`);
  }
  const unit = match[2] === 'GiB' || match[2] === 'GB' ? 1024 * MIB : MIB;
  return walSegmentSize(Number(match[1]) * unit);
}

/** Segments per 4 GiB "log id": 256 at 16 MiB, 4096 at 1 MiB, 4 at 1 GiB. */
export function segmentsPerLogId(size: WalSegmentSize): number {
  return 0x1_0000_0000 / size;
}

export function formatWalSegmentSize(size: WalSegmentSize): string {
  return size >= 1024 * MIB ? `${size / (1024 * MIB)}GiB` : `${size / MIB}MiB`;
}
