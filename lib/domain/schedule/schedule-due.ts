/**
 * Which schedules are due at a given minute, with EventBridge's semantics, so one dispatcher on a one-minute tick
 * replaces one EventBridge rule per cluster (a stack's resources and policies then stay the same size for any fleet).
 *
 * `cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)`, in UTC as EventBridge evaluates it:
 * `*`, `,`, `-`, `/` in every field; `?` in day-of-month or day-of-week (exactly one of them); `L`, `W`, `LW` in
 * day-of-month; `L`, `<n>L` and `<n>#<k>` in day-of-week, whose numbers run 1-7 from Sunday; JAN-DEC and SUN-SAT.
 *
 * `rate(<n> minute(s)|hour(s)|day(s))` fires every n units. EventBridge counts from the rule's creation; here the
 * count starts at the Unix epoch plus the schedule's `offsetMinutes`, so the period is the same and restarts never
 * shift it. Give each cluster its own offset ({@link stableOffsetMinutes}) and a fleet's rate schedules spread over
 * the period instead of all firing in the same minute.
 */

import { InvalidInputError } from '../errors.ts';

export class ScheduleExpressionError extends InvalidInputError {
  override readonly name: string = 'ScheduleExpressionError';
}

type FieldSet = ReadonlySet<number>;

interface CronSchedule {
  readonly kind: 'cron';
  readonly minutes: FieldSet;
  readonly hours: FieldSet;
  readonly months: FieldSet;
  readonly years: FieldSet;
  /** Day-of-month test, or undefined for `?`. */
  readonly dayOfMonth?: (date: Date) => boolean;
  /** Day-of-week test, or undefined for `?`. */
  readonly dayOfWeek?: (date: Date) => boolean;
}

interface RateSchedule {
  readonly kind: 'rate';
  readonly periodMinutes: number;
}

export type Schedule = CronSchedule | RateSchedule;

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function fail(expression: string, problem: string): never {
  throw new ScheduleExpressionError(`schedule ${JSON.stringify(expression)}: ${problem}`);
}

function parseValue(text: string, min: number, max: number, names: readonly string[], expression: string): number {
  const named = names.indexOf(text.toUpperCase());
  const value = named >= 0 ? named + min : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(expression, `${JSON.stringify(text)} is not a value from ${min} to ${max}`);
  }
  return value;
}

/** `*`, `a`, `a-b`, `a/n`, `*\/n`, `a-b/n` and lists of them. */
function parseField(
  text: string,
  min: number,
  max: number,
  expression: string,
  names: readonly string[] = [],
): FieldSet {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : parseValue(stepText, 1, max - min + 1, [], expression);
    let from: number;
    let to: number;
    if (range === '*') {
      from = min;
      to = max;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      from = parseValue(a, min, max, names, expression);
      to = parseValue(b, min, max, names, expression);
      if (to < from) fail(expression, `range ${range} runs backwards`);
    } else {
      from = parseValue(range, min, max, names, expression);
      to = stepText === undefined ? from : max;
    }
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
}

const daysInMonth = (date: Date): number =>
  new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
const isWeekday = (day: number): boolean => day >= 1 && day <= 5;

/** The weekday nearest to `day` within the month of `date` (Quartz's `W`). */
function nearestWeekday(date: Date, day: number): number {
  const last = daysInMonth(date);
  const target = Math.min(day, last);
  const weekday = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), target)).getUTCDay();
  if (isWeekday(weekday)) return target;
  if (weekday === 6) return target === 1 ? 3 : target - 1;
  return target === last ? target - 2 : target + 1;
}

function parseDayOfMonth(text: string, expression: string): ((date: Date) => boolean) | undefined {
  if (text === '?') return undefined;
  if (text === 'L') return (date) => date.getUTCDate() === daysInMonth(date);
  if (text === 'LW') return (date) => date.getUTCDate() === nearestWeekday(date, daysInMonth(date));
  const weekday = /^(\d+)W$/.exec(text);
  if (weekday) {
    const day = parseValue(weekday[1] ?? '', 1, 31, [], expression);
    return (date) => date.getUTCDate() === nearestWeekday(date, day);
  }
  const days = parseField(text, 1, 31, expression);
  return (date) => days.has(date.getUTCDate());
}

function parseDayOfWeek(text: string, expression: string): ((date: Date) => boolean) | undefined {
  if (text === '?') return undefined;
  // EventBridge numbers days 1-7 from Sunday; getUTCDay() counts 0-6 from Sunday.
  const dayOf = (date: Date) => date.getUTCDay() + 1;
  if (text === 'L') return (date) => dayOf(date) === 7;
  const last = /^(\w+)L$/.exec(text);
  if (last) {
    const day = parseValue(last[1] ?? '', 1, 7, DAYS, expression);
    return (date) => dayOf(date) === day && date.getUTCDate() + 7 > daysInMonth(date);
  }
  const nth = /^(\w+)#(\d)$/.exec(text);
  if (nth) {
    const day = parseValue(nth[1] ?? '', 1, 7, DAYS, expression);
    const k = parseValue(nth[2] ?? '', 1, 5, [], expression);
    return (date) => dayOf(date) === day && Math.ceil(date.getUTCDate() / 7) === k;
  }
  const days = parseField(text, 1, 7, expression, DAYS);
  return (date) => days.has(dayOf(date));
}

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((.*)\)$/;

