/**
 * Retention apply of a ten-year plan: 87,600 hourly backups and 876,000 WAL segment objects (10 an hour) under the
 * contract's example policy, planned and stored (WAL as ranges), then applied in one run on in-memory ports that
 * count what the DynamoDB and S3 adapters would send. The goal is memory bounded by one batch, not by the plan: the
 * heap apply keeps on top of the catalog's backup records is sampled (after a full collection) as it goes, and the
 * largest batch of keys it holds is the one it hands to DeleteObjects (at most 1,000).
 *
 * It runs in a fresh process (support/retention-apply-probe.ts), so its peak RSS is its own high-water mark: in the
 * runner's process, getrusage's maxRSS was the highest RSS of every benchmark run before it in the same run.
 */
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseWalcatConfig } from '../lib/config/config.ts';
import type { ClusterConfig, ClusterId } from '../lib/domain/cluster.ts';
import { DEFAULT_WAL_SEGMENT_SIZE } from '../lib/domain/wal/segment-size.ts';
import type { DeletionBatch } from '../lib/ports/plan-store.ts';
import { applyClusterRetention } from '../lib/use-cases/apply-retention.ts';
import { planClusterRetention } from '../lib/use-cases/plan-retention.ts';
import { MemoryPlanStore } from '../test/support/memory-retention-stores.ts';
import type { Benchmark, BenchRow } from './bench-types.ts';
import { ownPeakRssBytes, runProbe } from './support/peak-rss.ts';
import {
  hourlyBackups,
  SyntheticBackupBucket,
  SyntheticRetentionCatalog,
} from './support/synthetic-retention-catalog.ts';

const HOURS = 10 * 365 * 24;
const SEGMENTS_PER_HOUR = 10;
const FIRST_SEGNO = 0x100;
const HOUR = 3_600_000;
const CLUSTER = 'orders-main' as ClusterId;
const NOW = new Date('2026-11-21T03:00:00Z');
/** A full collection costs tens of milliseconds at this heap: every 200th batch is enough to see a trend. */
const SAMPLE_EVERY = 200;
/** Well above one batch of records (about 1 MiB) and far below the ~876,000 keys and records of the plan. */
const RETAINED_GOAL_MIB = 32;

const cluster = parseWalcatConfig(
  [
    'catalogTable: bench',
    'clusters:',
    `  - id: ${CLUSTER}`,
    `    storage: s3://bench-bucket/${CLUSTER}`,
    '    retention: { keepLast: 2, keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 3, pitrWindow: 7d, timezone: Europe/Berlin }',
  ].join('\n'),
  'retention apply bench config',
).clusters[0] as ClusterConfig;

