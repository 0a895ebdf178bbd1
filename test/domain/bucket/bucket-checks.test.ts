import { describe, expect, it } from 'vitest';
import {
  catalogFreshnessCheck,
  encryptionCheck,
  incompleteUploadsCheck,
  notificationCheck,
  versioningCheck,
} from '../../../lib/domain/bucket/bucket-checks.ts';
import type { NotificationTarget } from '../../../lib/domain/bucket/bucket-configuration.ts';
import { NOW, ROOT, rule } from './bucket-fixtures.ts';

const QUEUE = 'arn:aws:sqs:us-east-1:123456789012:walcat-object-events';
const target = (overrides: Partial<NotificationTarget>): NotificationTarget => ({
  kind: 'queue',
  id: 'walcat',
  arn: QUEUE,
  events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'],
  prefix: ROOT,
  suffix: '',
  ...overrides,
});

describe('notificationCheck', () => {
  it.each([
    ['the cluster prefix to the queue', [target({})], false, QUEUE, 'ok'],
    ['the whole bucket to the queue', [target({ prefix: '' })], false, QUEUE, 'ok'],
    ['EventBridge', [], true, QUEUE, 'ok'],
    ['nothing', [], false, QUEUE, 'fail'],
    ['only wal_005/', [target({ prefix: `${ROOT}wal_005/` })], false, QUEUE, 'fail'],
    ['a suffix filter', [target({ suffix: '.lz4' })], false, QUEUE, 'fail'],
    ['another queue', [target({ arn: 'arn:aws:sqs:us-east-1:123456789012:other' })], false, QUEUE, 'fail'],
    ['created events only', [target({ events: ['s3:ObjectCreated:*'] })], false, QUEUE, 'warn'],
    [
      'every created and removed event by name',
      [
        target({
          events: [
            's3:ObjectCreated:Put',
            's3:ObjectCreated:Post',
            's3:ObjectCreated:Copy',
            's3:ObjectCreated:CompleteMultipartUpload',
            's3:ObjectRemoved:Delete',
            's3:ObjectRemoved:DeleteMarkerCreated',
          ],
        }),
      ],
      false,
      QUEUE,
      'ok',
    ],
    ['an SNS topic', [target({ kind: 'topic', arn: 'arn:aws:sns:us-east-1:123456789012:t' })], false, QUEUE, 'warn'],
    ['any queue when walcat does not know its own', [target({ arn: 'arn:aws:sqs:x:1:q' })], false, undefined, 'ok'],
  ] as const)('%s: %s', (_label, targets, eventBridge, queue, status) => {
    const check = notificationCheck({ targets, eventBridge }, ROOT, 'acme-pg-backups', queue);
    expect(check.status).toBe(status);
    expect(check.fix === '').toBe(status === 'ok');
  });
});

describe('versioningCheck', () => {
  it('warns on a versioned bucket without a NoncurrentVersionExpiration rule: bytesFreed would not be freed', () => {
    const check = versioningCheck('enabled', [], ROOT, 'b');
    expect(check.status).toBe('warn');
    expect(check.detail).toContain('only add delete markers');
  });
  it('is ok with a rule on the cluster that expires noncurrent versions, and on an unversioned bucket', () => {
    expect(versioningCheck('enabled', [rule({ id: 'nc', noncurrentVersionExpirationDays: 1 })], ROOT, 'b').status).toBe(
      'ok',
    );
    expect(versioningCheck('unversioned', [], ROOT, 'b').status).toBe('ok');
  });
  it('does not count a noncurrent rule on only part of the cluster', () => {
    const partial = rule({
      id: 'nc',
      filter: { prefix: `${ROOT}wal_005/`, tags: [] },
      noncurrentVersionExpirationDays: 1,
    });
    expect(versioningCheck('suspended', [partial], ROOT, 'b').status).toBe('warn');
  });
});

describe('encryptionCheck', () => {
  const key = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  it.each([
    ['no default encryption', undefined, undefined, 'ok'],
    ['SSE-S3', { algorithm: 'AES256', bucketKeyEnabled: false }, undefined, 'ok'],
    ['the AWS managed key', { algorithm: 'aws:kms', bucketKeyEnabled: false }, undefined, 'ok'],
    ['a customer key, configured', { algorithm: 'aws:kms', kmsKeyId: key, bucketKeyEnabled: true }, key, 'ok'],
    [
      'a customer key id, configured as its ARN',
      { algorithm: 'aws:kms', kmsKeyId: '1234abcd-12ab-34cd-56ef-1234567890ab', bucketKeyEnabled: true },
      key,
      'ok',
    ],
    [
      'a customer key, not configured',
      { algorithm: 'aws:kms', kmsKeyId: key, bucketKeyEnabled: true },
      undefined,
      'fail',
    ],
    [
      'another key configured',
      { algorithm: 'aws:kms', kmsKeyId: key, bucketKeyEnabled: true },
      'arn:aws:kms:us-east-1:123456789012:key/ffff',
      'fail',
    ],
  ] as const)('%s: %s', (_label, encryption, configured, status) => {
    const check = encryptionCheck(encryption, configured, 'b', 'orders-main');
    expect(check.status).toBe(status);
    if (status === 'fail') expect(check.fix).toContain('storage.kmsKeyArn');
  });
});

describe('catalogFreshnessCheck and incompleteUploadsCheck', () => {
  it('fails when never synced, warns when the last sync is old, is ok when recent', () => {
    const hour = 3_600_000;
    expect(catalogFreshnessCheck(undefined, NOW, 13 * hour, 'orders-main')).toMatchObject({
      status: 'fail',
      fix: 'walcat sync --cluster orders-main',
    });
    expect(catalogFreshnessCheck(new Date(NOW.getTime() - 20 * hour), NOW, 13 * hour, 'c').status).toBe('warn');
    expect(catalogFreshnessCheck(new Date(NOW.getTime() - 2 * hour), NOW, 13 * hour, 'c').status).toBe('ok');
  });
  it('wants a rule on the whole cluster that aborts incomplete multipart uploads', () => {
    expect(incompleteUploadsCheck([], ROOT, 'b').status).toBe('warn');
    expect(incompleteUploadsCheck([rule({ id: 'mpu', abortIncompleteMultipartUploadDays: 7 })], ROOT, 'b').status).toBe(
      'ok',
    );
    expect(
      incompleteUploadsCheck([rule({ id: 'mpu', enabled: false, abortIncompleteMultipartUploadDays: 7 })], ROOT, 'b')
        .status,
    ).toBe('warn');
  });
});
