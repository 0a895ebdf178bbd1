/**
 * Regenerates the S3 sample events in events/ from REAL s3rver output: writes a small WAL-G archive (two WAL
 * segments, a backup with its tars, metadata.json and sentinel), removes one segment, and saves the notifications s3rver
 * emitted, as a direct S3 notification and as the SQS batch S3 delivers through a queue.
 *
 * Run: node --import tsx scripts/capture-s3-events.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startS3rver } from '../test/support/s3rver.ts';

export const SAMPLE_BUCKET = 'acme-pg-backups';
export const SAMPLE_BACKUP = 'base_000000010000000000000002';
const fixture = (name: string) => readFileSync(new URL(`../test/fixtures/walg/${name}`, import.meta.url), 'utf8');

/** The objects behind the sample events (the handler test writes them again so sentinel reads succeed). */
export const SAMPLE_OBJECTS: readonly (readonly [string, string])[] = [
  ['orders-main/wal_005/000000010000000000000001.br', 'wal segment 1'],
  ['orders-main/wal_005/000000010000000000000002.br', 'wal segment 2'],
  [`orders-main/basebackups_005/${SAMPLE_BACKUP}/tar_partitions/part_001.tar.br`, 'tar partition'],
  [`orders-main/basebackups_005/${SAMPLE_BACKUP}/tar_partitions/pg_control.tar.br`, 'pg_control'],
  // A complete backup holds at least the compressed size its metadata states: the two tars above, 23 bytes.
  [
    `orders-main/basebackups_005/${SAMPLE_BACKUP}/metadata.json`,
    fixture('metadata-full.json').replace('401236719', '23'),
  ],
  [
    `orders-main/basebackups_005/${SAMPLE_BACKUP}_backup_stop_sentinel.json`,
    fixture('sentinel-v2-full.json').replace('401236719', '23'),
  ],
];

async function capture(): Promise<void> {
  const s3 = await startS3rver({ buckets: [SAMPLE_BUCKET] });
  try {
    for (const [key, body] of SAMPLE_OBJECTS) {
      await s3.client.send(new PutObjectCommand({ Bucket: SAMPLE_BUCKET, Key: key, Body: body }));
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
    await s3.client.send(
      new DeleteObjectCommand({ Bucket: SAMPLE_BUCKET, Key: 'orders-main/wal_005/000000010000000000000001.br' }),
    );
    const events = s3.events();
    writeFileSync(
      new URL('../events/s3-notification.json', import.meta.url),
      `${JSON.stringify(events[0], null, 2)}\n`,
    );
    const batch = {
      Records: events.map((event, index) => ({
        messageId: `00000000-0000-4000-8000-00000000000${index}`,
        receiptHandle: `sample-receipt-handle-${index}`,
        body: JSON.stringify(event),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(Date.parse(event.Records[0]?.eventTime ?? '')),
          SenderId: 'AIDAS3NOTIFICATIONS',
          ApproximateFirstReceiveTimestamp: String(Date.parse(event.Records[0]?.eventTime ?? '')),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:walcat-catalog-events',
        awsRegion: 'us-east-1',
      })),
    };
    writeFileSync(new URL('../events/s3-sqs-batch.json', import.meta.url), `${JSON.stringify(batch, null, 2)}\n`);
  } finally {
    await s3.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await capture();
