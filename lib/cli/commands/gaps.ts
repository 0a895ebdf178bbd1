import { type GapsJson, gapsJson } from '../../domain/continuity/gap-detection.ts';
import type { CatalogStore } from '../../ports/catalog-store.ts';
import { evaluateContinuity } from '../../use-cases/evaluate-continuity.ts';
import { type CliCommand, type CliContext, EXIT_BAD_NEWS, EXIT_OK } from '../cli-command.ts';
import { palette } from './continuity-output.ts';

export interface ContinuityCommandDependencies {
  readonly catalog: () => CatalogStore;
  /** Colour in human output: stdout is a TTY and NO_COLOR is unset (decided by the composition root). */
  readonly color: boolean;
}

/**
 * `walcat gaps`: the continuity verdict and missing ranges of each selected cluster. `--json` prints the
 * `gaps --json` document (shared/DESIGN.md) with an added `cluster` and `findings`; for several clusters, an array
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
          persistCursor: false,
          forceFull: context.options.full === true,
        });
        reports.push({ cluster: cluster.id, ...gapsJson(evaluation.gaps, cluster.walSegmentSize) });
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
    if (report.gaps.length === 0 && report.findings.length === 0) lines.push('  no missing WAL');
    for (const gap of report.gaps) {
      const range = gap.count === 1 ? gap.from : `${gap.from} .. ${gap.to}`;
      lines.push(
        `  ${gap.status.padEnd(9)} tl ${gap.timeline}  ${range}  (${gap.count} segment${gap.count === 1 ? '' : 's'})`,
      );
    }
    for (const finding of report.findings) {
      lines.push(`  ${String(finding.kind).padEnd(9)} ${describeFinding(finding)}`);
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
    case 'delayed':
      return `not archived yet: ${finding.from} .. ${finding.to} (${finding.count})`;
    default:
      return JSON.stringify(finding);
  }
}
