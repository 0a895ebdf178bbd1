import { describe, expect, it } from 'vitest';
import type { BackupRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import { alertResolution, type ResolutionContext } from '../../../lib/domain/continuity/alert-resolution.ts';
import type { Alert } from '../../../lib/domain/continuity/alert-state.ts';
import { DEFAULT_WAL_SEGMENT_SIZE } from '../../../lib/domain/wal/segment-size.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../../../lib/domain/wal/wal-segment.ts';
import { backupRecord, presentSegments } from './continuity-fixtures.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const name = (segNo: number) =>
  walFileName({ timeline: timelineId(1), segNo: segmentNumber(segNo) }, DEFAULT_WAL_SEGMENT_SIZE);

function alert(kind: Alert['kind'], subject: string, facts: Record<string, string> = {}): Alert {
  return {
    cluster: 'orders-main' as Alert['cluster'],
    kind,
    subject,
    severity: 'FAILURE',
    summary: 'was wrong',
    facts,
    nextStep: 'fix it',
    state: 'open',
    openedAt: NOW,
    lastSeenAt: NOW,
    openNotified: true,
    failedAttempts: 0,
  };
}

const base = backupRecord({ startSegNo: 40, finishSegNo: 41, finishTime: NOW, name: 'base-40' });
function context(parts: Partial<ResolutionContext> = {}): ResolutionContext {
  return {
    backups: [base],
    present: presentSegments([{ timeline: 1, from: 40, to: 60, firstAt: NOW }]),
    retentionTombstones: [],
    chainBase: 'base-40',
    readableHistoryTimelines: new Set(),
    unreadableHistoryTimelines: new Set(),
    walSegmentSize: DEFAULT_WAL_SEGMENT_SIZE,
    ...parts,
  };
}

describe('alertResolution', () => {
  const cases: ReadonlyArray<{
    title: string;
    alert: Alert;
    context: ResolutionContext;
    expected: string | undefined;
  }> = [
    {
      title: 'a gap whose segments are all present again arrived',
      alert: alert('wal-gap', name(44), { Segments: `${name(44)} .. ${name(45)}` }),
      context: context(),
      expected: `segments ${name(44)} .. ${name(45)} arrived`,
    },
    {
      title: 'a gap inside a tombstone, after the chain base, was made irrelevant by retention',
      alert: alert('wal-gap', name(70)),
      context: context({
        retentionTombstones: [
          {
            timeline: timelineId(1),
            fromSegNo: segmentNumber(65),
            toSegNo: segmentNumber(75),
            planId: 'plan-9',
            deletedAt: NOW,
          },
        ],
      }),
      expected: `retention deleted the WAL around the gap (plan plan-9): no kept backup needs segment ${name(70)} any more`,
    },
    {
      title: 'a gap before the oldest backup without a tombstone: the backups it broke are gone',
      alert: alert('wal-gap', name(20)),
      context: context(),
      expected: 'the gap lies before the oldest backup base-40: the backups it broke are gone',
    },
    {
      title: 'an incomplete backup whose sentinel arrived finished',
      alert: alert('incomplete-backup', 'base-40'),
      context: context(),
      expected: 'backup base-40 finished: its sentinel arrived',
    },
    {
      title: 'an incomplete backup retention expired',
      alert: alert('incomplete-backup', 'base-40'),
      context: context({ backups: [{ ...base, status: 'expired', expiredAt: NOW } as BackupRecord] }),
      expected: `retention deleted backup base-40 at ${NOW.toISOString()}`,
    },
    {
      title: 'a missing history that arrived readable',
      alert: alert('missing-history', '00000002'),
      context: context({ readableHistoryTimelines: new Set([2]) }),
      expected: 'timeline history 00000002.history arrived and reads well',
    },
    {
      title: 'a missing history that arrived unreadable points at the other alert',
      alert: alert('missing-history', '00000002'),
      context: context({ unreadableHistoryTimelines: new Set([2]) }),
      expected: 'timeline history 00000002.history arrived but cannot be used (see the unreadable-history alert)',
    },
    {
      title: 'kinds with nothing more to say use their own headline',
      alert: alert('archive-lag', 'wal-head'),
      context: context(),
      expected: undefined,
    },
  ];

  it.each(cases)('$title', ({ alert: subject, context: known, expected }) => {
    expect(alertResolution(subject, known)).toBe(expected);
  });
});
