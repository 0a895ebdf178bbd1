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
const wallClockFormatters = new Map<string, Intl.DateTimeFormat>();

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

/** Like formatterFor, with the time of day: for the zone's UTC offset at an instant. */
function wallClockFormatterFor(timeZone: string): Intl.DateTimeFormat {
  const cached = wallClockFormatters.get(timeZone);
  if (cached) return cached;
  formatterFor(timeZone);
  const formatter = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    hourCycle: 'h23',
  });
  wallClockFormatters.set(timeZone, formatter);
  return formatter;
}

/**
 * The zone's UTC offset at an instant, in milliseconds (wall clock minus UTC, whole seconds).
 *
 * @example utcOffsetMs(new Date('2026-07-01T00:00:00Z'), 'Europe/Berlin') === 7_200_000
 */
export function utcOffsetMs(instant: Date, timeZone: string): number {
  return utcOffsetAtMs(instant.getTime(), timeZone);
}

/** `M/D/Y, hh:mm:ss`, what the wall clock formatter prints: the same numbers its parts hold, read without them. */
const WALL_CLOCK = /^(\d+)\/(\d+)\/(\d+), (\d+):(\d+):(\d+)$/;

function utcOffsetAtMs(ms: number, timeZone: string): number {
  const formatter = wallClockFormatterFor(timeZone);
  // format() is several times cheaper than formatToParts(), which builds an object per field; the parts are read
  // only when the printed form is not the expected one.
  const printed = WALL_CLOCK.exec(formatter.format(ms));
  let wall: number;
  if (printed !== null) {
    wall = Date.UTC(
      Number(printed[3]),
      Number(printed[1]) - 1,
      Number(printed[2]),
      Number(printed[4]),
      Number(printed[5]),
      Number(printed[6]),
    );
  } else {
    const fields: Record<string, number> = {};
    for (const part of formatter.formatToParts(ms)) {
      if (part.type !== 'literal') fields[part.type] = Number(part.value);
    }
    wall = Date.UTC(
      fields.year ?? 0,
      (fields.month ?? 1) - 1,
      fields.day ?? 1,
      fields.hour ?? 0,
      fields.minute ?? 0,
      fields.second ?? 0,
    );
  }
  return wall - Math.floor(ms / 1000) * 1000;
}

const pad2 = (value: number): string => value.toString().padStart(2, '0');
const pad4 = (value: number): string => value.toString().padStart(4, '0');

/** The local calendar date of an instant in a zone. */
function localDate(instant: Date, timeZone: string): { year: number; month: number; day: number } {
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

function periodsAtOffset(ms: number, offsetMs: number): CalendarPeriods {
  const local = new Date(ms + offsetMs);
  const year = local.getUTCFullYear();
  const month = local.getUTCMonth() + 1;
  const day = local.getUTCDate();
  const { weekYear, week } = isoWeek(year, month, day);
  return {
    day: `${pad4(year)}-${pad2(month)}-${pad2(day)}`,
    week: `${pad4(weekYear)}-W${pad2(week)}`,
    month: `${pad4(year)}-${pad2(month)}`,
    year: pad4(year),
  };
}

/**
 * `calendarPeriods` of many instants sorted by time (either direction), with far fewer time zone lookups: the UTC
 * offset is read at instants about a day apart, and where two readings agree the instants between share it (a zone
 * never changes its offset twice within a day); where they differ, the change is found by bisection. Hourly backups
 * over ten years cost a few thousand lookups instead of 87,600.
 *
 * @example calendarPeriodsOfSorted([new Date('2026-11-20T23:30Z'), new Date('2026-11-21T10:00Z')], 'Europe/Berlin')
 *   .map((p) => p.day) // ['2026-11-21', '2026-11-21']
 */
export function calendarPeriodsOfSorted(instants: readonly Date[], timeZone: string): CalendarPeriods[] {
  const times = new Float64Array(instants.length);
  for (let index = 0; index < instants.length; index++) times[index] = (instants[index] as Date).getTime();
  const { days, dayOf } = calendarDaysOfSortedTimes(times, timeZone);
  return Array.from(dayOf, (day) => days[day] as CalendarPeriods);
}

/**
 * The local days of sorted epoch times: `days` holds the periods of each run of instants on one local day, and
 * `dayOf` the run of each instant. Tens of thousands of backups span a few thousand days; a caller that keeps the
 * run numbers writes no array of a periods object per backup.
 */
export function calendarDaysOfSortedTimes(
  times: ArrayLike<number>,
  timeZone: string,
): { readonly days: readonly CalendarPeriods[]; readonly dayOf: Int32Array } {
  const count = times.length;
  const offsets = new Float64Array(count);
  const known = new Uint8Array(count);
  const offsetAt = (index: number): number => {
    if (known[index] === 1) return offsets[index] as number;
    const offset = utcOffsetAtMs(times[index] as number, timeZone);
    offsets[index] = offset;
    known[index] = 1;
    return offset;
  };
  const fill = (from: number, to: number): void => {
    // Offsets known at both ends, at most a day apart: equal means constant in between; otherwise bisect.
    if (to - from <= 1) return;
    if (offsetAt(from) === offsetAt(to)) {
      offsets.fill(offsets[from] as number, from + 1, to);
      known.fill(1, from + 1, to);
      return;
    }
    const middle = (from + to) >> 1;
    offsetAt(middle);
    fill(from, middle);
    fill(middle, to);
  };
  let start = 0;
  while (start < count) {
    let end = start;
    // Gallop to the last instant within a day of `start`.
    let step = 1;
    while (end + step < count && Math.abs((times[end + step] as number) - (times[start] as number)) <= DAY_MS) {
      end += step;
      step *= 2;
    }
    while (step > 1) {
      step >>= 1;
      if (end + step < count && Math.abs((times[end + step] as number) - (times[start] as number)) <= DAY_MS) {
        end += step;
      }
    }
    offsetAt(start);
    offsetAt(end);
    fill(start, end);
    start = end === start ? start + 1 : end;
  }
  // Instants of the same local day share one periods object (hourly backups: 24 per day).
  const days: CalendarPeriods[] = [];
  const dayOf = new Int32Array(count);
  let lastDay = Number.NaN;
  for (let index = 0; index < count; index++) {
    const ms = times[index] as number;
    const offset = offsetAt(index);
    const localDay = Math.floor((ms + offset) / DAY_MS);
    if (localDay !== lastDay || days.length === 0) {
      lastDay = localDay;
      days.push(periodsAtOffset(ms, offset));
    }
    dayOf[index] = days.length - 1;
  }
  return { days, dayOf };
}
