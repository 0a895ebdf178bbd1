import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, ScheduledEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ClusterId } from '../../lib/domain/cluster.ts';
import type { SlackMessage } from '../../lib/domain/continuity/slack-message.ts';
import { createWalWatchHandler } from '../../lib/handlers/wal-watch-handler.ts';
import type { NotificationTarget } from '../../lib/ports/notifier.ts';
import {
  archiveSegments,
  baseBackup,
  CLUSTER,
  catalogBackup,
  clusterConfig,
  type Services,
  startServices,
  WEBHOOK_PARAMETER,
} from '../use-cases/continuity-test-setup.ts';

const event = JSON.parse(
  readFileSync(new URL('../../events/wal-watch-schedule.json', import.meta.url), 'utf8'),
) as ScheduledEvent;
const NOW = new Date(event.time);
const minute = (n: number): Date => new Date(NOW.getTime() + n * 60_000);

describe('wal-watch handler on the sample schedule event', () => {
  let services: Services;
  const sent: SlackMessage[] = [];
  beforeAll(async () => {
    services = await startServices();
    await catalogBackup(services, baseBackup(2, 3, minute(-20)));
    await archiveSegments(services, 1, [1, 2, 3, 4, 6, 7], (segNo) => minute(segNo - 20));
  });
  afterAll(() => services.close());

  it('runs the watchdog at the event time and sends the alerts it opens', async () => {
    const cluster = clusterConfig();
    const handler = createWalWatchHandler(
      {
        catalog: services.catalog,
        alerts: services.alerts,
        notifier: { send: async (_target, message) => void sent.push(message) },
      },
      { catalogTable: 'unused', clusters: [cluster] },
      new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    );
    const result = await handler(event, {} as Context);
    expect(result).toEqual({ clusters: 1, failed: 0 });
    const kinds = (await services.alerts.listAlerts(CLUSTER)).map((alert) => `${alert.kind}:${alert.subject}`).sort();
    expect(kinds).toEqual(['archive-lag:wal-head', 'catalog-stale:catalog', 'wal-gap:000000010000000000000005']);
    expect(sent).toHaveLength(3);
  });
});

describe('wal-watch handler on a queued cluster run', () => {
  it('logs a failed run once (the batch runner does) and reports it for redelivery', async () => {
    const cluster = clusterConfig();
    // Every catalog request fails, as when DynamoDB is unreachable.
    const unreachable = new Proxy(
      {},
      {
        get: (_target, name) =>
          name === 'then'
            ? undefined
            : async () => {
                throw new Error('catalog unreachable');
              },
      },
    );
    const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
    const errors = vi.spyOn(logger, 'error');
    const handler = createWalWatchHandler(
      { catalog: unreachable as never, alerts: unreachable as never, notifier: { send: async () => undefined } },
      { catalogTable: 'unused', clusters: [cluster] },
      logger,
    );
    const record = {
      messageId: 'run-1',
      body: JSON.stringify({ cluster: cluster.id, time: NOW.toISOString() }),
      eventSource: 'aws:sqs',
    } as SQSRecord;
    const result = await handler({ Records: [record] } as never, {} as Context);
    expect(result).toMatchObject({ batchItemFailures: [{ itemIdentifier: 'run-1' }], ran: 0 });
    expect(errors.mock.calls.map(([message]) => message)).toEqual(['wal watch failed']);
  });
});

describe('wal-watch tick after a cluster left the configuration', () => {
  let services: Services;
  beforeAll(async () => {
    services = await startServices();
    await catalogBackup(services, baseBackup(2, 3, minute(-20)));
    await archiveSegments(services, 1, [1, 2, 3, 4, 6, 7], (segNo) => minute(segNo - 20));
  });
  afterAll(() => services.close());

  it('closes its open alerts with one message to the webhook they went to, saying why, and never again', async () => {
    const sent: { target: NotificationTarget; message: SlackMessage }[] = [];
    const deps = {
      catalog: services.catalog,
      alerts: services.alerts,
      notifier: {
        send: async (target: NotificationTarget, message: SlackMessage) => void sent.push({ target, message }),
      },
    };
    const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
    const withCluster = createWalWatchHandler(deps, { catalogTable: 'unused', clusters: [clusterConfig()] }, logger);
    await withCluster(event, {} as Context);
    expect(sent).toHaveLength(3);

    // The cluster is taken out of the configuration; another cluster stays, so the tick still runs.
    const other = { ...clusterConfig(), id: 'billing-main' as ClusterId, alerts: { ...clusterConfig().alerts } };
    const withoutIt = createWalWatchHandler(deps, { catalogTable: 'unused', clusters: [other] }, logger);
    const later = (minutes: number) => ({ ...event, time: minute(minutes).toISOString() });
    await withoutIt(later(1), {} as Context);
    const closing = sent.slice(3).filter((entry) => entry.target.cluster === CLUSTER);
    expect(closing).toHaveLength(1);
    expect(closing[0]?.target.slackWebhookParameter).toBe(WEBHOOK_PARAMETER);
    expect(closing[0]?.message.text).toContain('3 alerts closed');
    expect(closing[0]?.message.text).toContain("no longer in walcat's configuration");
    const stored = await services.alerts.listAlerts(CLUSTER);
    expect(stored.map((alert) => [alert.state, alert.pending])).toEqual([
      ['resolved', undefined],
      ['resolved', undefined],
      ['resolved', undefined],
    ]);
    expect(await services.alerts.clustersWithOpenAlerts()).not.toContain(CLUSTER);

    await withoutIt(later(2), {} as Context);
    expect(sent.slice(3).filter((entry) => entry.target.cluster === CLUSTER)).toHaveLength(1);
  });
});
