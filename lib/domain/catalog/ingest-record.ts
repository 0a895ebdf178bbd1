/**
 * What the catalog ingest takes, as the boundary parsers (S3 notifications, SQS batches, EventBridge events) hand
 * it over: one delivered record per SQS message or notification, with the events it carries and those it could not
 * parse.
 */
import type { ObjectEvent } from './object-event.ts';

/** One delivered record (an SQS message, a notification record) and the events it carries. */
export interface IngestRecord {
  readonly recordId: string;
  readonly events: readonly ObjectEvent[];
  /** Events of the record that could not be parsed (malformed wire data): skipped, never retried. */
  readonly malformed?: readonly SkippedEvent[];
}

export interface SkippedEvent {
  readonly key: string;
  readonly reason: string;
}