/**
 * Parses an EventBridge schedule expression.
 *
 * @throws ScheduleExpressionError naming the expression and the bad part.
 * @example parseSchedule('cron(0 1 * * ? *)') // { kind: 'cron', ... }
 */
export function parseSchedule(expression: string): Schedule {
  const rate = RATE.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2] ?? '';
    if (value < 1) fail(expression, 'a rate must be at least 1');
    if ((value === 1) !== !unit.endsWith('s'))
      fail(expression, `write rate(1 ${unit.replace(/s$/, '')}) or rate(${value} ${unit.replace(/s?$/, 's')})`);
    const perUnit = unit.startsWith('minute') ? 1 : unit.startsWith('hour') ? 60 : 1440;
    return { kind: 'rate', periodMinutes: value * perUnit };
  }
  const cron = CRON.exec(expression);
  const fields = cron?.[1]?.trim().split(/\s+/) ?? [];
  if (fields.length !== 6) fail(expression, 'is neither rate(<n> <unit>) nor cron(<six fields>)');
  const [minutes = '', hours = '', dayOfMonth = '', month = '', dayOfWeek = '', year = ''] = fields;
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    fail(expression, 'exactly one of day-of-month and day-of-week must be ?');
  }
  const parsedDayOfMonth = parseDayOfMonth(dayOfMonth, expression);
  const parsedDayOfWeek = parseDayOfWeek(dayOfWeek, expression);
  return {
    kind: 'cron',
    minutes: parseField(minutes, 0, 59, expression),
    hours: parseField(hours, 0, 23, expression),
    months: parseField(month, 1, 12, expression, MONTHS),
    years: parseField(year, 1970, 2199, expression),
    ...(parsedDayOfMonth === undefined ? {} : { dayOfMonth: parsedDayOfMonth }),
    ...(parsedDayOfWeek === undefined ? {} : { dayOfWeek: parsedDayOfWeek }),
  };
}

/**
 * Whether `schedule` fires in the UTC minute that contains `at` (seconds are ignored: a tick that runs late still
 * evaluates the minute it was scheduled for when given the scheduled event's `time`).
 *
 * @example isDueAt(parseSchedule('cron(0 1 * * ? *)'), new Date('2026-11-21T01:00:00Z')) // true
 */
export function isDueAt(schedule: Schedule, at: Date, offsetMinutes = 0): boolean {
  const minute = Math.floor(at.getTime() / 60_000);
  if (schedule.kind === 'rate') {
    const phase = (minute - offsetMinutes) % schedule.periodMinutes;
    return (phase + schedule.periodMinutes) % schedule.periodMinutes === 0;
  }
  const date = new Date(minute * 60_000);
  return (
    schedule.minutes.has(date.getUTCMinutes()) &&
    schedule.hours.has(date.getUTCHours()) &&
    schedule.months.has(date.getUTCMonth() + 1) &&
    schedule.years.has(date.getUTCFullYear()) &&
    (schedule.dayOfMonth?.(date) ?? true) &&
    (schedule.dayOfWeek?.(date) ?? true)
  );
}

/**
 * A stable offset in [0, period) for a name, so rate schedules of many clusters spread over their period.
 *
 * @example stableOffsetMinutes('orders-main', 720) // the same number on every run
 */
export function stableOffsetMinutes(name: string, periodMinutes: number): number {
  let hash = 2166136261;
  for (const char of name) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 16777619) >>> 0;
  }
  return hash % periodMinutes;
}

export interface DueItem<T> {
  readonly item: T;
  readonly name: string;
  readonly expression: string;
}

/**
 * The items whose schedule fires in the minute of `at`, and those whose expression does not parse (reported, never
 * fatal for the others).
 *
 * @example dueAt([{ item: c, name: 'orders-main', expression: 'cron(0 1 * * ? *)' }], at).due // [c] at 01:00 UTC
 */
export function dueAt<T>(
  items: readonly DueItem<T>[],
  at: Date,
): { readonly due: T[]; readonly invalid: { readonly name: string; readonly problem: string }[] } {
  const due: T[] = [];
  const invalid: { name: string; problem: string }[] = [];
  for (const { item, name, expression } of items) {
    let schedule: Schedule;
    try {
      schedule = parseSchedule(expression);
    } catch (error) {
      invalid.push({ name, problem: (error as Error).message });
      continue;
    }
    const offset = schedule.kind === 'rate' ? stableOffsetMinutes(name, schedule.periodMinutes) : 0;
    if (isDueAt(schedule, at, offset)) due.push(item);
  }
  return { due, invalid };
}
