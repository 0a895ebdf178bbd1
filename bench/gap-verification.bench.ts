/**
 * Gap verification cost.
 *
 * 1. In memory, 1,000,000 and 10,000,000 catalogued segments: the time to fold the catalog's WAL items (in sort-key
 *    order, one timeline switch, 100 lost segments, a thinned stretch around an old backup) into run-length present
 *    segments and decide gaps and restorable windows; the heap the present-segment structure keeps; and the same
 *    decision on the next scheduled run from the stored cursor with 60 new segments, with its CPU and heap growth
 *    against goals (1 s and 64 MiB per run) and how its CPU grows from 1M to 10M segments (O(new): at most 1.5x).
 * 2. On dynalite, the real DynamoDB catalog store: DynamoDB requests of one full run and of one incremental run
 *    (10 new segments) for 5,000 and 20,000 catalogued segments: the incremental figure must not grow with size.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createDynamoDbDocumentClient } from '../lib/adapters/aws/aws-clients.ts';
import { DynamoDbCatalogStore } from '../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { parseWalcatConfig } from '../lib/config/config.ts';
import type { BaseBackup } from '../lib/domain/backup/base-backup.ts';
import type { BackupInterpreter } from '../lib/domain/catalog/catalog-change.ts';
import type { BackupRecord } from '../lib/domain/catalog/catalog-records.ts';
import type { RetentionTombstone } from '../lib/domain/catalog/retention-tombstones.ts';
import type { ClusterConfig, ClusterId } from '../lib/domain/cluster.ts';
import type { ContinuityInput, KnownHistory } from '../lib/domain/continuity/continuity-input.ts';
import { detectGaps } from '../lib/domain/continuity/gap-detection.ts';
import { type PresentSegments, PresentSegmentsBuilder } from '../lib/domain/continuity/present-segments.ts';
import { restorableWindows } from '../lib/domain/continuity/restorable-window.ts';
import { switchBreaks } from '../lib/domain/continuity/timeline-path.ts';
import {
  advanceCursor,
  cursorRuns,
  planWalReads,
  seedRuns,
  type VerificationCursor,
} from '../lib/domain/continuity/verification-cursor.ts';
import { formatLsn, lsnFromInteger } from '../lib/domain/wal/lsn.ts';
import { DEFAULT_WAL_SEGMENT_SIZE } from '../lib/domain/wal/segment-size.ts';
import { type TimelineId, timelineId } from '../lib/domain/wal/timeline.ts';
import { parseTimelineHistory } from '../lib/domain/wal/timeline-history.ts';
import { segmentNumber, walFileName } from '../lib/domain/wal/wal-segment.ts';
import { evaluateContinuity } from '../lib/use-cases/evaluate-continuity.ts';
import type { Benchmark, BenchRow } from './bench-types.ts';
import { startCountingDynalite } from './support/counting-servers.ts';
import { recordingWalCreates } from './support/replayed-catalog-load.ts';

const NAME = 'gap-verification';
/** New segments per incremental run: ten minutes of a busy cluster between two watchdog runs. */
const NEW_SEGMENTS = 60;
const INCREMENTAL_ROUNDS = 9;
/** New segments between the full and the incremental run on dynalite: what the incremental run should read. */
const NEW_SEGMENTS_DYNAMO = 10;
/** Client CPU one incremental run may take over 10M catalogued segments, and the heap it may grow. */
const INCREMENTAL_CPU_GOAL_MS = 1000;
const INCREMENTAL_HEAP_GOAL_MIB = 64;

// The bench runs without --expose-gc; enable it at run time so heap figures are measured after a collection.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const CLUSTER = 'bench-main' as ClusterId;
const SIZE = DEFAULT_WAL_SEGMENT_SIZE;
const NOW = new Date('2026-11-21T12:00:00Z');
const LOST_SEGMENTS = 100;

const config = parseWalcatConfig(
  [
    'catalogTable: bench',
    'clusters:',
    '  - id: bench-main',
    '    storage: s3://bench/bench-main',
    '    layout: wal-g',
    '    retention: { keepLast: 2, keepDaily: 7, pitrWindow: 7d }',
    '    alerts: { uploadGrace: 5m }',
  ].join('\n'),
  'gap-verification bench',
);
const cluster = config.clusters[0] as ClusterConfig;

