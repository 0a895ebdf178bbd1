import xxh32 from 'lz4js/xxh32.js';
import { InvalidInputError } from '../errors.ts';

/** LZ4 data that is not a well-formed LZ4 frame (truncated, corrupt, or another format). */
export class InvalidLz4FrameError extends InvalidInputError {
  override readonly name: string = 'InvalidLz4FrameError';
}

const FRAME_MAGIC = 0x184d2204;
const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const BLOCK_MAX_SIZES: Readonly<Record<number, number>> = { 4: 1 << 16, 5: 1 << 18, 6: 1 << 20, 7: 1 << 22 };
const UNCOMPRESSED_BLOCK_FLAG = 0x80000000;
const MIN_MATCH = 4;

function readU32(bytes: Uint8Array, at: number): number {
  if (at + 4 > bytes.length) {
    throw new InvalidLz4FrameError(`LZ4 frame is truncated at byte ${at} of ${bytes.length}`);
  }
  return (
    ((bytes[at] as number) |
      ((bytes[at + 1] as number) << 8) |
      ((bytes[at + 2] as number) << 16) |
      ((bytes[at + 3] as number) << 24)) >>>
    0
  );
}

/** Grows as blocks are decoded; matches may reach back into earlier blocks (linked-block frames). */
class OutputBuffer {
  bytes = new Uint8Array(1 << 16);
  length = 0;

  reserve(extra: number): void {
    if (this.length + extra > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + extra));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
  }

  append(source: Uint8Array, from: number, count: number): void {
    this.reserve(count);
    this.bytes.set(source.subarray(from, from + count), this.length);
    this.length += count;
  }

  copyMatch(offset: number, count: number): void {
    if (offset === 0 || offset > this.length) {
      throw new InvalidLz4FrameError(`LZ4 block refers ${offset} bytes back with only ${this.length} decoded`);
    }
    this.reserve(count);
    // Byte by byte: a match may overlap the bytes it produces (offset < count repeats a pattern).
    for (let index = 0; index < count; index++) {
      this.bytes[this.length] = this.bytes[this.length - offset] as number;
      this.length++;
    }
  }
}

/** LZ4's length encoding: a 4-bit value of 15 continues in following bytes, each adding up to 255. */
function readLength(source: Uint8Array, at: number, end: number, initial: number): { length: number; next: number } {
  let length = initial;
  let next = at;
  if (initial === 15) {
    let byte: number;
    do {
      if (next >= end) {
        throw new InvalidLz4FrameError('LZ4 block ends inside a length');
      }
      byte = source[next++] as number;
      length += byte;
    } while (byte === 255);
  }
  return { length, next };
}

function decodeBlock(source: Uint8Array, start: number, end: number, output: OutputBuffer): void {
  let at = start;
  while (at < end) {
    const token = source[at++] as number;
    const literals = readLength(source, at, end, token >> 4);
    at = literals.next;
    if (at + literals.length > end) {
      throw new InvalidLz4FrameError('LZ4 block literals run past the end of the block');
    }
    output.append(source, at, literals.length);
    at += literals.length;
    if (at >= end) {
      return;
    }
    if (at + 2 > end) {
      throw new InvalidLz4FrameError('LZ4 block ends inside a match offset');
    }
    const offset = (source[at] as number) | ((source[at + 1] as number) << 8);
    at += 2;
    const match = readLength(source, at, end, token & 15);
    at = match.next;
    output.copyMatch(offset, match.length + MIN_MATCH);
  }
}

/**
 * Decodes data in the LZ4 frame format (what `lz4` writes and WAL-G uploads as `.lz4`), including concatenated and
 * skippable frames, linked or independent blocks; header, block and content checksums are verified when present.
 *
 * @throws InvalidLz4FrameError for truncated or corrupt data or a failed checksum.
 * @example new TextDecoder().decode(decodeLz4Frames(bytesOfLz4File)) // the original text
 */
export function decodeLz4Frames(input: Uint8Array): Uint8Array {
  const output = new OutputBuffer();
  let at = 0;
  if (input.length === 0) {
    throw new InvalidLz4FrameError('LZ4 data is empty; expected at least one frame');
  }
  while (at < input.length) {
    const magic = readU32(input, at);
    if ((magic & SKIPPABLE_MAGIC_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      at += 8 + readU32(input, at + 4);
      continue;
    }
    if (magic !== FRAME_MAGIC) {
      throw new InvalidLz4FrameError(
        `LZ4 frame magic number 0x${magic.toString(16)} at byte ${at} is not 0x184d2204; the data is not LZ4 frame format`,
      );
    }
    const descriptorStart = at + 4;
    const flags = input[descriptorStart] ?? 0;
    const blockDescriptor = input[descriptorStart + 1] ?? 0;
    if (flags >> 6 !== 1) {
      throw new InvalidLz4FrameError(`LZ4 frame version ${flags >> 6} is not 1`);
    }
    const hasBlockChecksums = (flags & 0x10) !== 0;
    const hasContentSize = (flags & 0x08) !== 0;
    const hasContentChecksum = (flags & 0x04) !== 0;
    const hasDictionaryId = (flags & 0x01) !== 0;
    const blockMaxSize = BLOCK_MAX_SIZES[(blockDescriptor >> 4) & 7];
    if (blockMaxSize === undefined) {
      throw new InvalidLz4FrameError(`LZ4 frame block size code ${(blockDescriptor >> 4) & 7} is not 4..7`);
    }
    const headerChecksumAt = descriptorStart + 2 + (hasContentSize ? 8 : 0) + (hasDictionaryId ? 4 : 0);
    if (headerChecksumAt >= input.length) {
      throw new InvalidLz4FrameError('LZ4 frame header is truncated');
    }
    const expectedHeaderChecksum =
      (xxh32.hash(0, input, descriptorStart, headerChecksumAt - descriptorStart) >>> 8) & 0xff;
    if (input[headerChecksumAt] !== expectedHeaderChecksum) {
      throw new InvalidLz4FrameError('LZ4 frame header checksum does not match; the data is corrupt');
    }
    const frameOutputStart = output.length;
    at = headerChecksumAt + 1;
    for (;;) {
      const blockHeader = readU32(input, at);
      at += 4;
      if (blockHeader === 0) {
        break;
      }
      const isUncompressed = (blockHeader & UNCOMPRESSED_BLOCK_FLAG) !== 0;
      const blockSize = blockHeader & ~UNCOMPRESSED_BLOCK_FLAG;
      if (blockSize > blockMaxSize || at + blockSize + (hasBlockChecksums ? 4 : 0) > input.length) {
        throw new InvalidLz4FrameError(
          `LZ4 block of ${blockSize} bytes at byte ${at} is larger than its frame allows or truncated`,
        );
      }
      if (hasBlockChecksums && readU32(input, at + blockSize) !== xxh32.hash(0, input, at, blockSize)) {
        throw new InvalidLz4FrameError(
          `LZ4 block checksum at byte ${at + blockSize} does not match; the data is corrupt`,
        );
      }
      if (isUncompressed) {
        output.append(input, at, blockSize);
      } else {
        decodeBlock(input, at, at + blockSize, output);
      }
      at += blockSize + (hasBlockChecksums ? 4 : 0);
    }
    if (hasContentChecksum) {
      const content = output.bytes.subarray(frameOutputStart, output.length);
      if (readU32(input, at) !== xxh32.hash(0, content, 0, content.length)) {
        throw new InvalidLz4FrameError('LZ4 frame content checksum does not match; the data is corrupt');
      }
      at += 4;
    }
  }
  return output.bytes.slice(0, output.length);
}
