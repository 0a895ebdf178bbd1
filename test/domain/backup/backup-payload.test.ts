import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { payloadProblem } from '../../../lib/domain/backup/backup-payload.ts';
import type { BaseBackup } from '../../../lib/domain/backup/base-backup.ts';
import { type BackupChange, type BackupInterpreter, mergeBackup } from '../../../lib/domain/catalog/catalog-change.ts';
import type { BackupPayloadObject, BackupRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import type { ClusterId } from '../../../lib/domain/cluster.ts';
import { lsnFromInteger } from '../../../lib/domain/wal/lsn.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber } from '../../../lib/domain/wal/wal-segment.ts';

const at = new Date('2026-11-20T01:00:00Z');
const backup: BaseBackup = {
  name: 'base_0000000100000000000000A3',
  kind: 'full',
  timeline: timelineId(1),
  startLsn: lsnFromInteger(0xa3000028n),
  finishLsn: lsnFromInteger(0xa4001f08n),
  startSegment: { timeline: timelineId(1), segNo: segmentNumber(0xa3) },
  compressedSize: 3000,
  permanent: false,
};
const object = (kind: BackupPayloadObject['kind'], size: number, present = true): BackupPayloadObject => ({
  kind,
  present,
  size: present ? size : 0,
  observedAt: at,
});
const whole = {
  'tar_partitions/part_1.tar.lz4': object('tar-partition', 2000),
  'tar_partitions/part_2.tar.lz4': object('tar-partition', 990),
  'tar_partitions/pg_control.tar.lz4': object('pg_control', 100),
};

describe('payloadProblem', () => {
  it('is undefined when every tar is there and they hold the stated compressed size', () => {
    expect(payloadProblem(backup, whole)).toBeUndefined();
  });

  it.each([
    [
      'a removed tar partition',
      { ...whole, 'tar_partitions/part_2.tar.lz4': object('tar-partition', 0, false) },
      'tar partition(s) tar_partitions/part_2.tar.lz4 of base_0000000100000000000000A3 were removed',
    ],
    ['no tar partition', { 'tar_partitions/pg_control.tar.lz4': object('pg_control', 100) }, 'no data tar partition'],
    [
      'no pg_control',
      { 'tar_partitions/part_1.tar.lz4': object('tar-partition', 3000) },
      'tar_partitions/pg_control.tar of base_0000000100000000000000A3 is not in the bucket',
    ],
    [
      'less than the stated compressed size',
      { ...whole, 'tar_partitions/part_1.tar.lz4': object('tar-partition', 20) },
      'hold 1110 bytes, but its metadata states a compressed size of 3000 bytes',
    ],
  ])('missing-data for %s', (_label, payload, message) => {
    const problem = payloadProblem(backup, payload);
    expect(problem?.startsWith('missing-data: ')).toBe(true);
    expect(problem).toContain(message);
  });
});

describe('payload registers in the catalog record', () => {
  const cluster = 'orders-main' as ClusterId;
  const interpret: BackupInterpreter = () => ({ backup });
  const sentinel: BackupChange = {
    type: 'source-observed',
    origin: 'event',
    cluster,
    name: backup.name,
    source: 'sentinel',
    observation: { key: 'k', present: true, text: '{}', sequencer: '0A', observedAt: at },
  };
  const payload = (part: string, kind: BackupPayloadObject['kind'], sequencer: string, present: boolean, size = 1500) =>
    ({
      type: 'payload-observed',
      origin: 'event',
      cluster,
      name: backup.name,
      part,
      observation: { kind, present, size: present ? size : 0, sequencer, observedAt: at },
    }) as const satisfies BackupChange;
  const changes: BackupChange[] = [
    sentinel,
    payload('tar_partitions/part_1.tar.lz4', 'tar-partition', '01', true),
    payload('tar_partitions/part_2.tar.lz4', 'tar-partition', '02', true),
    payload('tar_partitions/pg_control.tar.lz4', 'pg_control', '03', true, 100),
    payload('tar_partitions/part_2.tar.lz4', 'tar-partition', '09', false),
  ];

  it('property: in any order and with duplicates, removing a data tar ends missing-data', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray([...changes, ...changes], { minLength: 10, maxLength: 10 }), (order) => {
        let record: BackupRecord | undefined;
        for (const change of order) record = mergeBackup(record, change, interpret) ?? record;
        expect(record?.status).toBe('unreadable');
        expect(record?.problem).toMatch(/^missing-data: tar partition\(s\) tar_partitions\/part_2\.tar\.lz4/);
      }),
    );
  });

  it('without the removal the backup is complete', () => {
    let record: BackupRecord | undefined;
    for (const change of changes.slice(0, 4)) record = mergeBackup(record, change, interpret) ?? record;
    expect(record).toMatchObject({ status: 'complete' });
    expect(record?.problem).toBeUndefined();
  });
});
