import { describe, expect, it } from 'vitest';
import type { BackupRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import type { RetentionPolicy } from '../../../lib/domain/cluster.ts';
import { UnsafePlanError } from '../../../lib/domain/errors.ts';
import {
  EmptyRetentionPolicyError,
  NeededObjectDeletionError,
  PermanentBackupDeletionError,
  WouldDeleteAllBackupsError,
} from '../../../lib/domain/retention/retention-errors.ts';
import {
  planRetention,
  type KeyedRetentionPlan as RetentionPlan,
  verifyRetentionPlan,
} from '../../../lib/domain/retention/retention-plan.ts';
import type { RetentionWalObject } from '../../../lib/domain/retention/wal-retention.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber } from '../../../lib/domain/wal/wal-segment.ts';
import {
  backupName,
  backupRecord,
  CLUSTER,
  DAY,
  HOUR,
  historyObject,
  policyOf,
  regularCatalog,
  SIZE,
  walObjects,
} from './retention-fixtures.ts';

const NOW = new Date('2026-11-21T03:00:00Z');

function plan(backups: BackupRecord[], wal: RetentionWalObject[], policy: RetentionPolicy, now = NOW): RetentionPlan {
  return planRetention({ cluster: CLUSTER, backups, wal, policy, walSegmentSize: SIZE, now, planId: 'test' });
}

const keptNames = (result: RetentionPlan) => result.keep.map((kept) => kept.name);
const reasonsOf = (result: RetentionPlan, name: string) => result.keep.find((kept) => kept.name === name)?.reasons;

describe('planRetention refusals', () => {
  const { backups, wal } = regularCatalog({
    count: 10,
    everyMs: DAY,
    last: new Date('2026-11-21T01:30:00Z'),
    segmentsBetween: 4,
  });

  it('refuses an empty policy, telling which fields to set', () => {
    expect(() => plan(backups, wal, policyOf({}))).toThrow(EmptyRetentionPolicyError);
    expect(() => plan(backups, wal, policyOf({}))).toThrow(/keepDaily: 7/);
  });

  it('refuses a cluster with no complete backup instead of deleting its WAL', () => {
    const incomplete = [
      backupRecord({ startSegNo: 20, finishedAt: new Date('2026-11-01T00:00:00Z'), status: 'incomplete' }),
    ];
    expect(() => plan(incomplete, wal, policyOf({ keepDaily: 7 }))).toThrow(WouldDeleteAllBackupsError);
  });

  it('refuses negative or fractional counts as bad input, not as an unsafe plan', () => {
    expect(() => plan(backups, wal, policyOf({ keepDaily: -1 }))).toThrow(/keepDaily -1/);
    expect(() => plan(backups, wal, policyOf({ keepDaily: 1.5 }))).not.toThrow(UnsafePlanError);
  });

  it('is deterministic', () => {
    const policy = policyOf({ keepLast: 1, keepWeekly: 2, pitrWindowMs: 2 * DAY });
    expect(plan(backups, wal, policy)).toEqual(plan(backups, wal, policy));
  });
});

describe('verifyRetentionPlan (the final self-check)', () => {
  const { backups, wal } = regularCatalog({
    count: 10,
    everyMs: DAY,
    last: new Date('2026-11-21T01:30:00Z'),
    segmentsBetween: 4,
  });
  const good = plan(backups, wal, policyOf({ keepDaily: 3 }));

  it('accepts the plan the planner made', () => {
    expect(() => verifyRetentionPlan(good, backups, wal)).not.toThrow();
  });

  it('refuses a plan that deletes WAL a kept backup needs', () => {
    const kept = backups.find((record) => record.name === good.keep[0]?.name) as BackupRecord;
    const startKey = wal.find((object) => object.segNo === kept.backup?.startSegment.segNo)?.key as string;
    const tampered = { ...good, delete: { ...good.delete, walKeys: [...good.delete.walKeys, startKey] } };
    expect(() => verifyRetentionPlan(tampered, backups, wal)).toThrow(NeededObjectDeletionError);
  });

  it('refuses a plan that deletes a permanent backup', () => {
    const marked = backups.map((record, index) =>
      index === 0 && record.backup ? { ...record, backup: { ...record.backup, permanent: true } } : record,
    );
    expect(() => verifyRetentionPlan(good, marked, wal)).toThrow(PermanentBackupDeletionError);
  });

  it('refuses a plan that deletes every complete backup', () => {
    const tampered = { ...good, keep: [] };
    expect(() => verifyRetentionPlan(tampered, backups, wal)).toThrow(WouldDeleteAllBackupsError);
  });
});

describe('planRetention rules', () => {
  it('keeps the delta ancestors of a kept delta, naming the delta', () => {
    const full = backupRecord({ startSegNo: 16, finishedAt: new Date('2026-11-10T01:00:00Z') });
    const delta1 = backupRecord({
      startSegNo: 20,
      parentStartSegNo: 16,
      deltaFrom: full.name,
      finishedAt: new Date('2026-11-11T01:00:00Z'),
    });
    const delta2 = backupRecord({
      startSegNo: 24,
      parentStartSegNo: 20,
      deltaFrom: delta1.name,
      finishedAt: new Date('2026-11-12T01:00:00Z'),
    });
    const result = plan([full, delta1, delta2], walObjects(1, 16, 30), policyOf({ keepLast: 1 }));
    expect(keptNames(result)).toEqual([full.name, delta1.name, delta2.name]);
    expect(reasonsOf(result, full.name)).toEqual([`delta-ancestor of ${delta2.name}`]);
    expect(reasonsOf(result, delta1.name)).toEqual([`delta-ancestor of ${delta2.name}`]);
  });

  it('keeps permanent backups with only their consistency WAL', () => {
    const old = backupRecord({
      startSegNo: 20,
      spanSegments: 3,
      finishedAt: new Date('2026-01-10T01:00:00Z'),
      permanent: true,
    });
    const recent = backupRecord({ startSegNo: 60, finishedAt: new Date('2026-11-20T01:00:00Z') });
    const result = plan([old, recent], walObjects(1, 16, 70), policyOf({ keepLast: 1 }));
    expect(reasonsOf(result, old.name)).toEqual(['permanent']);
    expect(result.delete.wal.map(({ from, to, count }) => ({ from, to, count }))).toEqual([
      { from: '000000010000000000000010', to: '000000010000000000000013', count: 4 },
      { from: '000000010000000000000017', to: '00000001000000000000003B', count: 37 },
    ]);
  });

  it('protects the segment before a start LSN on a segment boundary (WAL-G protects segNo(start_lsn - 1))', () => {
    const onBoundary: BackupRecord = (() => {
      const record = backupRecord({ startSegNo: 20, finishedAt: new Date('2026-10-01T01:00:00Z'), permanent: true });
      const backup = record.backup as NonNullable<BackupRecord['backup']>;
      return { ...record, backup: { ...backup, startLsn: (BigInt(20) * BigInt(SIZE)) as typeof backup.startLsn } };
    })();
    const recent = backupRecord({ startSegNo: 60, finishedAt: new Date('2026-11-20T01:00:00Z') });
    const result = plan([onBoundary, recent], walObjects(1, 16, 70), policyOf({ keepLast: 1 }));
    expect(result.delete.wal[0]).toMatchObject({ from: '000000010000000000000010', to: '000000010000000000000012' });
  });

  it('deletes .partial and .backup objects with their segment range and never deletes .history files', () => {
    const old = backupRecord({ startSegNo: 20, finishedAt: new Date('2026-11-01T01:00:00Z') });
    const recent = backupRecord({ startSegNo: 40, timeline: 2, finishedAt: new Date('2026-11-20T01:00:00Z') });
    const tli1 = timelineId(1);
    const wal: RetentionWalObject[] = [
      ...walObjects(1, 16, 35),
      {
        key: 'wal_005/000000010000000000000023.partial.lz4',
        kind: 'partial',
        timeline: tli1,
        segNo: segmentNumber(35),
        size: 9,
      },
      {
        key: 'wal_005/000000010000000000000014.00000028.backup.lz4',
        kind: 'backup-history',
        timeline: tli1,
        segNo: segmentNumber(20),
        size: 9,
      },
      ...walObjects(2, 35, 45),
      historyObject(2),
    ];
    const result = plan([old, recent], wal, policyOf({ keepLast: 1 }));
    expect(result.delete.walKeys).toContain('wal_005/000000010000000000000023.partial.lz4');
    expect(result.delete.walKeys).toContain('wal_005/000000010000000000000014.00000028.backup.lz4');
    expect(result.delete.walKeys).not.toContain('wal_005/00000002.history.lz4');
    expect(result.delete.wal).toEqual([
      expect.objectContaining({
        timeline: 1,
        from: '000000010000000000000010',
        to: '000000010000000000000023',
        count: 20,
        objects: 22,
      }),
      expect.objectContaining({
        timeline: 2,
        from: '000000020000000000000023',
        to: '000000020000000000000027',
        count: 5,
      }),
    ]);
  });

  it('keeps an incomplete backup younger than the grace with the WAL from its start, and deletes a stale one', () => {
    const complete = backupRecord({ startSegNo: 16, finishedAt: new Date('2026-11-10T01:00:00Z') });
    const stale = backupRecord({ startSegNo: 20, finishedAt: new Date('2026-11-15T01:00:00Z'), status: 'incomplete' });
    const running = backupRecord({
      startSegNo: 30,
      finishedAt: new Date('2026-11-21T03:30:00Z'),
      status: 'incomplete',
    });
    const result = plan(
      [complete, stale, running],
      walObjects(1, 16, 40),
      policyOf({ keepLast: 1, incompleteGraceMs: 6 * HOUR }),
    );
    expect(reasonsOf(result, running.name)).toEqual(['incomplete-grace']);
    expect(result.delete.backups.map((doomed) => [doomed.name, doomed.reason])).toEqual([
      [stale.name, expect.stringMatching(/^incomplete for longer than incompleteGrace 6h/)],
    ]);
    expect(result.delete.walKeys.every((key) => key < `wal_005/${running.name.slice(5)}`)).toBe(true);
  });

  it('keeps every backup from the PITR chain base on, and WAL from its start on every timeline', () => {
    const { backups, wal } = regularCatalog({
      count: 10,
      everyMs: DAY,
      last: new Date('2026-11-21T01:30:00Z'),
      segmentsBetween: 4,
    });
    const result = plan(backups, wal, policyOf({ keepLast: 1, pitrWindowMs: 3 * DAY }));
    // Window from 2026-11-18T03:00: the 2026-11-18T01:30 backup covers its start.
    expect(result.chainBase).toBe(backupName(1, 16 + 6 * 4));
    expect(
      result.keep.filter((kept) => kept.reasons.includes('pitr-window')).map((kept) => kept.finishedAt?.toISOString()),
    ).toEqual([
      '2026-11-18T01:30:00.000Z',
      '2026-11-19T01:30:00.000Z',
      '2026-11-20T01:30:00.000Z',
      '2026-11-21T01:30:00.000Z',
    ]);
    expect(result.delete.wal).toEqual([
      expect.objectContaining({ from: '000000010000000000000010', to: '000000010000000000000027' }),
    ]);
    expect(result.bytesFreed).toBe(6 * 1024 ** 3 + 24 * 4 * 1024 ** 2);
  });

  it('orders by metadata finish time, not by name or catalog time', () => {
    const early = backupRecord({ startSegNo: 40, finishedAt: new Date('2026-11-19T01:00:00Z') });
    const late = {
      ...backupRecord({ startSegNo: 20, finishedAt: new Date('2026-11-20T01:00:00Z') }),
      firstSeenAt: new Date('2020-01-01T00:00:00Z'),
    };
    const result = plan([early, late], walObjects(1, 16, 50), policyOf({ keepLast: 1 }));
    expect(keptNames(result)).toEqual([late.name]);
  });
});
