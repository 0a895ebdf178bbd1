import { describe, expect, it } from 'vitest';
import type { LifecycleRule } from '../../../lib/domain/bucket/bucket-configuration.ts';
import { type FrozenWalRun, walStorageMayChange } from '../../../lib/domain/continuity/frozen-wal.ts';
import type { TimelineId } from '../../../lib/domain/wal/timeline.ts';

const now = new Date('2026-12-01T00:00:00Z');
const daysAgo = (days: number): Date => new Date(now.getTime() - days * 86_400_000);
const rule = (over: Partial<LifecycleRule>): LifecycleRule => ({
  id: 'r',
  enabled: true,
  filter: { prefix: '', tags: [] },
  expiredObjectDeleteMarker: false,
  transitions: [],
  noncurrentVersionTransitions: [],
  ...over,
});
const tl = 1 as TimelineId;
const frozen: FrozenWalRun = { timeline: tl, fromSegNo: 5, toSegNo: 9, storageClass: 'GLACIER' };
const after30Days = rule({ transitions: [{ timing: { days: 30 }, storageClass: 'GLACIER' }] });
const segment = (segNo: number, uploadedAt: Date) => ({ timeline: tl, segNo, uploadedAt });

describe('which changed WAL segments may have changed class since the last full read', () => {
  it('none on a bucket read without transition rules and with no frozen WAL: each change carries its class', () => {
    for (const rules of [[], [rule({ expiration: { days: 35 } })], [rule({ ...after30Days, enabled: false })]]) {
      const may = walStorageMayChange([], { lifecycleRules: rules }, now);
      expect([segment(1, now), segment(2, daysAgo(400))].map(may)).toEqual([false, false]);
    }
  });

  it('a segment in a frozen run, since a thaw can complete; not one beside it', () => {
    const may = walStorageMayChange([frozen], { lifecycleRules: [] }, now);
    expect([segment(5, daysAgo(90)), segment(9, daysAgo(90)), segment(10, daysAgo(90))].map(may)).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('every segment when the bucket was never read or its lifecycle could not be read', () => {
    expect(walStorageMayChange([], undefined, now)(segment(1, now))).toBe(true);
    expect(walStorageMayChange([], { lifecycleRules: undefined }, now)(segment(1, now))).toBe(true);
  });

  it('a segment old enough for a transition to have reached it (a day of margin), not WAL just archived', () => {
    const may = walStorageMayChange([], { lifecycleRules: [after30Days] }, now);
    expect(
      [segment(1, now), segment(2, daysAgo(28)), segment(3, daysAgo(29)), segment(4, daysAgo(31))].map(may),
    ).toEqual([false, false, true, true]);
    const noncurrent = walStorageMayChange(
      [],
      { lifecycleRules: [rule({ noncurrentVersionTransitions: [{ days: 7, storageClass: 'DEEP_ARCHIVE' }] })] },
      now,
    );
    expect([segment(1, daysAgo(1)), segment(2, daysAgo(6))].map(noncurrent)).toEqual([false, true]);
  });

  it('every segment once a transition at a date has passed; none before it', () => {
    const atDate = (date: Date) => rule({ transitions: [{ timing: { date }, storageClass: 'GLACIER' }] });
    expect(walStorageMayChange([], { lifecycleRules: [atDate(daysAgo(3))] }, now)(segment(1, now))).toBe(true);
    expect(walStorageMayChange([], { lifecycleRules: [atDate(daysAgo(-3))] }, now)(segment(1, daysAgo(9)))).toBe(false);
  });
});
