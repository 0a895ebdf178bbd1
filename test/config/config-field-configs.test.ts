import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadWalcatConfig, parseWalcatConfig, parseWalcatConfigWithNotices } from '../../lib/config/config.ts';
import { scheduleProblem } from '../../lib/config/schedule-expression.ts';
import { ConfigError } from '../../lib/domain/errors.ts';

/** Configs and schedules as users really write them, and what walcat must say about each. */

function cluster(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'orders-main', storage: 's3://acme/orders-main', retention: { pitrWindow: '7d' }, ...overrides };
}

const text = (clusters: unknown[]): string => stringify({ clusters });

function errorOf(yaml: string): string {
  try {
    parseWalcatConfig(yaml, 'test.yml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('storage written as WALG_S3_PREFIX accepts', () => {
  it.each([
    ['s3://bucket//review', 'review/', 's3://bucket/review/'],
    ['s3://bucket///review//', 'review/', 's3://bucket/review/'],
    ['s3://bucket//', '', 's3://bucket/'],
  ])('%s, read as prefix %j with a notice naming %s', (storage, prefix, trimmed) => {
    const { config, notices } = parseWalcatConfigWithNotices(text([cluster({ storage })]), 'test.yml');
    expect(config.clusters[0]?.storage).toEqual({ bucket: 'bucket', prefix });
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(`test.yml: clusters[0].storage ${JSON.stringify(storage)} is read as ${trimmed}`);
    expect(notices[0]).toContain('WAL-G trims');
  });

  it('gives no notice for storage written plainly', () => {
    expect(parseWalcatConfigWithNotices(text([cluster()]), 'test.yml').notices).toEqual([]);
  });

  it('refuses two clusters whose storage is the same once trimmed', () => {
    const message = errorOf(text([cluster(), cluster({ id: 'copy', storage: 's3://acme//orders-main' })]));
    expect(message).toContain('clusters[1].storage');
    expect(message).toContain('is already the storage of clusters[0]');
  });

  it('reports one cluster root inside another as a notice naming both', () => {
    const { notices } = parseWalcatConfigWithNotices(
      text([
        cluster({ id: 'root', storage: 's3://acme/' }),
        cluster({ id: 'nested', storage: 's3://acme/nested' }),
        cluster({ id: 'other', storage: 's3://elsewhere/nested' }),
      ]),
      'test.yml',
    );
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('clusters[1] (nested) stores into s3://acme/nested/, inside clusters[0] (root)');
  });

  it('hands the notices of a loaded file to the caller', () => {
    const directory = mkdtempSync(join(tmpdir(), 'walcat-notices-'));
    try {
      const file = join(directory, 'walcat.config.yml');
      writeFileSync(file, text([cluster({ storage: 's3://bucket//review' })]));
      const notices: string[] = [];
      const config = loadWalcatConfig({ path: file, env: {}, onNotice: (notice) => notices.push(notice) });
      expect(config.clusters[0]?.storage.prefix).toBe('review/');
      expect(notices).toEqual([expect.stringContaining(`${file}: clusters[0].storage "s3://bucket//review"`)]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('values without a unit say which unit to add', () => {
  it.each([
    [
      { retention: { pitrWindow: '7d', incompleteGrace: 24 } },
      'clusters[0].retention.incompleteGrace',
      '24 has no unit; add a unit (e.g. 24h)',
    ],
    [{ walSegmentSize: 16 }, 'clusters[0].walSegmentSize', '16 has no unit; add a unit (e.g. 16MiB)'],
    [{ alerts: { archiveLagMax: 10 } }, 'clusters[0].alerts.archiveLagMax', '10 has no unit; add a unit (e.g. 10m)'],
  ])('%j', (overrides, field, message) => {
    const error = errorOf(text([cluster(overrides)]));
    expect(error).toContain(`${field}: ${message}`);
    expect(error).not.toContain('is not a string');
  });
});

describe('a retention policy that keeps nothing', () => {
  it('is refused at load with the fix', () => {
    const error = errorOf(text([cluster({ retention: { keepLast: 0, pitrWindow: '0d' } })]));
    expect(error).toContain('clusters[0].retention: keeps nothing');
    expect(error).toContain('keepLast: 1');
  });

  it('is accepted as soon as it keeps one backup or a window', () => {
    expect(() =>
      parseWalcatConfig(text([cluster({ retention: { keepLast: 1, pitrWindow: '0d' } })]), 't'),
    ).not.toThrow();
    expect(() =>
      parseWalcatConfig(text([cluster({ retention: { keepLast: 0, pitrWindow: '1h' } })]), 't'),
    ).not.toThrow();
  });
});

describe('schedules are validated as EventBridge validates them', () => {
  it.each([
    ['cron(0 4 * * SUN *)', 'day-of-month (*) and day-of-week (SUN) are both set', 'write cron(0 4 ? * SUN *)'],
    ['cron(0 1 * * * *)', 'day-of-month (*) and day-of-week (*) are both set', 'write cron(0 1 * * ? *)'],
    ['cron(61 1 * * ? *)', 'minutes 61 is not a minutes value', 'use 0-59'],
    ['cron(0 24 * * ? *)', 'hours 24 is not a hours value', 'use 0-23'],
    ['cron(0 1 * * ?)', 'it has 5 fields, EventBridge needs six', 'cron(0 1 * * ? *)'],
    ['cron(0 1 ? * ? *)', 'both ?', 'cron(0 1 * * ? *)'],
    ['cron(? 1 * * ? *)', 'minutes is ?', 'day-of-month or day-of-week'],
    ['cron(0 1 * FOO ? *)', 'month FOO is not a month value', 'JAN-DEC'],
    ['cron(0 1 ? * MON-XYZ *)', 'day-of-week XYZ', 'SUN-SAT'],
    ['cron(0 1 ? * 8 *)', 'day-of-week 8', 'use 1-7'],
    ['cron(0 1 ? * MON#6 *)', 'day-of-week MON#6', 'week 1-5'],
    ['cron(0 1 32W * ? *)', 'day-of-month 32W', 'day 1-31'],
    ['cron(0 L * * ? *)', 'hours L: L is allowed only in day-of-month and day-of-week', ''],
    ['cron(0 1 ? * 2W *)', 'day-of-week 2W: W is allowed only in day-of-month', ''],
    ['cron(0/0 1 * * ? *)', 'a step is', '*/5'],
    ['cron(0 1 * * ? 1969)', 'year 1969', '1970-2199'],
    ['rate(1 minutes)', '1 takes the singular unit', 'rate(1 minute)'],
    ['rate(5 minute)', '5 takes the plural unit', 'rate(5 minutes)'],
    ['rate(0 days)', 'at least 1', 'rate(1 day)'],
    ['rate(1 week)', 'unit minute(s), hour(s) or day(s)', 'rate(6 hours)'],
    ['daily', 'write cron(', 'rate(1 day)'],
  ])('refuses %s, saying why and how to fix it', (schedule, why, fix) => {
    const error = errorOf(text([cluster({ backupSchedule: schedule })]));
    expect(error).toContain(`clusters[0].backupSchedule: ${JSON.stringify(schedule)} is not an EventBridge schedule`);
    expect(error).toContain(why);
    expect(error).toContain(fix);
  });

  it.each([
    'cron(0 1 * * ? *)',
    'cron(0 4 ? * SUN *)',
    'cron(0 4 ? * sun *)',
    'cron(0/15 * * * ? *)',
    'cron(*/5 8-17 ? * MON-FRI *)',
    'cron(0 1 L * ? *)',
    'cron(0 1 LW * ? *)',
    'cron(0 1 15W * ? *)',
    'cron(0 1 ? * 6L *)',
    'cron(0 1 ? * L *)',
    'cron(0 1 ? * MON#2 *)',
    'cron(0 1 ? * 2#1 *)',
    'cron(0 1,13 1,15 JAN-MAR,DEC ? 2026-2030)',
    'cron(30 2 ? JUL WED 2027)',
    'rate(1 minute)',
    'rate(5 minutes)',
    'rate(1 hour)',
    'rate(12 hours)',
    'rate(1 day)',
    'rate(7 days)',
  ])('accepts %s', (schedule) => {
    expect(scheduleProblem(schedule)).toBeUndefined();
    expect(parseWalcatConfig(text([cluster({ backupSchedule: schedule })]), 't').clusters[0]?.backupSchedule).toBe(
      schedule,
    );
  });

  it('accepts every in-range minute and hour and refuses every value past the range', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 60 }), (minute, hour) => {
        const problem = scheduleProblem(`cron(${minute} ${hour} * * ? *)`);
        expect(problem === undefined).toBe(minute <= 59 && hour <= 23);
      }),
    );
  });

  it('accepts a rate exactly when the unit agrees with the number', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.constantFrom('minute', 'minutes', 'hour', 'hours', 'day', 'days'),
        (count, unit) => {
          const agrees = count >= 1 && (count === 1) === !unit.endsWith('s');
          expect(scheduleProblem(`rate(${count} ${unit})`) === undefined).toBe(agrees);
        },
      ),
    );
  });
});
