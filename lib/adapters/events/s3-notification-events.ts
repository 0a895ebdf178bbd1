/**
 * The wire shapes that carry S3 object events to walcat, parsed at the boundary into ObjectEvents:
 * - an S3 event notification (`{ Records: [{ eventSource: 'aws:s3', s3: {...} }] }`), keys URL-encoded with `+`
 *   for a space, as S3 sends to Lambda, SNS and SQS; also the `s3:TestEvent` S3 sends when a notification is set up;
 * - an SQS batch whose message bodies are such notifications (or EventBridge events routed to SQS);
 * - an EventBridge `Object Created` / `Object Deleted` event (`detail.object.key` is the plain key there);
 * - any of these wrapped in an SNS notification (`{ Type: 'Notification', Message: '<JSON>' }` in an SQS body when
 *   raw message delivery is off, or `{ Records: [{ EventSource: 'aws:sns', Sns: {...} }] }` delivered directly), the
 *   usual fan-out when a bucket already notifies someone else: S3 allows one destination per event type and prefix.
 * A lifecycle expiration (`LifecycleExpiration:Delete`, `:DeleteMarkerCreated`) is a removal like any other. A
 * lifecycle transition, an Intelligent-Tiering move and a completed thaw (`ObjectRestore:Completed`, with the expiry
 * of the thawed copy) change where an object is stored (`storage-class`); a thaw being started or its copy expiring
 * (`ObjectRestore:Post`, `:Delete`) tells nothing new and is passed over.
 * A record that does not parse is returned as malformed with the reason; it never fails the others.
 */
import * as z from 'zod';
import { catalogStorageClass } from '../../domain/bucket/storage-class.ts';
import type { IngestRecord, SkippedEvent } from '../../domain/catalog/ingest-record.ts';
import type { ObjectEvent } from '../../domain/catalog/object-event.ts';
import { decodeS3EventKey } from '../../domain/layout/s3-event-key.ts';

const s3RecordSchema = z.object({
  eventSource: z.literal('aws:s3'),
  eventName: z.string(),
  eventTime: z.iso.datetime({ offset: true }),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      eTag: z.string().optional(),
      sequencer: z
        .string()
        .regex(/^[0-9A-Fa-f]+$/)
        .optional(),
    }),
  }),
  // Event structure 2.2/2.3: what a restore, a transition or an Intelligent-Tiering move did.
  glacierEventData: z
    .object({
      restoreEventData: z
        .object({
          lifecycleRestorationExpiryTime: z.iso.datetime({ offset: true }).optional(),
          lifecycleRestoreStorageClass: z.string().optional(),
        })
        .optional(),
    })
    .optional(),
  lifecycleEventData: z
    .object({ transitionEventData: z.object({ destinationStorageClass: z.string() }).optional() })
    .optional(),
  intelligentTieringEventData: z.object({ destinationAccessTier: z.string() }).optional(),
});

const s3NotificationSchema = z.object({ Records: z.array(z.unknown()) });
const s3TestEventSchema = z.object({ Event: z.literal('s3:TestEvent') });

const eventBridgeSchema = z.object({
  source: z.literal('aws.s3'),
  'detail-type': z.string(),
  time: z.iso.datetime({ offset: true }),
  detail: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    'destination-storage-class': z.string().optional(),
    'destination-access-tier': z.string().optional(),
    'restore-expiry-time': z.iso.datetime({ offset: true }).optional(),
    'source-storage-class': z.string().optional(),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      etag: z.string().optional(),
      sequencer: z
        .string()
        .regex(/^[0-9A-Fa-f]+$/)
        .optional(),
    }),
  }),
});

const snsEnvelopeSchema = z.object({ Type: z.literal('Notification'), Message: z.string() });
const snsInvocationSchema = z.object({
  Records: z.array(z.object({ EventSource: z.literal('aws:sns'), Sns: snsEnvelopeSchema })).min(1),
});

const sqsBatchSchema = z.object({
  Records: z.array(z.object({ messageId: z.string(), eventSource: z.literal('aws:sqs'), body: z.string() })),
});

interface Parsed {
  readonly events: ObjectEvent[];
  readonly malformed: SkippedEvent[];
}

const unquote = (etag: string | undefined): string | undefined => etag?.replaceAll('"', '');
const describeIssue = (error: z.ZodError): string =>
  error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');

