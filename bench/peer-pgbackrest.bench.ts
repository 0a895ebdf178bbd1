/**
 * Side by side with the real peer, in one run: pgBackRest (Debian's package) against a repository it wrote itself
 * on s3rver over TLS, and walcat's real CLI (`node bin/walcat.mjs`, its own process) against a WAL-G bucket with the
 * same number of archived segments in walcat's catalog (dynalite). Two questions:
 *
 * - "last backup, WAL head, what can I restore": `pgbackrest info` against `walcat status`;
 * - "is the WAL chain whole": `pgbackrest verify` against `walcat gaps`.
 *
 * The pgBackRest repository: a real PostgreSQL 15 archiving through `archive-push`, `stanza-create` and a real full
 * `backup`, then synthetic WAL files beyond the real ones, named as pgBackRest named the real ones (see
 * support/pgbackrest-repository.ts). The walcat catalog: support/synthetic-wal-g-bucket.ts through the real ingestion
 * of S3 events, its WAL items replayed into dynalite in batches (support/replayed-catalog-load.ts), then one watchdog
 * evaluation that stores the verification cursor (the steady state every minute).
 *
 * Sized to keep `npm run bench` within its 10 minutes: `verify` reads and hashes every segment (about N GETs), so
 * each run of it is stopped after VERIFY_BUDGET_SECONDS and reported as "not finished within" that time, with the
 * requests it had made by then, which is the peer's figure; walcat's `status` is also timed alone at 100k, three
 * cold starts, against its goal of 0.5 s.
 *
 * Requests are counted in the emulators' own request handlers (support/counting-servers.ts): every request either
 * program sent over the wire. Seconds are the wall time of the command's process, start to exit.
 *
 * pgBackRest is installed from Debian's package when missing (as root); openssl makes the throwaway certificate.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDynamoDbDocumentClient, createS3Client } from '../lib/adapters/aws/aws-clients.ts';
import { S3ObjectStore } from '../lib/adapters/s3/s3-object-store.ts';
import { createBackupInterpreter } from '../lib/domain/catalog/backup-interpreter.ts';
import { evaluateContinuity } from '../lib/use-cases/evaluate-continuity.ts';
import type { Benchmark, BenchRow } from './bench-types.ts';
import {
  type CountingServer,
  selfSignedCertificate,
  startCountingDynalite,
  startCountingS3rver,
} from './support/counting-servers.ts';
import {
  buildPgbackrestRepository,
  ensurePgbackrest,
  PGBACKREST_BUCKET,
  type PgbackrestRepository,
} from './support/pgbackrest-repository.ts';
import { loadCatalogByReplay } from './support/replayed-catalog-load.ts';
import { BENCH_BUCKET, BENCH_CLUSTER, syntheticBucket, writeS3rverStore } from './support/synthetic-wal-g-bucket.ts';

const NAME = 'peer-pgbackrest';
/** Archive sizes, the last one also the CLI start row's. */
const SIZES = [1_000, 10_000, 100_000] as const;
/**
 * How long one `pgbackrest verify` may run: it reads, decompresses and hashes every segment, about 2 minutes at 10k
 * and load 18 and far more at 100k, while the whole bench has 10 minutes. A run past this is stopped and its figures
 * are "not finished within" this time: seconds a lower bound, requests those made by then (at 1k it finishes when
 * the machine is quiet). Three runs of it are a tenth of the bench's budget.
 */
const VERIFY_BUDGET_SECONDS = 20;
/** Cold `walcat status` runs at the largest size for the CLI start row (median). */
const STATUS_STARTS = 3;
/** The CLI start goal: `walcat status` start to exit, at 100k segments. */
const STATUS_GOAL_SECONDS = 0.5;
const WINDOW_SECONDS = 7 * 86_400;
const WALCAT = join(import.meta.dirname, '../bin/walcat.mjs');
const S3RVER_KEYS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

const interpret = createBackupInterpreter([BENCH_CLUSTER]);
const label = (size: number): string => `${size / 1000}k`;

interface Measured {
  readonly requests: number;
  readonly seconds: number;
  readonly detail: string;
}

const describeKinds = (byKind: Readonly<Record<string, number>>, before: Readonly<Record<string, number>>) =>
  Object.entries(byKind)
    .map(([kind, n]) => [kind, n - (before[kind] ?? 0)] as const)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');

