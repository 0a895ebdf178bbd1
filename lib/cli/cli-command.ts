import type { ClusterConfig, WalcatConfig } from '../domain/cluster.ts';

/** Exit codes of the CLI contract (the README, "Exit codes"). */
export const EXIT_OK = 0;
/** The answer is bad news a script should act on (FAILURE status, refused plan, unreachable target). */
export const EXIT_BAD_NEWS = 1;
/** Usage or configuration error. */
export const EXIT_USAGE = 2;
/** walcat could not reach a service it needs (DynamoDB, S3, SSM, the local stack); the message names it. */
export const EXIT_UNREACHABLE = 3;

export type OptionSpec = { readonly type: 'string' | 'boolean'; readonly multiple?: boolean; readonly short?: string };

/** What a command gets: validated config, the selected clusters, parsed options and where to write. */
export interface CliContext {
  readonly config: WalcatConfig;
  /** Clusters selected by `--cluster` (all when absent). */
  readonly clusters: readonly ClusterConfig[];
  readonly json: boolean;
  /** Option values by name (strings or booleans, as declared in the command's `options`). */
  readonly options: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
  readonly now: Date;
  readonly stdout: (text: string) => void;
  /** Progress and diagnostics; never part of `--json` output. */
  readonly stderr: (text: string) => void;
}

/**
 * One CLI command, e.g. `backups` or `retention plan` (the name may have two words). Command modules export a
 * factory that takes the adapters it needs as lazy getters (`{ catalog: () => CatalogStore }`); the CLI's
 * composition root (lib/cli/main.ts) builds them once, on first use.
 */
export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  /** Extra options beyond the global `--config`, `--cluster`, `--json`, `--local`. */
  readonly options?: Readonly<Record<string, OptionSpec>>;
  /** Usage line shown by `walcat help <command>`. */
  readonly usage?: string;
  /** False for commands that run without a config file (`local` writes its own). Default true. */
  readonly requiresConfig?: boolean;
  run(context: CliContext): Promise<number>;
}