function kindOfS3EventName(eventName: string): ObjectEvent['kind'] | 'no-change' | undefined {
  const name = eventName.replace(/^s3:/, '');
  if (name.startsWith('ObjectCreated:')) return 'created';
  if (name.startsWith('ObjectRemoved:')) return 'removed';
  // Objects a lifecycle rule expired are gone (or hidden behind a delete marker) exactly as if deleted.
  if (name === 'LifecycleExpiration:Delete' || name === 'LifecycleExpiration:DeleteMarkerCreated') return 'removed';
  if (name === 'LifecycleTransition' || name === 'IntelligentTiering') return 'storage-class';
  if (name === 'ObjectRestore:Completed') return 'storage-class';
  // A thaw was asked for (nothing is readable yet; its Completed event says when it is), or a thawed copy expired
  // (at the expiry the Completed event already announced).
  if (name === 'ObjectRestore:Post' || name === 'ObjectRestore:Delete') return 'no-change';
  return undefined;
}

type S3Record = z.infer<typeof s3RecordSchema>;

/** The class and thaw a storage-class notification reports, as the catalog records them. */
function storageOfS3Record(record: S3Record): Pick<ObjectEvent, 'storageClass' | 'thawedUntil'> {
  const name = record.eventName.replace(/^s3:/, '');
  if (name === 'LifecycleTransition') {
    const storageClass = catalogStorageClass(record.lifecycleEventData?.transitionEventData?.destinationStorageClass);
    return storageClass === undefined ? {} : { storageClass };
  }
  if (name === 'IntelligentTiering') {
    const tier = record.intelligentTieringEventData?.destinationAccessTier;
    const storageClass = catalogStorageClass('INTELLIGENT_TIERING', tier);
    return storageClass === undefined ? {} : { storageClass };
  }
  const restore = record.glacierEventData?.restoreEventData;
  const expiry = restore?.lifecycleRestorationExpiryTime;
  const storageClass = catalogStorageClass(restore?.lifecycleRestoreStorageClass);
  return {
    ...(expiry === undefined ? {} : { thawedUntil: new Date(expiry) }),
    ...(storageClass === undefined ? {} : { storageClass }),
  };
}

function parseS3Record(raw: unknown): Parsed {
  const parsed = s3RecordSchema.safeParse(raw);
  const rawKey = (raw as { s3?: { object?: { key?: unknown } } } | null)?.s3?.object?.key;
  const label = typeof rawKey === 'string' ? rawKey : '(no key)';
  if (!parsed.success)
    return {
      events: [],
      malformed: [{ key: label, reason: `malformed S3 event record: ${describeIssue(parsed.error)}` }],
    };
  const record = parsed.data;
  const kind = kindOfS3EventName(record.eventName);
  if (kind === 'no-change') return { events: [], malformed: [] };
  if (kind === undefined) {
    return {
      events: [],
      malformed: [{ key: label, reason: `event ${record.eventName} does not create or remove an object` }],
    };
  }
  let key: string;
  try {
    key = decodeS3EventKey(record.s3.object.key);
  } catch (error) {
    return { events: [], malformed: [{ key: label, reason: (error as Error).message }] };
  }
  const { size, eTag, sequencer } = record.s3.object;
  return {
    events: [
      {
        bucket: record.s3.bucket.name,
        key,
        kind,
        eventTime: new Date(record.eventTime),
        ...(kind === 'created' && size !== undefined ? { size } : {}),
        ...(kind === 'created' && eTag !== undefined ? { etag: unquote(eTag) } : {}),
        ...(sequencer === undefined ? {} : { sequencer }),
        ...(kind === 'storage-class' ? storageOfS3Record(record) : {}),
      },
    ],
    malformed: [],
  };
}

type EventBridgeS3Event = z.infer<typeof eventBridgeSchema>;

/** EventBridge detail types of S3 that change where an object is stored, and what each reports. */
function storageOfEventBridge(
  event: EventBridgeS3Event,
): Pick<ObjectEvent, 'storageClass' | 'thawedUntil'> | 'no-change' | undefined {
  const detail = event.detail;
  switch (event['detail-type']) {
    case 'Object Storage Class Changed': {
      const storageClass = catalogStorageClass(detail['destination-storage-class']);
      return storageClass === undefined ? {} : { storageClass };
    }
    case 'Object Access Tier Changed': {
      const storageClass = catalogStorageClass('INTELLIGENT_TIERING', detail['destination-access-tier']);
      return storageClass === undefined ? {} : { storageClass };
    }
    case 'Object Restore Completed': {
      const expiry = detail['restore-expiry-time'];
      const storageClass = catalogStorageClass(detail['source-storage-class']);
      return {
        ...(expiry === undefined ? {} : { thawedUntil: new Date(expiry) }),
        ...(storageClass === undefined ? {} : { storageClass }),
      };
    }
    case 'Object Restore Expired':
    case 'Object Restore Initiated':
      return 'no-change';
    default:
      return undefined;
  }
}

