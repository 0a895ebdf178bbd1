/**
 * The local stand-in for the S3 → SQS → catalog-ingest path: s3rver's real object notifications are collected for
 * a moment (a backup-push writes a burst of objects) and handed to the same parser and ingest use case the Lambda
 * runs. Records that hit a transient failure are retried on the next batch, as SQS would redeliver them.
 */
import { parseObjectEventDocument } from '../adapters/events/s3-notification-events.ts';
import type { ObjectEvent } from '../domain/catalog/object-event.ts';
import { SENTINEL_SUFFIX } from '../domain/layout/wal-g-layout.ts';
import { type IngestDependencies, type IngestRecord, ingestObjectEvents } from '../use-cases/ingest-object-events.ts';

export interface LocalEventIngest {
  /** Takes one s3rver notification (S3 notification JSON). */
  accept(notification: unknown): void;
  /** Events ingested so far. */
  readonly ingested: () => number;
  /** Ingests what is queued now and waits for it. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

const BATCH_DELAY_MS = 200;
const MAX_ATTEMPTS = 5;

export function startLocalEventIngest(deps: IngestDependencies, print: (line: string) => void): LocalEventIngest {
  let queue: { record: IngestRecord; attempts: number }[] = [];
  let sequence = 0;
  let ingested = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  const noteworthy = (events: readonly ObjectEvent[]) => {
    for (const event of events) {
      if (!event.key.endsWith(SENTINEL_SUFFIX)) continue;
      const name = event.key.slice(event.key.lastIndexOf('/') + 1, -SENTINEL_SUFFIX.length);
      print(`[catalog] backup ${name} ${event.kind === 'created' ? 'catalogued from its sentinel' : 'removed'}`);
    }
  };

  const drain = async () => {
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    const outcome = await ingestObjectEvents(
      deps,
      batch.map((entry) => entry.record),
    ).catch((error: unknown) => ({
      ingested: 0,
      skipped: [],
      failedRecordIds: batch.map((entry) => entry.record.recordId),
      transientErrors: [{ recordId: 'all', error }],
    }));
    ingested += outcome.ingested;
    const failed = new Set(outcome.failedRecordIds);
    for (const entry of batch) {
      if (!failed.has(entry.record.recordId)) noteworthy(entry.record.events);
      else if (entry.attempts + 1 < MAX_ATTEMPTS) queue.push({ record: entry.record, attempts: entry.attempts + 1 });
      else print(`[catalog] gave up on ${entry.record.events.map((e) => e.key).join(', ')}; the next sync heals it`);
    }
    for (const skipped of outcome.skipped) print(`[catalog] skipped ${skipped.key}: ${skipped.reason}`);
    if (queue.length > 0) schedule();
  };

  const schedule = () => {
    if (timer !== undefined || stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      running = running.then(drain);
    }, BATCH_DELAY_MS);
  };

  return {
    accept(notification) {
      if (stopped) return;
      const parsed = parseObjectEventDocument(notification);
      const record: IngestRecord = {
        recordId: `local-${++sequence}`,
        events: parsed.events,
        ...(parsed.malformed.length > 0 ? { malformed: parsed.malformed } : {}),
      };
      queue.push({ record, attempts: 0 });
      schedule();
    },
    ingested: () => ingested,
    async flush() {
      if (timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
      }
      running = running.then(drain);
      await running;
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await running;
    },
  };
}
