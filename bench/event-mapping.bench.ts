/**
 * Event-to-item mapping throughput on one core: an SQS message body holding an S3 notification (as S3 sends it:
 * URL-encoded key, sequencer, eTag) → JSON.parse → zod-validated parse (s3-notification-events.ts) → decoded key →
 * owning cluster → classifyKey → objectEffect → catalog change. This is the CPU work of catalog ingestion per event
 * before any DynamoDB request; sentinels and `.history` files also need a GET, which is I/O and not counted here.
 */
import { parseObjectEventDocument } from '../lib/adapters/events/s3-notification-events.ts';
import type { WalObjectChange } from '../lib/domain/catalog/catalog-change.ts';
import { objectEffect, observationOfEvent } from '../lib/domain/catalog/object-effect.ts';
import type { ClusterConfig } from '../lib/domain/cluster.ts';
import { resolveClusterOfKey } from '../lib/domain/cluster-of-key.ts';
import { classifyKey } from '../lib/domain/layout/classify-key.ts';
import { timelineId } from '../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../lib/domain/wal/wal-segment.ts';
import type { Benchmark, BenchRow } from './bench-types.ts';
import { BENCH_BUCKET, BENCH_CLUSTER } from './support/synthetic-wal-g-bucket.ts';

const NAME = 'event-mapping';
const EVENT_COUNT = 10_000;
const ROUNDS = 5;

const OTHER_CLUSTER: ClusterConfig = {
  ...BENCH_CLUSTER,
  id: 'billing' as ClusterConfig['id'],
  storage: { bucket: BENCH_BUCKET, prefix: 'billing/' },
};
const CLUSTERS = [BENCH_CLUSTER, OTHER_CLUSTER];

/** 97% WAL segments, the rest backup payloads, `.partial`, `.backup` and WAL-G `.json` metadata (all GET-free). */
function messageBodies(count: number): string[] {
  const bodies: string[] = [];
  for (let i = 0; i < count; i++) {
    const cluster = CLUSTERS[i % 3 === 0 ? 1 : 0] as ClusterConfig;
    const wal = walFileName(
      { timeline: timelineId(1 + (i % 5 === 0 ? 1 : 0)), segNo: segmentNumber(0x3a000 + i) },
      cluster.walSegmentSize,
    );
    const roll = i % 100;
    const relative =
      roll < 97
        ? `wal_005/${wal}.br`
        : roll === 97
          ? `basebackups_005/base_${wal}/tar_partitions/part_${String(1 + (i % 400)).padStart(3, '0')}.tar.br`
          : roll === 98
            ? `wal_005/${wal}.partial.br`
            : `wal_005/${wal}.json`;
    const key = `${cluster.storage.prefix}${relative}`
      .split('/')
      .map((part) => encodeURIComponent(part))
      .join('/');
    const notification = {
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          awsRegion: 'eu-west-1',
          eventTime: new Date(Date.UTC(2026, 10, 21, 10, 0, 0) + i * 1000).toISOString(),
          eventName: 'ObjectCreated:Put',
          userIdentity: { principalId: 'AWS:AIDAEXAMPLE' },
          requestParameters: { sourceIPAddress: '10.0.3.17' },
          responseElements: {
            'x-amz-request-id': 'C3D13FE58DE4C810',
            'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD',
          },
          s3: {
            s3SchemaVersion: '1.0',
            configurationId: 'walcat-ingest',
            bucket: {
              name: BENCH_BUCKET,
              ownerIdentity: { principalId: 'A3NL1KOZZKExample' },
              arn: `arn:aws:s3:::${BENCH_BUCKET}`,
            },
            object: {
              key,
              size: 4_194_304 + (i % 1000),
              eTag: '0123456789abcdef0123456789abcdef',
              sequencer: (0x5f0000000000 + i).toString(16).toUpperCase().padStart(18, '0'),
            },
          },
        },
      ],
    };
    bodies.push(JSON.stringify(notification));
  }
  return bodies;
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

function mapBody(body: string, changes: WalObjectChange[]): number {
  const parsed = parseObjectEventDocument(JSON.parse(body));
  let mapped = 0;
  for (const event of parsed.events) {
    const owner = resolveClusterOfKey(CLUSTERS, event.bucket, event.key);
    if (owner === undefined) continue;
    const object = classifyKey(owner.relativeKey, owner.cluster.layout, owner.cluster.walSegmentSize);
    const effect = objectEffect(owner.cluster.id, object, observationOfEvent(event));
    if (effect.type === 'wal') changes.push({ origin: 'event', record: effect.record });
    mapped++;
  }
  return mapped;
}

const eventMapping: Benchmark = {
  name: NAME,
  async run(): Promise<BenchRow[]> {
    const bodies = messageBodies(EVENT_COUNT);
    const documents = bodies.map((body) => JSON.parse(body) as unknown);
    const full = fastestPass(ROUNDS, () => {
      const changes: WalObjectChange[] = [];
      let mapped = 0;
      for (const body of bodies) mapped += mapBody(body, changes);
      return mapped + changes.length;
    });
    const parseOnly = fastestPass(ROUNDS, () => {
      let events = 0;
      for (const document of documents) events += parseObjectEventDocument(document).events.length;
      return events;
    });
    const perSecond = (nanoseconds: number) => (EVENT_COUNT * 1e9) / nanoseconds;
    const note = `${EVENT_COUNT.toLocaleString('en-US')} S3 notifications, ${ROUNDS} passes, fastest; single thread`;
    return [
      {
        benchmark: NAME,
        metric: 'SQS body -> catalog change throughput',
        value: perSecond(full.nanoseconds),
        unit: 'events/s',
        note: `${note}; JSON.parse, zod parse, decode, resolve, classify, objectEffect`,
      },
      {
        benchmark: NAME,
        metric: 'SQS body -> catalog change time per event',
        value: full.nanoseconds / EVENT_COUNT / 1000,
        unit: 'us/event',
        note,
      },
      {
        benchmark: NAME,
        metric: 'zod parse of the notification alone',
        value: perSecond(parseOnly.nanoseconds),
        unit: 'events/s',
        note: `${note}; share of the full path: ${((100 * parseOnly.nanoseconds) / full.nanoseconds).toFixed(0)}%`,
      },
    ];
  },
};

export default eventMapping;
