import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBackupRecords } from '../../../lib/domain/catalog/backup-order.ts';
import type { BackupRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import { backupRecord, DAY } from '../continuity/continuity-fixtures.ts';

const NOW = Date.parse('2026-11-21T12:00:00Z');

/** A WAL-E backup as WAL-G reads it in place: no start or finish time in its sentinel. */
function waleBackup(startSegNo: number): BackupRecord {
  const record = backupRecord({ startSegNo, finishSegNo: startSegNo + 1, finishTime: new Date(NOW) });
  const { startTime: _start, finishTime: _finish, ...backup } = record.backup as NonNullable<BackupRecord['backup']>;
  const name = `${record.name}_00000040`;
  return { ...record, name, backup: { ...backup, name }, firstSeenAt: new Date(NOW), updatedAt: new Date(NOW) };
}

const walg = (startSegNo: number, daysAgo: number): BackupRecord =>
  backupRecord({ startSegNo, finishSegNo: startSegNo + 1, finishTime: new Date(NOW - daysAgo * DAY) });

describe('compareBackupRecords', () => {
  it('orders WAL-E backups (no times) before the WAL-G backups that followed them in the same root', () => {
    const records = [walg(40, 1), waleBackup(10), walg(30, 2), waleBackup(20)];
    expect(records.sort(compareBackupRecords).map((r) => r.name)).toEqual([
      'base_00000001000000000000000A_00000040',
      'base_000000010000000000000014_00000040',
      'base_00000001000000000000001E',
      'base_000000010000000000000028',
    ]);
  });

  it('places a backup without readable metadata by the start segment of its name', () => {
    const unreadable: BackupRecord = {
      cluster: walg(1, 1).cluster,
      name: 'base_000000010000000000000023',
      status: 'unreadable',
      problem: 'x',
      firstSeenAt: new Date(NOW),
      updatedAt: new Date(NOW),
    };
    const sorted = [walg(40, 1), unreadable, walg(30, 2)].sort(compareBackupRecords).map((r) => r.name);
    expect(sorted).toEqual(['base_00000001000000000000001E', unreadable.name, 'base_000000010000000000000028']);
  });

  it('property: a total order (the sorted result does not depend on the input order)', () => {
    const arbitraryRecord = fc
      .record({
        segNo: fc.integer({ min: 1, max: 6 }),
        days: fc.integer({ min: 0, max: 5 }),
        kind: fc.constantFrom('walg', 'wale', 'unreadable', 'odd-name'),
      })
      .map(({ segNo, days, kind }): BackupRecord => {
        if (kind === 'wale') return waleBackup(segNo);
        const record = walg(segNo, days);
        if (kind === 'walg') return record;
        const { backup: _backup, ...bare } = record;
        return { ...bare, status: 'unreadable', name: kind === 'odd-name' ? `base_x${segNo}${days}` : record.name };
      });
    fc.assert(
      fc.property(fc.array(arbitraryRecord, { maxLength: 8 }), fc.infiniteStream(fc.integer()), (records, seeds) => {
        const sorted = [...records].sort(compareBackupRecords);
        const shuffled = records
          .map((record) => ({ record, key: seeds.next().value as number }))
          .sort((x, y) => x.key - y.key)
          .map((x) => x.record);
        expect(shuffled.sort(compareBackupRecords).map((r) => [r.name, r.status, r.backup?.startTime])).toEqual(
          sorted.map((r) => [r.name, r.status, r.backup?.startTime]),
        );
      }),
    );
  });
});