function backupRecord(startSegNo: number, finishTime: Date, timeline = 1): BackupRecord {
  const tl = timelineId(timeline);
  const startSegment = { timeline: tl, segNo: segmentNumber(startSegNo) };
  const name = `base_${walFileName(startSegment, SIZE)}`;
  const backup: BaseBackup = {
    name,
    kind: 'full',
    timeline: tl,
    startLsn: lsnFromInteger(BigInt(startSegNo) * BigInt(SIZE) + 40n),
    finishLsn: lsnFromInteger(BigInt(startSegNo + 2) * BigInt(SIZE) + 100n),
    startSegment,
    finishTime,
    permanent: false,
  };
  return { cluster: CLUSTER, name, status: 'complete', backup, firstSeenAt: finishTime, updatedAt: finishTime };
}

/**
 * A synthetic archive of `total` segments over 30 days: timeline 1 until 90 % of it, then timeline 2; 100 lost
 * segments in the last week; the WAL from 0.5 % to 2.5 % thinned away around an old monthly backup.
 */
function archive(total: number) {
  const spanMs = 30 * 86_400_000;
  const stepMs = spanMs / total;
  const firstAtMs = NOW.getTime() - spanMs;
  const uploadedAt = (segNo: number): number => firstAtMs + segNo * stepMs;
  const switchSegNo = Math.floor(total * 0.9);
  const switchLsn = lsnFromInteger(BigInt(switchSegNo) * BigInt(SIZE) + 96n);
  const histories: KnownHistory[] = [
    {
      history: parseTimelineHistory(timelineId(2), `1\t${formatLsn(switchLsn)}\tpromote\n`),
      uploadedAt: new Date(uploadedAt(switchSegNo)),
    },
  ];
  const lost = new Set<number>();
  // Inside the last week, where the PITR chain requires every segment.
  for (let index = 1; index <= LOST_SEGMENTS; index++) {
    const segNo = Math.floor(total * (0.8 + (0.19 * index) / (LOST_SEGMENTS + 1)));
    lost.add(segNo === switchSegNo ? segNo + 1 : segNo);
  }
  // An old monthly backup at 0.5 % keeps only its own range; the WAL up to 2.5 % was thinned away by retention.
  const monthly = Math.floor(total * 0.005);
  const thinnedEnd = Math.floor(total * 0.025);
  const backups: BackupRecord[] = [backupRecord(monthly, new Date(uploadedAt(monthly + 3)))];
  for (let day = 0; day < 10; day++) {
    const segNo = thinnedEnd + Math.floor(((total - thinnedEnd) * day) / 10);
    if (segNo + 2 < switchSegNo) backups.push(backupRecord(segNo, new Date(uploadedAt(segNo + 3))));
  }
  const present = (segNo: number): boolean => !lost.has(segNo) && !(segNo > monthly + 2 && segNo < thinnedEnd);
  // Retention's apply recorded what it thinned: without the tombstone the stretch would be a gap.
  const retentionTombstones: RetentionTombstone[] = [
    {
      timeline: timelineId(1),
      fromSegNo: segmentNumber(monthly + 3),
      toSegNo: segmentNumber(thinnedEnd - 1),
      planId: 'orders-main-20261101T030000Z-bench',
      deletedAt: new Date(NOW.getTime() - 20 * 24 * 3_600_000),
    },
  ];
  return { histories, backups, uploadedAt, switchSegNo, present, retentionTombstones };
}

/** Folds `count` catalogued segments (in sort-key order per timeline) into runs, like a full catalog read does. */
function foldSegments(data: ReturnType<typeof archive>, total: number, builder: PresentSegmentsBuilder): number {
  let added = 0;
  const tl1 = timelineId(1);
  const tl2 = timelineId(2);
  for (let segNo = 1; segNo < total; segNo++) {
    if (!data.present(segNo)) continue;
    const timeline: TimelineId = segNo < data.switchSegNo ? tl1 : tl2;
    builder.add(timeline, segmentNumber(segNo), data.uploadedAt(segNo));
    added++;
  }
  return added;
}

