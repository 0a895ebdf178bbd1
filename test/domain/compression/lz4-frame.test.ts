import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import lz4js from 'lz4js';
import { describe, expect, it } from 'vitest';
import { decodeLz4Frames, InvalidLz4FrameError } from '../../../lib/domain/compression/lz4-frame.ts';

const fixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../fixtures/history/${name}`, import.meta.url)));

/** The text scripts/make-history-fixtures.sh compresses into large-history.txt.lz4. */
function largeText(): string {
  let text = '';
  for (let i = 1; i <= 4000; i++) {
    text += `${i}\t${(i >> 8).toString(16).toUpperCase()}/${(i * 40).toString(16).toUpperCase()}\treason number ${i % 97}\n`;
  }
  return text;
}

describe('decodeLz4Frames', () => {
  it('decodes a frame of the lz4 tool with linked 64 KiB blocks and block checksums', () => {
    expect(new TextDecoder().decode(decodeLz4Frames(fixture('large-history.txt.lz4')))).toBe(largeText());
  });

  it('decodes concatenated frames and skips skippable frames', () => {
    const first = fixture('00000003.history.lz4');
    const skippable = new Uint8Array([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
    const joined = new Uint8Array([...first, ...skippable, ...first]);
    const text = new TextDecoder().decode(decodeLz4Frames(joined));
    const single = new TextDecoder().decode(decodeLz4Frames(first));
    expect(text).toBe(single + single);
  });

  it('round-trips anything another LZ4 frame encoder (lz4js) produces', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 3000 }),
          fc.string({ maxLength: 3000 }).map((text) => new TextEncoder().encode(text.repeat(3))),
        ),
        (bytes) => {
          const compressed = new Uint8Array(lz4js.compress(bytes));
          expect(decodeLz4Frames(compressed)).toEqual(bytes);
        },
      ),
    );
  });

  it.each([
    ['empty input', new Uint8Array(), 'LZ4 data is empty'],
    ['another format', new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]), 'is not 0x184d2204'],
    ['a truncated frame', fixture('00000003.history.lz4').subarray(0, 20), 'truncated'],
  ])('rejects %s', (_case, bytes, message) => {
    expect(() => decodeLz4Frames(bytes)).toThrow(InvalidLz4FrameError);
    expect(() => decodeLz4Frames(bytes)).toThrow(message);
  });

  it('detects a corrupted header, block or content by its checksum', () => {
    const original = fixture('large-history.txt.lz4');
    for (const position of [5, 200, original.length - 2]) {
      const damaged = original.slice();
      damaged[position] = (damaged[position] as number) ^ 0x01;
      expect(() => decodeLz4Frames(damaged)).toThrow(InvalidLz4FrameError);
    }
  });
});
