/** Lifecycle rules and catalogs for the bucket tests: daily backups at 01:00 UTC, WAL-G layout under `orders-main/`. */
import type { LifecycleRule } from '../../../lib/domain/bucket/bucket-configuration.ts';
import type { BackupRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import { backupRecord, DAY } from '../retention/retention-fixtures.ts';

export const ROOT = 'orders-main/';
export const NOW = new Date('2026-12-01T12:00:00Z');

export function rule(overrides: Partial<LifecycleRule> & { readonly id: string }): LifecycleRule {
  return {
    enabled: true,
    filter: { prefix: ROOT, tags: [] },
    expiredObjectDeleteMarker: false,
    transitions: [],
    noncurrentVersionTransitions: [],
    ...overrides,
  };
}

/** One complete backup a day at 01:00 UTC from `first` to `last` (inclusive), each 10 segments after the previous. */
export function dailyBackups(first: string, last: string): BackupRecord[] {
  const backups: BackupRecord[] = [];
  const end = new Date(`${last}T01:00:00Z`).getTime();
  for (let at = new Date(`${first}T01:00:00Z`).getTime(), i = 0; at <= end; at += DAY, i++) {
    backups.push(backupRecord({ startSegNo: 16 + i * 10, finishedAt: new Date(at) }));
  }
  return backups;
}
