/**
 * The ingest function's SQS event source gathers events long enough to fill batches at real WAL rates (1-100
 * segments a minute), and short enough that every event is in the catalog within the watchdog's minute; the queue's
 * visibility timeout follows AWS's rule for a Lambda event source (six function timeouts plus the window).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import { eventSources } from '../../lib/deploy/serverless-model.ts';

const root = join(import.meta.dirname, '..', '..');
const serverless = parse(readFileSync(join(root, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as {
  functions: Record<string, { timeout?: number }>;
  resources: ({ Resources?: Record<string, { Properties: Record<string, unknown> }> } | string)[];
};
const config = parseWalcatConfig(
  'clusters:\n  - id: orders-main\n    storage: s3://acme-pg-backups/orders-main\n    retention: { keepLast: 2, pitrWindow: 7d }\n',
  'test',
);
const sqs = (eventSources(config).catalogIngest as { sqs?: Record<string, number | string> }[]).find(
  (event) => event.sqs !== undefined,
)?.sqs as { batchSize: number; maximumBatchingWindow: number };

/** The watchdog runs every minute; the poller and the writes need some seconds of it. */
const WATCHDOG_SECONDS = 60;
const WRITE_SECONDS = 10;

describe('ingest batching', () => {
  it('waits for most of a minute, so one segment a minute per cluster still batches across a fleet', () => {
    expect(sqs.maximumBatchingWindow).toBeGreaterThanOrEqual(30);
    expect(sqs.maximumBatchingWindow + WRITE_SECONDS).toBeLessThanOrEqual(WATCHDOG_SECONDS);
  });

  it('takes every event 100 segments a minute bring in the window, and full 1,000-event batches', () => {
    expect(sqs.batchSize).toBeGreaterThanOrEqual(Math.ceil((100 * sqs.maximumBatchingWindow) / 60));
    expect(sqs.batchSize).toBe(1000);
  });

  it('keeps a message invisible for six function timeouts plus the window', () => {
    const timeout = serverless.functions.catalogIngest?.timeout ?? 6;
    const queue = serverless.resources
      .flatMap((part) => (typeof part === 'string' ? [] : Object.entries(part.Resources ?? {})))
      .find(([name]) => name === 'ObjectEventsQueue')?.[1];
    const visibility = queue?.Properties.VisibilityTimeout as number;
    expect(visibility).toBeGreaterThanOrEqual(6 * timeout + sqs.maximumBatchingWindow);
  });
});
