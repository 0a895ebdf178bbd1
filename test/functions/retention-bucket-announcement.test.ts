/**
 * The real retention handler on the sample schedule event, against a versioned bucket with lifecycle rules on moto:
 * the Slack announcement of the plan it makes carries the bucket section (versioning, how deletes happen, what the
 * lifecycle rules expire), the same notes `walcat retention plan` prints, so the channel that reviews the plan sees
 * what its deletions really do.
 */
import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  CreateBucketCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BucketInspector } from '../../lib/adapters/s3/s3-bucket-inspector.ts';
import { S3ObjectStore } from '../../lib/adapters/s3/s3-object-store.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import type { BackupRecord } from '../../lib/domain/catalog/catalog-records.ts';
import type { SlackMessage } from '../../lib/domain/continuity/slack-message.ts';
import { createRetentionHandler } from '../../lib/handlers/retention-handler.ts';
import type { NotificationTarget, Notifier } from '../../lib/ports/notifier.ts';
import { backupRecord, DAY, HOUR } from '../domain/retention/retention-fixtures.ts';
import { MemoryPlanStore, MemoryRetentionCatalog } from '../support/memory-retention-stores.ts';
import { type MotoHandle, startMoto } from '../support/moto.ts';

const BUCKET = 'announced-pg';
const config = parseWalcatConfig(
  [
    'catalogTable: announced',
    'clusters:',
    '  - id: orders-main',
    `    storage: s3://${BUCKET}/orders-main`,
    '    retention: { keepLast: 2, pitrWindow: 1d, applyGrace: 6h }',
    '    alerts: { slackWebhookParameter: /walcat/slack/orders }',
  ].join('\n'),
  'announcement test config',
);
const sample = JSON.parse(
  readFileSync(new URL('../../events/retention-schedule.json', import.meta.url), 'utf8'),
) as ScheduledEvent;
const NOW = Date.parse(sample.time);
const sentinelKey = (name: string) => `orders-main/basebackups_005/${name}_backup_stop_sentinel.json`;

class RecordingNotifier implements Notifier {
  readonly sent: { target: NotificationTarget; message: SlackMessage }[] = [];
  async send(target: NotificationTarget, message: SlackMessage): Promise<void> {
    this.sent.push({ target, message });
  }
}

let moto: MotoHandle;
beforeAll(async () => {
  moto = await startMoto();
}, 60_000);
afterAll(async () => {
  await moto?.close();
});

describe('retention handler announcement on a versioned bucket (moto)', () => {
  it('posts the plan with its bucket section: versioning, deletes by version, and what each lifecycle rule expires', async () => {
    await moto.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await moto.s3.send(
      new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    await moto.s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: BUCKET,
        LifecycleConfiguration: {
          Rules: [{ ID: 'expire-3d', Status: 'Enabled', Filter: { Prefix: 'orders-main/' }, Expiration: { Days: 3 } }],
        },
      }),
    );
    const backups: BackupRecord[] = Array.from({ length: 6 }, (_, index) => {
      const record = backupRecord({ startSegNo: 16 + index * 4, finishedAt: new Date(NOW - (6 - index) * DAY) });
      return { ...record, sentinel: { key: sentinelKey(record.name), present: true, observedAt: record.firstSeenAt } };
    });
    for (const record of backups) {
      await moto.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: sentinelKey(record.name), Body: '{}' }));
    }
    const catalog = new MemoryRetentionCatalog();
    catalog.syncTo(backups, [], new Date(NOW - HOUR));
    const notifier = new RecordingNotifier();
    const objects = new S3ObjectStore(moto.s3);
    const handler = createRetentionHandler(
      {
        catalog,
        objects,
        plans: new MemoryPlanStore(),
        notifier,
        inspector: new S3BucketInspector(moto.s3),
        versions: objects,
      },
      config,
      new Logger({ serviceName: 'walcat-retention-test', logLevel: 'SILENT' }),
    );

    expect(await handler(sample, {} as Context)).toEqual({ clusters: 1, failed: 0 });
    expect(notifier.sent).toHaveLength(1);
    const message = notifier.sent[0]?.message as SlackMessage;
    expect(message.text).toMatch(
      /^retention plan orders-main-\S+ for orders-main: keeps \d+ backups, deletes \d+ backups/,
    );
    const bucketBlock = JSON.stringify(message.blocks);
    expect(bucketBlock).toContain('*In the bucket* (versioning enabled, deletes versions)');
    expect(bucketBlock).toContain('apply deletes every version of each doomed object');
    expect(bucketBlock).toContain('lifecycle rule `expire-3d` expires objects after 3 days:');
    expect(message.text).toContain('; bucket: the bucket is versioned');
  });
});
