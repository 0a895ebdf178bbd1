import type { ClusterConfig } from '../domain/cluster.ts';
import type { SlackMessage } from '../domain/continuity/slack-message.ts';
import { UnsafePlanError } from '../domain/errors.ts';
import { NO_RETENTION_POLICY } from '../domain/retention/retention-errors.ts';
import type { Notifier } from '../ports/notifier.ts';
import {
  type ApplyRetentionDependencies,
  type ApplyRetentionOutcome,
  applyClusterRetention,
} from './apply-retention.ts';
import { type PlanRetentionDependencies, planClusterRetention } from './plan-retention.ts';
import type { BackupDigestRefresh } from './retention-backup-digest.ts';
import type { DigestRefresh } from './retention-wal-digest.ts';

export type ScheduledRetentionDependencies = ApplyRetentionDependencies &
  PlanRetentionDependencies & { readonly notifier?: Notifier };

/** What the daily run did for one cluster. */
export interface ScheduledRetentionOutcome {
  readonly cluster: string;
  /** The previous plan: applied, still waiting for its grace, or refused (with the reason). */
  readonly applied?: ApplyRetentionOutcome;
  readonly applyRefused?: string;
  /** Set when the cluster has no retention policy: nothing was planned, applied or deleted. */
  readonly skipped?: string;
  /** The plan made by this run, unless the previous one is still waiting. */
  readonly plannedId?: string;
  readonly planRefused?: string;
  /** How the plan's WAL digest was brought up to date (logged: a digest that is never stored costs a full read). */
  readonly walDigest?: DigestRefresh;
  /** How the plan's backup digest was brought up to date (logged for the same reason). */
  readonly backupDigest?: BackupDigestRefresh;
}

function refusalMessage(cluster: ClusterConfig, what: string, reason: string): SlackMessage {
  const text = `retention for ${cluster.id}: ${what}: ${reason}`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*Retention refused for ${cluster.id}*\n${what}: ${reason}` } },
    ],
  };
}

/**
 * The daily retention run of one cluster: first apply the cluster's open plan if its grace has passed (and the
 * catalog was synced since), then make and announce a new plan, unless the open plan is still waiting, so a
 * schedule shorter than the grace cannot postpone deletions forever. Unsafe outcomes are reported to Slack and in
 * the result, never thrown; other errors (storage unreachable) are thrown for the platform to retry.
 *
 * @example await runScheduledRetention(deps, cluster, new Date(event.time))
 */
export async function runScheduledRetention(
  deps: ScheduledRetentionDependencies,
  cluster: ClusterConfig,
  now: Date,
): Promise<ScheduledRetentionOutcome> {
  if (cluster.retention === undefined) return { cluster: cluster.id, skipped: NO_RETENTION_POLICY };
  const notifyRefusal = async (what: string, reason: string): Promise<void> => {
    const webhook = cluster.alerts.slackWebhookParameter;
    if (deps.notifier && webhook) {
      await deps.notifier.send(
        { cluster: cluster.id, slackWebhookParameter: webhook },
        refusalMessage(cluster, what, reason),
      );
    }
  };
  const open = (await deps.plans.listPlans(cluster.id)).find(
    (header) => header.status === 'pending' || header.status === 'applying',
  );
  let applied: ApplyRetentionOutcome | undefined;
  let applyRefused: string | undefined;
  if (open) {
    try {
      applied = await applyClusterRetention(deps, cluster, { planId: open.planId, now, explicit: false });
    } catch (error) {
      if (!(error instanceof UnsafePlanError)) throw error;
      applyRefused = error.message;
      await notifyRefusal(`plan ${open.planId} not applied`, error.message);
    }
  }
  const result = { cluster: cluster.id, ...(applied ? { applied } : {}), ...(applyRefused ? { applyRefused } : {}) };
  // A plan still waiting for its grace, or cut short by the time budget, stays the open plan.
  if (applied?.status === 'waiting' || applied?.status === 'partial') return result;
  try {
    const planned = await planClusterRetention(deps, cluster, now);
    return {
      ...result,
      plannedId: planned.plan.planId,
      ...(planned.walDigest ? { walDigest: planned.walDigest } : {}),
      ...(planned.backupDigest ? { backupDigest: planned.backupDigest } : {}),
    };
  } catch (error) {
    if (!(error instanceof UnsafePlanError)) throw error;
    await notifyRefusal('no plan made', error.message);
    return { ...result, planRefused: error.message };
  }
}
