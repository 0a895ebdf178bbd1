/**
 * `decideRetention` alone over the retention-planning benchmark's backups (10 years hourly, 87,600 records), for
 * profiling and for a quick figure without the catalog server:
 *
 *   node --import tsx bench/support/decide-retention-probe.ts [ROUNDS]
 *   node --cpu-prof --cpu-prof-dir=/tmp/decide-prof --import tsx bench/support/decide-retention-probe.ts 5
 *
 * The records are what the catalog holds for the benchmark's backups: each one merged, like the store merges it,
 * from the two events of its metadata.json and sentinel as WAL-G writes them, read by the real backup interpreter.
 * Prints one JSON line: the median wall and CPU time (user+system, GC threads included) and every round's time, and a digest of the decision (kept and deleted names with
 * their reasons, the protected WAL), so two versions of the function can be compared for the same outcome.
 */
import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createBackupInterpreter } from '../../lib/domain/catalog/backup-interpreter.ts';
import { mergeBackup } from '../../lib/domain/catalog/catalog-change.ts';
import type { BackupRecord } from '../../lib/domain/catalog/catalog-records.ts';
import type { RetentionPolicy } from '../../lib/domain/cluster.ts';
import { decideRetention } from '../../lib/domain/retention/retention-plan.ts';
import {
  RETENTION_BENCH_CLUSTER,
  RETENTION_BENCH_NOW,
  retentionBenchBackupChanges,
  retentionBenchBackups,
} from './retention-catalog.ts';

const HOURS = 10 * 365 * 24;
const ROUNDS = Number(process.argv[2] ?? 7);
const CLUSTER = RETENTION_BENCH_CLUSTER;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function benchRecords(): BackupRecord[] {
  const interpret = createBackupInterpreter([CLUSTER]);
  const records: BackupRecord[] = [];
  let n = 0;
  for (const backup of retentionBenchBackups(HOURS)) {
    let record: BackupRecord | undefined;
    for (const change of retentionBenchBackupChanges(backup, n)) {
      record = mergeBackup(record, change, interpret) ?? record;
    }
    if (record?.status !== 'complete') throw new Error(`${backup.name} did not become a complete backup`);
    records.push(record);
    n++;
  }
  return records;
}

const backups = benchRecords();
const decide = () =>
  decideRetention({
    cluster: CLUSTER.id,
    backups,
    policy: CLUSTER.retention as RetentionPolicy,
    walSegmentSize: CLUSTER.walSegmentSize,
    now: RETENTION_BENCH_NOW,
    planId: 'probe',
  });

const roundsMs: number[] = [];
const cpuMs: number[] = [];
let decision = decide();
for (let round = 0; round < ROUNDS; round++) {
  gc();
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  decision = decide();
  const cpu = process.cpuUsage(cpuStart);
  roundsMs.push(Math.round(Number(process.hrtime.bigint() - start) / 1e5) / 10);
  cpuMs.push(Math.round((cpu.user + cpu.system) / 100) / 10);
}
const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const outcome = JSON.stringify({
  base: decision.base.name,
  windowStart: decision.windowStart,
  keep: decision.keep,
  deleted: decision.deleted,
  protectedWal: decision.protectedWal,
});
console.log(
  JSON.stringify({
    backups: backups.length,
    medianMs: median(roundsMs),
    medianCpuMs: median(cpuMs),
    roundsMs,
    kept: decision.keep.length,
    deleted: decision.deleted.length,
    outcomeSha256: createHash('sha256').update(outcome).digest('hex'),
  }),
);
