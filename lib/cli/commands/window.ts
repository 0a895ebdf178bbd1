import { windowJson } from '../../domain/continuity/restorable-window.ts';
import { evaluateContinuity } from '../../use-cases/evaluate-continuity.ts';
import { type CliCommand, type CliContext, EXIT_BAD_NEWS, EXIT_OK } from '../cli-command.ts';
import { palette, shortTime } from './continuity-output.ts';
import { type ContinuityCommandDependencies, lifecycleFindingsOf } from './gaps.ts';

/** A lifecycle rule that conflicts with the window (or other promises), as `window --json` lists it. */
interface WindowLifecycleJson {
  readonly rule: string;
  readonly severity: string;
  readonly conflict: string;
  readonly message: string;
}

const thawWords = { partly: 'partly needs a thaw', yes: 'needs a thaw' } as const;

/**
 * `walcat window`: the restorable ranges of each selected cluster, oldest first, each with the base backup it
 * restores from, cut into the parts that restore now and those whose objects must be thawed first (GLACIER,
 * DEEP_ARCHIVE, the archive tiers of INTELLIGENT_TIERING). `--json` prints `{ ranges: [...] }` (the README's JSON
 * contract) with an added `cluster` and `lifecycle` (the bucket's lifecycle rules that conflict with what walcat
 * keeps, from what the last catalog sync read); for several clusters, an array of them. Exit 1 when a cluster has
 * nothing restorable.
 */
export function windowCommand(deps: ContinuityCommandDependencies): CliCommand {
  return {
    name: 'window',
    summary: 'restorable ranges',
    usage: 'walcat window [--cluster ID] [--json] [--full]',
    options: { full: { type: 'boolean' } },
    async run(context: CliContext): Promise<number> {
      const documents: Array<ReturnType<typeof windowJson> & { cluster: string; lifecycle: WindowLifecycleJson[] }> =
        [];
      for (const cluster of context.clusters) {
        const evaluation = await evaluateContinuity(deps.catalog(), cluster, {
          now: context.now,
          persistCursor: 'when-useful',
          forceFull: context.options.full === true,
        });
        const lifecycle = lifecycleFindingsOf(evaluation, context).map(({ rule, severity, conflict, message }) => ({
          rule,
          severity,
          conflict,
          message,
        }));
        documents.push({ cluster: cluster.id, ...windowJson(evaluation.windows), lifecycle });
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
            const thaw = range.needsThaw === 'no' ? '' : `  ${paint.bold(thawWords[range.needsThaw])}`;
            const inferred = range.confidence === 'inferred' ? `  ${paint.bold('inferred')}` : '';
            lines.push(
              `  ${shortTime(new Date(range.from))} → ${shortTime(new Date(range.to))}  tl ${range.timeline}  ${paint.dim(`from ${range.baseBackup}`)}${thaw}${inferred}`,
            );
            if (range.needsThaw === 'no') continue;
            for (const part of range.parts) {
              const what =
                part.thaw === null ? 'restores now' : `needs a thaw (${part.thaw.storageClasses.join(', ')})`;
              lines.push(
                `    ${shortTime(new Date(part.from))} → ${shortTime(new Date(part.to))}  ${what}  ${paint.dim(`from ${part.baseBackup}`)}`,
              );
            }
          }
          // A lifecycle rule that expires or freezes part of these ranges makes them shorter or slower than listed.
          for (const conflict of document.lifecycle)
            lines.push(`  lifecycle  ${conflict.severity}: ${conflict.message}`);
        }
        lines.push(paint.dim('Range ends are the upload time of the last archived segment (see docs/continuity.md).'));
        if (documents.some((document) => document.ranges.some((range) => range.confidence === 'inferred'))) {
          lines.push(
            paint.dim(
              'An inferred range crosses a timeline switch walcat inferred from the first segment of the new timeline, because its .history file is not readable (client-side encryption); see walcat gaps.',
            ),
          );
        }
        if (documents.some((document) => document.ranges.some((range) => range.needsThaw !== 'no'))) {
          lines.push(
            paint.dim(
              'A part that needs a thaw restores with walcat restore start --thaw: S3 RestoreObject first, minutes to 48 hours by class and tier (walcat restore plan says which).',
            ),
          );
        }
        context.stdout(lines.join('\n'));
      }
      return documents.some((document) => document.ranges.length === 0) ? EXIT_BAD_NEWS : EXIT_OK;
    },
  };
}
