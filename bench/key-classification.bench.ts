/**
 * Key-classification throughput: how many object keys per second one core turns into StorageObjects. This bounds a
 * full-bucket catalog sync (millions of keys) and the per-event cost of catalog ingest.
 *
 * Keys are realistic for two WAL-G clusters sharing one bucket (`orders-main/` at 16 MiB segments, `billing/` at
 * 64 MiB): about 95% WAL segments (lz4, br, zst), the rest `.partial`, `.backup`, `.history`, `_delta`, WAL `.json`,
 * backup tars, sentinels, metadata and garbage. The key set is generated from a fixed seed, so runs compare.
 */

import type { ClusterConfig, ClusterId } from '../lib/domain/cluster.ts';
import { createClusterIndex } from '../lib/domain/cluster-of-key.ts';
import { classifyKey } from '../lib/domain/layout/classify-key.ts';
import { decodeS3EventKey } from '../lib/domain/layout/s3-event-key.ts';
import type { StorageObjectKind } from '../lib/domain/layout/storage-object.ts';
import { type WalSegmentSize, walSegmentSize } from '../lib/domain/wal/segment-size.ts';
import { timelineId } from '../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../lib/domain/wal/wal-segment.ts';
import type { Benchmark, BenchRow } from './bench-types.ts';

const KEY_COUNT = 200_000;
const ROUNDS = 7;
const BUCKET = 'acme-pg-backups';
const MIB = 1024 * 1024;

function cluster(id: string, prefix: string, size: WalSegmentSize): ClusterConfig {
  return {
    id: id as ClusterId,
    storage: { bucket: BUCKET, prefix },
    layout: 'wal-g',
    walSegmentSize: size,
    retention: {
      keepLast: 2,
      keepDaily: 7,
      keepWeekly: 4,
      keepMonthly: 12,
      keepYearly: 3,
      pitrWindowMs: 7 * 86_400_000,
      timezone: 'UTC',
      incompleteGraceMs: 86_400_000,
      applyGraceMs: 3_600_000,
    },
    alerts: { archiveLagMaxMs: 600_000, backupMaxAgeMs: 93_600_000, uploadGraceMs: 300_000 },
  };
}

const CLUSTERS = [
  cluster('orders-main', 'orders-main/', walSegmentSize(16 * MIB)),
  cluster('billing', 'billing/', walSegmentSize(64 * MIB)),
];

/** Deterministic pseudo-random numbers (mulberry32), so every run classifies the same keys. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface GeneratedKey {
  /** `orders-main/wal_005/...` as listed. */
  readonly key: string;
  /** As an S3 event carries it (URL-encoded, `+` for space). */
  readonly encoded: string;
}

function generateKeys(count: number): GeneratedKey[] {
  const next = random(20261121);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const walExtensions = ['.lz4', '.lz4', '.lz4', '.br', '.zst'];
  const keys: GeneratedKey[] = [];
  const segNoByCluster = CLUSTERS.map(() => 0x3a00);
  for (let i = 0; i < count; i++) {
    const which = next() < 0.7 ? 0 : 1;
    const target = CLUSTERS[which] as ClusterConfig;
    const size = target.walSegmentSize;
    const nextSegNo = (segNoByCluster[which] ?? 0) + 1;
    segNoByCluster[which] = nextSegNo;
    const segNo = segmentNumber(nextSegNo);
    const timeline = timelineId(next() < 0.9 ? 3 : pick([1, 2]));
    const wal = walFileName({ timeline, segNo }, size);
    const backup = `base_${wal}`;
    const roll = next();
    let relative: string;
    if (roll < 0.95) relative = `wal_005/${wal}${pick(walExtensions)}`;
    else if (roll < 0.955) relative = `wal_005/${wal}.partial.lz4`;
    else if (roll < 0.96) relative = `wal_005/${wal}.00000028.backup.lz4`;
    else if (roll < 0.962) relative = `wal_005/0000000${pick(['2', '3'])}.history.lz4`;
    else if (roll < 0.967) relative = `wal_005/${wal}_delta.lz4`;
    else if (roll < 0.972) relative = `wal_005/${wal}.json`;
    else if (roll < 0.99)
      relative = `basebackups_005/${backup}/tar_partitions/part_${String(1 + Math.floor(next() * 400)).padStart(3, '0')}.tar.lz4`;
    else if (roll < 0.992)
      relative = `basebackups_005/${backup}/tar_partitions/${pick(['pg_control', 'backup_label'])}.tar.lz4`;
    else if (roll < 0.994) relative = `basebackups_005/${backup}_backup_stop_sentinel.json`;
    else if (roll < 0.995)
      relative = `basebackups_005/${backup}_D_${walFileName({ timeline, segNo: segmentNumber(segNo - 1) }, size)}_backup_stop_sentinel.json`;
    else if (roll < 0.996) relative = `basebackups_005/${backup}/${pick(['metadata.json', 'files_metadata.json'])}`;
    else
      relative = pick([
        `basebackups_005/${backup}/tar_partitions/`,
        'wal_005/',
        `wal_005/${wal.toLowerCase()}.lz4`,
        `wal_005/${wal}0.lz4`,
        'notes/restore test 2026-11.txt',
        'wal_005/.DS_Store',
      ]);
    // About 1% of keys fall outside every cluster (another tool's folder in the same bucket).
    const key = next() < 0.01 ? `pgbackrest/${relative}` : `${target.storage.prefix}${relative}`;
    const encoded = key
      .split('/')
      .map((part) => encodeURIComponent(part).replaceAll('%20', '+'))
      .join('/');
    keys.push({ key, encoded });
  }
  return keys;
}