function decide(data: ReturnType<typeof archive>, present: PresentSegments): { lost: number; ranges: number } {
  const input: ContinuityInput = {
    backups: data.backups,
    histories: data.histories,
    present,
    retentionTombstones: data.retentionTombstones,
    policy: cluster.retention,
    walSegmentSize: SIZE,
    uploadGraceMs: cluster.alerts.uploadGraceMs,
    now: NOW,
  };
  const gaps = detectGaps(input);
  const windows = restorableWindows(input);
  return { lost: gaps.gaps.reduce((sum, gap) => sum + gap.count, 0), ranges: windows.ranges.length };
}

function inMemoryRows(total: number): BenchRow[] {
  const data = archive(total);
  const breakBefore = switchBreaks(
    data.histories.map((known) => known.history),
    SIZE,
  );
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = process.hrtime.bigint();
  const builder = new PresentSegmentsBuilder({ breakBefore });
  const catalogued = foldSegments(data, total, builder);
  const present = builder.build();
  const folded = process.hrtime.bigint();
  const verdict = decide(data, present);
  const decided = process.hrtime.bigint();
  collectGarbage();
  // `present` is still referenced below, so what remains after a collection is what the structure keeps.
  const heapAfter = process.memoryUsage().heapUsed;
  if (verdict.lost !== LOST_SEGMENTS)
    throw new Error(`bench archive: expected ${LOST_SEGMENTS} lost, got ${verdict.lost}`);
  const runs = present.timelines.reduce((sum, timeline) => sum + present.runs(timeline).length, 0);

  // The next scheduled run: seed from the stored cursor, add 60 new segments, decide again.
  const plan = planWalReads({
    stored: undefined,
    timelines: present.timelines,
    historyTimelines: [timelineId(2)],
    changesIndexed: true,
    now: NOW,
  });
  const cursor: VerificationCursor = JSON.parse(
    JSON.stringify(
      advanceCursor({
        plan,
        present,
        gaps: [],
        historyTimelines: [timelineId(2)],
        changesThrough: NOW.toISOString(),
        frozenWal: [],
        now: NOW,
      }),
    ),
  );
  const incremental = (): void => {
    const next = seedRuns(new PresentSegmentsBuilder({ breakBefore }), cursorRuns(cursor));
    for (let segNo = total; segNo < total + NEW_SEGMENTS; segNo++)
      next.add(timelineId(2), segmentNumber(segNo), data.uploadedAt(segNo));
    decide(data, next.build());
  };
  const incrementalStarted = process.hrtime.bigint();
  incremental();
  const incrementalDone = process.hrtime.bigint();
  // The watchdog runs every minute: what one run costs in CPU and memory, whatever the catalog's size.
  const cpuTimes: number[] = [];
  for (let round = 0; round < INCREMENTAL_ROUNDS; round++) {
    const cpuStart = process.cpuUsage();
    incremental();
    const cpu = process.cpuUsage(cpuStart);
    cpuTimes.push((cpu.user + cpu.system) / 1000);
  }
  cpuTimes.sort((a, b) => a - b);
  const incrementalCpuMs = cpuTimes[Math.floor(cpuTimes.length / 2)] as number;
  collectGarbage();
  const beforeRun = process.memoryUsage();
  incremental();
  const afterRun = process.memoryUsage();
  const mib = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;
  const ms = (from: bigint, to: bigint): number => Math.round(Number(to - from) / 1e4) / 100;
  const label = total.toLocaleString('en-US');
  return [
    {
      benchmark: NAME,
      metric: `fold ${label} catalogued segments into runs`,
      value: ms(started, folded),
      unit: 'ms',
      note: `${catalogued.toLocaleString('en-US')} present, ${runs} runs`,
    },
    {
      benchmark: NAME,
      metric: `gaps + windows over ${label} segments`,
      value: ms(folded, decided),
      unit: 'ms',
      note: `${verdict.lost} lost found, ${verdict.ranges} ranges`,
    },
    { benchmark: NAME, metric: `full verification, ${label} segments`, value: ms(started, decided), unit: 'ms' },
    {
      benchmark: NAME,
      metric: `heap growth, ${label} segments`,
      value: Math.round(((heapAfter - heapBefore) / 1048576) * 10) / 10,
      unit: 'MiB',
      note: 'kept by the run-length structure: heapUsed after a forced GC, minus before',
    },
    {
      benchmark: NAME,
      metric: `cursor size, ${label} segments`,
      value: JSON.stringify(cursor).length,
      unit: 'bytes',
      note: 'stored in the cluster state item',
    },
    {
      benchmark: NAME,
      metric: `incremental run from the cursor, ${label} segments`,
      value: ms(incrementalStarted, incrementalDone),
      unit: 'ms',
      note: `${NEW_SEGMENTS} new segments`,
    },
    {
      benchmark: NAME,
      metric: `incremental run CPU (median of ${INCREMENTAL_ROUNDS}), ${label} segments`,
      value: Math.round(incrementalCpuMs * 100) / 100,
      unit: 'ms',
      note: `${NEW_SEGMENTS} new segments; seed from the stored cursor, fold, decide gaps and windows`,
      goal: { max: INCREMENTAL_CPU_GOAL_MS },
    },
    {
      benchmark: NAME,
      metric: `incremental run heap growth, ${label} segments`,
      value: mib(afterRun.heapUsed - beforeRun.heapUsed),
      unit: 'MiB',
      note: `heapUsed after one run minus before it (no collection between); RSS moved ${mib(afterRun.rss - beforeRun.rss)} MiB`,
      goal: { max: INCREMENTAL_HEAP_GOAL_MIB },
    },
  ];
}

