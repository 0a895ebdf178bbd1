/** Runs one CLI command the way bin/walcat does, for one cluster, collecting what it prints. */
import type { CliCommand, CliContext } from '../../lib/cli/cli-command.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';

export interface CliRun {
  readonly code: number;
  /** stdout, lines joined with `\n`. */
  readonly text: string;
  /** stderr, lines joined with `\n`. */
  readonly err: string;
}

export async function runCliCommand(
  command: CliCommand,
  cluster: ClusterConfig,
  run: { readonly json: boolean; readonly now: Date },
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const context: CliContext = {
    config: { catalogTable: 'unused', clusters: [cluster] },
    clusters: [cluster],
    json: run.json,
    options: {},
    positionals: [],
    now: run.now,
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
  };
  const code = await command.run(context);
  return { code, text: out.join('\n'), err: err.join('\n') };
}
