import { describe, expect, it } from 'vitest';
import { SlackWebhookNotifier } from '../../lib/adapters/slack/slack-webhook-notifier.ts';
import type { ClusterId } from '../../lib/domain/cluster.ts';
import { type AlertCondition, transitionAlerts } from '../../lib/domain/continuity/alert-state.ts';
import { resolvedHeadline, slackAlertMessage } from '../../lib/domain/continuity/slack-message.ts';
import { readableBlocks, startSlackReceiver } from '../../lib/local-stack/slack-receiver.ts';
import { renderClusterSection } from '../../lib/web-view/cluster-page.ts';
import type { ClusterView } from '../../lib/web-view/cluster-view.ts';

/** What an operator sees of an alert locally: the receiver's terminal lines and the web view, Block Kit included. */

const CLUSTER = 'demo' as ClusterId;
const T0 = new Date('2026-11-21T12:00:00Z');
const minute = (n: number): Date => new Date(T0.getTime() + n * 60_000);
const lag: AlertCondition = {
  kind: 'archive-lag',
  subject: 'wal-head',
  severity: 'WARNING',
  summary: 'No WAL archived for 12 min (limit 10 min)',
  facts: { 'WAL head': '00000001000000000000002A', Window: '2026-11-21T00:00:00.000Z .. 2026-11-21T11:48:00.000Z' },
  nextStep: 'Check archive_command and the wal-push log on the primary <host>',
};

async function receive(message: { text: string; blocks: readonly Record<string, unknown>[] }): Promise<string[]> {
  const lines: string[] = [];
  const receiver = await startSlackReceiver({ port: 0, print: (line) => lines.push(line) });
  try {
    const notifier = new SlackWebhookNotifier({ secrets: { get: async () => receiver.url } });
    await notifier.send({ cluster: CLUSTER, slackWebhookParameter: '/walcat/local/slack' }, message);
  } finally {
    await receiver.close();
  }
  return lines.join('\n').split('\n');
}

describe('the local Slack receiver prints the Block Kit content', () => {
  it('shows the facts, the next step and the context line under the fallback text', async () => {
    const [opened] = transitionAlerts(CLUSTER, [], [lag], T0).toNotify;
    if (opened === undefined) throw new Error('no alert');
    const lines = await receive(slackAlertMessage(opened));
    expect(lines[0]).toBe('[slack] :large_yellow_circle: demo: Archive lag: No WAL archived for 12 min (limit 10 min)');
    expect(lines).toContain('        Next step: Check archive_command and the wal-push log on the primary <host>');
    expect(lines).toContain(
      '        Cluster: demo · WAL head: 00000001000000000000002A · Window: 2026-11-21T00:00:00.000Z .. 2026-11-21T11:48:00.000Z',
    );
    expect(lines.some((line) => line.includes('walcat status --cluster demo'))).toBe(true);
    // The summary section repeats the fallback text and is not printed twice.
    expect(lines.filter((line) => line.includes('No WAL archived for 12 min'))).toHaveLength(1);
  });

  it('reads Block Kit defensively: unknown blocks and missing texts print nothing', () => {
    expect(readableBlocks(undefined, '')).toEqual([]);
    expect(
      readableBlocks([null, { type: 'divider' }, { type: 'section' }, { type: 'context', elements: [{}] }], ''),
    ).toEqual([]);
  });
});

describe('a resolve message reads as good news', () => {
  it('says what holds again, then what it was', async () => {
    const opened = transitionAlerts(CLUSTER, [], [lag], T0).alerts;
    const delivered = opened.map((alert) => ({ ...alert, pending: undefined, openNotified: true }));
    const [resolved] = transitionAlerts(CLUSTER, delivered, [], minute(7)).toNotify;
    if (resolved === undefined) throw new Error('no resolve');
    const message = slackAlertMessage(resolved);
    expect(message.text).toBe(
      ':white_check_mark: demo: resolved: archive lag back under 10 min; it was: No WAL archived for 12 min (limit 10 min)',
    );
    const lines = await receive(message);
    expect(lines).toContain(
      '        :white_check_mark: archive lag back under 10 min It was: No WAL archived for 12 min (limit 10 min) Open from 2026-11-21T12:00:00.000Z to 2026-11-21T12:07:00.000Z (7 min).',
    );
  });

  it.each([
    [
      'wal-gap',
      '00000001000000000000002A',
      '1 WAL segment lost on timeline 1',
      'WAL gap closed: 00000001000000000000002A is in the archive again',
    ],
    [
      'backup-age',
      'base_1',
      'The newest complete backup base_1 finished 30 h ago (limit 26 h)',
      'newest backup younger than 26 h again',
    ],
    ['no-backup', 'cluster', 'No complete base backup: nothing is restorable', 'a complete base backup exists again'],
    ['archiver', 'primary', 'archive_command fails', 'archiving on the primary works again'],
  ] as const)('%s', (kind, subject, summary, headline) => {
    expect(resolvedHeadline({ kind, subject, summary })).toContain(headline);
  });
});

describe('the web view shows the next step of an open alert', () => {
  it('under the alert line', () => {
    const view: ClusterView = {
      cluster: 'demo',
      generatedAt: T0.toISOString(),
      status: 'WARNING',
      walSegmentSize: '16 MiB',
      backups: [],
      coverage: [],
      gaps: [],
      findings: [],
      windows: [],
      retention: { source: 'computed', keep: [], deleteBackups: [], deleteWal: [] },
      jobs: [],
      alerts: [
        {
          kind: lag.kind,
          subject: lag.subject,
          severity: lag.severity,
          since: T0.toISOString(),
          summary: lag.summary,
          nextStep: lag.nextStep,
        },
      ],
    };
    expect(renderClusterSection(view)).toContain(
      '<span class="next-step">Next step: Check archive_command and the wal-push log on the primary &lt;host&gt;</span>',
    );
  });
});
