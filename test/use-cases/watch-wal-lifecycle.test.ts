import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LifecycleConflictFinding } from '../../lib/domain/bucket/lifecycle-review.ts';
import { type WatchWalDependencies, watchClusterWal } from '../../lib/use-cases/watch-wal.ts';
import {
  baseBackup,
  CLUSTER,
  catalogHistory,
  clusterConfig,
  type Services,
  type SlackStandIn,
  startServices,
  startSlackThroughSsm,
  walRuleConflict,
} from './continuity-test-setup.ts';

const T0 = new Date('2026-11-21T12:00:00Z');
const minute = (n: number): Date => new Date(T0.getTime() + n * 60_000);

const conflict = walRuleConflict('11 of the 14 monthly and yearly');

describe('watchClusterWal: a lifecycle conflict is a Slack alert, once', () => {
  let services: Services;
  let slack: SlackStandIn;
  let closeSlack: () => Promise<void>;
  const cluster = clusterConfig();
  let findings: () => Promise<readonly LifecycleConflictFinding[]>;
  let deps: WatchWalDependencies;

  beforeAll(async () => {
    let notifier: WatchWalDependencies['notifier'];
    [services, { slack, notifier, close: closeSlack }] = await Promise.all([startServices(), startSlackThroughSsm()]);
    deps = {
      catalog: services.catalog,
      alerts: services.alerts,
      notifier,
      lifecycleFindings: () => findings(),
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
    findings = async () => [conflict];
    const first = await watchClusterWal(deps, cluster, { now: minute(0) });
    expect(first).toMatchObject({ notified: 1, openAlerts: 1 });
    expect(slack.received).toHaveLength(1);
    expect(JSON.stringify(slack.received[0])).toContain('wal-35d');

    await watchClusterWal(deps, cluster, { now: minute(1) });
    expect(slack.received).toHaveLength(1);

    // AccessDenied on the bucket: no answer is not evidence the rule was fixed.
    findings = async () =>
      Promise.reject(new Error('bucket pg-backups: walcat may not read the lifecycle configuration'));
    const blind = await watchClusterWal(deps, cluster, { now: minute(2) });
    expect(blind.lifecycleError).toContain('may not read the lifecycle configuration');
    expect(slack.received).toHaveLength(1);
    expect((await services.alerts.listAlerts(CLUSTER)).map((alert) => [alert.kind, alert.state])).toEqual([
      ['lifecycle-conflict', 'open'],
    ]);

    findings = async () => [];
    const fixed = await watchClusterWal(deps, cluster, { now: minute(3) });
    expect(fixed.notified).toBe(1);
    expect(slack.received).toHaveLength(2);
    expect(slack.received[1]?.text).toContain('resolved');
  });
});
