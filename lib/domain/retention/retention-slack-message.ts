import { formatBytes } from '../byte-size.ts';
import type { SlackMessage } from '../continuity/slack-message.ts';
import type { RetentionPlan } from './retention-plan.ts';

type PlanSummary = Pick<RetentionPlan, 'planId' | 'cluster' | 'keep' | 'bytesFreed' | 'chainBase'> & {
  readonly delete: Pick<RetentionPlan['delete'], 'backups' | 'wal'>;
};

/**
 * The Slack summary of a stored plan: what it keeps and deletes, and when it will be applied.
 *
 * @example retentionPlanSlackMessage(plan, new Date('2026-11-21T08:00:00Z')).text
 * // 'retention plan orders-main-20261121T020000Z-1a2b for orders-main: keeps 21 backups, deletes 344 backups and 1402 WAL objects (349.5 GiB); applies after 2026-11-21T08:00:00Z'
 */
export function retentionPlanSlackMessage(plan: PlanSummary, appliesAfter: Date): SlackMessage {
  const walObjects = plan.delete.wal.reduce((sum, range) => sum + range.objects, 0);
  const text = `retention plan ${plan.planId} for ${plan.cluster}: keeps ${plan.keep.length} backups, deletes ${plan.delete.backups.length} backups and ${walObjects} WAL objects (${formatBytes(plan.bytesFreed)}); applies after ${appliesAfter.toISOString().replace('.000Z', 'Z')}`;
  const oldest = plan.keep[0];
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*Retention plan for ${plan.cluster}*\n${text}` } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `oldest kept: ${oldest ? `${oldest.name} (${oldest.reasons.join(', ')})` : 'none'}; WAL kept whole from ${plan.chainBase}. Review: \`walcat retention plan --cluster ${plan.cluster}\`; apply now: \`walcat retention apply ${plan.planId}\``,
          },
        ],
      },
    ],
  };
}
