/**
 * The real retention handler on the sample schedule event, over s3rver + dynalite with a recording notifier: it
 * plans, lets a plan wait for its grace, refuses to apply before a full sync (and says so in Slack), and applies
 * once the catalog is synced.
 */
import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbPlanStore } from '../../lib/adapters/dynamodb/dynamodb-plan-store.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import type { SlackMessage } from '../../lib/domain/continuity/slack-message.ts';
import { createRetentionHandler } from '../../lib/handlers/retention-handler.ts';
import type { NotificationTarget, Notifier } from '../../lib/ports/notifier.ts';
import { type CatalogServices, startCatalogServices } from '../use-cases/catalog-test-setup.ts';
import {
  catalogueFromEvents,
  listBucket,
  retentionTestConfig,
  seedWalgBucket,
} from '../use-cases/retention-test-bucket.ts';

const TABLE = 'walcat-retention-handler';
const HOUR = 3_600_000;
const config = retentionTestConfig(
  TABLE,
  '{ keepDaily: 3, keepWeekly: 2, pitrWindow: 1d, applyGrace: 6h }',
  '{ slackWebhookParameter: /walcat/slack/orders }',
);
const cluster = config.clusters[0] as ClusterConfig;
const sample = JSON.parse(
  readFileSync(new URL('../../events/retention-schedule.json', import.meta.url), 'utf8'),
) as ScheduledEvent;
const at = (ms: number): ScheduledEvent => ({ ...sample, time: new Date(Date.parse(sample.time) + ms).toISOString() });

class RecordingNotifier implements Notifier {
  readonly sent: { target: NotificationTarget; message: SlackMessage }[] = [];
  async send(target: NotificationTarget, message: SlackMessage): Promise<void> {
    this.sent.push({ target, message });
  }
}

let services: CatalogServices;
beforeAll(async () => {
  services = await startCatalogServices(config);
});
afterAll(async () => {
  await services.close();
});

describe('retention handler', () => {
  it('plans, waits for the grace, refuses an unsynced catalog, then applies after a sync', async () => {
    const from = services.s3.events().length;
    await seedWalgBucket(services, 'orders-main');
    const catalog = await catalogueFromEvents(services, config, TABLE, from);
    const plans = new DynamoDbPlanStore({ client: services.ddb.client, tableName: TABLE });
    const notifier = new RecordingNotifier();
    const handler = createRetentionHandler(
      { catalog, objects: services.objects, plans, notifier },
      config,
      new Logger({ serviceName: 'walcat-retention-test', logLevel: 'SILENT' }),
    );
    const context = {} as Context;

    expect(await handler(at(0), context)).toEqual({ clusters: 1, failed: 0 });
    const [first] = await plans.listPlans(cluster.id);
    expect(first).toMatchObject({ status: 'pending', createdAt: new Date(sample.time) });
    expect(notifier.sent).toHaveLength(1);
    expect(notifier.sent[0]?.target).toEqual({ cluster: 'orders-main', slackWebhookParameter: '/walcat/slack/orders' });
    expect(notifier.sent[0]?.message.text).toMatch(
      /^retention plan orders-main-20261121T030000Z-[0-9a-f]{4} for orders-main: keeps 5 backups, deletes 7 backups/,
    );

    // Two hours later the plan still waits for its 6h grace: no new plan that would restart the clock.
    await handler(at(2 * HOUR), context);
    expect((await plans.listPlans(cluster.id)).map((header) => header.status)).toEqual(['pending']);

    // Past the grace, but the catalog was never fully synced: refused, reported, and a fresh plan replaces it.
    const before = await listBucket(services, 'orders-main');
    await handler(at(7 * HOUR), context);
    expect(await listBucket(services, 'orders-main')).toEqual(before);
    expect(notifier.sent[1]?.message.text).toMatch(/not applied: .*run `walcat sync --cluster orders-main`/);
    const afterRefusal = await plans.listPlans(cluster.id);
    expect(afterRefusal.map((header) => header.status)).toEqual(['pending', 'superseded']);

    await catalog.updateClusterState(cluster.id, { lastFullSyncAt: new Date(Date.parse(sample.time) + 8 * HOUR) });
    await handler(at(14 * HOUR), context);
    const applied = await plans.getPlanHeader(cluster.id, afterRefusal[0]?.planId as string);
    expect(applied).toMatchObject({ status: 'applied', failedCount: 0 });
    const after = await listBucket(services, 'orders-main');
    expect(before.size - after.size).toBe(applied?.keyCount);
  });
});
