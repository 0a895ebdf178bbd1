import { InvalidInputError } from '../errors.ts';

/**
 * The calendar periods an instant falls in, as seen in one IANA time zone. Keys sort in time order within a kind
 * and are what the tier reasons print: `2026-11-20`, `2026-W47`, `2026-11`, `2026`.
 */
export interface CalendarPeriods {
  readonly day: string;
  /** ISO 8601 week (Monday to Sunday) of its ISO week-year: 29-31 December can be week 1 of the next year. */
  readonly week: string;
  readonly month: string;
  readonly year: string;
}

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * One formatter per zone, always with an explicit `timeZone`: the machine's zone never decides which day a backup
 * belongs to (a Lambda runs in UTC, a laptop in local time; the plan must not depend on where it is computed).
 */
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  const cached = formatters.get(timeZone);
  if (cached) return cached;
  let formatter: Intl.DateTimeFormat;
  try {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hourCycle: 'h23',
    });
  } catch (error) {
    throw new InvalidInputError(
      `retention timezone ${JSON.stringify(timeZone)} is not an IANA time zone name; use e.g. UTC or Europe/Berlin`,
      { cause: error },
    );
  }
  formatters.set(timeZone, formatter);
  return formatter;
}

const pad2 = (value: number): string => value.toString().padStart(2, '0');
const pad4 = (value: number): string => value.toString().padStart(4, '0');

/** The local calendar date of an instant in a zone. */
export function localDate(instant: Date, timeZone: string): { year: number; month: number; day: number } {
  let year = 0;
  let month = 0;
  let day = 0;
  for (const part of formatterFor(timeZone).formatToParts(instant)) {
    if (part.type === 'year') year = Number(part.value);
    else if (part.type === 'month') month = Number(part.value);
    else if (part.type === 'day') day = Number(part.value);
  }
  return { year, month, day };
}

/**
 * ISO 8601 week of a calendar date: the week belongs to the year of its Thursday.
 *
 * @example isoWeek(2026, 12, 31) // { weekYear: 2026, week: 53 }
 * @example isoWeek(2027, 1, 1) // { weekYear: 2026, week: 53 }
 */
export function isoWeek(year: number, month: number, day: number): { weekYear: number; week: number } {
  const date = Date.UTC(year, month - 1, day);
  const mondayBased = (new Date(date).getUTCDay() + 6) % 7;
  const thursday = date + (3 - mondayBased) * DAY_MS;
  const weekYear = new Date(thursday).getUTCFullYear();
  const week = 1 + Math.floor((thursday - Date.UTC(weekYear, 0, 1)) / (7 * DAY_MS));
  return { weekYear, week };
}

/**
 * The day, ISO week, month and year of an instant in an IANA zone.
 *
 * @example
 * calendarPeriods(new Date('2026-11-20T23:30:00Z'), 'Europe/Berlin')
 * // { day: '2026-11-21', week: '2026-W47', month: '2026-11', year: '2026' }
 * @throws InvalidInputError when the zone is not an IANA zone name.
 */
export function calendarPeriods(instant: Date, timeZone: string): CalendarPeriods {
  const { year, month, day } = localDate(instant, timeZone);
  const { weekYear, week } = isoWeek(year, month, day);
  return {
    day: `${pad4(year)}-${pad2(month)}-${pad2(day)}`,
    week: `${pad4(weekYear)}-W${pad2(week)}`,
    month: `${pad4(year)}-${pad2(month)}`,
    year: pad4(year),
  };
}
