/**
 * Retention planning at the scale of a long-lived busy cluster: 10 years of hourly backups (87,600) and their WAL at
 * 10 segments of 16 MiB per hour (876,000 segment objects), under the contract's example policy (keepLast 2,
 * keepDaily 7, keepWeekly 4, keepMonthly 12, keepYearly 3, pitrWindow 7d) in Europe/Berlin, so every backup goes
 * through the zoned calendar.
 *
 * What is measured is what the plan use case does up to its plan, catalog read included: the backups read from
 * DynamoDB through the real `DynamoDbCatalogStore` (with the real backup interpreter: each item keeps the
 * interpretation of its sentinel and metadata.json, as the store writes it), the decision, and the WAL through the cluster's retention digest (lib/use-cases/
 * retention-wal-digest.ts). Two cases, each in a fresh process (support/retention-plan-probe.ts) so its peak RSS is
 * its own: the first plan of a cluster (no digest stored: every WAL object is read and the digest written; the
 * weekly rebuild costs the same), and the daily plan after it (a day of new WAL, 240 segments, arrived since the
 * last plan: the digest is updated from the change index and the chunks it touches). The goals are the daily
 * plan's. The catalog is a table held in memory by another process that answers DynamoDB's Query, the change
 * index and the digest's writes over HTTP (support/retention-catalog-server.ts, which says why not dynalite), so
 * the rounds' time and CPU are walcat's (SDK, store, planner) and the wire's, not the bench's nor the table's.
 * Not measured: the listing of the deleted backups' objects in S3 and the writing of the stored batches.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Benchmark, BenchRow } from './bench-types.ts';
import { runProbe } from './support/peak-rss.ts';
import { RETENTION_BENCH_SEGMENTS_PER_HOUR } from './support/retention-catalog.ts';

const HOURS = 10 * 365 * 24;
/** Daily plans measured after the warm-up (each its own day of new WAL). */
const ROUNDS = 3;
const SERVER = fileURLToPath(new URL('./support/retention-catalog-server.ts', import.meta.url));
const PROBE = fileURLToPath(new URL('./support/retention-plan-probe.ts', import.meta.url));

async function startCatalogServer(): Promise<CatalogServer> {
  const child = spawn(
    process.execPath,
    ['--no-warnings', '--import', 'tsx', SERVER, `${HOURS}`, `${RETENTION_BENCH_SEGMENTS_PER_HOUR}`],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`the catalog server exited (${code}) before it was ready`))),
  );
  const ready = (async () => {
    for await (const line of createInterface({ input: child.stdout as NodeJS.ReadableStream })) {
      return JSON.parse(line) as Omit<CatalogServer, 'child'>;
    }
    throw new Error('the catalog server closed its output before it was ready');
  })();
  return { ...(await Promise.race([ready, exited])), child };
}

interface CatalogServer {
  readonly endpoint: string;
  readonly tableName: string;
  readonly walItems: number;
  readonly backupItems: number;
  readonly seedMs: number;
  readonly child: ChildProcess;
}

interface Round {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly backupsMs: number;
  readonly decideMs: number;
  readonly walMs: number;
  readonly requests: number;
  readonly refresh: {
    mode: string;
    changesRead?: number;
    chunksReread?: number;
    walObjectsRead?: number;
    chunksWritten: number;
    notStored?: string;
  };
  readonly backupRefresh?: {
    mode: string;
    reason?: string;
    changesRead?: number;
    chunksReread?: number;
    backupsRead: number;
    chunksWritten: number;
    notStored?: string;
  };
  readonly backups: number;
  readonly chunks: number;
  readonly kept: number;
  readonly walObjectsDeleted: number;
  readonly walRanges: number;
}

interface ProbeResult {
  readonly rounds: readonly Round[];
  readonly peakRssMb: number;
}

