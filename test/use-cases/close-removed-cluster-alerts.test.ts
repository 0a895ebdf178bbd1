import { describe, expect, it } from 'vitest';
import type { ClusterId } from '../../lib/domain/cluster.ts';
import type { Alert } from '../../lib/domain/continuity/alert-state.ts';
import { closeRemovedClusterAlerts } from '../../lib/use-cases/close-removed-cluster-alerts.ts';
import { MemoryAlertStore, RecordingNotifier } from '../support/memory-alert-stores.ts';
import { clusterConfig } from './continuity-test-setup.ts';

const NOW = new Date('2026-11-20T12:00:00Z');
const removed = 'old-db' as ClusterId;

const openAlert = (subject: string, webhook?: string): Alert => ({
  cluster: removed,
  kind: 'wal-gap',
  subject,
  severity: 'FAILURE',
  summary: `segment ${subject} missing`,
  facts: {},
  nextStep: 'look',
  state: 'open',
  openedAt: new Date('2026-11-20T10:00:00Z'),
  lastSeenAt: new Date('2026-11-20T11:59:00Z'),
  openNotified: true,
  failedAttempts: 0,
  ...(webhook === undefined ? {} : { slackWebhookParameter: webhook }),
});

describe('closing the alerts of clusters no longer configured', () => {
  it('leaves configured clusters to their own watchdog runs', async () => {
    const alerts = new MemoryAlertStore();
    await alerts.putAlerts([{ ...openAlert('A'), cluster: clusterConfig().id }]);
    const notifier = new RecordingNotifier();
    expect(await closeRemovedClusterAlerts({ alerts, notifier }, [clusterConfig()], NOW)).toEqual([]);
    expect(notifier.sent).toEqual([]);
  });

  it('keeps the closing owed while Slack fails, and sends it once when Slack is back', async () => {
    const alerts = new MemoryAlertStore();
    await alerts.putAlerts([openAlert('A', '/walcat/slack/old'), openAlert('B', '/walcat/slack/old')]);
    const failing = {
      send: async () => {
        throw new Error('Slack unreachable');
      },
    };
    const first = await closeRemovedClusterAlerts({ alerts, notifier: failing }, [clusterConfig()], NOW);
    expect(first).toEqual([{ cluster: removed, closed: 2, notified: 0, notifyFailures: ['Error: Slack unreachable'] }]);
    expect(await alerts.clustersWithOpenAlerts()).toEqual([removed]);

    const notifier = new RecordingNotifier();
    const later = new Date(NOW.getTime() + 60_000);
    const second = await closeRemovedClusterAlerts({ alerts, notifier }, [clusterConfig()], later);
    expect(second).toEqual([{ cluster: removed, closed: 0, notified: 1, notifyFailures: [] }]);
    expect(notifier.sent.map((entry) => entry.target.slackWebhookParameter)).toEqual(['/walcat/slack/old']);
    // Closed on the first run (that is when they stopped being watched), announced on the second.
    expect((await alerts.listAlerts(removed)).map((alert) => [alert.resolvedAt, alert.pending])).toEqual([
      [NOW, undefined],
      [NOW, undefined],
    ]);
    expect(await alerts.clustersWithOpenAlerts()).toEqual([]);
    expect(await closeRemovedClusterAlerts({ alerts, notifier }, [clusterConfig()], later)).toEqual([]);
  });
});