/** Runs `work` and counts the requests the given servers served meanwhile. */
async function measure(servers: readonly CountingServer[], work: () => Promise<void>): Promise<Measured> {
  const before = servers.map((server) => ({ total: server.requests.total, byKind: { ...server.requests.byKind } }));
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const requests = servers.reduce((sum, server, index) => sum + server.requests.total - (before[index]?.total ?? 0), 0);
  const detail = servers
    .map((server, index) => describeKinds(server.requests.byKind, before[index]?.byKind ?? {}))
    .filter((text) => text !== '')
    .join('; ');
  return { requests, seconds, detail };
}

function walcatConfig(tableName: string): string {
  return [
    `catalogTable: ${tableName}`,
    'clusters:',
    `  - id: ${BENCH_CLUSTER.id}`,
    `    storage: s3://${BENCH_BUCKET}/${BENCH_CLUSTER.storage.prefix.replace(/\/$/, '')}`,
    '    walSegmentSize: 16MiB',
    '    retention: { keepLast: 2, keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 3, pitrWindow: 7d }',
    '',
  ].join('\n');
}

function runWalcat(args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [WALCAT, ...args], { env, cwd, timeout: 120_000 }, (error, stdout, stderr) => {
      // Exit 1 is an answer (bad news: the synthetic archive has a lost gap); anything else is a failure.
      const code = error ? Number((error as { code?: number }).code ?? 1) : 0;
      if (code > 1 || stdout.trim() === '') reject(new Error(`walcat ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve(stdout);
    });
  });
}

function runNode(args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { env, cwd, timeout: 60_000 }, (error) => (error ? reject(error) : resolve()));
  });
}

interface WalcatSide {
  readonly status: Measured;
  readonly gaps: Measured;
  /** Wall seconds of each cold `walcat status` run after the first. */
  readonly statusStarts: readonly number[];
  /** Wall seconds of `node -e 0` run just before each of those: what any Node program costs at that moment. */
  readonly nodeStarts: readonly number[];
  /** 1-minute load average while the cold starts ran. */
  readonly startsLoad: number;
  readonly loadSeconds: number;
}

/** A catalogued WAL-G bucket on its own emulators, ready for the CLI: filled, the watchdog's cursor stored. */
interface WalcatCatalog {
  readonly size: number;
  readonly loadSeconds: number;
  readonly servers: readonly CountingServer[];
  readonly env: NodeJS.ProcessEnv;
  readonly config: readonly string[];
  readonly workDir: string;
  close(): Promise<void>;
}

/** A WAL-G bucket of `size` segments in the catalog, the watchdog's cursor stored (set-up, not measured). */
async function prepareWalcat(size: number, workDir: string): Promise<WalcatCatalog> {
  mkdirSync(workDir, { recursive: true });
  const bucket = syntheticBucket(size, Math.max(1, Math.round(WINDOW_SECONDS / size)));
  const s3Directory = join(workDir, `walg-s3-${size}`);
  // Ingestion reads sentinels, metadata.json and history files back; the WAL segments themselves are never read.
  writeS3rverStore(
    s3Directory,
    BENCH_BUCKET,
    bucket.objects.filter((item) => !item.key.includes('/wal_005/0000')),
  );
  const [s3, ddb] = await Promise.all([
    startCountingS3rver({ directory: s3Directory, buckets: [BENCH_BUCKET] }),
    startCountingDynalite(),
  ]);
  const s3Client = createS3Client({ region: 'us-east-1', s3: s3.endpoint, credentials: S3RVER_KEYS });
  const ddbClient = createDynamoDbDocumentClient({
    region: 'us-east-1',
    dynamodb: ddb.endpoint,
    credentials: { accessKeyId: 'dynalite', secretAccessKey: 'dynalite' },
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    s3Client.destroy();
    ddbClient.destroy();
    await Promise.all([s3.close(), ddb.close()]);
  };
  try {
    const tableName = `walcat-peer-${size}`;
    const loadStarted = performance.now();
    // The archive is catalogued as it was uploaded: each write stamped at its object's upload time (the change
    // index then holds the history a watchdog would have seen), and the watchdog's last run at the machine's now.
    const loaded = await loadCatalogByReplay({
      client: ddbClient,
      tableName,
      interpret,
      objects: new S3ObjectStore(s3Client),
      bucket: BENCH_BUCKET,
      cluster: BENCH_CLUSTER,
      items: bucket.objects,
      bulkPut: ddb.bulkPut,
    });
    // The watchdog ran just now (the CLI below asks at the machine's time, not the synthetic archive's).
    const watchdogRun = new Date();
    loaded.setClock(watchdogRun);
    await evaluateContinuity(loaded.catalog, BENCH_CLUSTER, { now: watchdogRun, persistCursor: true, forceFull: true });
    const loadSeconds = (performance.now() - loadStarted) / 1000;

    const configPath = join(workDir, 'walcat.config.yml');
    writeFileSync(configPath, walcatConfig(tableName));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: workDir,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: S3RVER_KEYS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_KEYS.secretAccessKey,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    return { size, loadSeconds, servers: [s3, ddb], env, config: ['--config', configPath], workDir, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The CLI's two answers against a prepared catalog, and `statusStarts` more cold `status` runs. */
async function measureWalcat(catalog: WalcatCatalog, statusStarts: number): Promise<WalcatSide> {
  const { servers, env, config, workDir } = catalog;
  // One unmeasured run first, as pgBackRest's own binary ran to make its repository: the first walcat process of a
  // bench run otherwise pays for the disk cache and the fresh table's first reads (1.75 s at 1k, 0.35 s at 10k).
  await runWalcat(['status', ...config], env, workDir);
  const status = await measure(servers, async () => {
    await runWalcat(['status', ...config], env, workDir);
  });
  const gaps = await measure(servers, async () => {
    await runWalcat(['gaps', '--cluster', BENCH_CLUSTER.id, ...config], env, workDir);
  });
  const starts: number[] = [];
  const nodeStarts: number[] = [];
  const startsLoad = loadavg()[0] ?? 0;
  for (let run = 0; run < statusStarts; run++) {
    // A bare Node start right before each run: on a loaded machine it is most of the figure, and not walcat's.
    const nodeStarted = performance.now();
    await runNode(['-e', '0'], env, workDir);
    nodeStarts.push((performance.now() - nodeStarted) / 1000);
    const started = performance.now();
    await runWalcat(['status', ...config], env, workDir);
    starts.push((performance.now() - started) / 1000);
  }
  return { status, gaps, statusStarts: starts, nodeStarts, startsLoad, loadSeconds: catalog.loadSeconds };
}

interface PeerSide {
  readonly info: Measured;
  readonly verify: Measured & { readonly finished: boolean };
}

async function measurePgbackrest(
  repo: PgbackrestRepository,
  s3: CountingServer,
  s3Directory: string,
  size: number,
): Promise<PeerSide> {
  writeS3rverStore(s3Directory, PGBACKREST_BUCKET, repo.syntheticObjects(size));
  let infoText = '';
  const info = await measure([s3], async () => {
    infoText = await repo.run('info');
  });
  if (!infoText.includes('status: ok')) throw new Error(`pgbackrest info did not say status: ok:\n${infoText}`);
  let verified = { stdout: '', finished: false };
  const verify = await measure([s3], async () => {
    verified = await repo.runCapped(
      'verify',
      ['--log-level-console=detail', '--verbose'],
      VERIFY_BUDGET_SECONDS * 1000,
    );
  });
  if (!verified.finished) {
    return {
      info,
      verify: {
        ...verify,
        finished: false,
        detail: `${verify.detail}; not finished within ${VERIFY_BUDGET_SECONDS} s (stopped)`,
      },
    };
  }
  const checked = /total WAL checked: (\d+), total valid WAL: (\d+)/.exec(verified.stdout);
  if (checked === null || Number(checked[1]) < size)
    throw new Error(`pgbackrest verify checked fewer than ${size} WAL files:\n${verified.stdout.slice(-2000)}`);
  return { info, verify: { ...verify, finished: true, detail: `${verify.detail}; ${checked[0]}` } };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

const peerPgbackrest: Benchmark = {
  name: NAME,
  async run(): Promise<BenchRow[]> {
    const version = ensurePgbackrest();
    const rows: BenchRow[] = [];
    const row = (metric: string, value: number, unit: string, note: string, goal?: BenchRow['goal']) =>
      rows.push({ benchmark: NAME, metric, value, unit, note, ...(goal ? { goal } : {}) });
    const workDir = mkdtempSync(join(tmpdir(), 'walcat-bench-peer-'));
    // pgBackRest runs as postgres and must reach its config, lock and spool folders below this one.
    chmodSync(workDir, 0o755);
    const s3Directory = join(workDir, 'pgbackrest-s3');
    mkdirSync(s3Directory);
    const s3 = await startCountingS3rver({
      directory: s3Directory,
      buckets: [PGBACKREST_BUCKET],
      tls: selfSignedCertificate(workDir),
    });
    let repo: PgbackrestRepository | undefined;
    const catalogs: WalcatCatalog[] = [];
    try {
      const built = performance.now();
      repo = await buildPgbackrestRepository({ workDir: join(workDir, 'pgbackrest'), s3Directory, s3Port: s3.port });
      const buildSeconds = (performance.now() - built) / 1000;
      row(
        'pgBackRest repository set-up',
        buildSeconds,
        's',
        `${version}: PostgreSQL 15 initdb, stanza-create, a full backup, ${repo.realSegments} segment(s) archived by archive-push (then synthetic ones)`,
      );
      for (const size of SIZES) {
        const n = label(size);
        const peer = await measurePgbackrest(repo, s3, s3Directory, size);
        const largest = size === SIZES.at(-1);
        // The catalog is filled only now: the s3rver serving pgBackRest runs in this process, and a fill beside
        // pgBackRest's own work starved it (its backup ran past 300 s at load 20).
        const catalog = await prepareWalcat(size, join(workDir, `walcat-${size}`));
        catalogs.push(catalog);
        const walcat = await measureWalcat(catalog, largest ? STATUS_STARTS : 0);
        // Its memory (a 100k-item dynalite) is not needed by the larger sizes' measurements.
        await catalog.close();
        const pair = (
          question: string,
          peerCommand: string,
          peerSide: Measured & { readonly finished?: boolean },
          walcatCommand: string,
          walcatSide: Measured,
        ) => {
          row(`${n}: ${question}: ${peerCommand} requests`, peerSide.requests, 'requests', peerSide.detail);
          row(
            `${n}: ${question}: ${walcatCommand} requests`,
            walcatSide.requests,
            'requests',
            `${walcatSide.detail}; goal: fewer than ${peerCommand}`,
            { max: peerSide.requests - 1 },
          );
          row(
            `${n}: ${question}: ${peerCommand} wall time`,
            peerSide.seconds,
            's',
            'finished' in peerSide && peerSide.finished === false
              ? `not finished within ${VERIFY_BUDGET_SECONDS} s: stopped there to keep npm run bench within 10 minutes; the figure is a lower bound`
              : 'process start to exit',
          );
          row(
            `${n}: ${question}: ${walcatCommand} wall time`,
            walcatSide.seconds,
            's',
            `process start to exit (node bin/walcat.mjs); goal: faster than ${peerCommand}`,
            { max: peerSide.seconds },
          );
          row(
            `${n}: ${question}: requests ${peerCommand} / ${walcatCommand}`,
            peerSide.requests / Math.max(1, walcatSide.requests),
            'x',
            'measured both sides in this run',
          );
        };
        pair('state', 'pgbackrest info', peer.info, 'walcat status', walcat.status);
        pair('chain whole', 'pgbackrest verify', peer.verify, 'walcat gaps', walcat.gaps);
        row(
          `${n}: walcat catalog set-up`,
          walcat.loadSeconds,
          's',
          `real ingestion of ${size.toLocaleString('en-US')} segments' events, WAL items replayed into dynalite in BatchWriteItem requests (support/replayed-catalog-load.ts), and one full watchdog read`,
        );
        if (largest) {
          row(
            `${n}: walcat status CLI start to exit (median of ${STATUS_STARTS} cold starts)`,
            median(walcat.statusStarts),
            's',
            `node bin/walcat.mjs status, a new process each, against dynalite with ${size.toLocaleString('en-US')} catalogued segments; runs ${walcat.statusStarts.map((seconds) => seconds.toFixed(2)).join(', ')} s at load ${walcat.startsLoad.toFixed(1)}`,
            { max: STATUS_GOAL_SECONDS },
          );
          row(
            `${n}: node -e 0 start to exit, just before each status run (median)`,
            median(walcat.nodeStarts),
            's',
            `the floor of any Node program at that moment; runs ${walcat.nodeStarts.map((seconds) => seconds.toFixed(2)).join(', ')} s`,
          );
          row(
            `${n}: walcat status attributable to walcat (median of status minus node -e 0, pair by pair)`,
            median(walcat.statusStarts.map((seconds, index) => seconds - (walcat.nodeStarts[index] ?? 0))),
            's',
            'what walcat adds to a bare Node start: loading its bundle, config, clients, the queries and the answer',
          );
        }
      }
    } finally {
      await Promise.all(catalogs.map((catalog) => catalog.close().catch(() => undefined)));
      await repo?.close();
      await s3.close();
      rmSync(workDir, { recursive: true, force: true });
    }
    return rows;
  },
};

export default peerPgbackrest;
