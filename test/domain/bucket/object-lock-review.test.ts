import { describe, expect, it } from 'vitest';
import { reviewObjectLock } from '../../../lib/domain/bucket/object-lock-review.ts';
import { CLUSTER, policyOf, SIZE } from '../retention/retention-fixtures.ts';
import { dailyBackups, NOW } from './bucket-fixtures.ts';

const lock14 = { enabled: true, defaultRetention: { mode: 'GOVERNANCE' as const, days: 14 } };

describe('reviewObjectLock', () => {
  it('a 14-day default retention next to keepDaily 7: the deletions of 8-to-14-day-old backups free nothing', () => {
    // keepDaily 7 keeps Nov 25 .. Dec 1; the plan deletes Nov 1 .. Nov 24, of which Nov 18 .. Nov 24 (7) finished
    // less than 14 days before now and are still locked.
    const review = reviewObjectLock({
      cluster: CLUSTER,
      lock: lock14,
      backups: dailyBackups('2026-11-01', '2026-12-01'),
      policy: policyOf({ keepDaily: 7 }),
      walSegmentSize: SIZE,
      now: NOW,
    });
    expect(review.status).toBe('warn');
    expect(review.lockedDeletions).toHaveLength(7);
    expect(review.detail).toContain('Object Lock GOVERNANCE keeps every new object version for 14 days');
    expect(review.detail).toContain(
      'no NoncurrentVersionExpiration rule reaches the cluster, so those bytes are never freed',
    );
    expect(review.detail).toContain('the current plan deletes 7 backup(s) still locked');
    expect(review.fix).toContain('NoncurrentVersionExpiration');
  });

  it('names the rule that frees the bytes once the lock ends', () => {
    const review = reviewObjectLock({
      cluster: CLUSTER,
      lock: lock14,
      backups: dailyBackups('2026-11-01', '2026-12-01'),
      policy: policyOf({ keepDaily: 7 }),
      walSegmentSize: SIZE,
      noncurrentExpirationDays: 1,
      now: NOW,
    });
    expect(review.detail).toContain('a NoncurrentVersionExpiration rule removes them 1 day(s) after that');
  });

  it.each([
    ['no Object Lock', { enabled: false }, policyOf({ keepDaily: 7 })],
    ['no default retention', { enabled: true }, policyOf({ keepDaily: 7 })],
    ['no retention policy', lock14, undefined],
  ])('%s: ok', (_label, lock, policy) => {
    const review = reviewObjectLock({
      cluster: CLUSTER,
      lock,
      backups: dailyBackups('2026-11-01', '2026-12-01'),
      ...(policy ? { policy } : {}),
      walSegmentSize: SIZE,
      now: NOW,
    });
    expect(review.status).toBe('ok');
    expect(review.lockedDeletions).toEqual([]);
  });
});
