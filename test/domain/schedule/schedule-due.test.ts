import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  dueAt,
  isDueAt,
  parseSchedule,
  ScheduleExpressionError,
  stableOffsetMinutes,
} from '../../../lib/domain/schedule/schedule-due.ts';

const due = (expression: string, at: string, offset = 0) => isDueAt(parseSchedule(expression), new Date(at), offset);

/** Every minute of [from, from + minutes) at which the expression fires. */
function firings(expression: string, from: string, minutes: number, offset = 0): string[] {
  const schedule = parseSchedule(expression);
  const start = Date.parse(from);
  const out: string[] = [];
  for (let i = 0; i < minutes; i++) {
    const at = new Date(start + i * 60_000);
    if (isDueAt(schedule, at, offset)) out.push(at.toISOString().slice(0, 16));
  }
  return out;
}

describe('EventBridge cron semantics, in UTC', () => {
  it.each([
    // Examples of the EventBridge documentation, on 2026-11 dates (2026-11-01 is a Sunday).
    ['cron(0 10 * * ? *)', '2026-11-20T10:00:00Z', true],
    ['cron(0 10 * * ? *)', '2026-11-20T10:01:00Z', false],
    ['cron(15 12 * * ? *)', '2026-11-20T12:15:59Z', true],
    ['cron(0 18 ? * MON-FRI *)', '2026-11-20T18:00:00Z', true], // Friday
    ['cron(0 18 ? * MON-FRI *)', '2026-11-21T18:00:00Z', false], // Saturday
    ['cron(0 8 1 * ? *)', '2026-11-01T08:00:00Z', true],
    ['cron(0 8 1 * ? *)', '2026-11-02T08:00:00Z', false],
    ['cron(0/15 * * * ? *)', '2026-11-20T07:45:00Z', true],
    ['cron(0/15 * * * ? *)', '2026-11-20T07:46:00Z', false],
    ['cron(0/5 8-17 ? * MON-FRI *)', '2026-11-20T17:55:00Z', true],
    ['cron(0/5 8-17 ? * MON-FRI *)', '2026-11-20T18:00:00Z', false],
    ['cron(0 9 ? * 2#1 *)', '2026-11-02T09:00:00Z', true], // first Monday
    ['cron(0 9 ? * 2#1 *)', '2026-11-09T09:00:00Z', false],
    ['cron(0 4 ? * SUN *)', '2026-11-22T04:00:00Z', true],
    ['cron(0 4 ? * 1 *)', '2026-11-22T04:00:00Z', true], // 1 is Sunday
    ['cron(0 4 ? * 7 *)', '2026-11-21T04:00:00Z', true], // 7 is Saturday
    ['cron(0 0 L * ? *)', '2026-11-30T00:00:00Z', true],
    ['cron(0 0 L * ? *)', '2026-02-28T00:00:00Z', true],
    ['cron(0 0 L * ? *)', '2026-11-29T00:00:00Z', false],
    ['cron(0 0 ? * 6L *)', '2026-11-27T00:00:00Z', true], // last Friday of November 2026
    ['cron(0 0 ? * 6L *)', '2026-11-20T00:00:00Z', false],
    ['cron(0 0 15W * ? *)', '2026-11-16T00:00:00Z', true], // the 15th is a Sunday: Monday 16th
    ['cron(0 0 1W * ? *)', '2026-11-02T00:00:00Z', true], // the 1st is a Sunday: Monday 2nd, same month
    ['cron(0 0 LW * ? *)', '2026-11-30T00:00:00Z', true], // Monday 30th
    ['cron(0 0 LW * ? *)', '2026-05-29T00:00:00Z', true], // 31 May 2026 is a Sunday: Friday 29th
    ['cron(0 1 * NOV,DEC ? 2026)', '2026-11-20T01:00:00Z', true],
    ['cron(0 1 * NOV,DEC ? 2027)', '2026-11-20T01:00:00Z', false],
    ['cron(0 1 * * ? *)', '2026-11-20T01:00:00Z', true],
  ])('%s at %s: %s', (expression, at, expected) => {
    expect(due(expression, at)).toBe(expected);
  });

  it.each([
    'cron(0 1 * * * *)', // both day fields set
    'cron(0 1 ? * ? *)', // neither
    'cron(61 1 * * ? *)',
    'cron(0 24 * * ? *)',
    'cron(0 1 32 * ? *)',
    'cron(0 1 ? * 8 *)',
    'cron(0 1 * * ?)',
    'cron(0 1 * 13 ? *)',
    'rate(0 minutes)',
    'rate(1 minutes)',
    'rate(5 minute)',
    'rate(5 weeks)',
    'every day',
  ])('refuses %s, naming it', (expression) => {
    expect(() => parseSchedule(expression)).toThrow(ScheduleExpressionError);
    expect(() => parseSchedule(expression)).toThrow(expression);
  });

  it('fires a daily cron exactly once a day, at its minute', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 3000 }),
        (m, h, day) => {
          const from = new Date(Date.UTC(2026, 0, 1) + day * 86_400_000).toISOString();
          const hits = firings(`cron(${m} ${h} * * ? *)`, from, 1440);
          expect(hits).toEqual([`${from.slice(0, 11)}${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`]);
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('rate schedules', () => {
  it('fire exactly once in any window of one period, at any offset', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('rate(1 minute)', 'rate(5 minutes)', 'rate(2 hours)', 'rate(1 day)', 'rate(12 hours)'),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.string(),
        (expression, startMinute, name) => {
          const schedule = parseSchedule(expression);
          if (schedule.kind !== 'rate') throw new Error('not a rate');
          const offset = stableOffsetMinutes(name, schedule.periodMinutes);
          expect(offset).toBeGreaterThanOrEqual(0);
          expect(offset).toBeLessThan(schedule.periodMinutes);
          let count = 0;
          for (let i = 0; i < schedule.periodMinutes; i++) {
            if (isDueAt(schedule, new Date((startMinute + i) * 60_000), offset)) count++;
          }
          expect(count).toBe(1);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('spreads a fleet of rate(12 hours) schedules over the period instead of one minute', () => {
    const items = Array.from({ length: 1000 }, (_, i) => ({
      item: i,
      name: `cluster-${i}`,
      expression: 'rate(12 hours)',
    }));
    let busiest = 0;
    let total = 0;
    for (let minute = 0; minute < 720; minute++) {
      const { due } = dueAt(items, new Date(Date.UTC(2026, 10, 20) + minute * 60_000));
      busiest = Math.max(busiest, due.length);
      total += due.length;
    }
    expect(total).toBe(1000);
    expect(busiest).toBeLessThan(20);
  });
});

describe('dueAt', () => {
  it('returns the due items and reports a bad expression without failing the others', () => {
    const result = dueAt(
      [
        { item: 'a', name: 'a', expression: 'cron(0 1 * * ? *)' },
        { item: 'b', name: 'b', expression: 'cron(0 2 * * ? *)' },
        { item: 'c', name: 'c', expression: 'cron(0 1 * * * *)' },
      ],
      new Date('2026-11-20T01:00:30Z'),
    );
    expect(result.due).toEqual(['a']);
    expect(result.invalid).toEqual([{ name: 'c', problem: expect.stringContaining('cron(0 1 * * * *)') }]);
  });
});
