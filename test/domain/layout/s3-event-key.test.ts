import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lib/domain/errors.ts';
import { decodeS3EventKey } from '../../../lib/domain/layout/s3-event-key.ts';

describe('decodeS3EventKey', () => {
  it.each([
    ['orders-main/wal_005/000000010000000000000001.lz4', 'orders-main/wal_005/000000010000000000000001.lz4'],
    ['my+cluster/wal_005/00000002.history.lz4', 'my cluster/wal_005/00000002.history.lz4'],
    ['a%2Bb', 'a+b'],
    ['a%2Bb+c', 'a+b c'],
    ['caf%C3%A9/x', 'café/x'],
    ['with%20space', 'with space'],
    ['', ''],
  ])('%s -> %s', (encoded, decoded) => {
    expect(decodeS3EventKey(encoded)).toBe(decoded);
  });

  it.each(['bad%G1', 'truncated%2', 'lone%', 'invalid-utf8%C3'])(
    'rejects %s with an error naming the key',
    (encoded) => {
      expect(() => decodeS3EventKey(encoded)).toThrow(InvalidInputError);
      expect(() => decodeS3EventKey(encoded)).toThrow(encoded);
    },
  );

  it('property: decodes what S3 encodes (encodeURIComponent with spaces as +)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (key) => {
        const encoded = encodeURIComponent(key).replaceAll('%20', '+');
        expect(decodeS3EventKey(encoded)).toBe(key);
      }),
    );
  });
});
