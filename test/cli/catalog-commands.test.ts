import { describe, expect, it } from 'vitest';
import type { CliContext } from '../../lib/cli/cli-command.ts';
import { backupsCommand } from '../../lib/cli/commands/backups.ts';
import { walCommand } from '../../lib/cli/commands/wal.ts';
import { formatBytes, renderTable } from '../../lib/cli/render-table.ts';
import type { BackupRecord, WalObjectRecord } from '../../lib/domain/catalog/catalog-records.ts';
import type { ClusterConfig, ClusterId, WalcatConfig } from '../../lib/domain/cluster.ts';
import { lsnFromInteger } from '../../lib/domain/wal/lsn.ts';
import { walSegmentSize } from '../../lib/domain/wal/segment-size.ts';
import { timelineId } from '../../lib/domain/wal/timeline.ts';
import { segmentNumber } from '../../lib/domain/wal/wal-segment.ts';
import type { CatalogStore } from '../../lib/ports/catalog-store.ts';

const cluster = 'orders-main' as ClusterId;
const clusterConfig = { id: cluster, walSegmentSize: walSegmentSize(16 * 1024 * 1024) } as ClusterConfig;
const config = { catalogTable: 'walcat', clusters: [clusterConfig] } as WalcatConfig;
const t = (iso: string) => new Date(iso);

const backups: BackupRecord[] = [
  {
    cluster,
    name: 'base_0000000100000000000000A3',
    status: 'complete',
    firstSeenAt: t('2026-11-20T01:04:00Z'),
    updatedAt: t('2026-11-20T01:04:00Z'),
    backup: {
      name: 'base_0000000100000000000000A3',
      kind: 'full',
      timeline: timelineId(1),
      startLsn: lsnFromInteger(0xa3000028),
      finishLsn: lsnFromInteger(0xa4001f08),
      startSegment: { timeline: timelineId(1), segNo: segmentNumber(0xa3) },
      startTime: t('2026-11-20T01:00:02.318Z'),
      finishTime: t('2026-11-20T01:03:41.902Z'),
      pgVersion: 150010,
      systemIdentifier: 7321456789012345678n,
      uncompressedSize: 2147651584,
      compressedSize: 401236719,
      permanent: true,
    },
  },
  {
    cluster,
    name: 'base_0000000100000000000000B0',
    status: 'unreadable',
    problem: 'sentinel is malformed',
    firstSeenAt: t('2026-11-21T01:00:00Z'),
    updatedAt: t('2026-11-21T01:00:00Z'),
  },
  {
    cluster,
    name: 'base_000000010000000000000090',
    status: 'deleted',
    firstSeenAt: t('2026-11-19T01:00:00Z'),
    updatedAt: t('2026-11-19T01:00:00Z'),
  },
];

const wal = (
  segNo: number,
  size: number,
  deleted = false,
  kind: WalObjectRecord['kind'] = 'segment',
): WalObjectRecord => ({
  cluster,
  key: `orders-main/wal_005/${segNo}`,
  kind,
  timeline: timelineId(1),
  segNo: segmentNumber(segNo),
  size,
  uploadedAt: t('2026-11-20T00:00:00Z'),
  deleted,
});

const catalog = {
  listBackups: async () => backups,
  listTimelines: async () => [timelineId(1), timelineId(2)],
  async *listWalObjects(_c: ClusterId, timeline: number) {
    if (timeline !== 1) return;
    yield* [wal(0xa3, 1000), wal(0xa4, 1500), wal(0xa4, 500), wal(0xa5, 10, false, 'partial'), wal(0xa6, 9, true)];
  },
} as unknown as CatalogStore;

async function run(command: ReturnType<typeof backupsCommand>, json: boolean, options: CliContext['options'] = {}) {
  const out: string[] = [];
  const code = await command.run({
    config,
    clusters: config.clusters,
    json,
    options,
    positionals: [],
    now: t('2026-11-21T12:00:00Z'),
    stdout: (text) => out.push(text),
    stderr: () => {},
  });
  return { code, out: out.join('\n') };
}

