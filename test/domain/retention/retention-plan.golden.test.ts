/**
 * Whole plans for a year of daily backups under typical policies, rendered as the CLI prints them. A reviewer reads
 * the files in golden/; `UPDATE_GOLDEN=1 npx vitest run test/domain/retention/retention-plan.golden.test.ts`
 * rewrites them after an intended change (then read the diff).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BackupRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import type { RetentionPolicy } from '../../../lib/domain/cluster.ts';
import { planRetention } from '../../../lib/domain/retention/retention-plan.ts';
import { renderRetentionPlan } from '../../../lib/domain/retention/retention-plan-table.ts';
import type { RetentionWalObject } from '../../../lib/domain/retention/wal-retention.ts';
import { backupRecord, CLUSTER, DAY, HOUR, historyObject, policyOf, SIZE, walObjects } from './retention-fixtures.ts';

const UPDATE = process.env.UPDATE_GOLDEN === '1';
const GOLDEN_DIR = join(import.meta.dirname, 'golden');

/** 365 daily backups, each spanning 2 of the 4 segments archived per day, the last one finishing at `last`. */
function yearOfDailyBackups(last: Date): { backups: BackupRecord[]; wal: RetentionWalObject[] } {
  const backups: BackupRecord[] = [];
  for (let day = 0; day < 365; day++) {
    const finishedAt = new Date(last.getTime() - (364 - day) * DAY);
    backups.push(backupRecord({ startSegNo: 0x100 + day * 4, spanSegments: 2, finishedAt }));
  }
  return { backups, wal: [...walObjects(1, 0x100, 0x100 + 365 * 4 + 2), historyObject(1)] };
}

interface GoldenCase {
  readonly file: string;
  readonly last: Date;
  readonly now: Date;
  readonly policy: RetentionPolicy;
  readonly adjust?: (catalog: { backups: BackupRecord[] }) => void;
}

const cases: GoldenCase[] = [
  {
    // The example policy of the configuration contract.
    file: 'daily-year-design-policy-utc.txt',
    last: new Date('2026-11-21T01:30:00Z'),
    now: new Date('2026-11-21T03:00:00Z'),
    policy: policyOf({
      keepLast: 2,
      keepDaily: 7,
      keepWeekly: 4,
      keepMonthly: 12,
      keepYearly: 3,
      pitrWindowMs: 7 * DAY,
    }),
  },
  {
    // Backups at 23:30 UTC: in Berlin each one is already the next day, so the daily keys are one day later than UTC.
    file: 'daily-year-berlin-late-backups.txt',
    last: new Date('2026-11-20T23:30:00Z'),
    now: new Date('2026-11-21T03:00:00Z'),
    policy: policyOf({ keepDaily: 14, keepMonthly: 6, pitrWindowMs: 3 * DAY, timezone: 'Europe/Berlin' }),
  },
  {
    // A short window, one permanent backup in March, a stale failed backup and one still running.
    file: 'daily-year-permanent-and-incomplete-new-york.txt',
    last: new Date('2026-11-21T01:30:00Z'),
    now: new Date('2026-11-21T03:00:00Z'),
    policy: policyOf({
      keepLast: 3,
      keepWeekly: 2,
      keepMonthly: 3,
      pitrWindowMs: DAY,
      timezone: 'America/New_York',
      incompleteGraceMs: 12 * HOUR,
    }),
    adjust: ({ backups }) => {
      const march = backups.findIndex((record) => record.backup?.finishTime?.toISOString().startsWith('2026-03-15'));
      backups[march] = backupRecord({
        startSegNo: 0x100 + march * 4,
        spanSegments: 2,
        finishedAt: new Date('2026-03-15T01:30:00Z'),
        permanent: true,
      });
      backups.push(
        backupRecord({
          startSegNo: 0x100 + 360 * 4 + 1,
          finishedAt: new Date('2026-11-16T05:00:00Z'),
          status: 'incomplete',
        }),
        backupRecord({
          startSegNo: 0x100 + 364 * 4 + 2,
          finishedAt: new Date('2026-11-21T03:30:00Z'),
          status: 'incomplete',
        }),
      );
    },
  },
];

describe('retention plans of a year of daily backups (golden files)', () => {
  for (const golden of cases) {
    it(`renders ${golden.file} unchanged`, () => {
      const catalog = yearOfDailyBackups(golden.last);
      golden.adjust?.(catalog);
      const plan = planRetention({
        cluster: CLUSTER,
        ...catalog,
        policy: golden.policy,
        walSegmentSize: SIZE,
        now: golden.now,
        planId: 'golden',
      });
      const rendered = renderRetentionPlan(plan);
      const path = join(GOLDEN_DIR, golden.file);
      if (UPDATE) writeFileSync(path, rendered);
      expect(existsSync(path), `${path} is missing; create it with UPDATE_GOLDEN=1 and review it`).toBe(true);
      expect(rendered).toBe(readFileSync(path, 'utf8'));
    });
  }
});
