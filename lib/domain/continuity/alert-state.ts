import type { ClusterId } from '../cluster.ts';

/** What an alert is about. One open alert per (kind, subject) and cluster. */
export type AlertKind =
  | 'wal-gap'
  | 'divergence'
  | 'missing-history'
  | 'archive-lag'
  | 'backup-age'
  | 'incomplete-backup'
  | 'no-backup'
  | 'catalog-stale'
  | 'archiver'
  | 'lifecycle-conflict'
  | 'foreign-system'
  | 'unreadable-backup'
  | 'unreadable-history'
  | 'encrypted-history'
  | 'segment-size-mismatch';

export type AlertSeverity = 'FAILURE' | 'WARNING';

/** Something a watchdog run found wrong. Its (kind, subject) is the alert identity. */
export interface AlertCondition {
  readonly kind: AlertKind;
  /** Stable within the kind: the first segment of a gap, a backup name, `wal-head`... */
  readonly subject: string;
  readonly severity: AlertSeverity;
  /** One line a person reads: what is wrong, with names and values. */
  readonly summary: string;
  /** Label/value pairs shown in the message (segments, times, timelines). */
  readonly facts: Readonly<Record<string, string>>;
  /** What to do about it. */
  readonly nextStep: string;
}

/** The message still owed to people: the open (or reopen) or the resolve. */
export type PendingNotification = 'opened' | 'resolved';

/** An alert as stored: identity, state and notification bookkeeping. */
export interface Alert extends AlertCondition {
  readonly cluster: ClusterId;
  readonly state: 'open' | 'resolved';
  readonly openedAt: Date;
  readonly lastSeenAt: Date;
  readonly resolvedAt?: Date;
  /** Why it resolved, in words a person reads ("segment X arrived"); set when it resolves. */
  readonly resolution?: string;
  /** Set until the notifier accepted the message; the next run retries it. */
  readonly pending?: PendingNotification;
  /** True once the open message was delivered (so a resolve is worth a message of its own). */
  readonly openNotified: boolean;
  readonly lastNotifiedAt?: Date;
  /** Failed deliveries of the pending message so far. */
  readonly failedAttempts: number;
  /**
   * The SSM parameter of the Slack webhook its messages went to when last stored: the one channel left for the
   * closing message once the cluster is gone from the configuration.
   */
  readonly slackWebhookParameter?: string;
}

export interface AlertTransitions {
  /** Every alert to store (new, changed and unchanged), open first. */
  readonly alerts: readonly Alert[];
  /** Alerts whose pending message should be sent now. */
  readonly toNotify: readonly Alert[];
  /** Resolved, notified alerts older than the retention: delete them from the store. */
  readonly expired: readonly Alert[];
}

/** Resolved and notified alerts are kept this long for `walcat status` history, then expire. */
export const RESOLVED_ALERT_RETENTION_MS = 7 * 86_400_000;

export const alertKey = (alert: { readonly kind: AlertKind; readonly subject: string }): string =>
  `${alert.kind}#${alert.subject}`;

/**
 * Moves stored alerts along with what this run found. An alert opens once when its condition first appears (one
 * message); while the condition persists nothing is sent again, whatever the schedule; when it disappears the alert
 * resolves once (one message). A message the notifier failed to deliver stays `pending` and is retried on every run
 * until it goes through: never dropped. An alert that opened and resolved before its open message got through sends
 * a single resolve message that says so. `whyResolved` says, for an alert whose condition is gone, what happened
 * (the segment arrived, retention deleted the WAL around it, the backup was removed); the resolve message leads with
 * it.
 *
 * @example
 * const { toNotify } = transitionAlerts(cluster, stored, [{ kind: 'wal-gap', subject: '00000001000000000000002A', ... }], now);
 * // first run: toNotify = [the new open alert]; next run with the same condition: toNotify = []
 */
