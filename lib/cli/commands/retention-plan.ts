import type { RetentionBucketEffects } from '../../domain/bucket/retention-bucket-effects.ts';
import { UnsafePlanError } from '../../domain/errors.ts';
import { NO_RETENTION_POLICY } from '../../domain/retention/retention-errors.ts';
import { noPlanJson, type RetentionPlanJson, retentionPlanJson } from '../../domain/retention/retention-plan-json.ts';
import { renderRetentionPlan } from '../../domain/retention/retention-plan-table.ts';
import type { BucketInspector } from '../../ports/bucket-inspector.ts';
import type { CatalogStore } from '../../ports/catalog-store.ts';
import type { ObjectStore } from '../../ports/object-store.ts';
import type { ObjectVersionStore } from '../../ports/object-version-store.ts';
import type { PlanStore } from '../../ports/plan-store.ts';
import type { ServiceClock } from '../../ports/service-clock.ts';
import { planClusterRetention } from '../../use-cases/plan-retention.ts';
import { reviewRetentionBucket } from '../../use-cases/review-retention-bucket.ts';
import { type CliCommand, type CliContext, EXIT_BAD_NEWS, EXIT_OK } from '../cli-command.ts';

/** The adapters the retention commands use, built on first use by the CLI's composition root. */
export interface RetentionCommandDependencies {
  readonly catalog: () => CatalogStore;
  readonly objects: () => ObjectStore;
  readonly plans: () => PlanStore;
  /** The storage service's clock, checked against this machine's before planning or applying. */
  readonly serviceClock?: () => ServiceClock;
  /**
   * Reads versioning, lifecycle and Object Lock, so `retention plan` keeps locked backups and says what its deletions
   * really do, and `retention apply` deletes by version on a versioned bucket.
   */
  readonly inspector?: () => BucketInspector;
  /** Deletes every version of a doomed key (versioned buckets). */
  readonly versions?: () => ObjectVersionStore;
}

/** The bucket section of `retention plan --json`; null when the endpoint cannot tell (s3rver, the local stack). */
function bucketJson(effects: RetentionBucketEffects, bytesDeleted: number) {
  return {
    versioning: effects.versioning,
    deletes: effects.deletes,
    bytesDeleted,
    bytesFreedLater: effects.bytesFreedLater ?? null,
    locked: effects.locked.map((lock) => ({
      backup: lock.backup,
      retainUntil: lock.retainUntil?.toISOString() ?? null,
      mode: lock.mode ?? null,
      legalHold: lock.legalHold,
    })),
    lifecycle: effects.lifecycle.map(({ rule, backups, keptByRetention, expiresWal }) => ({
      rule,
      backups,
      keptByRetention,
      expiresWal,
    })),
    notes: effects.notes,
  };
}

/**
 * `walcat retention plan`: computes and prints each selected cluster's retention plan (kept backups with their
 * tiers, deleted backups with the reason, WAL ranges, bytes freed). Deletes nothing, and by default stores nothing:
 * the pending plan the daily run will apply stays as it is. `--store` stores the plan shown, superseding the pending
 * one, so `walcat retention apply PLAN_ID` can execute it. `--json` prints the contract shape `{ planId, keep,
 * delete: { backups, wal }, bytesFreed }` (an array of them for several clusters); a cluster without a retention
 * policy gives `{ planId: null, ..., reason }` and exit 0. With a bucket inspector the plan also says what its
 * deletions really do (`bucket`: versioning and delete markers, Object Lock per deleted backup, what the lifecycle
 * rules expire), and `bytesFreed` is what leaves the bill. Exit 1 when a plan is refused as unsafe; the
 * reason goes to stderr (and `{ error }` with `--json`).
 */
export function retentionPlanCommand(deps: RetentionCommandDependencies): CliCommand {
  return {
    name: 'retention plan',
    summary: 'what retention keeps and deletes, and why (--store keeps the plan for apply)',
    usage: 'walcat retention plan [--cluster ID] [--store] [--json]',
    options: { store: { type: 'boolean' } },
    async run(context: CliContext): Promise<number> {
      const store = context.options.store === true;
      const documents: (
        | RetentionPlanJson
        | (RetentionPlanJson & { readonly bucket: ReturnType<typeof bucketJson> | null })
        | { readonly cluster: string; readonly error: string }
      )[] = [];
      const text: string[] = [];
      let refused = false;
      for (const cluster of context.clusters) {
        if (cluster.retention === undefined) {
          documents.push(noPlanJson(NO_RETENTION_POLICY));
          text.push(`cluster ${cluster.id}: ${NO_RETENTION_POLICY}`, '');
          continue;
        }
        try {
          const planned = await planClusterRetention(
            {
              catalog: deps.catalog(),
              objects: deps.objects(),
              plans: deps.plans(),
              ...(deps.serviceClock ? { serviceClock: deps.serviceClock() } : {}),
              ...(deps.inspector ? { inspector: deps.inspector() } : {}),
            },
            cluster,
            context.now,
            { store },
          );
          const review = deps.inspector
            ? await reviewRetentionBucket(
                { inspector: deps.inspector(), catalog: deps.catalog() },
                cluster,
                planned.plan,
                context.now,
              )
            : undefined;
          const json = retentionPlanJson(planned.plan);
          if (review?.kind === 'effects') {
            // bytesFreed is what leaves the bill: nothing now on a versioned bucket, never what a lock keeps.
            documents.push({
              ...json,
              bytesFreed: review.effects.bytesFreed,
              bucket: bucketJson(review.effects, planned.plan.bytesFreed),
            });
          } else {
            documents.push(review === undefined ? json : { ...json, bucket: null });
          }
          if (review?.kind === 'unreadable') context.stderr(`walcat: ${review.reason}`);
          text.push(renderRetentionPlan(planned.plan));
          if (review?.kind === 'effects') text.push(...review.effects.notes.map((note) => `bucket: ${note}`));
          if (planned.header) {
            const appliesAfter = new Date(planned.header.createdAt.getTime() + cluster.retention.applyGraceMs);
            text.push(
              `stored as ${planned.plan.planId} (it supersedes any pending plan): the daily retention run applies it after ${appliesAfter.toISOString()} (once \`walcat sync\` has run); apply now with \`walcat retention apply ${planned.plan.planId}\``,
            );
          } else {
            text.push(
              'shown only, not stored: the pending plan (if any) stays the one the daily run applies; `walcat retention plan --store` stores this one for `walcat retention apply`',
            );
          }
          text.push('');
        } catch (error) {
          if (!(error instanceof UnsafePlanError)) throw error;
          refused = true;
          context.stderr(`walcat: retention plan refused: ${error.message}`);
          documents.push({ cluster: cluster.id, error: error.message });
        }
      }
      if (context.json) context.stdout(JSON.stringify(documents.length === 1 ? documents[0] : documents));
      else if (text.length > 0) context.stdout(text.join('\n'));
      return refused ? EXIT_BAD_NEWS : EXIT_OK;
    },
  };
}