/** Nanoseconds of the fastest of `rounds` passes (the least disturbed by GC and other processes). */
function fastestPass(rounds: number, pass: () => number): { nanoseconds: number; checksum: number } {
  let best = Number.POSITIVE_INFINITY;
  let checksum = 0;
  for (let round = 0; round < rounds; round++) {
    const started = process.hrtime.bigint();
    checksum = pass();
    best = Math.min(best, Number(process.hrtime.bigint() - started));
  }
  return { nanoseconds: best, checksum };
}

const keyClassification: Benchmark = {
  name: 'classify-keys',
  async run(): Promise<BenchRow[]> {
    const keys = generateKeys(KEY_COUNT);
    const index = createClusterIndex(CLUSTERS);
    // Pre-resolved keys isolate classifyKey from resolution and decoding.
    const resolved = keys.flatMap(({ key }) => {
      const hit = index.resolve(BUCKET, key);
      return hit ? [{ relativeKey: hit.relativeKey, cluster: hit.cluster }] : [];
    });

    const kinds = new Map<StorageObjectKind, number>();
    for (const { relativeKey, cluster: owner } of resolved) {
      const kind = classifyKey(relativeKey, owner.layout, owner.walSegmentSize).kind;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }

    const classifyOnly = fastestPass(ROUNDS, () => {
      let segments = 0;
      for (const { relativeKey, cluster: owner } of resolved) {
        if (classifyKey(relativeKey, owner.layout, owner.walSegmentSize).kind === 'wal-segment') segments++;
      }
      return segments;
    });
    const fullPath = fastestPass(ROUNDS, () => {
      let segments = 0;
      for (const { encoded } of keys) {
        const hit = index.resolve(BUCKET, decodeS3EventKey(encoded));
        if (
          hit &&
          classifyKey(hit.relativeKey, hit.cluster.layout, hit.cluster.walSegmentSize).kind === 'wal-segment'
        ) {
          segments++;
        }
      }
      return segments;
    });

    const mix = [...kinds.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([kind, count]) => `${kind} ${((100 * count) / resolved.length).toFixed(1)}%`)
      .join(', ');
    const perSecond = (count: number, nanoseconds: number) => (count * 1e9) / nanoseconds;
    const note = `${ROUNDS} passes, fastest; single thread`;
    return [
      {
        benchmark: this.name,
        metric: 'keys generated',
        value: keys.length,
        unit: 'keys',
        note: `2 clusters, ${keys.length - resolved.length} outside both`,
      },
      {
        benchmark: this.name,
        metric: 'classifyKey throughput',
        value: perSecond(resolved.length, classifyOnly.nanoseconds),
        unit: 'keys/s',
        note,
      },
      {
        benchmark: this.name,
        metric: 'classifyKey time per key',
        value: classifyOnly.nanoseconds / resolved.length,
        unit: 'ns/key',
        note,
      },
      {
        benchmark: this.name,
        metric: 'decode+resolve+classify throughput',
        value: perSecond(keys.length, fullPath.nanoseconds),
        unit: 'keys/s',
        note,
      },
      {
        benchmark: this.name,
        metric: 'decode+resolve+classify time per key',
        value: fullPath.nanoseconds / keys.length,
        unit: 'ns/key',
        note,
      },
      {
        benchmark: this.name,
        metric: 'WAL segments among classified keys',
        value: (100 * classifyOnly.checksum) / resolved.length,
        unit: '%',
        note: mix,
      },
    ];
  },
};

export default keyClassification;
