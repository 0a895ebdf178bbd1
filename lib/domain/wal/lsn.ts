import { InvalidWalNameError } from '../errors.ts';

declare const lsnBrand: unique symbol;
/** A PostgreSQL log sequence number: a 64-bit byte position in the WAL stream. */
export type Lsn = bigint & { readonly [lsnBrand]: true };

const MAX_LSN = (1n << 64n) - 1n;
const LSN_TEXT = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/**
 * Makes an LSN from an integer (WAL-G's sentinel and metadata.json store LSNs as plain JSON integers).
 *
 * @example lsnFromInteger(16777256n) // 0/1000028
 */
export function lsnFromInteger(value: bigint | number): Lsn {
  const big = typeof value === 'bigint' ? value : Number.isSafeInteger(value) ? BigInt(value) : Number.NaN;
  if (typeof big !== 'bigint' || big < 0n || big > MAX_LSN) {
    throw new InvalidWalNameError(`LSN ${String(value)} is not an integer between 0 and 2^64-1`);
  }
  return big as Lsn;
}

/**
 * Parses the `X/Y` text form (both halves hexadecimal, 1 to 8 digits; the zero-padded `X/0000000Y` form of recent
 * PostgreSQL releases parses to the same value).
 *
 * @example parseLsn('16/B374D848') === 0x16B374D848n
 */
export function parseLsn(text: string): Lsn {
  const match = LSN_TEXT.exec(text.trim());
  if (!match) {
    throw new InvalidWalNameError(
      `LSN ${JSON.stringify(text)} is not of the form X/Y with hexadecimal halves of 1 to 8 digits (e.g. 0/2A33FF50)`,
    );
  }
  return ((BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`)) as Lsn;
}

/**
 * Formats as PostgreSQL's classic `%X/%X` (upper case, no padding).
 *
 * @example formatLsn(parseLsn('0/0000A0')) === '0/A0'
 */
export function formatLsn(lsn: Lsn): string {
  const high = lsn >> 32n;
  const low = lsn & 0xffffffffn;
  return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`;
}

/** Bytes from `from` to `to` (negative when `to` is before `from`). */
export function lsnDistance(from: Lsn, to: Lsn): bigint {
  return to - from;
}

/** The LSN `bytes` after `lsn`. */
export function lsnAdd(lsn: Lsn, bytes: bigint | number): Lsn {
  return lsnFromInteger(lsn + BigInt(bytes));
}

export function compareLsn(a: Lsn, b: Lsn): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when the string is a valid `X/Y` LSN. */
export function isLsnText(text: string): boolean {
  return LSN_TEXT.test(text);
}