function collector(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

const mib = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

const megabytes = (bytes: number): number => Math.round(bytes / 1e6);

/** The benchmark's rows, measured in this process (the probe's): run by {@link benchmark} in a fresh one. */
export async function measureRetentionApply(): Promise<BenchRow[]> {
  const collect = collector();
  const backups = hourlyBackups({
    cluster: CLUSTER,
    hours: HOURS,
    segmentsPerHour: SEGMENTS_PER_HOUR,
    firstSegNo: FIRST_SEGNO,
    size: DEFAULT_WAL_SEGMENT_SIZE,
    now: NOW,
  });
  const segments = HOURS * SEGMENTS_PER_HOUR;
  const catalog = new SyntheticRetentionCatalog({
    cluster: CLUSTER,
    backups,
    firstSegNo: FIRST_SEGNO,
    segments,
    size: DEFAULT_WAL_SEGMENT_SIZE,
    syncedAt: new Date(NOW.getTime() + HOUR),
  });
  const bucket = new SyntheticBackupBucket(new Date(NOW.getTime() - 30 * 24 * HOUR));
  const plans = new MemoryPlanStore();
  const peakBeforePlanning = ownPeakRssBytes();
  const planned = await planClusterRetention({ catalog, objects: bucket, plans }, cluster, NOW);
  const peakAfterPlanning = ownPeakRssBytes();
  const walPlanned = planned.plan.delete.wal.reduce((sum, range) => sum + range.objects, 0);
  const stored = plans.plans.get(planned.plan.planId);
  const storedKeys = stored?.batches.reduce((sum, batch) => sum + batch.keys.length, 0) ?? 0;

  const queriesBefore = catalog.requests.queries;
  const pagesBefore = catalog.requests.pages;
  const readBefore = catalog.requests.walRecordsRead;
  const stateWritesBefore = catalog.requests.stateWrites;
  let headerReads = 0;
  let walBatchWrites = 0;
  let keyBatchWrites = 0;
  const counted = new Proxy(plans, {
    get(target, property) {
      if (property === 'getPlanHeader') headerReads++;
      if (property === 'recordWalBatch') walBatchWrites++;
      if (property === 'completeBatch') keyBatchWrites++;
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  collect();
  const baseline = process.memoryUsage().heapUsed;
  let retainedPeak = 0;
  let largestBatch = 0;
  let batches = 0;
  const sample = () => {
    collect();
    retainedPeak = Math.max(retainedPeak, process.memoryUsage().heapUsed - baseline);
  };
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const outcome = await applyClusterRetention(
    {
      catalog,
      objects: bucket,
      plans: counted,
      beforeBatch: (batch: DeletionBatch) => {
        largestBatch = Math.max(largestBatch, batch.keys.length);
        if (batches++ % SAMPLE_EVERY === 0) sample();
      },
    },
    cluster,
    { planId: planned.plan.planId, now: new Date(NOW.getTime() + 7 * HOUR), explicit: true },
  );
  const cpu = process.cpuUsage(cpuStart);
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  sample();
  if (outcome.status !== 'applied') throw new Error(`apply ended ${outcome.status}`);
  const note = `${HOURS} hourly backups, ${segments} WAL objects, ${walPlanned} of them planned as ${planned.plan.delete.wal.length} ranges`;
  const row = (metric: string, value: number, unit: string, extra: Partial<BenchRow> = {}): BenchRow => ({
    benchmark: 'retention-apply',
    metric,
    value,
    unit,
    ...extra,
  });
  return [
    row('WAL keys stored with the plan', storedKeys - planned.backupKeys.length, 'keys', {
      note: `the plan stores the backups' ${planned.backupKeys.length} objects as keys and the WAL as ranges`,
      goal: { max: 0 },
    }),
    row('apply time (one run)', Math.round(wall), 'ms', { note }),
    row('apply CPU time', Math.round((cpu.user + cpu.system) / 1000), 'ms'),
    row('keys deleted', outcome.deleted, 'keys', { goal: { min: walPlanned + planned.backupKeys.length } }),
    row('largest batch held', largestBatch, 'keys', { goal: { max: 1000 } }),
    row('heap retained above the backup records (peak)', mib(retainedPeak), 'MiB', {
      note: `after a full collection, every ${SAMPLE_EVERY}th of ${batches} batches; the plan's keys as strings alone would be ~90 MiB`,
      goal: { max: RETAINED_GOAL_MIB },
    }),
    row('peak RSS (process)', megabytes(ownPeakRssBytes()), 'MB', {
      note: `a fresh process's own high-water mark: Node, tsx and the 87,600 backup records ${megabytes(peakBeforePlanning)} MB, with planning ${megabytes(peakAfterPlanning)} MB, then apply; goal as for planning`,
      goal: { max: 512 },
    }),
    row('DeleteObjects requests', bucket.requests.deleteRequests, 'requests', {
      note: 'one per batch: the WAL in 1,000s, the backups in stored batches of at most 1,000',
      goal: { max: Math.ceil(walPlanned / 1000) + (stored?.batches.length ?? 0) + planned.plan.delete.wal.length },
    }),
    row('catalog Queries', catalog.requests.queries - queriesBefore, 'requests', {
      note: `${catalog.requests.pages - pagesBefore} pages of ~3,000 records: one read of all WAL for the fresh evaluation, two of the doomed ranges (verify, then delete)`,
    }),
    row('WAL records read', catalog.requests.walRecordsRead - readBefore, 'records'),
    row('cluster state writes (tombstones)', catalog.requests.stateWrites - stateWritesBefore, 'requests'),
    row('plan store writes', walBatchWrites + keyBatchWrites, 'requests', {
      note: `${walBatchWrites} WAL batch records, ${keyBatchWrites} key batches; ${headerReads} header reads (one per batch: superseded?)`,
    }),
  ];
}

const probe = fileURLToPath(new URL('./support/retention-apply-probe.ts', import.meta.url));

const benchmark: Benchmark = {
  name: 'retention-apply',
  run: () => runProbe<BenchRow[]>(probe, []),
};

export default benchmark;
