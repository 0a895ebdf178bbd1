import type { ClusterConfig } from '../../domain/cluster.ts';
import { InvalidInputError } from '../../domain/errors.ts';
import {
  type RestorePlan,
  RestoreTargetUnreachableError,
  restorePlanToJson,
} from '../../domain/restore/restore-plan.ts';
import { parseRestoreTarget, type RestoreTarget } from '../../domain/restore/restore-target.ts';
import { walFileName } from '../../domain/wal/wal-segment.ts';
import type { CatalogStore } from '../../ports/catalog-store.ts';
import { planClusterRestore } from '../../use-cases/plan-restore.ts';
import { type CliCommand, type CliContext, EXIT_BAD_NEWS, EXIT_OK, type OptionSpec } from '../cli-command.ts';

export interface RestorePlanCommandDependencies {
  readonly catalog: () => CatalogStore;
}

/** The target options shared by `restore plan` and `restore start`. */
export const RESTORE_TARGET_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  to: { type: 'string' },
  lsn: { type: 'string' },
  name: { type: 'string' },
  xid: { type: 'string' },
};

/** The one cluster a restore command works on: `--cluster` is required when the config has several. */
export function singleCluster(context: CliContext, command: string): ClusterConfig {
  const [cluster, ...others] = context.clusters;
  if (!cluster || others.length > 0) {
    throw new InvalidInputError(
      `walcat ${command} works on one cluster; pass --cluster ID (configured: ${context.config.clusters.map((c) => c.id).join(', ') || 'none'})`,
    );
  }
  return cluster;
}

/** Reads `--to/--lsn/--name/--xid` (exactly one) into a target; errors are usage errors (exit 2). */
export function restoreTargetOf(context: CliContext): RestoreTarget {
  const text = (name: string) => {
    const value = context.options[name];
    return typeof value === 'string' ? value : undefined;
  };
  const to = text('to');
  const lsn = text('lsn');
  const name = text('name');
  const xid = text('xid');
  return parseRestoreTarget({
    ...(to === undefined ? {} : { to }),
    ...(lsn === undefined ? {} : { lsn }),
    ...(name === undefined ? {} : { name }),
    ...(xid === undefined ? {} : { xid }),
  });
}

/** The human summary of a plan. */
export function renderRestorePlan(plan: RestorePlan, cluster: ClusterConfig): string {
  const json = restorePlanToJson(plan, cluster.walSegmentSize);
  const size = cluster.walSegmentSize;
  return [
    `restore plan for ${json.cluster} to ${json.target} (${json.targetKind})`,
    `  base backup  ${json.baseBackup} (finished ${plan.baseBackup.finishTime?.toISOString() ?? 'unknown'})`,
    `  timeline     ${json.timeline}`,
    `  WAL          ${walFileName(plan.wal.from, size)} .. ${walFileName(plan.wal.to, size)}: ${json.wal.count} segments, ${json.wal.bytes} bytes stored`,
    `  range        ${json.range.from} .. ${json.range.to} on timeline ${json.range.timeline}`,
    ...(json.ancestry === null
      ? []
      : [
          `  ancestry     inferred: the switch to ${json.ancestry.inferredTimelines.length === 1 ? 'timeline' : 'timelines'} ${json.ancestry.inferredTimelines.join(', ')} was inferred from the first archived segment (unreadable: ${json.ancestry.unreadableHistories.join(', ')})`,
        ]),
    ...plan.reasons.map((reason) => `  why: ${reason}`),
  ].join('\n');
}

/**
 * `walcat restore plan --cluster C --to TIME|latest` (or `--lsn X/Y`, `--name P`, `--xid N`): which backup, which
 * timeline, which WAL and how much of it. `--json` prints `{ cluster, target, baseBackup, timeline, wal: { from, to,
 * count, bytes } }` (plus `targetKind`, `range`, `reasons`, `thaw`, `ancestry`). A target no restorable range reaches exits 1 with the
 * reason on stderr (and `{ error, reason, nearestRanges }` on stdout with `--json`); a malformed target exits 2.
 */
export function restorePlanCommand(deps: RestorePlanCommandDependencies): CliCommand {
  return {
    name: 'restore plan',
    summary: 'plan a point-in-time restore: --to TIME|latest, --lsn, --name, --xid',
    usage:
      'walcat restore plan --cluster ID (--to 2026-11-20T14:30:00Z | --to latest | --lsn X/Y | --name P | --xid N) [--json]',
    options: RESTORE_TARGET_OPTIONS,
    async run(context: CliContext): Promise<number> {
      const cluster = singleCluster(context, 'restore plan');
      const target = restoreTargetOf(context);
      try {
        const plan = await planClusterRestore({ catalog: deps.catalog() }, cluster, target, context.now);
        context.stdout(
          context.json
            ? JSON.stringify(restorePlanToJson(plan, cluster.walSegmentSize))
            : renderRestorePlan(plan, cluster),
        );
        return EXIT_OK;
      } catch (error) {
        if (!(error instanceof RestoreTargetUnreachableError)) throw error;
        context.stderr(`walcat: restore refused: ${error.message}`);
        if (context.json) {
          context.stdout(
            JSON.stringify({
              error: error.message,
              reason: error.reason,
              nearestRanges: error.nearestRanges.map((range) => ({
                timeline: range.timeline,
                from: range.from.toISOString(),
                to: range.to.toISOString(),
                baseBackup: range.baseBackup,
              })),
            }),
          );
        }
        return EXIT_BAD_NEWS;
      }
    },
  };
}
