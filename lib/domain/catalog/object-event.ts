/**
 * One S3 object event as the catalog understands it, whatever wire shape carried it (S3 notification, SQS-wrapped,
 * EventBridge). The key is already URL-decoded.
 */
export interface ObjectEvent {
  readonly bucket: string;
  readonly key: string;
  readonly kind: 'created' | 'removed';
  /** Absent on removals. */
  readonly size?: number;
  /** Without quotes; absent on removals. */
  readonly etag?: string;
  /** Orders events of the same key (sequencer.ts); absent on some event types. */
  readonly sequencer?: string;
  readonly eventTime: Date;
}
