import type { Alert } from './alert-state.ts';

/** A Slack incoming-webhook payload: `text` is the notification fallback, `blocks` the Block Kit layout. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly Record<string, unknown>[];
}

const KIND_TITLES: Readonly<Record<Alert['kind'], string>> = {
  'wal-gap': 'WAL gap',
  divergence: 'Timeline divergence',
  'missing-history': 'Missing timeline history',
  'archive-lag': 'Archive lag',
  'backup-age': 'Backup too old',
  'incomplete-backup': 'Backup never finished',
  'no-backup': 'No restorable backup',
  'catalog-stale': 'Catalog stale',
  archiver: 'Archiving on the primary',
  'lifecycle-conflict': 'Bucket lifecycle rule breaks retention',
  'foreign-system': 'Backup of another database',
  'unreadable-backup': 'Unreadable backup',
  'unreadable-history': 'Unreadable timeline history',
  'encrypted-history': 'Timeline history encrypted',
  'segment-size-mismatch': 'WAL segment size mismatch',
};

/** The `(limit 10 min)` an alert summary ends with, as `10 min`. */
const limitOf = (summary: string): string | undefined => /\(limit ([^)]+)\)\s*$/.exec(summary)?.[1];

/**
 * What a resolve message says first: the good news, in the words of what now holds again ("archive lag back under
 * 10 min"), not the problem's summary, which reads like the problem is still there. An alert that knows why it
 * resolved (`resolution`: "segment X arrived", "retention deleted the WAL around it (plan P)") says that instead.
 */
export function resolvedHeadline(alert: Pick<Alert, 'kind' | 'subject' | 'summary'> & { resolution?: string }): string {
  if (alert.resolution !== undefined) return alert.resolution;
  const limit = limitOf(alert.summary);
  switch (alert.kind) {
    case 'wal-gap':
      return `WAL gap closed: ${alert.subject} is in the archive again`;
    case 'divergence':
      return 'one timeline is archived again: the divergence is over';
    case 'missing-history':
      return `timeline history ${alert.subject} is in the archive again`;
    case 'archive-lag':
      return limit === undefined ? 'WAL is archived again' : `archive lag back under ${limit}`;
    case 'backup-age':
      return limit === undefined ? 'a fresh backup again' : `newest backup younger than ${limit} again`;
    case 'incomplete-backup':
      return `backup ${alert.subject} finished or was removed`;
    case 'no-backup':
      return 'a complete base backup exists again: the cluster is restorable';
    case 'catalog-stale':
      return 'the catalog is synced again';
    case 'archiver':
      return 'archiving on the primary works again';
    case 'lifecycle-conflict':
      return `bucket lifecycle rule ${alert.subject} no longer removes what retention keeps`;
    case 'foreign-system':
      return `backup ${alert.subject} of another database system is no longer in the cluster's prefix`;
    case 'unreadable-backup':
      return `backup ${alert.subject} is readable again or gone`;
    case 'unreadable-history':
      return `timeline history ${alert.subject}.history is readable again or gone`;
    case 'encrypted-history':
      return 'every timeline history file reads as text again, or none is needed';
    case 'segment-size-mismatch':
      return 'walSegmentSize agrees with the backups again';
  }
}

/** Slack mrkdwn treats `&`, `<` and `>` as control characters. */
const escapeMrkdwn = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The Block Kit message for an alert's pending notification: the cluster, what is wrong (segments, timelines,
 * backup), the restorable window and the next step when it opens; when it resolves, how long it lasted. Built only
 * from the alert's own summary and facts: never from raw errors.
 *
 * @example slackAlertMessage(alert).text // ':red_circle: orders-main: WAL gap: 1 WAL segment lost on timeline 1: ...'
 */
export function slackAlertMessage(alert: Alert): SlackMessage {
  const title = KIND_TITLES[alert.kind];
  if (alert.pending === 'resolved' || alert.state === 'resolved') {
    const resolvedAt = alert.resolvedAt ?? alert.lastSeenAt;
    const lasted = Math.max(0, Math.round((resolvedAt.getTime() - alert.openedAt.getTime()) / 60_000));
    const note = alert.openNotified
      ? ''
      : ' It opened while Slack could not be reached, so this is the first message about it.';
    const headline = resolvedHeadline(alert);
    // The good news first; what it was after it, so the notification still names the alert.
    const text = `:white_check_mark: ${alert.cluster}: resolved: ${headline}; it was: ${alert.summary}`;
    return {
      text,
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: `Resolved: ${title} on ${alert.cluster}`.slice(0, 150) } },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: `:white_check_mark: ${escapeMrkdwn(headline)}\nIt was: ${escapeMrkdwn(alert.summary)}\nOpen from ${alert.openedAt.toISOString()} to ${resolvedAt.toISOString()} (${lasted} min).${note}`,
          },
        },
        context(alert),
      ],
    };
  }
  const icon = alert.severity === 'FAILURE' ? ':red_circle:' : ':large_yellow_circle:';
  return {
    text: `${icon} ${alert.cluster}: ${title}: ${alert.summary}`,
    blocks: [
      {
        type: 'header',
        text: { type: 'plain_text', text: `${alert.severity}: ${title} on ${alert.cluster}`.slice(0, 150) },
      },
      { type: 'section', text: { type: 'mrkdwn', text: `${icon} ${escapeMrkdwn(alert.summary)}` } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: `*Cluster*\n${escapeMrkdwn(alert.cluster)}` },
          ...Object.entries(alert.facts).map(([label, value]) => ({
            type: 'mrkdwn',
            text: `*${escapeMrkdwn(label)}*\n${escapeMrkdwn(value)}`,
          })),
        ].slice(0, 10),
      },
      { type: 'section', text: { type: 'mrkdwn', text: `*Next step*\n${escapeMrkdwn(alert.nextStep)}` } },
      context(alert),
    ],
  };
}

function context(alert: Alert): Record<string, unknown> {
  return {
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `walcat · ${alert.kind} · ${escapeMrkdwn(alert.subject)} · since ${alert.openedAt.toISOString()} · \`walcat status --cluster ${alert.cluster}\``,
      },
    ],
  };
}

/**
 * One message for all the alerts closed because their cluster left the configuration: why they closed, and what
 * each of them was, so nobody waits for resolutions that will never come.
 *
 * @example removedClusterMessage('old-db', closed).text // ':wastebasket: old-db: 2 alerts closed: cluster old-db is no longer ...'
 */
export function removedClusterMessage(cluster: Alert['cluster'], closed: readonly Alert[]): SlackMessage {
  const why = closed[0]?.resolution ?? `cluster ${cluster} is no longer in walcat's configuration`;
  const count = `${closed.length} alert${closed.length === 1 ? '' : 's'} closed`;
  const lines = closed.map(
    (alert) =>
      `• ${KIND_TITLES[alert.kind]} (${escapeMrkdwn(alert.subject)}), open since ${alert.openedAt.toISOString()}: ${escapeMrkdwn(alert.summary)}`,
  );
  return {
    text: `:wastebasket: ${cluster}: ${count}: ${why}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: `Closed: ${count} on ${cluster}`.slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: `:wastebasket: ${escapeMrkdwn(why)}` } },
      // Slack caps a section's text at 3,000 characters.
      { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n').slice(0, 3000) } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `walcat · if the cluster still exists, add it back to the configuration and its watchdog opens what is still wrong`,
          },
        ],
      },
    ],
  };
}
