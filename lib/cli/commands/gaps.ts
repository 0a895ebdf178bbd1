import { type LifecycleConflictFinding, verdictWithLifecycle } from '../../domain/bucket/lifecycle-review.ts';
import { type GapsJson, gapsJson } from '../../domain/continuity/gap-detection.ts';
import type { CatalogStore } from '../../ports/catalog-store.ts';
import { type ContinuityEvaluation, evaluateContinuity } from '../../use-cases/evaluate-continuity.ts';
import { lifecycleAnswer } from '../../use-cases/review-bucket-lifecycle.ts';
import { type CliCommand, type CliContext, EXIT_BAD_NEWS, EXIT_OK } from '../cli-command.ts';
import { palette } from './continuity-output.ts';

export interface ContinuityCommandDependencies {
  readonly catalog: () => CatalogStore;
  /** Colour in human output: stdout is a TTY and NO_COLOR is unset (decided by the composition root). */
  readonly color: boolean;
}

/**
 * The cluster's `lifecycle-conflict` findings, from the bucket digest the catalog sync stored with the rest of the
 * cluster's state: no S3 request. They add to the answer but never replace it: rules the sync could not read are
 * reported on stderr and skipped.
 */
export function lifecycleFindingsOf(
  evaluation: Pick<ContinuityEvaluation, 'cluster' | 'bucket' | 'backups'>,
  context: CliContext,
): readonly LifecycleConflictFinding[] {
  const answer = lifecycleAnswer(evaluation.cluster, evaluation, context.now);
  if (answer.known) return answer.findings;
  if (answer.reason === 'unreadable') context.stderr(`walcat: ${answer.message}`);
  return [];
}

/**
 * `walcat gaps`: the continuity verdict and missing ranges of each selected cluster. `--json` prints the
 * `gaps --json` document (the README's JSON contract) with an added `cluster` and `findings`; for several clusters, an array
 * of them. Exit 1 when any cluster's verdict is FAILURE.
 */
export function gapsCommand(deps: ContinuityCommandDependencies): CliCommand {
  return {
    name: 'gaps',
    summary: 'continuity verdict and missing ranges',
    usage: 'walcat gaps [--cluster ID] [--json] [--full]',
    options: { full: { type: 'boolean' } },
    async run(context: CliContext): Promise<number> {
      const reports: Array<GapsJson & { cluster: string }> = [];
      for (const cluster of context.clusters) {
        const evaluation = await evaluateContinuity(deps.catalog(), cluster, {
          now: context.now,
          persistCursor: 'when-useful',
          forceFull: context.options.full === true,
        });
        const report = gapsJson(evaluation.gaps, cluster.walSegmentSize);
        const lifecycle = lifecycleFindingsOf(evaluation, context);
        reports.push({
          cluster: cluster.id,
          ...report,
          status: verdictWithLifecycle(report.status, lifecycle),
          findings: [...report.findings, ...lifecycle.map((finding) => ({ ...finding }))],
        });
      }
      if (context.json) {
        context.stdout(JSON.stringify(reports.length === 1 ? reports[0] : reports));
      } else {
        context.stdout(renderGaps(reports, deps.color));
      }
      return reports.some((report) => report.status === 'FAILURE') ? EXIT_BAD_NEWS : EXIT_OK;
    },
  };
}

function renderGaps(reports: ReadonlyArray<GapsJson & { cluster: string }>, color: boolean): string {
  const paint = palette(color);
  const lines: string[] = [];
  for (const report of reports) {
    lines.push(`${paint.bold(report.cluster)}  ${paint.status(report.status)}`);
    if (report.gaps.length === 0 && report.findings.length === 0) {
      lines.push(
        report.deletedByRetention.length === 0
          ? '  no missing WAL'
          : '  no gap: WAL is missing only where walcat retention deleted it',
      );
    }
    for (const gap of report.gaps) {
      const range = gap.count === 1 ? gap.from : `${gap.from} .. ${gap.to}`;
      lines.push(
        `  ${gap.status.padEnd(9)} tl ${gap.timeline}  ${range}  (${gap.count} segment${gap.count === 1 ? '' : 's'})`,
      );
    }
    for (const finding of report.findings) {
      lines.push(`  ${String(finding.kind).padEnd(9)} ${describeFinding(finding)}`);
    }
    // The window splits at these holes too; saying why keeps `walcat gaps` and `walcat window` in agreement.
    for (const hole of report.deletedByRetention) {
      const range = hole.count === 1 ? hole.from : `${hole.from} .. ${hole.to}`;
      lines.push(
        `  ${'retention'.padEnd(9)} tl ${hole.timeline}  ${range}  (${hole.count} segment${hole.count === 1 ? '' : 's'} deleted by plan ${hole.planId}: not a gap)`,
      );
    }
  }
  return lines.join('\n');
}

function describeFinding(finding: Record<string, unknown>): string {
  switch (finding.kind) {
    case 'no-backup':
      return 'no complete base backup: nothing is restorable (run `walcat backup`)';
    case 'missing-history':
      return `timeline ${finding.timeline}: its .history file is missing`;
    case 'divergence':
      return `timeline ${finding.timeline} kept archiving after timeline ${finding.rivalTimeline} took over: ${finding.from} .. ${finding.to} (${finding.count})`;
    case 'segment-size-mismatch':
    case 'encrypted-history':
      return String(finding.problem);
    case 'foreign-system':
      return `backup ${finding.backup} has system identifier ${finding.systemIdentifier}, not the cluster's ${finding.clusterSystemIdentifier}: another database pushed into this prefix; never a restore base`;
    case 'unreadable-backup':
      return `backup ${finding.backup} is unreadable, never a restore base: ${finding.problem}`;
    case 'delayed':
      return `not archived yet: ${finding.from} .. ${finding.to} (${finding.count})`;
    case 'lifecycle-conflict':
      return `${finding.severity}: ${finding.message}`;
    default:
      return JSON.stringify(finding);
  }
}
