import {
  CreateBucketCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketVersioningCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectLockConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../../lib/adapters/aws/aws-clients.ts';
import { S3BucketInspector } from '../../../lib/adapters/s3/s3-bucket-inspector.ts';
import { TransientError } from '../../../lib/domain/errors.ts';
import { BucketConfigurationUnsupportedError, ObjectLockUnreadableError } from '../../../lib/ports/bucket-inspector.ts';
import { denyObjectLockReads } from '../../support/lock-read-denied.ts';
import { MOTO_CREDENTIALS, MOTO_REGION, type MotoHandle, startMoto } from '../../support/moto.ts';

let moto: MotoHandle;
let inspector: S3BucketInspector;

beforeAll(async () => {
  moto = await startMoto();
  inspector = new S3BucketInspector(moto.s3);
});
afterAll(async () => {
  await moto?.close();
});

/** Counts the commands `client` sends, by name, as they are sent. */
function countCommands(client: ReturnType<typeof createS3Client>): Record<string, number> {
  const sent: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      sent[name] = (sent[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  return sent;
}

async function bucket(name: string, objectLock = false): Promise<string> {
  await moto.s3.send(new CreateBucketCommand({ Bucket: name, ObjectLockEnabledForBucket: objectLock }));
  return name;
}

/** Sets the bucket's Object Lock default retention (`Days` or `Years`). */
async function defaultRetention(
  name: string,
  retention: { Mode: 'GOVERNANCE' | 'COMPLIANCE'; Days?: number; Years?: number },
): Promise<void> {
  await moto.s3.send(
    new PutObjectLockConfigurationCommand({
      Bucket: name,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: retention } },
    }),
  );
}

describe('S3BucketInspector against moto', () => {
  it('reads a bucket with no configuration as empty values, not errors', async () => {
    const name = await bucket('plain-bucket');
    expect(await inspector.lifecycleRules(name)).toEqual([]);
    expect(await inspector.versioning(name)).toBe('unversioned');
    expect(await inspector.objectLock(name)).toEqual({ enabled: false });
    expect(await inspector.encryption(name)).toBeUndefined();
    expect(await inspector.notifications(name)).toEqual({ targets: [], eventBridge: false });
  });

  it('folds the three filter spellings and every action of a lifecycle rule', async () => {
    const name = await bucket('lifecycle-bucket');
    await moto.s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: name,
        LifecycleConfiguration: {
          Rules: [
            { ID: 'wal-35d', Status: 'Enabled', Filter: { Prefix: 'orders-main/wal_005/' }, Expiration: { Days: 35 } },
            {
              ID: 'tagged',
              Status: 'Disabled',
              Filter: { And: { Prefix: 'orders-main/', Tags: [{ Key: 'tier', Value: 'tmp' }] } },
              Expiration: { Days: 1 },
            },
            {
              ID: 'housekeeping',
              Status: 'Enabled',
              Filter: { Prefix: '' },
              Transitions: [{ Days: 30, StorageClass: 'DEEP_ARCHIVE' }],
              NoncurrentVersionExpiration: { NoncurrentDays: 1 },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
            },
          ],
        },
      }),
    );
    const rules = await inspector.lifecycleRules(name);
    expect(rules).toEqual([
      {
        id: 'wal-35d',
        enabled: true,
        filter: { prefix: 'orders-main/wal_005/', tags: [] },
        expiration: { days: 35 },
        expiredObjectDeleteMarker: false,
        transitions: [],
        noncurrentVersionTransitions: [],
      },
      {
        id: 'tagged',
        enabled: false,
        filter: { prefix: 'orders-main/', tags: [{ key: 'tier', value: 'tmp' }] },
        expiration: { days: 1 },
        expiredObjectDeleteMarker: false,
        transitions: [],
        noncurrentVersionTransitions: [],
      },
      {
        id: 'housekeeping',
        enabled: true,
        filter: { prefix: '', tags: [] },
        expiredObjectDeleteMarker: false,
        transitions: [{ timing: { days: 30 }, storageClass: 'DEEP_ARCHIVE' }],
        noncurrentVersionExpirationDays: 1,
        noncurrentVersionTransitions: [],
        abortIncompleteMultipartUploadDays: 7,
      },
    ]);
  });

  it('reads versioning enabled and suspended', async () => {
    const name = await bucket('versioned-bucket');
    await moto.s3.send(
      new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    expect(await inspector.versioning(name)).toBe('enabled');
    await moto.s3.send(
      new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Suspended' } }),
    );
    expect(await inspector.versioning(name)).toBe('suspended');
  });

  it('reads an Object Lock default retention of 14 days, and one given in years as days', async () => {
    const name = await bucket('locked-bucket', true);
    expect(await inspector.objectLock(name)).toEqual({ enabled: true });
    await defaultRetention(name, { Mode: 'GOVERNANCE', Days: 14 });
    expect(await inspector.objectLock(name)).toEqual({
      enabled: true,
      defaultRetention: { mode: 'GOVERNANCE', days: 14 },
    });
    await defaultRetention(name, { Mode: 'COMPLIANCE', Years: 1 });
    expect(await inspector.objectLock(name)).toEqual({
      enabled: true,
      defaultRetention: { mode: 'COMPLIANCE', days: 365 },
    });
  });

  it("reads each object's default retention and legal hold, and none on an object without a lock", async () => {
    const name = await bucket('default-locked-objects', true);
    await defaultRetention(name, { Mode: 'GOVERNANCE', Days: 14 });
    const put = (key: string) =>
      moto.s3.send(new PutObjectCommand({ Bucket: name, Key: key, Body: 'wal', ChecksumAlgorithm: 'CRC32' }));
    await put('orders-main/wal_005/000000010000000000000010.lz4');
    await put('orders-main/wal_005/000000010000000000000011.lz4');
    await moto.s3.send(
      new PutObjectLegalHoldCommand({
        Bucket: name,
        Key: 'orders-main/wal_005/000000010000000000000011.lz4',
        LegalHold: { Status: 'ON' },
        ChecksumAlgorithm: 'CRC32',
      }),
    );
    const first = await inspector.objectRetention(name, 'orders-main/wal_005/000000010000000000000010.lz4');
    expect(first).toMatchObject({ mode: 'GOVERNANCE', legalHold: false });
    // moto dates the default retention from its own clock: 14 days from the upload.
    expect((first.retainUntil?.getTime() ?? 0) - Date.now()).toBeGreaterThan(13 * 86_400_000);
    expect(await inspector.objectRetention(name, 'orders-main/wal_005/000000010000000000000011.lz4')).toMatchObject({
      mode: 'GOVERNANCE',
      legalHold: true,
    });
    const unlocked = await bucket('lock-without-default', true);
    await moto.s3.send(new PutObjectCommand({ Bucket: unlocked, Key: 'orders-main/x', Body: 'x' }));
    expect(await inspector.objectRetention(unlocked, 'orders-main/x')).toEqual({ legalHold: false });
    expect(await inspector.objectRetention(unlocked, 'orders-main/gone')).toEqual({ legalHold: false });
  });

  it('reads the lock of many objects of one folder with one HeadObject each once a lock read proved the permissions', async () => {
    const name = await bucket('many-locked-objects', true);
    await defaultRetention(name, { Mode: 'GOVERNANCE', Days: 14 });
    const keys = Array.from(
      { length: 20 },
      (_, index) => `orders-main/wal_005/0000000100000000000000${(0x20 + index).toString(16).toUpperCase()}.lz4`,
    );
    for (const key of keys) {
      await moto.s3.send(new PutObjectCommand({ Bucket: name, Key: key, Body: 'wal', ChecksumAlgorithm: 'CRC32' }));
    }
    const held = keys[7] as string;
    await moto.s3.send(
      new PutObjectLegalHoldCommand({
        Bucket: name,
        Key: held,
        LegalHold: { Status: 'ON' },
        ChecksumAlgorithm: 'CRC32',
      }),
    );
    const client = createS3Client({ region: MOTO_REGION, s3: moto.endpoint, credentials: MOTO_CREDENTIALS });
    const sent = countCommands(client);
    try {
      const reader = new S3BucketInspector(client);
      const locks = [];
      for (const key of keys) locks.push(await reader.objectRetention(name, key));
      expect(locks.map((lock) => lock.legalHold)).toEqual(keys.map((key) => key === held));
      expect(locks.every((lock) => lock.mode === 'GOVERNANCE')).toBe(true);
      // One HeadObject per object, and one legal-hold read proving the permission for the folder.
      expect(sent).toEqual({ HeadObjectCommand: 20, GetObjectLegalHoldCommand: 1 });
    } finally {
      client.destroy();
    }
  });

  it('a role that may not read the lock gets an error naming the object and the permission, never "no lock"', async () => {
    const name = await bucket('lock-unreadable', true);
    await defaultRetention(name, { Mode: 'COMPLIANCE', Days: 14 });
    const key = 'orders-main/basebackups_005/base_000000010000000000000010_backup_stop_sentinel.json';
    await moto.s3.send(new PutObjectCommand({ Bucket: name, Key: key, Body: '{}', ChecksumAlgorithm: 'CRC32' }));
    const denied = createS3Client({ region: MOTO_REGION, s3: moto.endpoint, credentials: MOTO_CREDENTIALS });
    denyObjectLockReads(denied);
    try {
      const read = new S3BucketInspector(denied).objectRetention(name, key);
      await expect(read).rejects.toBeInstanceOf(ObjectLockUnreadableError);
      await expect(read).rejects.toThrow(
        `bucket lock-unreadable: walcat may not read the Object Lock state of ${key} (AccessDenied); grant s3:GetObjectRetention on arn:aws:s3:::lock-unreadable/${key}, or on the cluster prefix`,
      );
    } finally {
      denied.destroy();
    }
  });

  it('reads SSE-KMS with a customer key', async () => {
    const name = await bucket('kms-bucket');
    const key = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    await moto.s3.send(
      new PutBucketEncryptionCommand({
        Bucket: name,
        ServerSideEncryptionConfiguration: {
          Rules: [
            {
              ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key },
              BucketKeyEnabled: true,
            },
          ],
        },
      }),
    );
    expect(await inspector.encryption(name)).toEqual({ algorithm: 'aws:kms', kmsKeyId: key, bucketKeyEnabled: true });
  });

  it('reads queue notifications with their prefix and suffix filters', async () => {
    const name = await bucket('notified-bucket');
    await moto.sqs.send(new CreateQueueCommand({ QueueName: 'object-events' }));
    await moto.s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: name,
        NotificationConfiguration: {
          QueueConfigurations: [
            {
              Id: 'walcat',
              QueueArn: moto.queueArn('object-events'),
              Events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'],
              Filter: {
                Key: {
                  FilterRules: [
                    { Name: 'prefix', Value: 'orders-main/' },
                    { Name: 'suffix', Value: '.lz4' },
                  ],
                },
              },
            },
          ],
        },
      }),
    );
    expect(await inspector.notifications(name)).toEqual({
      targets: [
        {
          kind: 'queue',
          id: 'walcat',
          arn: moto.queueArn('object-events'),
          events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'],
          prefix: 'orders-main/',
          suffix: '.lz4',
        },
      ],
      eventBridge: false,
    });
  });

  it('names the bucket when it does not exist', async () => {
    await expect(inspector.versioning('no-such-bucket')).rejects.toThrow(/bucket no-such-bucket does not exist/);
  });
});

