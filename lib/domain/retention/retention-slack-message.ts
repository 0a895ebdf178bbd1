import type { RetentionBucketEffects } from '../bucket/retention-bucket-effects.ts';
import { formatBytes } from '../byte-size.ts';
import type { SlackMessage } from '../continuity/slack-message.ts';
import type { RetentionPlan } from './retention-plan.ts';

type PlanSummary = Pick<RetentionPlan, 'planId' | 'cluster' | 'keep' | 'bytesFreed' | 'chainBase'> & {
  readonly delete: Pick<RetentionPlan['delete'], 'backups' | 'wal'>;
};

/**
 * The Slack summary of a stored plan: what it keeps and deletes, and when it will be applied. With the bucket's
 * effects (versioning, Object Lock, lifecycle rules) it says what the deletions really do there, and the bytes are
 * those that leave the bill (nothing now when deletes only add delete markers).
 *
 * @example retentionPlanSlackMessage(plan, new Date('2026-11-21T08:00:00Z')).text
 * // 'retention plan orders-main-20261121T020000Z-1a2b for orders-main: keeps 21 backups, deletes 344 backups and 1402 WAL objects (349.5 GiB); applies after 2026-11-21T08:00:00Z'
 */
export function retentionPlanSlackMessage(
  plan: PlanSummary,
  appliesAfter: Date,
  bucket?: RetentionBucketEffects,
): SlackMessage {
  const walObjects = plan.delete.wal.reduce((sum, range) => sum + range.objects, 0);
  const freed =
    bucket === undefined || bucket.bytesFreed === plan.bytesFreed
      ? formatBytes(plan.bytesFreed)
      : `${formatBytes(plan.bytesFreed)} planned, ${formatBytes(bucket.bytesFreed)} leaves the bill`;
  const text = `retention plan ${plan.planId} for ${plan.cluster}: keeps ${plan.keep.length} backups, deletes ${plan.delete.backups.length} backups and ${walObjects} WAL objects (${freed}); applies after ${appliesAfter.toISOString().replace('.000Z', 'Z')}`;
  const oldest = plan.keep[0];
  const bucketBlocks =
    bucket === undefined || bucket.notes.length === 0
      ? []
      : [
          {
            type: 'section',
            text: {
              type: 'mrkdwn',
              text: `*In the bucket* (versioning ${bucket.versioning}, deletes ${bucket.deletes})\n${bucket.notes.map((note) => `• ${note}`).join('\n')}`,
            },
          },
        ];
  return {
    text: bucket === undefined || bucket.notes.length === 0 ? text : `${text}; bucket: ${bucket.notes.join('; ')}`,
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
      ...bucketBlocks,
    ],
  };
}
