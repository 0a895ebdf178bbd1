import { windowJson } from '../../domain/continuity/restorable-window.ts';
import { evaluateContinuity } from '../../use-cases/evaluate-continuity.ts';
import { type CliCommand, type CliContext, EXIT_BAD_NEWS, EXIT_OK } from '../cli-command.ts';
import { palette, shortTime } from './continuity-output.ts';
import type { ContinuityCommandDependencies } from './gaps.ts';

/**
 * `walcat window`: the restorable ranges of each selected cluster, oldest first, each with the base backup it
 * restores from. `--json` prints `{ ranges: [...] }` (the README's JSON contract) with an added `cluster`; for several
 * clusters, an array of them. Exit 1 when a cluster has nothing restorable.
 */
export function windowCommand(deps: ContinuityCommandDependencies): CliCommand {
  return {
    name: 'window',
    summary: 'restorable ranges',
    usage: 'walcat window [--cluster ID] [--json] [--full]',
    options: { full: { type: 'boolean' } },
    async run(context: CliContext): Promise<number> {
      const documents: Array<ReturnType<typeof windowJson> & { cluster: string }> = [];
      for (const cluster of context.clusters) {
        const evaluation = await evaluateContinuity(deps.catalog(), cluster, {
          now: context.now,
          persistCursor: 'when-useful',
          forceFull: context.options.full === true,
        });
        documents.push({ cluster: cluster.id, ...windowJson(evaluation.windows) });
      }
      if (context.json) {
        context.stdout(JSON.stringify(documents.length === 1 ? documents[0] : documents));
      } else {
        const paint = palette(deps.color);
        const lines: string[] = [];
        for (const document of documents) {
          lines.push(paint.bold(document.cluster));
          if (document.ranges.length === 0) lines.push('  nothing restorable');
          for (const range of document.ranges) {
            lines.push(
              `  ${shortTime(new Date(range.from))} → ${shortTime(new Date(range.to))}  tl ${range.timeline}  ${paint.dim(`from ${range.baseBackup}`)}`,
            );
          }
        }
        lines.push(paint.dim('Range ends are the upload time of the last archived segment (see docs/continuity.md).'));
        context.stdout(lines.join('\n'));
      }
      return documents.some((document) => document.ranges.length === 0) ? EXIT_BAD_NEWS : EXIT_OK;
    },
  };
}
