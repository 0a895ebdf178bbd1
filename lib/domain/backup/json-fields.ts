import * as z from 'zod';

const MAX_UINT64 = (1n << 64n) - 1n;

/**
 * An unsigned 64-bit JSON integer as the lossless parser yields it (number when safe, bigint otherwise), as bigint.
 * WAL-G writes LSNs and system identifiers this way; a fraction, string or negative value is rejected.
 */
const UINT64_PROBLEM =
  'expected a non-negative integer below 2^64 (WAL-G writes LSNs and system identifiers as JSON integers)';

export const uint64Field = z
  .union([z.number(), z.bigint()], { error: UINT64_PROBLEM })
  .refine(
    (value) =>
      typeof value === 'bigint' ? value >= 0n && value <= MAX_UINT64 : Number.isSafeInteger(value) && value >= 0,
    { error: UINT64_PROBLEM },
  )
  .transform((value) => BigInt(value));

/** A byte count: a non-negative safe integer. */
const SIZE_PROBLEM = 'expected a byte count (non-negative integer)';
export const sizeField = z
  .number({ error: SIZE_PROBLEM })
  .int({ error: SIZE_PROBLEM })
  .nonnegative({ error: SIZE_PROBLEM });

/** An RFC 3339 time as WAL-G writes it (`2026-11-20T01:00:02.318842Z`). */
export const timeField = z.string().refine((text) => !Number.isNaN(Date.parse(text)), {
  error: 'expected an RFC 3339 time such as 2026-11-20T01:00:02.318842Z',
});

/**
 * Arbitrary user JSON with big integers turned back into plain numbers, i.e. exactly what `JSON.parse` would give:
 * consumers treat user data as plain JSON.
 */
export const plainJsonField = z.unknown().transform(toPlainJson).optional();

function toPlainJson(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(toPlainJson);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, toPlainJson(inner)]));
  }
  return value;
}
