/**
 * Retention planning rounds in a fresh process, against the benchmark's catalog server, so the peak RSS is this
 * process's own (see peak-rss.ts):
 *
 *   node --import tsx bench/support/retention-plan-probe.ts ENDPOINT TABLE MODE ROUNDS
 *
 * MODE `build`: before each round the stored digests are dropped, so the round reads every backup and WAL object and
 * stores the digests again (the first plan of a cluster, and the weekly rebuild). MODE `steady`: before each round a
 * day of backups (24) and WAL (240 segments) arrives, stamped a minute before the round, and the catalog's clock
 * moves a day; the round updates the digests from the change index and plans over them (the daily plan), after one
 * unmeasured round. Each round is what the plan use case does up to its plan: the backups (retentionBackups),
 * decideRetention, the WAL digest, the plan.
 * Prints one JSON line: the rounds, the last plan's size and this process's peak RSS.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createDynamoDbDocumentClient } from '../../lib/adapters/aws/aws-clients.ts';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { createBackupInterpreter } from '../../lib/domain/catalog/backup-interpreter.ts';
import type { RetentionPolicy } from '../../lib/domain/cluster.ts';
import { decideRetention } from '../../lib/domain/retention/retention-plan.ts';
import { retentionBackups } from '../../lib/use-cases/retention-backup-digest.ts';
import { planOverDigest, refreshRetentionWalDigest } from '../../lib/use-cases/retention-wal-digest.ts';
import { ownPeakRssBytes } from './peak-rss.ts';
import {
  RETENTION_BENCH_CLUSTER,
  RETENTION_BENCH_NOW,
  RETENTION_BENCH_SEGMENTS_PER_HOUR,
} from './retention-catalog.ts';

const [endpoint, tableName, mode, roundsText] = process.argv.slice(2) as [string, string, string, string];
if (mode !== 'build' && mode !== 'steady')
  throw new Error('usage: retention-plan-probe.ts ENDPOINT TABLE build|steady ROUNDS');
const ROUNDS = Number(roundsText);
const CLUSTER = RETENTION_BENCH_CLUSTER;
const DAY = 24 * 3_600_000;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** The catalog's clock (its change stamps): a day later at every steady round. */
let clock = RETENTION_BENCH_NOW.getTime();
const catalog = new DynamoDbCatalogStore({
  client: createDynamoDbDocumentClient({
    region: 'us-east-1',
    dynamodb: endpoint,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  }),
  tableName,
  interpret: createBackupInterpreter([CLUSTER]),
  now: () => new Date(clock),
});

const post = async (path: string) => {
  const answer = await fetch(`${endpoint}${path}`, { method: 'POST' });
  if (!answer.ok) throw new Error(`${path}: ${answer.status}`);
};
const requestsServed = async () => ((await (await fetch(`${endpoint}/stats`)).json()) as { requests: number }).requests;
const msSince = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

async function round() {
  if (mode === 'build') {
    await post('/drop-digest');
  } else {
    clock += DAY;
    const changedAt = new Date(clock - 60_000).toISOString();
    await post(`/append-wal?segments=${24 * RETENTION_BENCH_SEGMENTS_PER_HOUR}&changedAt=${changedAt}`);
    await post(`/append-backups?count=24&changedAt=${changedAt}`);
  }
  gc();
  const before = await requestsServed();
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const { records: backups, refresh: backupRefresh } = await retentionBackups(catalog, CLUSTER, new Date(clock));
  const backupsMs = msSince(start);
  const decided = process.hrtime.bigint();
  const decision = decideRetention({
    cluster: CLUSTER.id,
    backups,
    policy: CLUSTER.retention as RetentionPolicy,
    walSegmentSize: CLUSTER.walSegmentSize,
    now: new Date(clock),
    planId: 'bench',
  });
  const decideMs = msSince(decided);
  const walStart = process.hrtime.bigint();
  const digest = await refreshRetentionWalDigest(catalog, CLUSTER, new Date(clock));
  if (digest === undefined) throw new Error('the catalog gave no retention digest');
  const { plan } = planOverDigest(digest, decision);
  const walMs = msSince(walStart);
  const wallMs = msSince(start);
  const cpu = process.cpuUsage(cpuStart);
  const requests = (await requestsServed()) - before;
  return {
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    backupsMs,
    decideMs,
    walMs,
    requests,
    refresh: digest.refresh,
    backupRefresh,
    backups: backups.length,
    chunks: digest.chunks.length,
    kept: plan.keep.length,
    walObjectsDeleted: plan.delete.wal.reduce((sum, range) => sum + range.objects, 0),
    walRanges: plan.delete.wal.length,
    keptWalObjects: plan.keptWalObjects,
  };
}

// The first plan of a cluster is measured as it comes; a daily plan after one unmeasured round.
if (mode === 'steady') await round();
const rounds = [];
for (let index = 0; index < ROUNDS; index++) rounds.push(await round());
console.log(JSON.stringify({ rounds, peakRssMb: ownPeakRssBytes() / 1e6 }));