describe('walcat backups', () => {
  it('prints the contract JSON: LSNs as X/Y, system identifier as a decimal string, deleted backups left out', async () => {
    const { code, out } = await run(backupsCommand({ catalog: () => catalog }), true);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual([
      {
        cluster: 'orders-main',
        name: 'base_0000000100000000000000A3',
        kind: 'full',
        deltaFrom: null,
        timeline: 1,
        startLsn: '0/A3000028',
        finishLsn: '0/A4001F08',
        startSegment: '0000000100000000000000A3',
        startTime: '2026-11-20T01:00:02.318Z',
        finishTime: '2026-11-20T01:03:41.902Z',
        pgVersion: 150010,
        systemIdentifier: '7321456789012345678',
        uncompressedSize: 2147651584,
        compressedSize: 401236719,
        permanent: true,
        status: 'complete',
        problem: null,
      },
      {
        cluster: 'orders-main',
        name: 'base_0000000100000000000000B0',
        kind: 'full',
        deltaFrom: null,
        timeline: 1,
        startLsn: null,
        finishLsn: null,
        startSegment: '0000000100000000000000B0',
        startTime: null,
        finishTime: null,
        pgVersion: null,
        systemIdentifier: null,
        uncompressedSize: null,
        compressedSize: null,
        permanent: false,
        status: 'unreadable',
        problem: 'sentinel is malformed',
      },
    ]);
    expect(JSON.parse((await run(backupsCommand({ catalog: () => catalog }), true, { all: true })).out)).toHaveLength(
      3,
    );
  });

  it('shows a backup of another database system as unreadable with a foreign-system problem', async () => {
    const ours = backups[0] as BackupRecord;
    const own = { ...ours, name: 'base_0000000100000000000000A4' } as BackupRecord;
    const foreign = {
      ...ours,
      name: 'base_0000000100000000000000C0',
      backup: { ...(ours.backup as NonNullable<BackupRecord['backup']>), systemIdentifier: 7399999999999999999n },
    } as BackupRecord;
    const store = { listBackups: async () => [ours, own, foreign] } as unknown as CatalogStore;
    const rows = JSON.parse((await run(backupsCommand({ catalog: () => store }), true)).out);
    expect(rows.map((row: { name: string; status: string }) => [row.name, row.status])).toEqual([
      ['base_0000000100000000000000A3', 'complete'],
      ['base_0000000100000000000000A4', 'complete'],
      ['base_0000000100000000000000C0', 'unreadable'],
    ]);
    expect(rows[2].problem).toMatch(
      /^foreign-system: backup base_0000000100000000000000C0 has system identifier 7399999999999999999/,
    );
  });

  it('prints a readable table', async () => {
    const { out } = await run(backupsCommand({ catalog: () => catalog }), false);
    const [header, first, second] = out.split('\n');
    expect(header).toMatch(/^NAME\s+KIND\s+STATUS\s+FINISHED \(UTC\)/);
    expect(first).toContain('base_0000000100000000000000A3  full  complete    2026-11-20 01:03:41Z');
    expect(first).toContain('2.0 GiB');
    expect(first).toContain('yes');
    expect(second).toContain('sentinel is malformed');
  });
});

describe('walcat wal', () => {
  it('summarises live segments per timeline; a segment stored twice counts once, its bytes twice', async () => {
    const { out } = await run(walCommand({ catalog: () => catalog }), true);
    expect(JSON.parse(out)).toEqual([
      {
        cluster: 'orders-main',
        timeline: 1,
        firstSegment: '0000000100000000000000A3',
        lastSegment: '0000000100000000000000A4',
        segments: 2,
        bytes: 3000,
      },
    ]);
    const table = (await run(walCommand({ catalog: () => catalog }), false)).out;
    expect(table).toBe(
      'TL  FIRST SEGMENT             LAST SEGMENT              SEGMENTS    BYTES\n 1  0000000100000000000000A3  0000000100000000000000A4         2  2.9 KiB',
    );
  });
});

describe('renderTable', () => {
  it('aligns text left and numbers right, printing missing cells as -', () => {
    expect(
      renderTable(
        [
          { header: 'NAME', value: (r: { name: string; n: number | null }) => r.name },
          { header: 'N', value: (r) => r.n },
        ],
        [
          { name: 'a', n: 5 },
          { name: 'bbb', n: null },
          { name: 'cc', n: 1234 },
        ],
      ),
    ).toBe('NAME     N\na        5\nbbb      -\ncc    1234');
    expect([formatBytes(0), formatBytes(1536), formatBytes(16 * 1024 ** 2), formatBytes(undefined)]).toEqual([
      '0 B',
      '1.5 KiB',
      '16.0 MiB',
      '-',
    ]);
  });
});
