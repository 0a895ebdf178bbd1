import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatRestoreTarget,
  InvalidRestoreTargetError,
  parseRestoreTarget,
  parseTargetTime,
  restoreTargetFromText,
} from '../../../lib/domain/restore/restore-target.ts';

describe('parseTargetTime', () => {
  it.each([
    ['2026-11-20T14:30:00Z', '2026-11-20T14:30:00.000Z'],
    ['2026-11-20T14:30:00+01:00', '2026-11-20T13:30:00.000Z'],
    ['2026-11-20T14:30:00-0530', '2026-11-20T20:00:00.000Z'],
    ['2026-11-20 14:30:00.123456Z', '2026-11-20T14:30:00.123Z'],
    ['2026-11-20T14:30Z', '2026-11-20T14:30:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2026-11-20T00:30:00+14:00', '2026-11-19T10:30:00.000Z'],
  ])('reads %s as %s', (text, iso) => {
    expect(parseTargetTime(text).toISOString()).toBe(iso);
  });

  it.each([
    ['2026-11-20T14:30:00', '2026-11-20T14:30:00Z', '2026-11-20T14:30:00+01:00'],
    ['2026-11-20 14:30', '2026-11-20T14:30:00Z', '2026-11-20T14:30:00+01:00'],
    ['2026-11-20', '2026-11-20T00:00:00Z', '2026-11-20T00:00:00+01:00'],
  ])('refuses the zone-less %s and shows the fix', (text, utc, offset) => {
    expect(() => parseTargetTime(text)).toThrow(InvalidRestoreTargetError);
    expect(() => parseTargetTime(text)).toThrow(utc);
    expect(() => parseTargetTime(text)).toThrow(offset);
  });

  it.each([
    'yesterday',
    '2026-02-30T00:00:00Z',
    '2026-11-20T24:00:00Z',
    '2026-11-20T14:60:00Z',
    '2026-11-20T14:30:00+15:00',
    '20261120T143000Z',
    '2026-11-20T14:30:00 UTC',
    '',
  ])('refuses %j', (text) => {
    expect(() => parseTargetTime(text)).toThrow(InvalidRestoreTargetError);
  });

  it('round-trips every UTC millisecond time through its ISO form', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
        (date) => {
          expect(parseTargetTime(date.toISOString()).getTime()).toBe(date.getTime());
        },
      ),
    );
  });
});

describe('parseRestoreTarget', () => {
  it.each([
    [{ to: 'latest' }, { kind: 'latest' }],
    [{ to: 'LATEST' }, { kind: 'latest' }],
    [{ to: '2026-11-20T14:30:00Z' }, { kind: 'time', time: new Date('2026-11-20T14:30:00Z') }],
    [{ lsn: '0/3000060' }, { kind: 'lsn', lsn: 0x3000060n }],
    [{ name: 'before-migration' }, { kind: 'name', name: 'before-migration' }],
    [{ xid: '7345' }, { kind: 'xid', xid: 7345n }],
    [{ xid: '18446744073709551615' }, { kind: 'xid', xid: 18446744073709551615n }],
  ])('reads %j', (options, expected) => {
    expect(parseRestoreTarget(options)).toEqual(expected);
  });

  it.each([
    [{}, 'none was given'],
    [{ to: 'latest', lsn: '0/1' }, '--to and --lsn'],
    [{ lsn: '3000060' }, 'e.g. 0/3000060'],
    [{ name: '' }, '1 to 63 bytes'],
    [{ name: 'x'.repeat(64) }, '1 to 63 bytes'],
    [{ name: 'a\nb' }, 'control characters'],
    [{ xid: '2' }, 'at least 3'],
    [{ xid: '-5' }, 'at least 3'],
    [{ xid: '18446744073709551616' }, 'at least 3'],
    [{ xid: '12abc' }, 'decimal'],
  ])('refuses %j with a message naming the fix', (options, fragment) => {
    expect(() => parseRestoreTarget(options)).toThrow(InvalidRestoreTargetError);
    expect(() => parseRestoreTarget(options)).toThrow(fragment);
  });

  it.each([
    { to: 'latest' },
    { to: '2026-11-20T14:30:00.250+02:00' },
    { lsn: '16/B374D848' },
    { name: "it's a point" },
    { xid: '4294967296' },
  ])('round-trips %j through formatRestoreTarget and restoreTargetFromText', (options) => {
    const target = parseRestoreTarget(options);
    expect(restoreTargetFromText(target.kind, formatRestoreTarget(target))).toEqual(target);
  });
});
