import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidWalNameError } from '../../../lib/domain/errors.ts';
import {
  compareLsn,
  formatLsn,
  isLsnText,
  type Lsn,
  lsnAdd,
  lsnDistance,
  lsnFromInteger,
  parseLsn,
} from '../../../lib/domain/wal/lsn.ts';

const MAX_LSN = (1n << 64n) - 1n;
const anyLsn = fc.bigInt({ min: 0n, max: MAX_LSN }).map((value) => value as Lsn);

describe('parseLsn', () => {
  it.each([
    ['0/0', 0n],
    ['0/A0', 0xa0n],
    ['0/000000A0', 0xa0n],
    ['0/03000190', 0x3000190n],
    ['16/B374D848', 0x16b374d848n],
    ['16/b374d848', 0x16b374d848n],
    ['1/0', 0x1_0000_0000n],
    ['FFFFFFFF/FFFFFFFF', MAX_LSN],
    [' 0/1 ', 1n],
  ])('reads %j as %s', (text, expected) => {
    expect(parseLsn(text)).toBe(expected);
  });

  it.each(['', '0', '/1', '1/', '0/123456789', '123456789/0', '0x1/0', '0/G', '-1/0', '0/1/2'])(
    'rejects %j with a message that shows the value and the expected form',
    (text) => {
      expect(() => parseLsn(text)).toThrow(InvalidWalNameError);
      expect(() => parseLsn(text)).toThrow(JSON.stringify(text));
      expect(() => parseLsn(text)).toThrow('X/Y');
    },
  );

  it('round-trips every LSN through the classic %X/%X text', () => {
    fc.assert(fc.property(anyLsn, (lsn) => parseLsn(formatLsn(lsn)) === lsn));
  });

  it('reads the zero-padded %X/%08X form (recent PostgreSQL) as the same value', () => {
    fc.assert(
      fc.property(anyLsn, (lsn) => {
        const high = (lsn >> 32n).toString(16).toUpperCase();
        const low = (lsn & 0xffffffffn).toString(16).toUpperCase().padStart(8, '0');
        return parseLsn(`${high}/${low}`) === lsn;
      }),
    );
  });
});

describe('formatLsn', () => {
  it.each([
    [0n, '0/0'],
    [0xa0n, '0/A0'],
    [0x1_0000_0000n, '1/0'],
    [0x16b374d848n, '16/B374D848'],
    [MAX_LSN, 'FFFFFFFF/FFFFFFFF'],
  ])('writes %s as %s (upper case, no padding)', (value, text) => {
    expect(formatLsn(value as Lsn)).toBe(text);
  });

  it('always produces text that isLsnText accepts', () => {
    fc.assert(fc.property(anyLsn, (lsn) => isLsnText(formatLsn(lsn))));
  });
});

describe('lsnFromInteger', () => {
  it('accepts safe numbers and any bigint in 0..2^64-1', () => {
    expect(lsnFromInteger(16777256)).toBe(0x1000028n);
    expect(lsnFromInteger(MAX_LSN)).toBe(MAX_LSN);
    expect(lsnFromInteger(0n)).toBe(0n);
  });

  it.each([[-1], [-1n], [1n << 64n], [1.5], [2 ** 60], [Number.NaN]])(
    'rejects %s (negative, too large, fractional or not exactly representable)',
    (value) => {
      expect(() => lsnFromInteger(value)).toThrow(InvalidWalNameError);
    },
  );
});

describe('LSN arithmetic and ordering', () => {
  it('adds and measures distances consistently', () => {
    fc.assert(
      fc.property(anyLsn, fc.bigInt({ min: 0n, max: 1n << 40n }), (lsn, bytes) => {
        fc.pre(lsn + bytes <= MAX_LSN);
        const moved = lsnAdd(lsn, bytes);
        return lsnDistance(lsn, moved) === bytes && lsnDistance(moved, lsn) === -bytes;
      }),
    );
  });

  it('refuses to move past the end of the 64-bit LSN space', () => {
    expect(() => lsnAdd(MAX_LSN as Lsn, 1)).toThrow(InvalidWalNameError);
  });

  it('orders like the numbers and agrees with formatted text of equal width', () => {
    fc.assert(
      fc.property(anyLsn, anyLsn, (a, b) => {
        const sign = compareLsn(a, b);
        const expected = a < b ? -1 : a > b ? 1 : 0;
        return sign === expected && compareLsn(b, a) === -expected;
      }),
    );
  });
});
