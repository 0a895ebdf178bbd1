/**
 * Retention planning at the scale of a long-lived busy cluster: 10 years of hourly backups (87,600) and their WAL at
 * 10 segments of 16 MiB per hour (876,000 segment objects), under the contract's example policy (keepLast 2,
 * keepDaily 7, keepWeekly 4, keepMonthly 12, keepYearly 3, pitrWindow 7d) in Europe/Berlin, so every backup goes
 * through the zoned calendar.
 *
 * What is measured is what the plan use case does up to its plan, catalog read included: the backups read from
 * DynamoDB through the real `DynamoDbCatalogStore` (with the real backup interpreter: each item keeps the
 * interpretation of its sentinel and metadata.json, as the store writes it), the decision, and the WAL read timeline by timeline through the same store and folded into runs
 * as its pages arrive (`planOverCatalogWal`). The catalog is a table held in memory by another process that answers
 * DynamoDB's Query over HTTP (support/retention-catalog-server.ts, which says why not dynalite), so the rounds' time
 * and CPU are walcat's (SDK, store, planner) and the wire's, not the bench's nor the table's. Nothing the bench
 * generates is in a measured round; one unmeasured round first warms the JIT.
 * Not measured: the listing of the deleted backups' objects in S3 and the writing of the stored batches.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createDynamoDbDocumentClient } from '../lib/adapters/aws/aws-clients.ts';
import { DynamoDbCatalogStore } from '../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { createBackupInterpreter } from '../lib/domain/catalog/backup-interpreter.ts';
import type { RetentionPolicy } from '../lib/domain/cluster.ts';
import { decideRetention } from '../lib/domain/retention/retention-plan.ts';
import { planOverCatalogWal } from '../lib/use-cases/plan-retention.ts';
import type { Benchmark, BenchRow } from './bench-types.ts';
import {
  RETENTION_BENCH_CLUSTER,
  RETENTION_BENCH_NOW,
  RETENTION_BENCH_SEGMENTS_PER_HOUR,
} from './support/retention-catalog.ts';

const HOURS = 10 * 365 * 24;
/** Rounds measured after the warm-up: at 10 years a round is many seconds on this machine, and the suite has 10 minutes. */
const ROUNDS = 3;
const CLUSTER = RETENTION_BENCH_CLUSTER;
const SERVER = fileURLToPath(new URL('./support/retention-catalog-server.ts', import.meta.url));

/** A full collection between measurements, so heap figures are what is retained, not garbage. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

interface CatalogServer {
  readonly endpoint: string;
  readonly tableName: string;
  readonly walItems: number;
  readonly backupItems: number;
  readonly seedMs: number;
  readonly child: ChildProcess;
}

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

async function requestsServed(endpoint: string): Promise<number> {
  return ((await (await fetch(`${endpoint}/stats`)).json()) as { requests: number }).requests;
}

interface Round {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly backupsMs: number;
  readonly decideMs: number;
  readonly walMs: number;
  readonly requests: number;
  readonly plan: Awaited<ReturnType<typeof planOverCatalogWal>>['plan'];
}

const cpuMsSince = (start: NodeJS.CpuUsage): number => {
  const cpu = process.cpuUsage(start);
  return (cpu.user + cpu.system) / 1000;
};
const msSince = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

/** The plan use case's steps up to the plan, without a bucket inspector (no Object Lock): read, decide, fold. */
async function planRound(catalog: DynamoDbCatalogStore, endpoint: string): Promise<Round> {
  const before = await requestsServed(endpoint);
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const backups = await catalog.listBackups(CLUSTER.id);
  const backupsMs = msSince(start);
  const decided = process.hrtime.bigint();
  const decision = decideRetention({
    cluster: CLUSTER.id,
    backups,
    policy: CLUSTER.retention as RetentionPolicy,
    walSegmentSize: CLUSTER.walSegmentSize,
    now: RETENTION_BENCH_NOW,
    planId: 'bench',
  });
  const decideMs = msSince(decided);
  const walStart = process.hrtime.bigint();
  const { plan } = await planOverCatalogWal(catalog, CLUSTER, decision);
  const walMs = msSince(walStart);
  const wallMs = msSince(start);
  const cpuMs = cpuMsSince(cpuStart);
  const requests = (await requestsServed(endpoint)) - before;
  return { wallMs, cpuMs, backupsMs, decideMs, walMs, requests, plan };
}

