/**
 * A WAL-G bucket of one cluster, generated from a size: what the list-versus-catalog benchmark puts in s3rver (as
 * files) and in the catalog (as S3 events through the real ingestion), so both sides answer over the same objects.
 *
 * Shape (a 7-day PITR window when N segments are 7 days of WAL): timeline 1, then a switch to timeline 2 at 80% of
 * the segments with its `00000002.history.br`; 7 full backups evenly spaced (sentinel, metadata.json, two tar
 * partitions each); 3 consecutive segments missing at 40% (a lost gap that splits the restorable window).
 * Upload times are whole seconds, one segment every `secondsPerSegment`, so S3 LastModified and event times agree.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import type { ClusterConfig, ClusterId } from '../../lib/domain/cluster.ts';
import { formatLsn } from '../../lib/domain/wal/lsn.ts';
import { type WalSegmentSize, walSegmentSize } from '../../lib/domain/wal/segment-size.ts';
import { type TimelineId, timelineId } from '../../lib/domain/wal/timeline.ts';
import { segmentNumber, segmentStartLsn, walFileName } from '../../lib/domain/wal/wal-segment.ts';

export const BENCH_BUCKET = 'bench-pg-backups';
const PREFIX = 'orders-main/';
const SIZE: WalSegmentSize = walSegmentSize(16 * 1024 * 1024);
/** Segment numbers start here, so LSNs are not trivially small. */
const FIRST_SEGNO = 0x1000;
export const BACKUP_COUNT = 7;
const MISSING_SEGMENTS = 3;

