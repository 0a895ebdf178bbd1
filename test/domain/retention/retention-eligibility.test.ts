import { describe, expect, it } from 'vitest';
import type { BackupRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import { planRetention } from '../../../lib/domain/retention/retention-plan.ts';
import { backupRecord, CLUSTER, DAY, policyOf, regularCatalog, SIZE } from './retention-fixtures.ts';

const NOW = new Date('2026-11-21T03:00:00Z');
const CLUSTER_SYSTEM = 7321456789012345678n;

/** A complete backup as the catalog holds it: its sentinel seen in the bucket and read, with a system identifier. */
function withSystem(record: BackupRecord, systemIdentifier: bigint): BackupRecord {
  if (record.backup === undefined) throw new Error('fixture: a complete backup has its sentinel read');
  const sentinel = {
    key: `basebackups_005/${record.name}_backup_stop_sentinel.json`,
    present: true,
    observedAt: record.firstSeenAt,
  };
  return { ...record, sentinel, backup: { ...record.backup, systemIdentifier } };
}

describe('retention counts only backups of this cluster with a known WAL range', () => {
  const { backups, wal } = regularCatalog({
    count: 6,
    everyMs: DAY,
    last: new Date('2026-11-21T01:30:00Z'),
    segmentsBetween: 4,
  });
  const ours = backups.map((record) => withSystem(record, CLUSTER_SYSTEM));
  const newestStart = Math.max(...ours.map((record) => record.backup?.startSegment.segNo ?? 0));

  it('never lets a backup of another database take a daily slot, and never deletes it', () => {
    const foreign = withSystem(
      backupRecord({ startSegNo: newestStart + 2, finishedAt: new Date('2026-11-21T02:30:00Z') }),
      1111111111111111111n,
    );
    const result = planRetention({
      cluster: CLUSTER,
      backups: [...ours, foreign],
      wal,
      policy: policyOf({ keepDaily: 1 }),
      walSegmentSize: SIZE,
      now: NOW,
      planId: 'foreign',
    });
    const newestOurs = ours.at(-1)?.name;
    expect(result.keep.find((kept) => kept.name === newestOurs)?.reasons).toContain('newest');
    expect(result.keep.find((kept) => kept.name === foreign.name)?.reasons.join(', ')).toMatch(
      /^unreadable: foreign-system/,
    );
    expect(result.delete.backups.map((doomed) => doomed.name)).not.toContain(foreign.name);
  });

  it('keeps a backup of an early WAL-G release (no LSNs) and every WAL from its start segment on', () => {
    const oldest = ours[0] as BackupRecord;
    const early: BackupRecord = {
      ...oldest,
      backup: { ...(oldest.backup as NonNullable<BackupRecord['backup']>), walRangeUnknown: true },
    };
    const result = planRetention({
      cluster: CLUSTER,
      backups: [early, ...ours.slice(1)],
      wal,
      policy: policyOf({ keepDaily: 1 }),
      walSegmentSize: SIZE,
      now: NOW,
      planId: 'early',
    });
    expect(result.keep.find((kept) => kept.name === early.name)?.reasons.join(', ')).toMatch(/^wal-range-unknown/);
    // The catalog's WAL starts at the oldest backup: with its range unknown, none of it may go; the same catalog
    // with that backup's range known deletes WAL (so the assertion above is not vacuous).
    expect(result.delete.wal).toEqual([]);
    const known = planRetention({
      cluster: CLUSTER,
      backups: ours,
      wal,
      policy: policyOf({ keepDaily: 1 }),
      walSegmentSize: SIZE,
      now: NOW,
      planId: 'known',
    });
    expect(known.delete.wal.length).toBeGreaterThan(0);
  });
});