const median = (values: readonly number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const mib = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

const benchmark: Benchmark = {
  name: 'retention-planning',
  async run(): Promise<BenchRow[]> {
    const server = await startCatalogServer();
    try {
      const client = createDynamoDbDocumentClient({
        region: 'us-east-1',
        dynamodb: server.endpoint,
        credentials: { accessKeyId: 'dynalite', secretAccessKey: 'dynalite' },
      });
      const catalog = new DynamoDbCatalogStore({
        client,
        tableName: server.tableName,
        interpret: createBackupInterpreter([CLUSTER]),
      });
      const collect = collector();
      collect();
      const heapBefore = process.memoryUsage().heapUsed;
      await planRound(catalog, server.endpoint);
      const rounds: Round[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        collect();
        rounds.push(await planRound(catalog, server.endpoint));
      }
      collect();
      const heapAfter = process.memoryUsage().heapUsed - heapBefore;
      const plan = (rounds.at(-1) as Round).plan;
      const wall = median(rounds.map((round) => round.wallMs));
      const note = `${HOURS} hourly backups, ${server.walItems} WAL items read through DynamoDB's protocol from another process, Europe/Berlin`;
      const row = (metric: string, value: number, unit: string, extra: Partial<BenchRow> = {}): BenchRow => ({
        benchmark: 'retention-planning',
        metric,
        value,
        unit,
        ...extra,
      });
      return [
        row(`plan time, catalog read included (median of ${ROUNDS})`, Math.round(wall), 'ms', {
          note: `${note}; listBackups + decideRetention + planOverCatalogWal through the real store`,
          goal: { max: 2000 },
        }),
        row('plan time (fastest)', Math.round(Math.min(...rounds.map((round) => round.wallMs))), 'ms'),
        row(`plan CPU time (median of ${ROUNDS})`, Math.round(median(rounds.map((round) => round.cpuMs))), 'ms', {
          note: 'user+system of the bench process (GC threads included); less sensitive to a busy machine than wall time',
        }),
        row('  of which: read backups (median)', Math.round(median(rounds.map((round) => round.backupsMs))), 'ms', {
          note: `${server.backupItems} backup items: Query pages from both ends, SDK unmarshalling, records built from the interpretations the items keep`,
        }),
        row('  of which: decideRetention (median)', Math.round(median(rounds.map((round) => round.decideMs))), 'ms'),
        row(
          '  of which: read WAL into runs and plan (median)',
          Math.round(median(rounds.map((round) => round.walMs))),
          'ms',
        ),
        row('DynamoDB requests per plan', (rounds.at(-1) as Round).requests, 'requests', {
          note: 'Query pages of at most 1 MB, as DynamoDB pages them',
        }),
        row('throughput', Math.round((server.backupItems + server.walItems) / (wall / 1000)), 'catalog items/s'),
        row('peak RSS (process)', Math.round((process.resourceUsage().maxRSS * 1024) / 1e6), 'MB', {
          note: 'the bench process: Node, tsx, the SDK, the 87,600 backup records read and the WAL streamed past; goal 512 MB',
          goal: { max: 512 },
        }),
        row('heap retained after the rounds', mib(heapAfter), 'MiB'),
        row('catalog seeding (not measured above)', Math.round(server.seedMs / 100) / 10, 's', {
          note: 'in the catalog process: the real store writes the first items, the rest are made like them',
        }),
        row('backups kept', plan.keep.length, 'backups'),
        row(
          'WAL objects deleted',
          plan.delete.wal.reduce((sum, range) => sum + range.objects, 0),
          'objects',
        ),
        row('WAL deletion ranges', plan.delete.wal.length, 'ranges'),
      ];
    } finally {
      server.child.stdin?.end();
      await new Promise((resolve) => server.child.once('exit', resolve));
    }
  },
};

export default benchmark;
