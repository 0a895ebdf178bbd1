/**
 * A catalog with a known shape for the web view tests: cluster `orders-main` (16 MiB segments), WAL on timeline 1
 * from segment 2 to 20, uploaded one a minute from 10:02 on 2026-11-20, with segments 9..11 missing (a lost gap);
 * a full backup at 10:00-10:01 and another at 10:14-10:14:30; an incomplete backup whose name and problem are hostile
 * HTML, and hostile WAL-G user data on a complete one. `now` is 10:40.
 */

import { parseWalcatConfig } from '../../lib/config/config.ts';
import type { BackupRecord, WalObjectRecord } from '../../lib/domain/catalog/catalog-records.ts';
import type { ClusterConfig, ClusterId } from '../../lib/domain/cluster.ts';
import { parseLsn } from '../../lib/domain/wal/lsn.ts';
import { type TimelineId, timelineId } from '../../lib/domain/wal/timeline.ts';
import { parseWalFileName, segmentNumber, walFileName } from '../../lib/domain/wal/wal-segment.ts';
import type { CatalogStore, ClusterState } from '../../lib/ports/catalog-store.ts';
import type { JobView } from '../../lib/web-view/cluster-view.ts';

export const NOW = new Date('2026-11-20T10:40:00Z');
export const HOSTILE_NAME = 'base_<img src=x onerror="window.__pwned=1">';
export const HOSTILE_PROBLEM = '<script>window.__pwned=2</script> sentinel is not JSON';
export const HOSTILE_USER_DATA = { note: '</td></tr><script>window.__pwned=3</script>' };
export const MISSING = { from: 9, to: 11 } as const;

export const CONFIG = parseWalcatConfig(
  [
    'clusters:',
    '  - id: orders-main',
    '    storage: s3://acme-pg-backups/orders-main',
    '    retention: { keepLast: 1, keepDaily: 7, pitrWindow: 1h }',
    '    alerts: { uploadGrace: 5m }',
  ].join('\n'),
  'web view fixture',
);
export const CLUSTER = CONFIG.clusters[0] as ClusterConfig;
const size = CLUSTER.walSegmentSize;
const id = CLUSTER.id as ClusterId;
const tl1 = timelineId(1);

/** Upload time of segment `n`: one a minute, segment 2 at 10:02. */
export const uploadedAt = (segNo: number): Date => new Date(Date.UTC(2026, 10, 20, 10, segNo, 0));

export const segmentName = (segNo: number): string => walFileName({ timeline: tl1, segNo: segmentNumber(segNo) }, size);

function walRecord(segNo: number): WalObjectRecord {
  const name = segmentName(segNo);
  return {
    cluster: id,
    key: `orders-main/wal_005/${name}.br`,
    kind: 'segment',
    timeline: tl1,
    segNo: segmentNumber(segNo),
    compression: 'brotli',
    size: 700_000,
    uploadedAt: uploadedAt(segNo),
    deleted: false,
  };
}

function completeBackup(startSegNo: number, start: string, finish: string, userData?: unknown): BackupRecord {
  const name = `base_${segmentName(startSegNo)}`;
  const startLsn = parseLsn(`0/${(startSegNo * 0x1000000 + 0x28).toString(16).toUpperCase()}`);
  return {
    cluster: id,
    name,
    status: 'complete',
    firstSeenAt: new Date(finish),
    updatedAt: new Date(finish),
    backup: {
      name,
      kind: 'full',
      timeline: tl1,
      startLsn,
      finishLsn: parseLsn(`0/${(startSegNo * 0x1000000 + 0x100).toString(16).toUpperCase()}`),
      startSegment: parseWalFileName(segmentName(startSegNo), size),
      startTime: new Date(start),
      finishTime: new Date(finish),
      pgVersion: 150004,
      systemIdentifier: 7_300_000_000_000_000_001n,
      uncompressedSize: 240_000_000,
      compressedSize: 31_000_000,
      permanent: false,
      ...(userData === undefined ? {} : { userData }),
    },
  };
}

export const BACKUPS: readonly BackupRecord[] = [
  completeBackup(2, '2026-11-20T10:00:00Z', '2026-11-20T10:01:00Z'),
  {
    cluster: id,
    name: HOSTILE_NAME,
    status: 'incomplete',
    firstSeenAt: new Date('2026-11-20T10:05:00Z'),
    updatedAt: new Date('2026-11-20T10:05:00Z'),
    problem: HOSTILE_PROBLEM,
  },
  completeBackup(14, '2026-11-20T10:14:00Z', '2026-11-20T10:14:30Z', HOSTILE_USER_DATA),
];

export const WAL: readonly WalObjectRecord[] = Array.from({ length: 19 }, (_, index) => index + 2)
  .filter((segNo) => segNo < MISSING.from || segNo > MISSING.to)
  .map(walRecord);

export const DRILL: JobView = {
  id: 'drill-20261120-1030-ab12',
  kind: 'drill',
  status: 'succeeded',
  startedAt: '2026-11-20T10:30:00.000Z',
  finishedAt: '2026-11-20T10:33:10.000Z',
  detail: 'restored to 2026-11-20T10:17:42Z in 3 min 10 s',
};

/** A read-only catalog over the arrays above (the web view only reads). */
export function fixtureCatalog(
  backups: readonly BackupRecord[] = BACKUPS,
  wal: readonly WalObjectRecord[] = WAL,
): CatalogStore {
  const readOnly = (): never => {
    throw new Error('the web view fixture catalog is read-only');
  };
  return {
    ensureTable: async () => undefined,
    applyWalChanges: readOnly,
    applyBackupChanges: readOnly,
    listBackups: async () => [...backups],
    getBackup: async (_cluster, name) => backups.find((record) => record.name === name),
    listTimelines: async () => [...new Set(wal.map((record) => record.timeline))].sort((a, b) => a - b),
    async *listWalObjects(_cluster, timeline: TimelineId) {
      for (const record of wal) if (record.timeline === timeline && !record.deleted) yield record;
    },
    latestWalObject: async (_cluster, timeline) => wal.filter((record) => record.timeline === timeline).at(-1),
    listHistoryFiles: async () => [],
    getClusterState: async (cluster): Promise<ClusterState> => ({ cluster, version: 0 }),
    updateClusterState: readOnly,
  };
}
