import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  parseIngestInvocation,
  parseObjectEventDocument,
} from '../../../lib/adapters/events/s3-notification-events.ts';

const sample = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../../events/${name}`, import.meta.url), 'utf8'));

const s3Record = (key: string, extra: Record<string, unknown> = {}) => ({
  eventSource: 'aws:s3',
  eventName: 'ObjectCreated:Put',
  eventTime: '2026-11-20T12:00:00.000Z',
  s3: { bucket: { name: 'b' }, object: { key, size: 5, eTag: '"abc"', sequencer: '0055AED6DCD90281E5', ...extra } },
});

describe('parseObjectEventDocument', () => {
  it.each([
    ['orders+main/wal_005/x', 'orders main/wal_005/x'],
    ['a%2Bb/k', 'a+b/k'],
    ['caf%C3%A9/%E2%9C%93', 'café/✓'],
    ['plain/key.br', 'plain/key.br'],
  ])('decodes the URL-encoded S3 key %s', (encoded, decoded) => {
    expect(parseObjectEventDocument({ Records: [s3Record(encoded)] }).events[0]?.key).toBe(decoded);
  });

  it('maps created and removed events, strips ETag quotes, keeps the sequencer', () => {
    const removed = { ...s3Record('k'), eventName: 'ObjectRemoved:Delete' };
    const { events } = parseObjectEventDocument({ Records: [s3Record('k'), removed] });
    expect(events).toEqual([
      {
        bucket: 'b',
        key: 'k',
        kind: 'created',
        size: 5,
        etag: 'abc',
        sequencer: '0055AED6DCD90281E5',
        eventTime: new Date('2026-11-20T12:00:00Z'),
      },
      {
        bucket: 'b',
        key: 'k',
        kind: 'removed',
        sequencer: '0055AED6DCD90281E5',
        eventTime: new Date('2026-11-20T12:00:00Z'),
      },
    ]);
  });

  it('reports malformed records with the key and the reason, and keeps the good ones', () => {
    const parsed = parseObjectEventDocument({
      Records: [
        s3Record('good'),
        { ...s3Record('no-time'), eventTime: 'yesterday' },
        s3Record('bad%G1escape'),
        { ...s3Record('tagging'), eventName: 'ObjectTagging:Put' },
        s3Record('bad-sequencer', { sequencer: 'xyz' }),
        'not an object',
      ],
    });
    expect(parsed.events.map((e) => e.key)).toEqual(['good']);
    expect(parsed.malformed.map((m) => m.key)).toEqual([
      'no-time',
      'bad%G1escape',
      'tagging',
      'bad-sequencer',
      '(no key)',
    ]);
    expect(parsed.malformed[1]?.reason).toContain('not valid URL encoding');
  });

  it('accepts the S3 test event as no events', () => {
    expect(
      parseObjectEventDocument({
        Service: 'Amazon S3',
        Event: 's3:TestEvent',
        Time: '2014-10-13T15:57:02.089Z',
        Bucket: 'b',
      }),
    ).toEqual({ events: [], malformed: [] });
  });

  it('reads EventBridge keys as plain keys (no URL decoding)', () => {
    const created = sample('eventbridge-object-created.json') as { detail: { object: { key: string } } };
    created.detail.object.key = 'orders main/a+b.br';
    expect(parseObjectEventDocument(created).events[0]).toMatchObject({ key: 'orders main/a+b.br', kind: 'created' });
    expect(parseObjectEventDocument(sample('eventbridge-object-deleted.json')).events[0]).toMatchObject({
      kind: 'removed',
      sequencer: '00617F0837B73DA6C9',
    });
  });
});

describe('parseIngestInvocation', () => {
  it('keeps one record per SQS message, a non-JSON body being a malformed record of its own', () => {
    const batch = sample('s3-sqs-batch.json') as { Records: { messageId: string; body: string }[] };
    batch.Records.push({
      ...(batch.Records[0] as { messageId: string; body: string }),
      messageId: 'broken',
      body: '{',
    });
    const records = parseIngestInvocation(batch);
    expect(records.map((r) => r.recordId)).toEqual(batch.Records.map((r) => r.messageId));
    expect(records.at(-1)).toMatchObject({ events: [], malformed: [{ reason: 'message broken body is not JSON' }] });
    expect(records.slice(0, -1).every((r) => r.events.length === 1)).toBe(true);
  });

  it('treats an unknown document as one malformed record', () => {
    expect(parseIngestInvocation({ hello: 'world' })).toEqual([
      { recordId: 'direct', events: [], malformed: [{ key: '(unknown)', reason: expect.stringContaining('neither') }] },
    ]);
  });
});

describe('removals S3 makes on its own, and notifications fanned out through SNS', () => {
  it.each([
    'LifecycleExpiration:Delete',
    'LifecycleExpiration:DeleteMarkerCreated',
    's3:LifecycleExpiration:Delete',
    'ObjectRemoved:DeleteMarkerCreated',
  ])('reads %s as a removal, not as a malformed record', (eventName) => {
    const parsed = parseObjectEventDocument({ Records: [{ ...s3Record('orders-main/wal_005/x.br'), eventName }] });
    expect(parsed.malformed).toEqual([]);
    expect(parsed.events).toEqual([
      expect.objectContaining({ key: 'orders-main/wal_005/x.br', kind: 'removed', bucket: 'b' }),
    ]);
    expect(parsed.events[0] ?? {}).not.toHaveProperty('size');
  });

  it('reads a lifecycle transition as a storage-class change carrying the destination class', () => {
    const parsed = parseObjectEventDocument({
      Records: [
        {
          ...s3Record('k'),
          eventVersion: '2.3',
          eventName: 'LifecycleTransition',
          lifecycleEventData: { transitionEventData: { destinationStorageClass: 'DEEP_ARCHIVE' } },
        },
      ],
    });
    expect(parsed.malformed).toEqual([]);
    expect(parsed.events).toEqual([
      expect.objectContaining({ key: 'k', kind: 'storage-class', storageClass: 'DEEP_ARCHIVE' }),
    ]);
    expect(parsed.events[0] ?? {}).not.toHaveProperty('size');
  });

  it('reads ObjectRestore:Completed with the thawed copy expiry and passes over :Post and :Delete', () => {
    const parsed = parseObjectEventDocument({
      Records: [
        {
          ...s3Record('k'),
          eventName: 'ObjectRestore:Completed',
          glacierEventData: {
            restoreEventData: {
              lifecycleRestorationExpiryTime: '2026-11-23T00:00:00.000Z',
              lifecycleRestoreStorageClass: 'GLACIER',
            },
          },
        },
        { ...s3Record('k'), eventName: 'ObjectRestore:Post' },
        { ...s3Record('k'), eventName: 's3:ObjectRestore:Delete', eventTime: '2026-11-23T00:00:01.000Z' },
        {
          ...s3Record('k'),
          eventName: 'IntelligentTiering',
          intelligentTieringEventData: { destinationAccessTier: 'ARCHIVE_ACCESS' },
        },
      ],
    });
    expect(parsed.malformed).toEqual([]);
    expect(parsed.events).toEqual([
      expect.objectContaining({
        kind: 'storage-class',
        storageClass: 'GLACIER',
        thawedUntil: new Date('2026-11-23T00:00:00Z'),
      }),
      expect.objectContaining({ kind: 'storage-class', storageClass: 'INTELLIGENT_TIERING/ARCHIVE_ACCESS' }),
    ]);
  });

  it('reads the EventBridge storage-class and restore detail types', () => {
    const bridge = (detailType: string, extra: Record<string, unknown>) => ({
      source: 'aws.s3',
      'detail-type': detailType,
      time: '2026-11-20T12:00:00Z',
      detail: { bucket: { name: 'b' }, object: { key: 'k' }, ...extra },
    });
    const events = [
      bridge('Object Storage Class Changed', { 'destination-storage-class': 'GLACIER' }),
      bridge('Object Restore Completed', {
        'restore-expiry-time': '2026-11-22T12:00:00Z',
        'source-storage-class': 'GLACIER',
      }),
      bridge('Object Restore Initiated', {}),
      bridge('Object Access Tier Changed', { 'destination-access-tier': 'DEEP_ARCHIVE_ACCESS' }),
    ].flatMap((event) => parseObjectEventDocument(event).events);
    expect(events.map((e) => [e.kind, e.storageClass, e.thawedUntil?.toISOString()])).toEqual([
      ['storage-class', 'GLACIER', undefined],
      ['storage-class', 'GLACIER', '2026-11-22T12:00:00.000Z'],
      ['storage-class', 'INTELLIGENT_TIERING/DEEP_ARCHIVE_ACCESS', undefined],
    ]);
  });

  const snsEnvelope = (message: unknown) => ({
    Type: 'Notification',
    MessageId: '8f3a1c2e-0b5d-4c8e-9a41-3b2f6e7d9c10',
    TopicArn: 'arn:aws:sns:eu-west-1:123456789012:acme-pg-backups-events',
    Subject: 'Amazon S3 Notification',
    Message: typeof message === 'string' ? message : JSON.stringify(message),
    Timestamp: '2026-11-21T10:43:47.600Z',
    SignatureVersion: '1',
  });

  it('unwraps the SNS envelope of an SQS message (S3 → SNS → SQS without raw delivery)', () => {
    const notification = sample('s3-notification.json');
    const records = parseIngestInvocation({
      Records: [
        { messageId: 'm-1', eventSource: 'aws:sqs', body: JSON.stringify(snsEnvelope(notification)) },
        { messageId: 'm-2', eventSource: 'aws:sqs', body: JSON.stringify(snsEnvelope('{not json')) },
        {
          messageId: 'm-3',
          eventSource: 'aws:sqs',
          body: JSON.stringify(snsEnvelope({ Event: 's3:TestEvent', Service: 'Amazon S3' })),
        },
      ],
    });
    expect(records[0]).toMatchObject({
      recordId: 'm-1',
      malformed: [],
      events: [{ bucket: 'acme-pg-backups', key: 'orders-main/wal_005/000000010000000000000001.br', kind: 'created' }],
    });
    expect(records[1]?.events).toEqual([]);
    expect(String(records[1]?.malformed?.[0]?.reason)).toMatch(/SNS message .*not JSON/);
    expect(records[2]).toEqual({ recordId: 'm-3', events: [], malformed: [] });
  });

  it('unwraps an SNS notification delivered straight to the function', () => {
    const notification = sample('s3-notification.json');
    const records = parseIngestInvocation({
      Records: [{ EventSource: 'aws:sns', EventVersion: '1.0', Sns: snsEnvelope(notification) }],
    });
    expect(records).toHaveLength(1);
    expect(records[0]?.events.map((e) => e.key)).toEqual(['orders-main/wal_005/000000010000000000000001.br']);
  });
});