async function dynamoRows(): Promise<BenchRow[]> {
  const ddb = await startCountingDynalite();
  const client = createDynamoDbDocumentClient({
    region: 'us-east-1',
    dynamodb: ddb.endpoint,
    credentials: { accessKeyId: 'dynalite', secretAccessKey: 'dynalite' },
  });
  const rows: BenchRow[] = [];
  try {
    for (const total of [5_000, 20_000]) {
      const data = archive(total);
      const backups = data.backups;
      const tableName = `gap-bench-${total}`;
      const interpret: BackupInterpreter = (_cluster, name) => {
        const found = backups.find((record) => record.name === name)?.backup;
        return found === undefined ? { problem: 'unknown' } : { backup: found };
      };
      // The store's clock stamps every WAL write for the change index and gives the cursor its stamp. The archive
      // was written long before the full run: written by the wall clock seconds before it, every item would fall in
      // the incremental run's 5-minute re-read overlap, and that run would read the whole archive again.
      let clock = new Date(NOW.getTime() - 3_600_000);
      const now = () => clock;
      const catalog = new DynamoDbCatalogStore({ client, tableName, interpret, now });
      await catalog.ensureTable();
      // The archive's segments are written as the store writes them, but in bulk (one conditional PutItem each on
      // dynalite would be 25,000 requests of set-up): see support/replayed-catalog-load.ts.
      const seeding = recordingWalCreates(client);
      let sequencer = 0;
      const walChange = (segNo: number, timeline: TimelineId) => {
        const name = walFileName({ timeline, segNo: segmentNumber(segNo) }, SIZE);
        return {
          origin: 'event' as const,
          record: {
            cluster: CLUSTER,
            key: `bench-main/wal_005/${name}.lz4`,
            kind: 'segment' as const,
            timeline,
            segNo: segmentNumber(segNo),
            compression: 'lz4' as const,
            size: 1000,
            uploadedAt: new Date(data.uploadedAt(segNo)),
            sequencer: (++sequencer).toString(16).padStart(16, '0'),
            deleted: false,
          },
        };
      };
      const changes = [];
      for (let segNo = 1; segNo < total; segNo++) {
        if (data.present(segNo)) changes.push(walChange(segNo, timelineId(segNo < data.switchSegNo ? 1 : 2)));
      }
      await new DynamoDbCatalogStore({ client: seeding.client, tableName, interpret, now }).applyWalChanges(changes);
      await ddb.bulkPut(tableName, seeding.recorded);
      await catalog.applyWalChanges([
        {
          origin: 'event',
          record: {
            cluster: CLUSTER,
            key: 'bench-main/wal_005/00000002.history.lz4',
            kind: 'history',
            timeline: timelineId(2),
            compression: 'lz4',
            size: 40,
            uploadedAt: data.histories[0]?.uploadedAt ?? NOW,
            sequencer: (++sequencer).toString(16).padStart(16, '0'),
            deleted: false,
            content: `1\t${formatLsn(lsnFromInteger(BigInt(data.switchSegNo) * BigInt(SIZE) + 96n))}\tpromote\n`,
          },
        },
      ]);
      await catalog.applyBackupChanges(
        backups.map((record) => ({
          type: 'source-observed' as const,
          origin: 'event' as const,
          cluster: CLUSTER,
          name: record.name,
          source: 'sentinel' as const,
          observation: {
            key: `bench-main/basebackups_005/${record.name}_backup_stop_sentinel.json`,
            sequencer: (++sequencer).toString(16).padStart(16, '0'),
            present: true,
            text: '{}',
            observedAt: NOW,
          },
        })),
      );
      const requests = (): number => Object.values(catalog.requestCounts).reduce((sum, n) => sum + n, 0);
      clock = NOW;
      const beforeFull = requests();
      const full = await evaluateContinuity(catalog, cluster, { now: NOW, persistCursor: true });
      const fullRequests = requests() - beforeFull;
      clock = new Date(NOW.getTime() + 30_000);
      await catalog.applyWalChanges(
        Array.from({ length: NEW_SEGMENTS_DYNAMO }, (_, i) => walChange(total + i, timelineId(2))),
      );
      clock = new Date(NOW.getTime() + 60_000);
      const beforeIncremental = requests();
      const incremental = await evaluateContinuity(catalog, cluster, {
        now: new Date(NOW.getTime() + 60_000),
        persistCursor: true,
      });
      const incrementalRequests = requests() - beforeIncremental;
      if (full.readMode !== 'full' || incremental.readMode !== 'incremental')
        throw new Error('bench: unexpected read modes');
      // What the incremental run decided must be what reading everything decides.
      const reread = await evaluateContinuity(catalog, cluster, { now: clock, forceFull: true, persistCursor: false });
      const gapsOf = (run: typeof full) => JSON.stringify(run.gaps.gaps);
      if (gapsOf(reread) !== gapsOf(incremental))
        throw new Error(
          `bench: the incremental run found ${incremental.gaps.gaps.length} gaps, a full read at the same time ${reread.gaps.gaps.length}`,
        );
      const label = total.toLocaleString('en-US');
      rows.push(
        {
          benchmark: NAME,
          metric: `DynamoDB requests, full run, ${label} segments`,
          value: fullRequests,
          unit: 'requests',
          note: `${full.walItemsRead} WAL items in ${full.walReads} range reads`,
        },
        {
          benchmark: NAME,
          metric: `DynamoDB requests, incremental run, ${label} segments`,
          value: incrementalRequests,
          unit: 'requests',
          note: `${incremental.walItemsRead} WAL items in ${incremental.walReads} range reads (${incremental.gaps.gaps.length} open gaps re-read)`,
        },
      );
    }
  } finally {
    client.destroy();
    await ddb.close();
  }
  return rows;
}

const benchmark: Benchmark = {
  name: NAME,
  async run() {
    const small = inMemoryRows(1_000_000);
    const large = inMemoryRows(10_000_000);
    const cpuOf = (rows: BenchRow[]): number =>
      rows.find((row) => row.metric.startsWith('incremental run CPU'))?.value ?? Number.NaN;
    const growth: BenchRow = {
      benchmark: NAME,
      metric: 'incremental run CPU, 10M vs 1M segments',
      value: Math.round((cpuOf(large) / cpuOf(small)) * 100) / 100,
      unit: 'x',
      note: 'O(new): the same new segments cost the same however large the catalog',
      goal: { max: 1.5 },
    };
    return [...small, ...large, growth, ...(await dynamoRows())];
  },
};
export default benchmark;
