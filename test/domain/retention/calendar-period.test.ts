import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lib/domain/errors.ts';
import { calendarPeriods, calendarPeriodsOfSorted, isoWeek } from '../../../lib/domain/retention/calendar-period.ts';

describe('calendarPeriods', () => {
  it.each([
    ['2026-11-20T23:30:00Z', 'UTC', '2026-11-20', '2026-W47', '2026-11', '2026'],
    // 23:30 UTC is 00:30 the next day in Berlin (CET, UTC+1).
    ['2026-11-20T23:30:00Z', 'Europe/Berlin', '2026-11-21', '2026-W47', '2026-11', '2026'],
    // Sunday 22:30 UTC is Monday in Berlin in summer (CEST, UTC+2): a new ISO week.
    ['2026-06-28T22:30:00Z', 'Europe/Berlin', '2026-06-29', '2026-W27', '2026-06', '2026'],
    ['2026-06-28T22:30:00Z', 'UTC', '2026-06-28', '2026-W26', '2026-06', '2026'],
    // New Year's Eve in UTC is already January in Berlin: month and year change too.
    ['2026-12-31T23:30:00Z', 'Europe/Berlin', '2027-01-01', '2026-W53', '2027-01', '2027'],
    // And still the previous day in New York.
    ['2027-01-01T03:00:00Z', 'America/New_York', '2026-12-31', '2026-W53', '2026-12', '2026'],
    // ISO week-year differs from the calendar year at both ends.
    ['2024-12-30T12:00:00Z', 'UTC', '2024-12-30', '2025-W01', '2024-12', '2024'],
    ['2021-01-03T12:00:00Z', 'UTC', '2021-01-03', '2020-W53', '2021-01', '2021'],
    // Half-hour zone.
    ['2026-11-20T19:00:00Z', 'Asia/Kolkata', '2026-11-21', '2026-W47', '2026-11', '2026'],
  ])('%s in %s is day %s, week %s, month %s, year %s', (instant, zone, day, week, month, year) => {
    expect(calendarPeriods(new Date(instant), zone)).toEqual({ day, week, month, year });
  });

  it('refuses a zone that is not an IANA name, naming it', () => {
    expect(() => calendarPeriods(new Date('2026-11-20T00:00:00Z'), 'Mars/Olympus')).toThrow(InvalidInputError);
    expect(() => calendarPeriods(new Date('2026-11-20T00:00:00Z'), 'Mars/Olympus')).toThrow(/Mars\/Olympus/);
  });

  it('gives the seven days from a Monday the same ISO week and the next Monday the next one', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2090, 0, 1) }), (ms) => {
        const start = new Date(ms);
        const offset = (start.getUTCDay() + 6) % 7;
        const monday = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate() - offset, 12);
        const weeks = Array.from(
          { length: 8 },
          (_, day) => calendarPeriods(new Date(monday + day * 86_400_000), 'UTC').week,
        );
        expect(new Set(weeks.slice(0, 7)).size).toBe(1);
        expect(weeks[7]).not.toBe(weeks[0]);
      }),
    );
  });

  it('numbers ISO weeks 1 to 52 or 53', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1900, max: 2200 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 28 }),
        (y, m, d) => {
          const { week } = isoWeek(y, m, d);
          expect(week).toBeGreaterThanOrEqual(1);
          expect(week).toBeLessThanOrEqual(53);
        },
      ),
    );
  });

  it('gives the same periods for a sorted batch as one by one, across DST changes in any zone', () => {
    const zones = [
      'Europe/Berlin',
      'America/New_York',
      'Australia/Lord_Howe',
      'America/Sao_Paulo',
      'Asia/Kathmandu',
      'UTC',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.UTC(1975, 0, 1), max: Date.UTC(2080, 0, 1) }),
        fc.array(fc.integer({ min: 1, max: 6 * 3_600_000 }), { minLength: 1, maxLength: 400 }),
        fc.boolean(),
        (zone, first, gaps, descending) => {
          const instants: Date[] = [];
          let at = first;
          for (const gap of gaps) {
            at += gap;
            instants.push(new Date(at));
          }
          if (descending) instants.reverse();
          expect(calendarPeriodsOfSorted(instants, zone)).toEqual(
            instants.map((instant) => calendarPeriods(instant, zone)),
          );
        },
      ),
      { numRuns: 150 },
    );
  });
});
