/**
 * EventBridge schedule expressions, checked as EventBridge checks them at stack creation, so a schedule it would
 * refuse fails when the config is loaded, with the fix, instead of half-way through a deploy.
 *
 * `rate(<n> <unit>)`: n a whole number >= 1, unit minute|hour|day, singular exactly when n is 1.
 * `cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)`: six fields; `,` `-` `*` `/` everywhere;
 * `?` only in day-of-month or day-of-week, and exactly one of those two must be `?`; `L` in day-of-month and
 * day-of-week, `W` in day-of-month, `#` in day-of-week; months JAN-DEC, days SUN-SAT (1 = Sunday).
 */

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const FIELDS: readonly CronField[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS },
  { name: 'year', min: 1970, max: 2199 },
];

const DAY_OF_MONTH = 2;
const DAY_OF_WEEK = 4;

/** The number a field value stands for, or undefined when it is neither a number nor one of the field's names. */
function fieldValue(field: CronField, text: string): number | undefined {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    return value >= field.min && value <= field.max ? value : undefined;
  }
  const index = field.names?.indexOf(text.toUpperCase() as never) ?? -1;
  return index >= 0 ? index + 1 : undefined;
}

function allowedValues(field: CronField): string {
  const names = field.names ? ` or ${field.names[0]}-${field.names[field.names.length - 1]}` : '';
  return `${field.min}-${field.max}${names}`;
}

/** Why one comma-separated item of a field is refused, or undefined when EventBridge accepts it. */
function itemProblem(field: CronField, index: number, item: string): string | undefined {
  if (item === '*') return undefined;
  if (index === DAY_OF_MONTH && (item === 'L' || item === 'LW')) return undefined;
  if (index === DAY_OF_MONTH && /^\d+W$/.test(item)) {
    return fieldValue(field, item.slice(0, -1)) === undefined ? `${item}: W needs a day 1-31 (e.g. 15W)` : undefined;
  }
  if (index === DAY_OF_WEEK && item === 'L') return undefined;
  if (index === DAY_OF_WEEK && /L$/.test(item)) {
    return fieldValue(field, item.slice(0, -1)) === undefined
      ? `${item}: L needs a day 1-7 or SUN-SAT (e.g. 6L)`
      : undefined;
  }
  if (index === DAY_OF_WEEK && item.includes('#')) {
    const [day = '', nth = ''] = item.split('#');
    return fieldValue(field, day) !== undefined && /^[1-5]$/.test(nth)
      ? undefined
      : `${item}: # needs a day 1-7 or SUN-SAT and a week 1-5 (e.g. MON#2)`;
  }
  if (/[LW#]/i.test(item) && !field.names?.some((name) => item.toUpperCase().includes(name))) {
    const where = { L: 'day-of-month and day-of-week', W: 'day-of-month', '#': 'day-of-week' };
    const letter = (/[LW#]/i.exec(item)?.[0] ?? 'L').toUpperCase() as keyof typeof where;
    return `${item}: ${letter} is allowed only in ${where[letter]}`;
  }
  const [range = '', step, extra] = item.split('/');
  if (extra !== undefined || (step !== undefined && !/^[1-9]\d*$/.test(step))) {
    return `${item}: a step is /<whole number >= 1> (e.g. */5)`;
  }
  if (range === '*' && step !== undefined) return undefined;
  const [from = '', to, beyond] = range.split('-');
  if (beyond !== undefined) return `${item}: a range is <from>-<to> (e.g. 1-5)`;
  for (const end of to === undefined ? [from] : [from, to]) {
    if (fieldValue(field, end) === undefined) {
      return `${end === '' ? item : end} is not a ${field.name} value; use ${allowedValues(field)}`;
    }
  }
  return undefined;
}

/** Why a `cron(...)` body is refused, with the fix, or undefined when EventBridge accepts it. */
function cronProblem(body: string): string | undefined {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) {
    return `it has ${fields.length} field${fields.length === 1 ? '' : 's'}, EventBridge needs six: <minutes> <hours> <day-of-month> <month> <day-of-week> <year>, e.g. cron(0 1 * * ? *)${fields.length === 5 ? ` (add the year: cron(${fields.join(' ')} *), with ? in day-of-month or day-of-week)` : ''}`;
  }
  for (const [index, text] of fields.entries()) {
    const field = FIELDS[index] as CronField;
    if (text === '?') {
      if (index !== DAY_OF_MONTH && index !== DAY_OF_WEEK) {
        return `${field.name} is ?, which is allowed only in day-of-month or day-of-week; use * there`;
      }
      continue;
    }
    for (const item of text.split(',')) {
      const problem = itemProblem(field, index, item);
      if (problem !== undefined) return `${field.name} ${problem}`;
    }
  }
  const dayOfMonth = fields[DAY_OF_MONTH] as string;
  const dayOfWeek = fields[DAY_OF_WEEK] as string;
  const withFields = (dom: string, dow: string) =>
    `cron(${fields.map((text, index) => (index === DAY_OF_MONTH ? dom : index === DAY_OF_WEEK ? dow : text)).join(' ')})`;
  if (dayOfMonth === '?' && dayOfWeek === '?') {
    return `day-of-month and day-of-week are both ?; set one of them, e.g. ${withFields('*', '?')}`;
  }
  if (dayOfMonth !== '?' && dayOfWeek !== '?') {
    const fix =
      dayOfWeek === '*' ? withFields(dayOfMonth, '?') : dayOfMonth === '*' ? withFields('?', dayOfWeek) : undefined;
    return `day-of-month (${dayOfMonth}) and day-of-week (${dayOfWeek}) are both set; EventBridge needs ? in one of them${fix ? `: write ${fix}` : ''}`;
  }
  return undefined;
}

/** Why a `rate(...)` body is refused, with the fix, or undefined when EventBridge accepts it. */
function rateProblem(body: string): string | undefined {
  const match = /^(\d+) (minute|minutes|hour|hours|day|days)$/.exec(body.trim());
  if (!match) {
    return 'a rate is rate(<whole number> <unit>) with unit minute(s), hour(s) or day(s), e.g. rate(6 hours)';
  }
  const count = Number(match[1]);
  const unit = (match[2] as string).replace(/s$/, '');
  if (count < 1) return `the number must be at least 1, e.g. rate(1 ${unit})`;
  const plural = (match[2] as string).endsWith('s');
  if (count === 1 && plural) return `1 takes the singular unit: write rate(1 ${unit})`;
  if (count > 1 && !plural) return `${count} takes the plural unit: write rate(${count} ${unit}s)`;
  return undefined;
}

/**
 * Why EventBridge would refuse a schedule expression (with the fix), or undefined when it accepts it.
 *
 * @example scheduleProblem('cron(0 1 * * ? *)') === undefined
 * @example scheduleProblem('rate(1 minutes)') === '1 takes the singular unit: write rate(1 minute)'
 */
export function scheduleProblem(text: string): string | undefined {
  const cron = /^cron\((.*)\)$/.exec(text.trim());
  if (cron) return cronProblem(cron[1] as string);
  const rate = /^rate\((.*)\)$/.exec(text.trim());
  if (rate) return rateProblem(rate[1] as string);
  return 'write cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>) such as cron(0 1 * * ? *), or rate(<n> <unit>) such as rate(1 day) or rate(6 hours)';
}
