/**
 * A fresh deploy has an empty catalog until the first full sync: "nothing is restorable" would then be a false
 * FAILURE for every cluster for up to six hours. The no-backup alert waits for the first sync; the catalog-stale
 * warning ("never reconciled") says what is going on meanwhile.
 */
import { describe, expect, it } from 'vitest';
import type { ClusterHealth } from '../../../lib/domain/continuity/cluster-health.ts';
import type { GapReport } from '../../../lib/domain/continuity/gap-detection.ts';
import { watchdogConditions } from '../../../lib/domain/continuity/watchdog-conditions.ts';
import { parseWalSegmentSize } from '../../../lib/domain/wal/segment-size.ts';

const now = new Date('2026-11-21T12:00:00Z');
const input = (lastFullSyncAt?: Date) => ({
  gaps: { status: 'FAILURE', gaps: [], findings: [{ kind: 'no-backup' }] } as unknown as GapReport,
  health: {} as unknown as ClusterHealth,
  backups: [],
  alerts: { archiveLagMaxMs: 600_000, backupMaxAgeMs: 26 * 3_600_000, uploadGraceMs: 300_000 },
  walSegmentSize: parseWalSegmentSize('16MiB'),
  incompleteGraceMs: 86_400_000,
  catalogStaleAfterMs: 12 * 3_600_000,
  now,
  ...(lastFullSyncAt === undefined ? {} : { lastFullSyncAt }),
});

describe('alerts on a fresh deploy', () => {
  it('holds the no-backup alert until a full sync has run, warning that the catalog was never reconciled', () => {
    const kinds = watchdogConditions(input()).map((c) => c.kind);
    expect(kinds).not.toContain('no-backup');
    expect(kinds).toContain('catalog-stale');
  });

  it('raises it once a sync found no complete backup', () => {
    const kinds = watchdogConditions(input(new Date(now.getTime() - 60_000))).map((c) => c.kind);
    expect(kinds).toContain('no-backup');
    expect(kinds).not.toContain('catalog-stale');
  });
});
