/**
 * The apply-time check lives as long as an apply (hours for a ten-year plan, every key asked): it must keep what it
 * answers with, not what it was made from. The fresh evaluation holds an entry per backup of the catalog, and the
 * backups at apply time are a second array of every record; a check that kept them kept both for the whole apply.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { BackupRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import { type ApplyTimeCheck, applyTimeCheck } from '../../../lib/domain/retention/apply-time-check.ts';
import type { RetentionPlan } from '../../../lib/domain/retention/retention-plan.ts';
import { backupRecord, CLUSTER, DAY, policyOf, SIZE } from './retention-fixtures.ts';

const NOW = new Date('2026-11-21T03:00:00Z');
const PREFIX = `${CLUSTER}/`;
const sentinelKey = (record: BackupRecord) => `${PREFIX}basebackups_005/${record.name}_backup_stop_sentinel.json`;

function fullCollection(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

/** A check of three backups, the two older ones doomed by both plans, and weak references to what it was made from. */
function checkOfThreeBackups(): {
  readonly check: ApplyTimeCheck;
  readonly doomed: readonly BackupRecord[];
  readonly kept: BackupRecord;
  readonly backupsMadeFrom: WeakRef<object>;
  readonly freshMadeFrom: WeakRef<object>;
} {
  const backups = [10, 20, 30].map((startSegNo, day) =>
    backupRecord({ startSegNo, finishedAt: new Date(NOW.getTime() - (3 - day) * DAY) }),
  );
  const [first, second, newest] = backups as [BackupRecord, BackupRecord, BackupRecord];
  const fresh: Pick<RetentionPlan, 'keep' | 'delete' | 'protectedWal'> = {
    keep: [{ name: newest.name, status: 'complete', kind: 'full', permanent: false, reasons: ['newest'] }],
    delete: {
      backups: [first, second].map((record) => ({ name: record.name, status: 'complete', reason: 'old', bytes: 1 })),
      wal: [],
    },
    protectedWal: [],
  };
  const check = applyTimeCheck({
    cluster: CLUSTER,
    layout: 'wal-g',
    prefix: PREFIX,
    policy: policyOf({ keepLast: 1 }),
    walSegmentSize: SIZE,
    plannedBackups: [first.name, second.name],
    backups,
    fresh,
    now: NOW,
  });
  return {
    check,
    doomed: [first, second],
    kept: newest,
    backupsMadeFrom: new WeakRef(backups),
    freshMadeFrom: new WeakRef(fresh),
  };
}

describe('apply-time check memory', () => {
  it('keeps neither the backups nor the fresh evaluation it was made from, and still answers', async () => {
    const collect = fullCollection();
    const { check, doomed, kept, backupsMadeFrom, freshMadeFrom } = checkOfThreeBackups();
    // A weak reference holds its target until the job that made it ends.
    await new Promise((resolve) => setImmediate(resolve));
    collect();
    expect(freshMadeFrom.deref()).toBeUndefined();
    expect(backupsMadeFrom.deref()).toBeUndefined();
    for (const record of doomed) expect(check.spareReason(sentinelKey(record))).toBeUndefined();
    expect(check.spareReason(sentinelKey(kept))).toContain(kept.name);
    expect(check.backupsDeleted).toEqual(doomed.map((record) => record.name));
  });
});