export const BENCH_CLUSTER: ClusterConfig = {
  id: 'orders-main' as ClusterId,
  storage: { bucket: BENCH_BUCKET, prefix: PREFIX },
  layout: 'wal-g',
  walSegmentSize: SIZE,
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

export interface BucketObject {
  readonly key: string;
  readonly body: Uint8Array;
  readonly etag: string;
  /** Whole seconds. */
  readonly uploadedAt: Date;
}

export interface SyntheticBucket {
  readonly objects: BucketObject[];
  readonly walSegments: number;
  readonly backups: number;
  readonly historyFiles: number;
  /** Just after the last upload: the evaluation time. */
  readonly now: Date;
  /** Appends `count` more segments on the newest timeline (the next minute of WAL) and moves `now`. */
  appendSegments(count: number): BucketObject[];
}

const START_MS = Date.UTC(2026, 10, 1, 0, 0, 0);

const object = (key: string, body: Uint8Array | string, uploadedAtMs: number): BucketObject => {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  return {
    key,
    body: bytes,
    etag: createHash('md5').update(bytes).digest('hex'),
    uploadedAt: new Date(Math.floor(uploadedAtMs / 1000) * 1000),
  };
};

function backupObjects(timeline: TimelineId, startSegNo: number, startMs: number): BucketObject[] {
  const name = `base_${walFileName({ timeline, segNo: segmentNumber(startSegNo) }, SIZE)}`;
  const startLsn = Number(segmentStartLsn(segmentNumber(startSegNo), SIZE)) + 40;
  const finishLsn = Number(segmentStartLsn(segmentNumber(startSegNo + 2), SIZE)) + 0x1f08;
  const startTime = new Date(startMs).toISOString();
  const finishTime = new Date(startMs + 180_000).toISOString();
  const sentinel = `{"LSN":${startLsn},"PgVersion":150010,"FinishLSN":${finishLsn},"SystemIdentifier":7321456789012345678,"UncompressedSize":2147651584,"CompressedSize":401236719,"DataCatalogSize":2147520512,"ChkpNum":null,"Version":2,"StartTime":"${startTime}","FinishTime":"${finishTime}","DateFmt":"%Y-%m-%dT%H:%M:%S.%fZ","Hostname":"pg-orders-1.internal","DataDir":"/var/lib/postgresql/15/main","IsPermanent":false}`;
  const metadata = `{"start_time":"${startTime}","finish_time":"${finishTime}","date_fmt":"%Y-%m-%dT%H:%M:%S.%fZ","hostname":"pg-orders-1.internal","data_dir":"/var/lib/postgresql/15/main","pg_version":150010,"start_lsn":${startLsn},"finish_lsn":${finishLsn},"is_permanent":false,"system_identifier":7321456789012345678,"uncompressed_size":2147651584,"compressed_size":401236719,"user_data":null}`;
  const folder = `${PREFIX}basebackups_005/${name}`;
  const done = startMs + 180_000;
  return [
    object(`${folder}/tar_partitions/part_001.tar.br`, 'tar', done - 2000),
    object(`${folder}/tar_partitions/pg_control.tar.br`, 'tar', done - 1000),
    object(`${folder}/metadata.json`, metadata, done),
    object(`${folder}_backup_stop_sentinel.json`, sentinel, done + 1000),
  ];
}

/**
 * @example const bucket = syntheticBucket(10_000, 6); bucket.objects.length // about 10,030
 */
export function syntheticBucket(segments: number, secondsPerSegment: number): SyntheticBucket {
  const objects: BucketObject[] = [];
  const switchIndex = Math.floor(segments * 0.8);
  const missingFrom = Math.floor(segments * 0.4);
  const backupEvery = Math.floor(segments / BACKUP_COUNT);
  const uploadMs = (index: number) => START_MS + index * secondsPerSegment * 1000;
  const timelineAt = (index: number) => timelineId(index < switchIndex ? 1 : 2);
  let walSegments = 0;
  for (let index = 0; index < segments; index++) {
    if (index >= missingFrom && index < missingFrom + MISSING_SEGMENTS) continue;
    const segment = { timeline: timelineAt(index), segNo: segmentNumber(FIRST_SEGNO + index) };
    objects.push(object(`${PREFIX}wal_005/${walFileName(segment, SIZE)}.br`, 'wal', uploadMs(index)));
    walSegments++;
  }
  const switchLsn = formatLsn(segmentStartLsn(segmentNumber(FIRST_SEGNO + switchIndex), SIZE));
  objects.push(
    object(
      `${PREFIX}wal_005/00000002.history.br`,
      brotliCompressSync(Buffer.from(`1\t${switchLsn}\tno recovery target specified\n`)),
      uploadMs(switchIndex) - 1000,
    ),
  );
  for (let backup = 0; backup < BACKUP_COUNT; backup++) {
    const index = Math.floor(backupEvery / 2) + backup * backupEvery;
    objects.push(...backupObjects(timelineAt(index), FIRST_SEGNO + index, uploadMs(index)));
  }
  let next = segments;
  let now = new Date(uploadMs(segments - 1) + 30_000);
  return {
    objects,
    backups: BACKUP_COUNT,
    historyFiles: 1,
    get now() {
      return now;
    },
    get walSegments() {
      return walSegments;
    },
    appendSegments(count: number): BucketObject[] {
      const added: BucketObject[] = [];
      for (let i = 0; i < count; i++, next++) {
        const segment = { timeline: timelineAt(next), segNo: segmentNumber(FIRST_SEGNO + next) };
        added.push(object(`${PREFIX}wal_005/${walFileName(segment, SIZE)}.br`, 'wal', uploadMs(next)));
      }
      objects.push(...added);
      walSegments += count;
      now = new Date(uploadMs(next - 1) + 30_000);
      return added;
    },
  };
}

/**
 * Writes objects straight into s3rver's filesystem store (`<key>._S3rver_object`, `.md5`, `._S3rver_metadata.json`,
 * the object file's mtime as LastModified): the files a PutObject would leave, without 100k HTTP round trips.
 */
export function writeS3rverStore(directory: string, bucket: string, objects: readonly BucketObject[]): void {
  const made = new Set<string>();
  for (const item of objects) {
    const objectPath = join(directory, bucket, `${item.key}._S3rver_object`);
    const folder = dirname(objectPath);
    if (!made.has(folder)) {
      mkdirSync(folder, { recursive: true });
      made.add(folder);
    }
    writeFileSync(objectPath, item.body);
    writeFileSync(`${objectPath}.md5`, item.etag);
    writeFileSync(
      join(directory, bucket, `${item.key}._S3rver_metadata.json`),
      '{"content-type":"application/octet-stream"}',
    );
    utimesSync(objectPath, item.uploadedAt, item.uploadedAt);
  }
}
