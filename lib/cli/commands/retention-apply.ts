import type { ClusterConfig } from '../../domain/cluster.ts';
import { InvalidInputError } from '../../domain/errors.ts';
import { parsePlanId } from '../../domain/retention/plan-id.ts';
import { applyClusterRetention } from '../../use-cases/apply-retention.ts';
import { type CliCommand, type CliContext, EXIT_BAD_NEWS, EXIT_OK } from '../cli-command.ts';
import type { RetentionCommandDependencies } from './retention-plan.ts';

/**
 * `walcat retention apply PLAN_ID`: executes a stored plan now (an operator asked, so the apply grace does not hold
 * it back; the fully-synced-catalog rule still does). Resumes a plan a killed run left half done. `--json` prints
 * `{ planId, status, deleted, locked: [{ key, code, message }], failed: [...], spared: [{ key, reason }] }` (`spared`: keys the
 * plan listed that the catalog at apply time still needs). Exit 1 when the plan is refused
 * or keys failed for reasons other than Object Lock; keys under Object Lock are reported and skipped.
 */
export function retentionApplyCommand(deps: RetentionCommandDependencies): CliCommand {
  return {
    name: 'retention apply',
    summary: 'execute a stored retention plan: walcat retention apply PLAN_ID',
    usage: 'walcat retention apply PLAN_ID [--json]',
    async run(context: CliContext): Promise<number> {
      const [planId, ...extra] = context.positionals;
      if (planId === undefined || extra.length > 0) {
        throw new InvalidInputError('usage: walcat retention apply PLAN_ID (the id `walcat retention plan` printed)');
      }
      const { cluster: clusterId } = parsePlanId(
        planId,
        context.config.clusters.map((cluster) => cluster.id),
      );
      const cluster = context.config.clusters.find((candidate) => candidate.id === clusterId) as ClusterConfig;
      const outcome = await applyClusterRetention(
        {
          catalog: deps.catalog(),
          objects: deps.objects(),
          plans: deps.plans(),
          ...(deps.serviceClock ? { serviceClock: deps.serviceClock() } : {}),
          ...(deps.inspector ? { inspector: deps.inspector() } : {}),
          ...(deps.versions ? { versions: deps.versions() } : {}),
        },
        cluster,
        { planId, now: context.now, explicit: true },
      );
      const locked = outcome.status === 'applied' ? outcome.locked : [];
      const failed = outcome.status === 'applied' ? outcome.failed : [];
      const spared = outcome.status === 'applied' ? outcome.spared : [];
      if (context.json) {
        context.stdout(
          JSON.stringify({
            planId,
            status: outcome.status,
            deleted:
              outcome.status === 'applied' || outcome.status === 'partial' || outcome.status === 'superseded'
                ? outcome.deleted
                : 0,
            locked,
            failed,
            spared,
            ...(outcome.status === 'applied'
              ? {
                  deletes: outcome.deletes,
                  ...(outcome.bytesFreed === undefined
                    ? {}
                    : { versionsDeleted: outcome.versionsDeleted, bytesFreed: outcome.bytesFreed }),
                }
              : {}),
          }),
        );
      } else if (outcome.status === 'already-applied') {
        context.stdout(`retention plan ${planId} was already applied; nothing to do`);
      } else if (outcome.status === 'superseded') {
        context.stdout(
          `retention plan ${planId} was superseded by a newer plan while it was applied: stopped after ${outcome.deleted} objects deleted; the newer plan has the rest`,
        );
      } else if (outcome.status === 'partial') {
        context.stdout(
          `retention plan ${planId}: ${outcome.deleted} objects deleted, ${outcome.batchesLeft} batches left; run the same command again to finish`,
        );
      } else if (outcome.status === 'applied') {
        const lines = [
          `retention plan ${planId} applied: ${outcome.deleted} objects deleted${outcome.resumedAfter > 0 ? ` (resumed after ${outcome.resumedAfter} batches done earlier)` : ''}${outcome.deletes === 'versions' ? `, every version of each (${outcome.versionsDeleted} versions, ${outcome.bytesFreed} bytes freed)` : outcome.deletes === 'delete-markers' ? ' (delete markers only: the versions stay billed until a NoncurrentVersionExpiration rule removes them)' : ''}`,
          ...locked.map((failure) => `  under Object Lock, kept: ${failure.key} (${failure.code})`),
          ...failed.map((failure) => `  not deleted: ${failure.key} (${failure.code}: ${failure.message})`),
          ...spared.map((spare) => `  needed at apply time, kept: ${spare.key} (${spare.reason})`),
        ];
        context.stdout(lines.join('\n'));
      }
      return failed.length > 0 ? EXIT_BAD_NEWS : EXIT_OK;
    },
  };
}
