/**
 * One S3 object event as the catalog understands it, whatever wire shape carried it (S3 notification, SQS-wrapped,
 * EventBridge). The key is already URL-decoded.
 *
 * `storage-class`: the object stayed but where it is stored changed: a lifecycle transition (`storageClass` is the
 * new class), an Intelligent-Tiering move to an archive tier, or a completed thaw (`thawedUntil`: until when the
 * thawed copy can be read).
 */
export interface ObjectEvent {
  readonly bucket: string;
  readonly key: string;
  readonly kind: 'created' | 'removed' | 'storage-class';
  /** Absent on removals. */
  readonly size?: number;
  /** Without quotes; absent on removals. */
  readonly etag?: string;
  /** Orders events of the same key (sequencer.ts); absent on some event types. */
  readonly sequencer?: string;
  readonly eventTime: Date;
  /** The class as the catalog records it (catalogStorageClass): on `storage-class` events that name one. */
  readonly storageClass?: string;
  /** On `storage-class` events of a thaw. */
  readonly thawedUntil?: Date;
}