const median = (values: readonly number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

const benchmark: Benchmark = {
  name: 'retention-planning',
  async run(): Promise<BenchRow[]> {
    const server = await startCatalogServer();
    try {
      const probe = (mode: 'build' | 'steady', rounds: number) =>
        runProbe<ProbeResult>(PROBE, [server.endpoint, server.tableName, mode, String(rounds)]);
      const first = await probe('build', 1);
      const daily = await probe('steady', ROUNDS);
      const built = first.rounds[0] as Round;
      const last = daily.rounds.at(-1) as Round;
      const pick = (key: 'wallMs' | 'cpuMs' | 'backupsMs' | 'decideMs' | 'walMs' | 'requests') =>
        Math.round(median(daily.rounds.map((round) => round[key])));
      const note = `${HOURS} hourly backups, ${server.walItems} WAL items, Europe/Berlin; a day of new backups (24) and WAL (240 segments) since the last plan`;
      const row = (metric: string, value: number, unit: string, extra: Partial<BenchRow> = {}): BenchRow => ({
        benchmark: 'retention-planning',
        metric,
        value,
        unit,
        ...extra,
      });
      const notStored = [built, ...daily.rounds].find((round) => round.refresh.notStored !== undefined);
      if (notStored) throw new Error(`the digest was not stored: ${notStored.refresh.notStored}`);
      const backupsNotStored = [built, ...daily.rounds].find((round) => round.backupRefresh?.notStored !== undefined);
      if (backupsNotStored) {
        throw new Error(`the backup digest was not stored: ${backupsNotStored.backupRefresh?.notStored}`);
      }
      if ([built, ...daily.rounds].some((round) => round.backupRefresh === undefined)) {
        throw new Error('the catalog gave no backup digest');
      }
      const backupRefresh = last.backupRefresh;
      return [
        row(`daily plan time, catalog read included (median of ${ROUNDS})`, pick('wallMs'), 'ms', {
          note: `${note}; the backups and WAL digests brought up to date + decideRetention + the plan, through the real store`,
          goal: { max: 2000 },
        }),
        row(`daily plan CPU time (median of ${ROUNDS})`, pick('cpuMs'), 'ms', {
          note: 'user+system of the probe process (GC threads included); less sensitive to a busy machine than wall time',
        }),
        row('  of which: the backups, from their digest (median)', pick('backupsMs'), 'ms', {
          note: `${last.backups} backups: the digest's chunks in one Query; ${backupRefresh?.changesRead ?? 0} changes read, ${backupRefresh?.chunksReread ?? 0} chunks (${backupRefresh?.backupsRead ?? 0} backup items) read again, ${backupRefresh?.chunksWritten ?? 0} written`,
        }),
        row('  of which: decideRetention (median)', pick('decideMs'), 'ms', {
          note: 'keeps and deletions of the 87,600 backups with their reasons; a plan may decide twice (once more when Object Lock holds backups), so a few hundred ms at most',
          goal: { max: 300 },
        }),
        row('  of which: update the digest and plan over it (median)', pick('walMs'), 'ms', {
          note: `${last.chunks} chunks read in one Query; ${last.refresh.changesRead ?? 0} changes read, ${last.refresh.chunksReread ?? 0} chunks read again from the WAL partition, ${last.refresh.chunksWritten} written`,
        }),
        row('DynamoDB requests per daily plan', pick('requests'), 'requests', {
          note: 'Query pages of at most 1 MB as DynamoDB pages them, and the digest writes',
        }),
        row('daily plan peak RSS (its own process)', Math.round(daily.peakRssMb), 'MB', {
          note: 'VmHWM of the probe: Node, tsx, the SDK, the backup records and the digests; goal 512 MB',
          goal: { max: 512 },
        }),
        row('first plan time (builds the digest; the weekly rebuild too)', Math.round(built.wallMs), 'ms', {
          note: `no digest stored: ${built.backupRefresh?.backupsRead ?? 0} backup items read (${Math.round(built.backupsMs)} ms) and ${built.backupRefresh?.chunksWritten ?? 0} backup chunks written; ${built.refresh.walObjectsRead ?? 0} WAL objects read and folded, ${built.refresh.chunksWritten} WAL chunks written`,
        }),
        row('first plan CPU time', Math.round(built.cpuMs), 'ms'),
        row('  of which: read every WAL object, store the digest, plan', Math.round(built.walMs), 'ms'),
        row('first plan DynamoDB requests', built.requests, 'requests'),
        row('first plan peak RSS (its own process)', Math.round(first.peakRssMb), 'MB'),
        row('catalog seeding (not measured above)', Math.round(server.seedMs / 100) / 10, 's', {
          note: 'in the catalog process: the real store writes the first items, the rest are made like them',
        }),
        row('backups kept', last.kept, 'backups'),
        row('WAL objects deleted (the last daily plan)', last.walObjectsDeleted, 'objects', {
          note: `first plan ${built.walObjectsDeleted}; each daily plan decides a day later over a day more`,
        }),
        row('WAL deletion ranges', last.walRanges, 'ranges'),
      ];
    } finally {
      server.child.stdin?.end();
      await new Promise((resolve) => server.child.once('exit', resolve));
    }
  },
};

export default benchmark;
