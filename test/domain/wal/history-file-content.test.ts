import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DecompressionError, UnsupportedCompressionError } from '../../../lib/domain/compression/decompress.ts';
import { InvalidInputError } from '../../../lib/domain/errors.ts';
import type { Compression } from '../../../lib/domain/layout/storage-object.ts';
import { decodeHistoryFile } from '../../../lib/domain/wal/history-file-content.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { parseTimelineHistory } from '../../../lib/domain/wal/timeline-history.ts';

// Made by scripts/make-history-fixtures.sh with the real lz4, zstd, xz --format=lzma and gzip tools.
const fixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../fixtures/history/${name}`, import.meta.url)));
const EXPECTED_TEXT =
  '1\t0/30000A0\tno recovery target specified\n\n2\t0/05000000\tbefore 2026-11-20 14:30:00.123456+00\n';

describe('decodeHistoryFile', () => {
  it('the plain fixture is the expected PostgreSQL history text', () => {
    expect(new TextDecoder().decode(fixture('00000003.history'))).toBe(EXPECTED_TEXT);
  });

  it.each<[Compression, string]>([
    ['lz4', '00000003.history.lz4'],
    ['zstd', '00000003.history.zst'],
    ['zstd', '00000003.history.stream.zst'],
    ['lzma', '00000003.history.lzma'],
    ['brotli', '00000003.history.br'],
    ['gzip', '00000003.history.gz'],
    ['none', '00000003.history'],
    ['none-trailing-dot', '00000003.history'],
  ])('decodes %s (%s) to the exact text', (compression, file) => {
    const text = decodeHistoryFile(fixture(file), compression);
    expect(text).toBe(EXPECTED_TEXT);
    expect(parseTimelineHistory(timelineId(3), text).entries.map((entry) => entry.parent)).toEqual([1, 2]);
  });

  it('refuses lzo with a typed error that says what to do', () => {
    const decode = () =>
      decodeHistoryFile(new Uint8Array([0x89, 0x4c, 0x5a, 0x4f]), 'lzo', 'wal_005/00000002.history.lzo');
    expect(decode).toThrow(UnsupportedCompressionError);
    expect(decode).toThrow('wal_005/00000002.history.lzo: lzo (WAL-E) objects cannot be decoded by walcat');
  });

  it.each<[Compression, string]>([
    ['lz4', '00000003.history.zst'],
    ['zstd', '00000003.history.lz4'],
    ['lzma', '00000003.history.gz'],
    ['brotli', '00000003.history.lz4'],
    ['gzip', '00000003.history.lzma'],
  ])('reports %s data that is really %s as a DecompressionError naming the object', (compression, file) => {
    const decode = () => decodeHistoryFile(fixture(file), compression, `wal_005/${file}`);
    expect(decode).toThrow(DecompressionError);
    expect(decode).toThrow(InvalidInputError);
    expect(decode).toThrow(`wal_005/${file}: does not decode as ${compression}`);
  });

  it('detects a corrupted byte in checksummed formats', () => {
    for (const [compression, file] of [
      ['lz4', '00000003.history.lz4'],
      ['gzip', '00000003.history.gz'],
    ] as const) {
      const bytes = fixture(file);
      bytes[bytes.length - 6] = (bytes[bytes.length - 6] as number) ^ 0xff;
      expect(() => decodeHistoryFile(bytes, compression)).toThrow(DecompressionError);
    }
  });
});
