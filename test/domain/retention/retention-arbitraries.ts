/** Random catalogs and policies for the retention properties. */
import fc from 'fast-check';
import type { BackupRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import type { RetentionWalObject } from '../../../lib/domain/retention/wal-retention.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../../../lib/domain/wal/wal-segment.ts';
import {
  backupName,
  backupRecord,
  DAY,
  HOUR,
  historyObject,
  policyOf,
  SIZE,
  walObjects,
} from './retention-fixtures.ts';

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Pacific/Auckland'];

interface BackupDraft {
  gapSegments: number;
  spanSegments: number;
  gapMs: number;
  deltaOf: number | undefined;
  permanent: boolean;
  status: BackupRecord['status'];
}

const backupDraft = fc.record({
  gapSegments: fc.integer({ min: 1, max: 6 }),
  spanSegments: fc.integer({ min: 1, max: 3 }),
  gapMs: fc.integer({ min: HOUR, max: 4 * DAY }),
  deltaOf: fc.option(fc.nat({ max: 30 }), { nil: undefined }),
  permanent: fc.integer({ min: 0, max: 4 }).map((value) => value === 0),
  status: fc.constantFrom<BackupRecord['status']>(
    'complete',
    'complete',
    'complete',
    'complete',
    'incomplete',
    'expired',
  ),
}) satisfies fc.Arbitrary<BackupDraft>;

export const catalogArbitrary = fc
  .record({
    drafts: fc.array(backupDraft, { minLength: 1, maxLength: 25 }),
    switchAt: fc.option(fc.nat({ max: 25 }), { nil: undefined }),
    firstFinish: fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2026, 10, 1) }),
    nowAfterLast: fc.integer({ min: 0, max: 3 * DAY }),
    extras: fc.array(fc.tuple(fc.constantFrom('partial', 'backup-history', 'wal-metadata'), fc.nat({ max: 120 })), {
      maxLength: 8,
    }),
  })
  .map(({ drafts, switchAt, firstFinish, nowAfterLast, extras }) => {
    const backups: BackupRecord[] = [];
    let segNo = 16;
    let at = firstFinish;
    const startSegs: number[] = [];
    drafts.forEach((draft, index) => {
      segNo += draft.gapSegments;
      at += draft.gapMs;
      const timeline = switchAt !== undefined && index >= switchAt ? 2 : 1;
      const parentIndex = draft.deltaOf === undefined || index === 0 ? undefined : draft.deltaOf % index;
      const parent = parentIndex === undefined ? undefined : backups[parentIndex];
      const useParent = parent?.backup !== undefined && parent.backup.timeline === timeline;
      startSegs.push(segNo);
      backups.push(
        backupRecord({
          ...(useParent
            ? { name: `${backupName(timeline, segNo, startSegs[parentIndex as number])}`, deltaFrom: parent.name }
            : {}),
          startSegNo: segNo,
          spanSegments: draft.spanSegments,
          timeline,
          finishedAt: new Date(at),
          permanent: draft.permanent,
          status: draft.status,
        }),
      );
      segNo += draft.spanSegments;
    });
    const switchSeg =
      switchAt !== undefined && switchAt < startSegs.length ? (startSegs[switchAt] as number) - 2 : undefined;
    const head = segNo + 5;
    const wal: RetentionWalObject[] = [
      ...walObjects(1, 10, switchSeg ?? head),
      ...(switchSeg !== undefined ? [...walObjects(2, switchSeg, head), historyObject(2)] : []),
    ];
    for (const [kind, offset] of extras) {
      const extraSeg = 10 + (offset % (head - 10));
      const tli = timelineId(switchSeg !== undefined && extraSeg >= switchSeg ? 2 : 1);
      const name = walFileName({ timeline: tli, segNo: segmentNumber(extraSeg) }, SIZE);
      const suffix = kind === 'partial' ? '.partial.lz4' : kind === 'backup-history' ? '.00000028.backup.lz4' : '.json';
      if (wal.some((object) => object.key === `wal_005/${name}${suffix}`)) continue;
      wal.push({
        key: `wal_005/${name}${suffix}`,
        kind: kind as RetentionWalObject['kind'],
        timeline: tli,
        segNo: segmentNumber(extraSeg),
        size: 100,
      });
    }
    return { backups, wal, now: new Date(at + nowAfterLast) };
  });

export const policyArbitrary = fc
  .record({
    keepLast: fc.nat({ max: 4 }),
    keepDaily: fc.nat({ max: 8 }),
    keepWeekly: fc.nat({ max: 5 }),
    keepMonthly: fc.nat({ max: 4 }),
    keepYearly: fc.nat({ max: 2 }),
    pitrWindowMs: fc.constantFrom(0, 6 * HOUR, DAY, 7 * DAY, 30 * DAY),
    timezone: fc.constantFrom(...ZONES),
    incompleteGraceMs: fc.constantFrom(HOUR, DAY, 3 * DAY),
  })
  .map((fields) => policyOf(fields));
