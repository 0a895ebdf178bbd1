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
 * of S3 events, then one watchdog evaluation that stores the verification cursor (the steady state every minute).
 *
 * Requests are counted in the emulators' own request handlers (support/counting-servers.ts): every request either
 * program sent over the wire. Seconds are the wall time of the command's process, start to exit.
 *
 * pgBackRest is installed from Debian's package when missing (as root); openssl makes the throwaway certificate.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDynamoDbDocumentClient, createS3Client } from '../lib/adapters/aws/aws-clients.ts';
import { DynamoDbCatalogStore } from '../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { S3ObjectStore } from '../lib/adapters/s3/s3-object-store.ts';
import { createBackupInterpreter } from '../lib/domain/catalog/backup-interpreter.ts';
import type { ObjectEvent } from '../lib/domain/catalog/object-event.ts';
import { historyTextOrUndefined } from '../lib/domain/wal/history-file-content.ts';
import { evaluateContinuity } from '../lib/use-cases/evaluate-continuity.ts';
import { ingestObjectEvents } from '../lib/use-cases/ingest-object-events.ts';
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
import {
  BENCH_BUCKET,
  BENCH_CLUSTER,
  type BucketObject,
  syntheticBucket,
  writeS3rverStore,
} from './support/synthetic-wal-g-bucket.ts';

const NAME = 'peer-pgbackrest';
/**
 * Archive sizes. 100k is left out: `pgbackrest verify` reads and hashes every segment (about 100k GETs) and s3rver
 * re-walks its whole store on every listing page, which alone would take most of the bench's 10 minutes.
 */
const SIZES = [1_000, 10_000] as const;
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

let sequencer = 0;
const eventOf = (item: BucketObject): ObjectEvent => ({
  bucket: BENCH_BUCKET,
  key: item.key,
  kind: 'created',
  size: item.body.length,
  etag: item.etag,
  sequencer: (++sequencer).toString(16).toUpperCase().padStart(16, '0'),
  eventTime: item.uploadedAt,
});

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

interface WalcatSide {
  readonly status: Measured;
  readonly gaps: Measured;
}

/** A WAL-G bucket of `size` segments in the catalog, the watchdog's cursor stored, then the CLI's two answers. */
async function measureWalcat(size: number, workDir: string): Promise<WalcatSide> {
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
  try {
    const tableName = `walcat-peer-${size}`;
    // The archive is catalogued as it was uploaded: each write stamped at its object's upload time (the change
    // index then holds the history a watchdog would have seen), and the watchdog's last run at the bucket's now.
    let stamp = new Date(0);
    const catalog = new DynamoDbCatalogStore({ client: ddbClient, tableName, interpret, now: () => stamp });
    await catalog.ensureTable();
    const deps = {
      objects: new S3ObjectStore(s3Client),
      decompress: historyTextOrUndefined,
      catalog,
      clusters: [BENCH_CLUSTER],
    };
    for (let start = 0; start < bucket.objects.length; start += 100) {
      const batch = bucket.objects.slice(start, start + 100);
      stamp = batch.at(-1)?.uploadedAt ?? stamp;
      const records = batch.map((item, index) => ({ recordId: `${start + index}`, events: [eventOf(item)] }));
      const outcome = await ingestObjectEvents(deps, records);
      if (outcome.failedRecordIds.length > 0)
        throw new Error(`ingest failed: ${String(outcome.transientErrors[0]?.error)}`);
    }
    // The watchdog ran just now (the CLI below asks at the machine's time, not the synthetic archive's).
    const watchdogRun = new Date();
    stamp = watchdogRun;
    await evaluateContinuity(catalog, BENCH_CLUSTER, { now: watchdogRun, persistCursor: true, forceFull: true });

    writeFileSync(join(workDir, 'walcat.config.yml'), walcatConfig(tableName));
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
    const config = ['--config', join(workDir, 'walcat.config.yml')];
    const status = await measure([s3, ddb], async () => {
      await runWalcat(['status', ...config], env, workDir);
    });
    const gaps = await measure([s3, ddb], async () => {
      await runWalcat(['gaps', '--cluster', BENCH_CLUSTER.id, ...config], env, workDir);
    });
    return { status, gaps };
  } finally {
    s3Client.destroy();
    ddbClient.destroy();
    await Promise.all([s3.close(), ddb.close()]);
  }
}

interface PeerSide {
  readonly info: Measured;
  readonly verify: Measured;
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
  let verifyText = '';
  const verify = await measure([s3], async () => {
    verifyText = await repo.run('verify', ['--log-level-console=detail', '--verbose']);
  });
  const checked = /total WAL checked: (\d+), total valid WAL: (\d+)/.exec(verifyText);
  if (checked === null || Number(checked[1]) < size)
    throw new Error(`pgbackrest verify checked fewer than ${size} WAL files:\n${verifyText.slice(-2000)}`);
  return { info, verify: { ...verify, detail: `${verify.detail}; ${checked[0]}` } };
}

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
        const walcat = await measureWalcat(size, join(workDir, `walcat-${size}`));
        const pair = (
          question: string,
          peerCommand: string,
          peerSide: Measured,
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
          row(`${n}: ${question}: ${peerCommand} wall time`, peerSide.seconds, 's', 'process start to exit');
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
      }
      row(
        '100k: not measured',
        0,
        'requests',
        'left out to keep npm run bench under 10 minutes: verify reads every segment and s3rver re-walks its store per listing page',
      );
    } finally {
      await repo?.close();
      await s3.close();
      rmSync(workDir, { recursive: true, force: true });
    }
    return rows;
  },
};

export default peerPgbackrest;
