import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LifecycleReviewInput, reviewLifecycle } from '../../../lib/domain/bucket/lifecycle-review.ts';
import { backupRecord, CLUSTER, DAY, policyOf, SIZE } from '../retention/retention-fixtures.ts';
import { dailyBackups, NOW, ROOT, rule } from './bucket-fixtures.ts';

const base = (overrides: Partial<LifecycleReviewInput>): LifecycleReviewInput => ({
  cluster: CLUSTER,
  root: ROOT,
  rules: [],
  versioning: 'unversioned',
  backups: dailyBackups('2026-09-01', '2026-12-01'),
  policy: policyOf({ keepDaily: 7 }),
  walSegmentSize: SIZE,
  now: NOW,
  ...overrides,
});

describe('reviewLifecycle: the guides', () => {
  it('an 8-day whole-bucket expiration on a versioned bucket deletes the monthly backups keepMonthly 12 keeps', () => {
    // Daily backups since 2026-08-24; keepMonthly 12 keeps the newest of Dec, Nov, Oct, Sep and Aug: 5 backups, of
    // which Oct 31, Sep 30 and Aug 31 are older than 8 days.
    const review = reviewLifecycle(
      base({
        rules: [rule({ id: 'expire-8d', filter: { prefix: '', tags: [] }, expiration: { days: 8 } })],
        versioning: 'enabled',
        backups: dailyBackups('2026-08-24', '2026-12-01'),
        policy: policyOf({ keepMonthly: 12 }),
      }),
    );
    expect(review.findings).toHaveLength(1);
    const [finding] = review.findings;
    expect(finding).toMatchObject({ kind: 'lifecycle-conflict', severity: 'FAILURE', conflict: 'kept-backups-expire' });
    expect(finding?.message).toMatch(
      /^rule `expire-8d` expires every object of the cluster \(backups and WAL\) after 8 days: 3 of the 5 monthly backups retention keeps would be deleted \(the bucket is versioned: expired objects become delete markers/,
    );
    expect(finding?.backups).toHaveLength(3);
    expect(review.rules[0]?.effect).toBe(
      'rule `expire-8d` expires every object of the cluster (backups and WAL) after 8 days',
    );
  });

  it('a 35-day wal_005/ expiration next to 7 daily, 4 weekly, 12 monthly and 7 yearly tiers breaks the monthly and yearly backups', () => {
    // Two years of daily backups: 12 monthly (Jan..Dec 2026, December's is also yearly 2026) and the yearly
    // backups of 2025 and 2024 are 14; all but those of December, November and October are older than 35 days.
    const review = reviewLifecycle(
      base({
        rules: [rule({ id: 'wal-35d', filter: { prefix: `${ROOT}wal_005/`, tags: [] }, expiration: { days: 35 } })],
        backups: dailyBackups('2024-12-01', '2026-12-01'),
        policy: policyOf({ keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 7 }),
      }),
    );
    expect(review.findings.map((finding) => finding.message)).toEqual([
      'rule `wal-35d` expires WAL after 35 days: 11 of the 14 monthly and yearly backups retention keeps would lose the WAL they need to be consistent',
    ]);
    expect(review.findings[0]).toMatchObject({ severity: 'FAILURE', conflict: 'kept-backups-lose-wal' });
  });

  it('backups moved to DEEP_ARCHIVE after 30 days are a warning about the monthly backups, not a failure', () => {
    const review = reviewLifecycle(
      base({
        rules: [
          rule({
            id: 'archive-backups',
            filter: { prefix: `${ROOT}basebackups_005/`, tags: [] },
            transitions: [{ timing: { days: 30 }, storageClass: 'DEEP_ARCHIVE' }],
          }),
        ],
        backups: dailyBackups('2026-05-01', '2026-12-01'),
        policy: policyOf({ keepDaily: 7, keepWeekly: 4, keepMonthly: 6, pitrWindowMs: 7 * DAY }),
      }),
    );
    expect(review.findings).toHaveLength(1);
    expect(review.findings[0]).toMatchObject({ severity: 'WARNING', conflict: 'needs-thaw' });
    expect(review.findings[0]?.message).toBe(
      'rule `archive-backups` moves to DEEP_ARCHIVE backups after 30 days: 4 of the 6 monthly backups retention keeps would need a thaw of 12 to 48 hours (RestoreObject) before a restore can read them',
    );
    expect(review.rules[0]?.effect).toContain('reading them then needs a thaw of 12 to 48 hours');
  });
});

describe('reviewLifecycle: rules that do not conflict', () => {
  it.each([
    ['disabled', rule({ id: 'r', enabled: false, expiration: { days: 1 } }), 'rule `r` is disabled: it does nothing'],
    [
      'another cluster',
      rule({ id: 'r', filter: { prefix: 'billing/', tags: [] }, expiration: { days: 1 } }),
      "rule `r` (prefix `billing/`) does not reach this cluster's objects under `orders-main/`",
    ],
    [
      'tagged',
      rule({ id: 'r', filter: { prefix: '', tags: [{ key: 'tier', value: 'tmp' }] }, expiration: { days: 1 } }),
      'rule `r` applies only to objects tagged tier=tmp; WAL-G and WAL-E tag nothing, so it does not reach this cluster',
    ],
    [
      'housekeeping',
      rule({ id: 'r', noncurrentVersionExpirationDays: 1, abortIncompleteMultipartUploadDays: 7 }),
      'rule `r` removes noncurrent versions 1 day after they become noncurrent: this is what frees the bytes of deleted objects on a versioned bucket; aborts incomplete multipart uploads after 7 days',
    ],
    [
      'readable transition',
      rule({ id: 'r', transitions: [{ timing: { days: 30 }, storageClass: 'STANDARD_IA' }] }),
      'rule `r` moves every object of the cluster (backups and WAL) to STANDARD_IA after 30 days (still readable directly)',
    ],
    [
      'WAL expiry longer than every tier',
      rule({ id: 'r', filter: { prefix: `${ROOT}wal_005/`, tags: [] }, expiration: { days: 35 } }),
      'rule `r` expires WAL after 35 days',
    ],
  ])('%s: no finding', (_label, lifecycleRule, effect) => {
    const review = reviewLifecycle(base({ rules: [lifecycleRule], policy: policyOf({ keepDaily: 7, keepWeekly: 4 }) }));
    expect(review.findings).toEqual([]);
    expect(review.rules[0]?.effect).toBe(effect);
  });

  it('a WAL rule on timeline 2 leaves the backups of timeline 1 alone', () => {
    const review = reviewLifecycle(
      base({
        rules: [rule({ id: 'tli2', filter: { prefix: `${ROOT}wal_005/00000002`, tags: [] }, expiration: { days: 1 } })],
        policy: policyOf({ keepMonthly: 12, pitrWindowMs: 7 * DAY }),
      }),
    );
    expect(review.findings).toEqual([]);
  });

  it('without a policy the bucket expiring backups and WAL together is the retention: no finding', () => {
    const { policy: _none, ...input } = base({});
    const review = reviewLifecycle({ ...input, rules: [rule({ id: 'all-30d', expiration: { days: 30 } })] });
    expect(review.findings).toEqual([]);
  });
});

describe('reviewLifecycle: conflicts', () => {
  it('a WAL expiration shorter than the PITR window shrinks the window', () => {
    const review = reviewLifecycle(
      base({
        rules: [rule({ id: 'wal-5d', filter: { prefix: `${ROOT}wal_005/`, tags: [] }, expiration: { days: 5 } })],
        policy: policyOf({ keepLast: 1, pitrWindowMs: 7 * DAY }),
      }),
    );
    const window = review.findings.find((finding) => finding.conflict === 'pitr-window-shrinks');
    expect(window?.severity).toBe('FAILURE');
    expect(window?.message).toMatch(
      /^rule `wal-5d` expires WAL after 5 days: the PITR window of 7 days retention keeps shrinks to about 5 days \(the window's WAL starts at backup base_/,
    );
  });

  it('without a policy a WAL-only expiration leaves older backups listed without their WAL', () => {
    // 92 daily backups from Sep 1; those finished by Oct 27 12:00 (Sep 1 .. Oct 27: 57) are 35 days old.
    const { policy: _none, ...input } = base({});
    const review = reviewLifecycle({
      ...input,
      rules: [rule({ id: 'wal-35d', filter: { prefix: `${ROOT}wal_005/`, tags: [] }, expiration: { days: 35 } })],
    });
    expect(review.findings).toHaveLength(1);
    expect(review.findings[0]?.message).toMatch(
      /^rule `wal-35d` expires WAL after 35 days: 57 of the 92 backups in the bucket \(no retention policy: walcat deletes none\) would lose the WAL they need to be consistent$/,
    );
  });

  it('a young cluster still fails on the policy: the tiers outlive the rule', () => {
    const review = reviewLifecycle(
      base({
        rules: [rule({ id: 'wal-35d', filter: { prefix: `${ROOT}wal_005/`, tags: [] }, expiration: { days: 35 } })],
        backups: dailyBackups('2026-11-25', '2026-12-01'),
        policy: policyOf({ keepDaily: 7, keepMonthly: 12 }),
      }),
    );
    expect(review.findings).toHaveLength(1);
    expect(review.findings[0]?.message).toBe(
      'rule `wal-35d` expires WAL after 35 days, but retention keeps monthly backups for up to 12 months: those backups would lose the WAL they need to be consistent once they are older than that (none of the 2 kept now is yet)',
    );
  });

  it('an expiration date already passed takes every kept backup at once', () => {
    const review = reviewLifecycle(
      base({
        rules: [rule({ id: 'cutoff', expiration: { date: new Date('2026-06-01T00:00:00Z') } })],
        backups: [backupRecord({ startSegNo: 16, finishedAt: new Date('2026-11-30T01:00:00Z') })],
        policy: policyOf({ keepLast: 1 }),
      }),
    );
    expect(review.findings[0]?.message).toBe(
      'rule `cutoff` expires every object of the cluster (backups and WAL) since 2026-06-01 (each object as soon as it is written): 1 of the 1 keep-last backups retention keeps would be deleted',
    );
  });

  it('counts a backup from when its first objects were written, not when it finished', () => {
    // Started 35 days and 5 minutes ago (its first tar partitions and WAL expire now), finished 5 minutes later.
    const finishedAt = new Date(NOW.getTime() - 35 * DAY + 5 * 60_000);
    const review = reviewLifecycle(
      base({
        rules: [rule({ id: 'all-35d', filter: { prefix: ROOT, tags: [] }, expiration: { days: 35 } })],
        backups: [backupRecord({ startSegNo: 16, finishedAt }), backupRecord({ startSegNo: 40, finishedAt: NOW })],
        policy: policyOf({ keepLast: 2 }),
      }),
    );
    expect(review.findings.map((finding) => finding.backups)).toEqual([['base_000000010000000000000010']]);
  });

  it('a shorter expiration never reaches fewer kept backups than a longer one (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 400 }),
        fc.constantFrom('wal_005/', 'basebackups_005/', ''),
        (a, b, folder) => {
          const [short, long] = a < b ? [a, b] : [b, a];
          const affected = (days: number): Set<string> =>
            new Set(
              reviewLifecycle(
                base({
                  rules: [rule({ id: 'r', filter: { prefix: `${ROOT}${folder}`, tags: [] }, expiration: { days } })],
                  backups: dailyBackups('2025-10-01', '2026-12-01'),
                  policy: policyOf({ keepDaily: 7, keepWeekly: 4, keepMonthly: 12, pitrWindowMs: 3 * DAY }),
                }),
              ).findings.flatMap((finding) => finding.backups),
            );
          const ofShort = affected(short);
          for (const name of affected(long)) expect(ofShort.has(name)).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('adding a disabled rule or a rule on another prefix changes no finding (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.boolean(), (days, disabled) => {
        const real = rule({ id: 'wal', filter: { prefix: `${ROOT}wal_005/`, tags: [] }, expiration: { days } });
        const noise = disabled
          ? rule({ id: 'noise', enabled: false, expiration: { days: 1 } })
          : rule({ id: 'noise', filter: { prefix: 'other/', tags: [] }, expiration: { days: 1 } });
        const input = base({ policy: policyOf({ keepDaily: 7, keepMonthly: 3, pitrWindowMs: 2 * DAY }) });
        const alone = reviewLifecycle({ ...input, rules: [real] }).findings;
        expect(reviewLifecycle({ ...input, rules: [real, noise] }).findings).toEqual(alone);
      }),
      { numRuns: 25 },
    );
  });
});

