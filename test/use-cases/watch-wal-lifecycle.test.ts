import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WatchWalDependencies, watchClusterWal } from '../../lib/use-cases/watch-wal.ts';
import {
  baseBackup,
  CLUSTER,
  catalogHistory,
  clusterConfig,
  expiredRule,
  type Services,
  type SlackStandIn,
  startServices,
  startSlackThroughSsm,
  storeBucketRules,
} from './continuity-test-setup.ts';

const T0 = new Date('2026-11-21T12:00:00Z');
const minute = (n: number): Date => new Date(T0.getTime() + n * 60_000);

describe('watchClusterWal: a lifecycle conflict in the stored bucket digest is a Slack alert, once', () => {
  let services: Services;
  let slack: SlackStandIn;
  let closeSlack: () => Promise<void>;
  const cluster = clusterConfig();
  let deps: WatchWalDependencies;

  beforeAll(async () => {
    let notifier: WatchWalDependencies['notifier'];
    [services, { slack, notifier, close: closeSlack }] = await Promise.all([startServices(), startSlackThroughSsm()]);
    deps = {
      catalog: services.catalog,
      alerts: services.alerts,
      notifier,
    };
    await services.catalog.updateClusterState(CLUSTER, { lastFullSyncAt: T0 });
    // A whole chain, so the only alert is the lifecycle one.
    await catalogHistory(services, {
      backups: [baseBackup(2, 3, minute(-37))],
      through: 40,
      uploadedAt: (segNo) => minute(segNo - 41),
    });
  });

  afterAll(async () => {
    await Promise.all([services.close(), closeSlack()]);
  });

  it('opens once, survives a run that cannot read the bucket, and resolves once when the rule is fixed', async () => {
    await storeBucketRules(services, [expiredRule('expire-all')], minute(-1));
    const first = await watchClusterWal(deps, cluster, { now: minute(0) });
    expect(first).toMatchObject({ notified: 1, openAlerts: 1 });
    expect(slack.received).toHaveLength(1);
    expect(JSON.stringify(slack.received[0])).toContain('expire-all');

    await watchClusterWal(deps, cluster, { now: minute(1) });
    expect(slack.received).toHaveLength(1);

    // The next sync got AccessDenied on the bucket: no answer is not evidence the rule was fixed.
    await storeBucketRules(
      services,
      { kind: 'unreadable', message: 'bucket pg-backups: walcat may not read the lifecycle configuration' },
      minute(2),
    );
    const blind = await watchClusterWal(deps, cluster, { now: minute(2) });
    expect(blind.lifecycleError).toContain('may not read the lifecycle configuration');
    expect(slack.received).toHaveLength(1);
    expect((await services.alerts.listAlerts(CLUSTER)).map((alert) => [alert.kind, alert.state])).toEqual([
      ['lifecycle-conflict', 'open'],
    ]);

    await storeBucketRules(services, [], minute(3));
    const fixed = await watchClusterWal(deps, cluster, { now: minute(3) });
    expect(fixed.notified).toBe(1);
    expect(slack.received).toHaveLength(2);
    expect(slack.received[1]?.text).toContain('resolved');
  });
});
