import { describe, expect, it } from 'vitest';
import { retentionBucketEffects } from '../../../lib/domain/bucket/retention-bucket-effects.ts';
import { planRetention } from '../../../lib/domain/retention/retention-plan.ts';
import { CLUSTER, policyOf, SIZE } from '../retention/retention-fixtures.ts';
import { dailyBackups, NOW, ROOT, rule } from './bucket-fixtures.ts';

const backups = dailyBackups('2026-01-01', '2026-12-01');
const plan = planRetention({
  cluster: CLUSTER,
  backups,
  wal: [],
  policy: policyOf({ keepDaily: 7, keepMonthly: 12 }),
  walSegmentSize: SIZE,
  now: NOW,
  planId: 'effects',
});
const effects = (overrides: Partial<Parameters<typeof retentionBucketEffects>[0]> = {}) =>
  retentionBucketEffects({
    plan,
    backups,
    root: ROOT,
    versioning: 'unversioned',
    rules: [],
    locks: new Map(),
    now: NOW,
    ...overrides,
  });

describe('retentionBucketEffects', () => {
  it('the 8-day whole-bucket expiration of the guides, next to keepMonthly 12: it expires backups retention keeps', () => {
    const [deletion] = effects({ rules: [rule({ id: 'expire-8d', expiration: { days: 8 } })] }).lifecycle;
    // The monthly backups of January to October (November's newest, the 30th, is younger than 8 days).
    expect(deletion?.keptByRetention.length).toBe(10);
    expect(deletion?.words).toBe(
      `lifecycle rule \`expire-8d\` expires objects after 8 days: ${deletion?.backups.length} backups by now (10 of them kept by retention) and WAL`,
    );
  });

  it('a WAL-only rule deletes no backup but says it expires WAL; disabled rules and transitions say nothing', () => {
    const result = effects({
      rules: [
        rule({ id: 'wal-35d', filter: { prefix: `${ROOT}wal_005/`, tags: [] }, expiration: { days: 35 } }),
        rule({ id: 'off', enabled: false, expiration: { days: 1 } }),
        rule({ id: 'cold', transitions: [{ timing: { days: 30 }, storageClass: 'DEEP_ARCHIVE' }] }),
      ],
    });
    expect(result.lifecycle.map((d) => [d.rule, d.backups.length, d.expiresWal])).toEqual([['wal-35d', 0, true]]);
  });

  it('a lock that has ended frees its bytes; one still running, or a legal hold, does not', () => {
    const [a, b, c] = plan.delete.backups;
    if (!a || !b || !c) throw new Error('the plan must delete three backups');
    const result = effects({
      locks: new Map([
        [a.name, { mode: 'GOVERNANCE', retainUntil: new Date(NOW.getTime() - 1), legalHold: false }],
        [b.name, { mode: 'COMPLIANCE', retainUntil: new Date(NOW.getTime() + 86_400_000), legalHold: false }],
        [c.name, { legalHold: true }],
      ]),
    });
    expect(result.locked.map((lock) => lock.backup)).toEqual([b.name, c.name]);
    expect(result.bytesFreed).toBe(plan.bytesFreed - b.bytes - c.bytes);
    expect(result.deletes).toBe('objects');
  });
});