describe('reviewLifecycle: invariants over any rule set (property)', () => {
  const prefixes = ['', ROOT, `${ROOT}wal_005/`, `${ROOT}basebackups_005/`, `${ROOT}wal_005/00000001`, 'billing/'];
  const classes = ['STANDARD_IA', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE', 'INTELLIGENT_TIERING'];
  const ruleArb = fc.record({
    enabled: fc.boolean(),
    prefix: fc.constantFrom(...prefixes),
    tagged: fc.boolean(),
    expirationDays: fc.option(fc.integer({ min: 1, max: 800 }), { nil: undefined }),
    transition: fc.option(
      fc.record({ days: fc.integer({ min: 0, max: 400 }), storageClass: fc.constantFrom(...classes) }),
      {
        nil: undefined,
      },
    ),
    noncurrentDays: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
  });
  const backups = dailyBackups('2025-06-01', '2026-12-01');

  it('blames only enabled, untagged rules that reach the cluster; FAILURE only for expirations, WARNING only for thaws', () => {
    fc.assert(
      fc.property(
        fc.array(ruleArb, { maxLength: 4 }),
        fc.boolean(),
        fc.record({
          keepDaily: fc.integer({ min: 0, max: 10 }),
          keepMonthly: fc.integer({ min: 0, max: 12 }),
          pitrDays: fc.integer({ min: 0, max: 14 }),
        }),
        (specs, withPolicy, tiers) => {
          const rules = specs.map((spec, index) =>
            rule({
              id: `r${index}`,
              enabled: spec.enabled,
              filter: { prefix: spec.prefix, tags: spec.tagged ? [{ key: 'k', value: 'v' }] : [] },
              ...(spec.expirationDays === undefined ? {} : { expiration: { days: spec.expirationDays } }),
              transitions: spec.transition
                ? [{ timing: { days: spec.transition.days }, storageClass: spec.transition.storageClass }]
                : [],
              ...(spec.noncurrentDays === undefined ? {} : { noncurrentVersionExpirationDays: spec.noncurrentDays }),
            }),
          );
          const policy = policyOf({
            keepLast: 1,
            keepDaily: tiers.keepDaily,
            keepMonthly: tiers.keepMonthly,
            pitrWindowMs: tiers.pitrDays * DAY,
          });
          const { policy: _unused, ...input } = base({ rules, backups });
          const review = reviewLifecycle(withPolicy ? { ...input, policy } : input);
          const names = new Set(backups.map((backup) => backup.name));
          expect(review.rules.map((reviewed) => reviewed.rule)).toEqual(rules.map((r) => r.id));
          for (const finding of review.findings) {
            const spec = specs[Number(finding.rule.slice(1))];
            expect(spec?.enabled).toBe(true);
            expect(spec?.tagged).toBe(false);
            expect(spec?.prefix).not.toBe('billing/');
            if (finding.severity === 'FAILURE') expect(spec?.expirationDays).toBeDefined();
            else expect(['GLACIER', 'DEEP_ARCHIVE']).toContain(spec?.transition?.storageClass);
            for (const name of finding.backups) expect(names.has(name)).toBe(true);
            expect(finding.message.startsWith(`rule \`${finding.rule}\` `)).toBe(true);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
