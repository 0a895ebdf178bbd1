import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backupsWithClusterChecks,
  clusterSystemIdentifier,
  eligibleBackups,
} from '../../../lib/domain/catalog/backup-eligibility.ts';
import { compareBackupRecords } from '../../../lib/domain/catalog/backup-order.ts';
import type { BackupRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import { backupRecord, DAY } from '../continuity/continuity-fixtures.ts';

const NOW = Date.parse('2026-11-21T12:00:00Z');
const OURS = 7321456789012345678n;
const THEIRS = 7399999999999999999n;

function withSystem(record: BackupRecord, systemIdentifier: bigint | undefined): BackupRecord {
  if (record.backup === undefined) return record;
  const { systemIdentifier: _drop, ...backup } = record.backup;
  return { ...record, backup: systemIdentifier === undefined ? backup : { ...backup, systemIdentifier } };
}

const daily = (day: number, id: bigint | undefined): BackupRecord =>
  withSystem(
    backupRecord({ startSegNo: day * 10, finishSegNo: day * 10 + 1, finishTime: new Date(NOW - (10 - day) * DAY) }),
    id,
  );

describe('backups of another database system', () => {
  it('the newest backup with a different system identifier is foreign-system, never eligible', () => {
    const records = [daily(1, OURS), daily(2, OURS), daily(3, THEIRS)];
    const checked = backupsWithClusterChecks(records);
    expect(checked.map((r) => r.status)).toEqual(['complete', 'complete', 'unreadable']);
    expect(checked[2]?.problem).toMatch(/^foreign-system: backup base_\S+ has system identifier 7399999999999999999/);
    expect(checked[2]?.problem).toContain(`the cluster's other backups (2) have ${OURS}`);
    expect(eligibleBackups(records).map((r) => r.name)).toEqual([records[0]?.name, records[1]?.name]);
  });

  it('on a tie the identifier of the oldest backup is the cluster', () => {
    expect(clusterSystemIdentifier([daily(2, THEIRS), daily(1, OURS)])).toBe(OURS);
  });

  it('backups without a system identifier (WAL-E, old WAL-G) are never called foreign', () => {
    const records = [daily(1, undefined), daily(2, OURS), daily(3, undefined)];
    expect(eligibleBackups(records)).toHaveLength(3);
  });

  it('property: eligible backups share one system identifier, and the checks are idempotent', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(OURS, THEIRS, 1n, undefined), { maxLength: 9 }), (ids) => {
        const records = ids.map((id, day) => daily(day + 1, id));
        const eligible = eligibleBackups(records);
        const systems = new Set(eligible.map((r) => r.backup?.systemIdentifier).filter((id) => id !== undefined));
        expect(systems.size).toBeLessThanOrEqual(1);
        const once = backupsWithClusterChecks(records);
        expect(backupsWithClusterChecks(once)).toEqual(once);
        // Nothing but complete backups with another identifier changes.
        once.forEach((record, index) => {
          if (record.status === 'complete') expect(record).toBe(records[index]);
        });
      }),
    );
  });

  it('property: the cluster identifier is the most common one, a tie going to the oldest backup, in any input order', () => {
    // The plain statement: sort every record oldest first, count in that order, keep the first of the largest counts.
    const reference = (records: readonly BackupRecord[]): bigint | undefined => {
      const counts = new Map<bigint, number>();
      for (const record of [...records].sort(compareBackupRecords)) {
        const id = record.status === 'complete' ? record.backup?.systemIdentifier : undefined;
        if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      let best: [bigint, number] | undefined;
      for (const entry of counts) if (best === undefined || entry[1] > best[1]) best = entry;
      return best?.[0];
    };
    fc.assert(
      fc.property(
        fc
          .array(fc.tuple(fc.integer({ min: 1, max: 9 }), fc.constantFrom(OURS, THEIRS, 1n, 2n, undefined)), {
            maxLength: 12,
          })
          .chain((drafts) => fc.shuffledSubarray(drafts, { minLength: drafts.length, maxLength: drafts.length })),
        (drafts) => {
          const records = drafts.map(([day, id]) => daily(day, id));
          expect(clusterSystemIdentifier(records)).toBe(reference(records));
        },
      ),
      { numRuns: 500 },
    );
  });
});