describe('S3BucketInspector faults', () => {
  it('names the permission on AccessDenied and rethrows throttling as transient', async () => {
    const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const mock = mockClient(client);
    const denied = Object.assign(new Error('Access Denied'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    const slow = Object.assign(new Error('Please reduce your request rate'), {
      name: 'SlowDown',
      $metadata: { httpStatusCode: 503 },
    });
    mock.on(GetBucketLifecycleConfigurationCommand).rejects(denied);
    mock.on(GetBucketVersioningCommand).rejects(slow);
    const faulty = new S3BucketInspector(client);
    await expect(faulty.lifecycleRules('acme-pg-backups')).rejects.toThrow(
      'bucket acme-pg-backups: walcat may not read the lifecycle configuration (AccessDenied); grant s3:GetLifecycleConfiguration on arn:aws:s3:::acme-pg-backups',
    );
    await expect(faulty.versioning('acme-pg-backups')).rejects.toBeInstanceOf(TransientError);
    const notImplemented = Object.assign(new Error('not implemented'), {
      name: 'NotImplemented',
      $metadata: { httpStatusCode: 501 },
    });
    mock.on(GetBucketLifecycleConfigurationCommand).rejects(notImplemented);
    await expect(faulty.lifecycleRules('acme-pg-backups')).rejects.toBeInstanceOf(BucketConfigurationUnsupportedError);
    mock.restore();
    client.destroy();
  });
});