function parseEventBridge(raw: unknown): Parsed {
  const parsed = eventBridgeSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      events: [],
      malformed: [
        { key: '(EventBridge event)', reason: `malformed EventBridge S3 event: ${describeIssue(parsed.error)}` },
      ],
    };
  }
  const event = parsed.data;
  const kind =
    event['detail-type'] === 'Object Created'
      ? 'created'
      : event['detail-type'] === 'Object Deleted'
        ? 'removed'
        : undefined;
  const storage = kind === undefined ? storageOfEventBridge(event) : undefined;
  if (storage === 'no-change') return { events: [], malformed: [] };
  if (storage !== undefined) {
    return {
      events: [
        {
          bucket: event.detail.bucket.name,
          key: event.detail.object.key,
          kind: 'storage-class',
          eventTime: new Date(event.time),
          ...storage,
        },
      ],
      malformed: [],
    };
  }
  if (kind === undefined) {
    return {
      events: [],
      malformed: [
        {
          key: event.detail.object.key,
          reason: `EventBridge ${event['detail-type']} does not create or remove an object`,
        },
      ],
    };
  }
  const { key, size, etag, sequencer } = event.detail.object;
  return {
    events: [
      {
        bucket: event.detail.bucket.name,
        key,
        kind,
        eventTime: new Date(event.time),
        ...(kind === 'created' && size !== undefined ? { size } : {}),
        ...(kind === 'created' && etag !== undefined ? { etag: unquote(etag) } : {}),
        ...(sequencer === undefined ? {} : { sequencer }),
      },
    ],
    malformed: [],
  };
}

/** One S3 notification document, an S3 test event, or one EventBridge event, bare or in an SNS envelope. */
export function parseObjectEventDocument(document: unknown): Parsed {
  const envelope = snsEnvelopeSchema.safeParse(document);
  if (envelope.success) return parseSnsMessage(envelope.data.Message);
  if (s3TestEventSchema.safeParse(document).success) return { events: [], malformed: [] };
  if ((document as { source?: unknown } | null)?.source === 'aws.s3') return parseEventBridge(document);
  const notification = s3NotificationSchema.safeParse(document);
  if (!notification.success) {
    return {
      events: [],
      malformed: [
        { key: '(unknown)', reason: 'neither an S3 notification, an S3 test event nor an EventBridge S3 event' },
      ],
    };
  }
  const results = notification.data.Records.map(parseS3Record);
  return { events: results.flatMap((r) => r.events), malformed: results.flatMap((r) => r.malformed) };
}

function parseSnsMessage(message: string): Parsed {
  let inner: unknown;
  try {
    inner = JSON.parse(message);
  } catch {
    return {
      events: [],
      malformed: [
        { key: '(SNS message)', reason: 'SNS message is not JSON; subscribe the queue to S3 notifications only' },
      ],
    };
  }
  // A message is never an envelope again: SNS does not wrap twice, and recursion on input is not bounded otherwise.
  if (snsEnvelopeSchema.safeParse(inner).success) {
    return { events: [], malformed: [{ key: '(SNS message)', reason: 'SNS message wraps another SNS message' }] };
  }
  return parseObjectEventDocument(inner);
}

/**
 * The records of a Lambda invocation: one per SQS message (so failures map to `batchItemFailures`), or a single
 * record for a direct S3 notification or EventBridge event.
 */
export function parseIngestInvocation(event: unknown): IngestRecord[] {
  const sqs = sqsBatchSchema.safeParse(event);
  if (sqs.success) {
    return sqs.data.Records.map((message) => {
      let body: unknown;
      try {
        body = JSON.parse(message.body);
      } catch {
        return {
          recordId: message.messageId,
          events: [],
          malformed: [{ key: '(SQS message)', reason: `message ${message.messageId} body is not JSON` }],
        };
      }
      const parsed = parseObjectEventDocument(body);
      return { recordId: message.messageId, events: parsed.events, malformed: parsed.malformed };
    });
  }
  const sns = snsInvocationSchema.safeParse(event);
  if (sns.success) {
    return sns.data.Records.map((record, index) => {
      const parsed = parseSnsMessage(record.Sns.Message);
      return { recordId: `sns-${index}`, events: parsed.events, malformed: parsed.malformed };
    });
  }
  const parsed = parseObjectEventDocument(event);
  return [{ recordId: 'direct', events: parsed.events, malformed: parsed.malformed }];
}
