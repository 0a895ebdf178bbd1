import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Alert,
  type AlertCondition,
  markNotified,
  markNotifyFailed,
  RESOLVED_ALERT_RETENTION_MS,
  transitionAlerts,
} from '../../../lib/domain/continuity/alert-state.ts';
import { slackAlertMessage } from '../../../lib/domain/continuity/slack-message.ts';
import { CLUSTER } from './continuity-fixtures.ts';

const T0 = new Date('2026-11-21T12:00:00Z');
const minute = (n: number): Date => new Date(T0.getTime() + n * 60_000);
const gap: AlertCondition = {
  kind: 'wal-gap',
  subject: '00000001000000000000002A',
  severity: 'FAILURE',
  summary: '1 WAL segment lost on timeline 1: 00000001000000000000002A',
  facts: { Segments: '00000001000000000000002A', Window: '2026-11-20T00:00:00.000Z .. 2026-11-21T11:00:00.000Z' },
  nextStep: 'Check archive_command <and> wal-push logs',
};

/** One watchdog run: transition, deliver (or fail), store. */
function run(stored: readonly Alert[], conditions: AlertCondition[], at: Date, deliver: boolean) {
  const { alerts, toNotify, expired } = transitionAlerts(CLUSTER, stored, conditions, at);
  const sent = toNotify.map((alert) => slackAlertMessage(alert));
  const next = alerts.map((alert) =>
    alert.pending === undefined ? alert : deliver ? markNotified(alert, at) : markNotifyFailed(alert),
  );
  return { next, sent, expired };
}

describe('transitionAlerts', () => {
  it('opens once, stays quiet while the condition persists, resolves once', () => {
    let stored: readonly Alert[] = [];
    const messages: string[] = [];
    for (let n = 0; n < 5; n++) {
      const result = run(stored, [gap], minute(n), true);
      messages.push(...result.sent.map((message) => message.text));
      stored = result.next;
    }
    for (let n = 5; n < 8; n++) {
      const result = run(stored, [], minute(n), true);
      messages.push(...result.sent.map((message) => message.text));
      stored = result.next;
    }
    expect(messages).toHaveLength(2);
    expect(messages[0]).toContain(':red_circle: orders-main: WAL gap');
    expect(messages[1]).toContain(':white_check_mark: orders-main: resolved');
    expect(stored).toMatchObject([{ state: 'resolved', openedAt: minute(0), resolvedAt: minute(5) }]);
  });

  it('keeps a failed message pending and retries it until delivered', () => {
    const first = run([], [gap], minute(0), false);
    expect(first.sent).toHaveLength(1);
    expect(first.next[0]).toMatchObject({ pending: 'opened', failedAttempts: 1 });
    const second = run(first.next, [gap], minute(1), false);
    expect(second.sent).toHaveLength(1);
    expect(second.next[0]).toMatchObject({ pending: 'opened', failedAttempts: 2, openedAt: minute(0) });
    const third = run(second.next, [gap], minute(2), true);
    expect(third.sent).toHaveLength(1);
    expect(third.next[0]?.pending).toBeUndefined();
    expect(run(third.next, [gap], minute(3), true).sent).toHaveLength(0);
  });

  it('sends a single resolve that says so when the open message never got through', () => {
    const first = run([], [gap], minute(0), false);
    const resolved = run(first.next, [], minute(1), true);
    expect(resolved.sent).toHaveLength(1);
    expect(JSON.stringify(resolved.sent[0]?.blocks)).toContain('first message about it');
  });

  it('does not announce again when the condition returns before its resolve was delivered', () => {
    const opened = run([], [gap], minute(0), true);
    const resolveFailed = run(opened.next, [], minute(1), false);
    expect(resolveFailed.next[0]).toMatchObject({ state: 'resolved', pending: 'resolved' });
    const back = run(resolveFailed.next, [gap], minute(2), true);
    expect(back.sent).toHaveLength(0);
    expect(back.next[0]).toMatchObject({ state: 'open', openedAt: minute(0) });
  });

  it('reopens with a new message after a delivered resolve, and expires old resolved alerts', () => {
    const opened = run([], [gap], minute(0), true);
    const resolved = run(opened.next, [], minute(1), true);
    const reopened = run(resolved.next, [gap], minute(2), true);
    expect(reopened.sent.map((message) => message.text)).toEqual([expect.stringContaining(':red_circle:')]);
    const gone = run(
      run(reopened.next, [], minute(3), true).next,
      [],
      new Date(minute(4).getTime() + RESOLVED_ALERT_RETENTION_MS),
      true,
    );
    expect(gone.expired).toHaveLength(1);
    expect(gone.next).toEqual([]);
  });

  it('never sends more messages than state changes, and never drops one (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ present: fc.boolean(), deliver: fc.boolean() }), { maxLength: 40 }), (runs) => {
        let stored: readonly Alert[] = [];
        let delivered = 0;
        let changes = 0;
        let previous = false;
        runs.forEach((step, n) => {
          if (step.present !== previous) changes++;
          previous = step.present;
          const result = run(stored, step.present ? [gap] : [], minute(n), step.deliver);
          if (step.deliver) delivered += result.sent.length;
          stored = result.next;
        });
        expect(delivered).toBeLessThanOrEqual(changes);
        // Whatever is still owed stays stored as pending.
        const final = run(stored, previous ? [gap] : [], minute(runs.length), true);
        const owed = stored.some((alert) => alert.pending !== undefined);
        expect(final.sent.length > 0).toBe(owed);
      }),
    );
  });
});

describe('slackAlertMessage', () => {
  it('names the cluster, the segments, the window and the next step, escaping mrkdwn', () => {
    const [alert] = transitionAlerts(CLUSTER, [], [gap], T0).toNotify;
    if (alert === undefined) throw new Error('no alert');
    const blocks = JSON.stringify(slackAlertMessage(alert).blocks);
    expect(blocks).toContain('orders-main');
    expect(blocks).toContain('00000001000000000000002A');
    expect(blocks).toContain('2026-11-21T11:00:00.000Z');
    expect(blocks).toContain('*Next step*');
    expect(blocks).toContain('&lt;and&gt;');
  });
});
