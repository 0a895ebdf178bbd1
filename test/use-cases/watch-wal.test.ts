import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogStore } from '../../lib/ports/catalog-store.ts';
import { type WatchWalDependencies, watchClusterWal } from '../../lib/use-cases/watch-wal.ts';
import {
  archiveSegments,
  baseBackup,
  CLUSTER,
  catalogHistory,
  clusterConfig,
  type Services,
  type SlackStandIn,
  startServices,
  startSlackThroughSsm,
} from './continuity-test-setup.ts';

const T0 = new Date('2026-11-21T12:00:00Z');
const minute = (n: number): Date => new Date(T0.getTime() + n * 60_000);

/** Counts WAL items the catalog hands out, to show each run reads only what is new. */
function countingCatalog(inner: CatalogStore): { catalog: CatalogStore; walItems: () => number } {
  let walItems = 0;
  const catalog: CatalogStore = {
    ensureTable: () => inner.ensureTable(),
    applyWalChanges: (changes) => inner.applyWalChanges(changes),
    applyBackupChanges: (changes) => inner.applyBackupChanges(changes),
    listBackups: (cluster) => inner.listBackups(cluster),
    getBackup: (cluster, name) => inner.getBackup(cluster, name),
    listTimelines: (cluster) => inner.listTimelines(cluster),
    latestWalObject: (cluster, timeline) => inner.latestWalObject(cluster, timeline),
    listHistoryFiles: (cluster) => inner.listHistoryFiles(cluster),
    async *listWalObjects(...args) {
      for await (const record of inner.listWalObjects(...args)) {
        walItems++;
        yield record;
      }
    },
    async *listWalChanges(cluster, since) {
      for await (const change of inner.listWalChanges?.(cluster, since) ?? []) {
        walItems++;
        yield change;
      }
    },
    changeStamp: () => inner.changeStamp?.() ?? new Date().toISOString(),
    getClusterState: (cluster) => inner.getClusterState(cluster),
    updateClusterState: (cluster, update, expectedVersion) =>
      inner.updateClusterState(cluster, update, expectedVersion),
  };
  return { catalog, walItems: () => walItems };
}

/** The catalog writers' clock (it stamps the change index): ten minutes a step, so each run sees one step's writes. */
let writerClock = T0;

describe('watchClusterWal against dynalite and a local Slack stand-in', () => {
  let services: Services;
  let slack: SlackStandIn;
  let closeSlack: () => Promise<void>;
  let ssm: AwsClientStub<SSMClient>;
  let deps: WatchWalDependencies;
  let walItems: () => number;
  const cluster = clusterConfig();

  beforeAll(async () => {
    let notifier: WatchWalDependencies['notifier'];
    [services, { slack, notifier, ssm, close: closeSlack }] = await Promise.all([
      startServices(undefined, { now: () => writerClock }),
      startSlackThroughSsm(),
    ]);
    const counted = countingCatalog(services.catalog);
    walItems = counted.walItems;
    deps = { catalog: counted.catalog, alerts: services.alerts, notifier };
    await deps.catalog.updateClusterState(CLUSTER, { lastFullSyncAt: T0 });
    // Segments 1..40 a minute apart before T0, except segment 30: never archived.
    await catalogHistory(services, {
      backups: [baseBackup(2, 3, minute(-37))],
      through: 40,
      missing: [30],
      uploadedAt: (segNo) => minute(segNo - 41),
    });
  });

  afterAll(async () => {
    await Promise.all([services.close(), closeSlack()]);
  });

  it('opens the gap alert once, retrying through Slack 500s, then resolves once when the segment arrives', async () => {
    slack.failNext(500);
    const first = await watchClusterWal(deps, cluster, { now: minute(0) });
    expect(first).toMatchObject({ status: 'FAILURE', readMode: 'full', notified: 0 });
    expect(first.notifyFailures).toEqual([
      expect.objectContaining({
        kind: 'wal-gap',
        subject: '00000001000000000000001E',
        error: expect.stringContaining('HTTP 500'),
      }),
    ]);
    expect(first.notifyFailures[0]?.error).not.toContain(slack.url);
    expect(slack.received).toHaveLength(0);
    const readsAfterFull = walItems();
    expect(readsAfterFull).toBe(39);

    slack.failNext(503);
    writerClock = minute(10);
    const second = await watchClusterWal(deps, cluster, { now: minute(1) });
    expect(second.notifyFailures).toHaveLength(1);
    expect(slack.received).toHaveLength(0);

    writerClock = minute(20);
    const third = await watchClusterWal(deps, cluster, { now: minute(2) });
    expect(third).toMatchObject({ notified: 1, notifyFailures: [] });
    expect(slack.received).toHaveLength(1);
    expect(slack.received[0]?.text).toContain('orders-main');
    expect(JSON.stringify(slack.received[0]?.blocks)).toContain('00000001000000000000001E');

    // Five quiet minutes with the gap still open and new WAL arriving: no message, reads only the new items.
    for (let n = 3; n < 8; n++) {
      writerClock = minute(10 * n);
      await archiveSegments(services, 1, [38 + n], () => minute(n));
      // The run comes later than the overlap its next run re-reads (CHANGE_READ_OVERLAP_MS).
      writerClock = minute(10 * n + 6);
      const before = walItems();
      const quiet = await watchClusterWal(deps, cluster, { now: minute(n) });
      expect(quiet).toMatchObject({ readMode: 'incremental', notified: 0, status: 'FAILURE' });
      // The new segment only (from the change index), never the whole archive nor the open gap again.
      expect(walItems() - before).toBe(1);
    }
    expect(slack.received).toHaveLength(1);

    await archiveSegments(services, 1, [30], () => minute(8));
    const healed = await watchClusterWal(deps, cluster, { now: minute(8) });
    expect(healed).toMatchObject({ status: 'OK', notified: 1 });
    expect(slack.received).toHaveLength(2);
    expect(slack.received[1]?.text).toContain('resolved');
    const after = await watchClusterWal(deps, cluster, { now: minute(9) });
    expect(after.notified).toBe(0);
    expect(slack.received).toHaveLength(2);
    const stored = await services.alerts.listAlerts(CLUSTER);
    expect(stored).toEqual([
      expect.objectContaining({ kind: 'wal-gap', state: 'resolved', openedAt: minute(0), resolvedAt: minute(8) }),
    ]);
    // The webhook URL was read once and cached.
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
  });

  it('alerts on archive lag when no WAL arrives for longer than archiveLagMax', async () => {
    const outcome = await watchClusterWal(deps, cluster, { now: minute(30) });
    expect(outcome.openAlerts).toBe(1);
    const alerts = await services.alerts.listAlerts(CLUSTER);
    expect(alerts.find((alert) => alert.state === 'open')).toMatchObject({ kind: 'archive-lag', subject: 'wal-head' });
    expect(slack.received.at(-1)?.text).toContain('Archive lag');
  });
});