export function transitionAlerts(
  cluster: ClusterId,
  stored: readonly Alert[],
  conditions: readonly AlertCondition[],
  now: Date,
  whyResolved?: (alert: Alert) => string | undefined,
): AlertTransitions {
  const current = new Map(conditions.map((condition) => [alertKey(condition), condition]));
  const alerts: Alert[] = [];
  const expired: Alert[] = [];
  const seen = new Set<string>();
  for (const alert of stored) {
    const key = alertKey(alert);
    seen.add(key);
    const condition = current.get(key);
    if (condition !== undefined) {
      alerts.push(alert.state === 'open' ? stillOpen(alert, condition, now) : reopened(alert, condition, now));
    } else if (alert.state === 'open') {
      alerts.push(resolved(alert, now, whyResolved?.(alert)));
    } else if (
      alert.pending === undefined &&
      now.getTime() - (alert.resolvedAt?.getTime() ?? 0) > RESOLVED_ALERT_RETENTION_MS
    ) {
      expired.push(alert);
    } else {
      alerts.push(alert);
    }
  }
  for (const [key, condition] of current) {
    if (!seen.has(key)) alerts.push(opened(cluster, condition, now));
  }
  alerts.sort((a, b) =>
    a.state === b.state ? a.openedAt.getTime() - b.openedAt.getTime() : a.state === 'open' ? -1 : 1,
  );
  return { alerts, toNotify: alerts.filter((alert) => alert.pending !== undefined), expired };
}

function opened(cluster: ClusterId, condition: AlertCondition, now: Date): Alert {
  return {
    ...condition,
    cluster,
    state: 'open',
    openedAt: now,
    lastSeenAt: now,
    pending: 'opened',
    openNotified: false,
    failedAttempts: 0,
  };
}

/** Details follow the condition (a gap grows, a lag gets longer); the message owed, if any, stays owed. */
function stillOpen(alert: Alert, condition: AlertCondition, now: Date): Alert {
  return { ...alert, ...condition, lastSeenAt: now };
}

function reopened(alert: Alert, condition: AlertCondition, now: Date): Alert {
  if (alert.pending === 'resolved') {
    // The condition came back before its resolve message went out: for the people told, it never ended.
    const { resolvedAt: _resolvedAt, pending: _pending, resolution: _resolution, ...rest } = alert;
    return {
      ...rest,
      ...condition,
      state: 'open',
      lastSeenAt: now,
      failedAttempts: 0,
      ...(alert.openNotified ? {} : { pending: 'opened' as const }),
    };
  }
  return {
    ...condition,
    cluster: alert.cluster,
    state: 'open',
    openedAt: now,
    lastSeenAt: now,
    pending: 'opened',
    openNotified: false,
    failedAttempts: 0,
  };
}

function resolved(alert: Alert, now: Date, resolution: string | undefined): Alert {
  const { resolvedAt: _previous, resolution: _previousResolution, ...rest } = alert;
  return {
    ...rest,
    state: 'resolved',
    resolvedAt: now,
    ...(resolution === undefined ? {} : { resolution }),
    pending: 'resolved',
    failedAttempts: 0,
  };
}

/**
 * The alert after its pending message was delivered.
 *
 * @example markNotified(alert, now).pending // undefined
 */
export function markNotified(alert: Alert, now: Date): Alert {
  const { pending, ...rest } = alert;
  return {
    ...rest,
    openNotified: alert.openNotified || pending === 'opened',
    lastNotifiedAt: now,
    failedAttempts: 0,
  };
}

/**
 * The alert after delivery failed: the message stays pending for the next run.
 *
 * @example markNotifyFailed(alert).failedAttempts // previous + 1
 */
export function markNotifyFailed(alert: Alert): Alert {
  return { ...alert, failedAttempts: alert.failedAttempts + 1 };
}

/**
 * Closes the alerts of a cluster that is no longer configured: nothing watches it any more, so its open alerts would
 * stay open for ever. Every open alert resolves, saying why; resolved alerts move on as in any run (a pending
 * message stays owed, old ones expire).
 *
 * @example closeAlertsOfRemovedCluster('old-db', stored, now).toNotify // the alerts whose closing is owed
 */
export function closeAlertsOfRemovedCluster(cluster: ClusterId, stored: readonly Alert[], now: Date): AlertTransitions {
  return transitionAlerts(cluster, stored, [], now, () => removedClusterResolution(cluster));
}

/** What the closing says: why nothing is known of the cluster any more. */
export const removedClusterResolution = (cluster: ClusterId): string =>
  `cluster ${cluster} is no longer in walcat's configuration, so nothing watches it any more; its alerts are closed unresolved`;
