import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { closestName } from '../config/closest-name.ts';
import { processEnvironment } from '../config/config.ts';
import { ConfigError, InvalidInputError, UnsafePlanError } from '../domain/errors.ts';
import {
  type CliCommand,
  type CliContext,
  EXIT_BAD_NEWS,
  EXIT_UNREACHABLE,
  EXIT_USAGE,
  type OptionSpec,
} from './cli-command.ts';
import { type CliRuntime, type CommandEntry, createCliRuntime } from './cli-runtime.ts';

/** Where the CLI writes; injectable so tests run the real CLI in-process. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly now: () => Date;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  stderr: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  now: () => new Date(),
  env: processEnvironment(),
};

const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  config: { type: 'string' },
  cluster: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  local: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** The package's version, from its package.json. */
export function walcatVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

/**
 * Runs one CLI invocation and returns its exit code: 0 success, 1 bad news a script should act on, 2 usage or
 * configuration error, 3 a service walcat needs could not be reached.
 */
export async function main(argv: readonly string[], io: CliIo = defaultIo, runtime?: CliRuntime): Promise<number> {
  const wantsJson = argv.includes('--json');
  let cliRuntime: CliRuntime | undefined = runtime;
  try {
    const words = commandWords(argv);
    if (words.length === 0 && argv.includes('--version')) {
      io.stdout(`walcat ${walcatVersion()}`);
      return 0;
    }
    if (words.length === 0 || words[0] === 'help') {
      const asked = words[0] === 'help' || argv.includes('--help') || argv.includes('-h');
      (asked ? io.stdout : io.stderr)(usage(COMMAND_SUMMARIES));
      return asked ? 0 : EXIT_USAGE;
    }
    cliRuntime ??= await createCliRuntime({
      argv,
      env: io.env,
      stderr: io.stderr,
      color: io === defaultIo && process.stdout.isTTY === true && !io.env.NO_COLOR,
    });
    const commands = cliRuntime.commands;
    const entry = findCommand(commands, words);
    const groupEntries = commands.filter((c) => c.name.startsWith(`${words[0]} `));
    if (!entry && groupEntries.length > 0) {
      const group = await Promise.all(groupEntries.map((c) => c.load()));
      const asked = argv.includes('--help') || argv.includes('-h');
      const unknown = words[1] === undefined ? '' : `unknown ${words[0]} command ${JSON.stringify(words[1])}; `;
      (asked ? io.stdout : io.stderr)(
        `${asked ? '' : `walcat: ${unknown}walcat ${words[0]} needs one of: ${group.map((c) => c.name.split(' ')[1]).join(', ')}\n\n`}${group.map((c) => `walcat ${c.name}: ${c.summary}\n  usage: ${c.usage ?? `walcat ${c.name}`}`).join('\n')}`,
      );
      return asked ? 0 : EXIT_USAGE;
    }
    if (!entry) {
      throw new InvalidInputError(
        `unknown command ${JSON.stringify(words.slice(0, 2).join(' '))}; run \`walcat help\` for the list of commands`,
      );
    }
    // Only this command's module and the SDK clients it uses are loaded (a chunk of its own in the bundle).
    const command = await entry.load();
    const parsed = parseOptions(argv, command);
    if (parsed.values.help) {
      io.stdout(`walcat ${command.name}: ${command.summary}\n\nusage: ${command.usage ?? `walcat ${command.name}`}`);
      return 0;
    }
    const config = command.requiresConfig === false ? { catalogTable: '', clusters: [] } : await cliRuntime.config();
    const selected = parsed.values.cluster as string[] | undefined;
    const clusters = selected ? selected.map((id) => requireCluster(config.clusters, id)) : config.clusters;
    const context: CliContext = {
      config,
      clusters,
      json: Boolean(parsed.values.json),
      options: parsed.values as CliContext['options'],
      positionals: parsed.positionals.slice(command.name.split(' ').length),
      now: io.now(),
      stdout: io.stdout,
      stderr: io.stderr,
    };
    return await command.run(context);
  } catch (error) {
    return reportError(error, wantsJson, io, cliRuntime);
  } finally {
    cliRuntime?.close();
  }
}

/**
 * The command's options, or an {@link InvalidInputError} naming the option and the fix instead of Node's parseArgs
 * text (which speaks of positionals and `--`).
 */
function parseOptions(argv: readonly string[], command: CliCommand) {
  const options = { ...GLOBAL_OPTIONS, ...(command.options ?? {}) };
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    if (!(error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')))
      throw error;
    const code = String(error.code);
    const known = Object.entries(options).map(([name, spec]) => `--${name}${spec.type === 'string' ? ' VALUE' : ''}`);
    const named = /'(-{1,2}[^' ]+)/.exec(error.message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const closest = closestName(named.replace(/^-+/, ''), Object.keys(options), 2);
      throw new InvalidInputError(
        `unknown option ${named} for walcat ${command.name}; ${closest ? `did you mean --${closest}? ` : ''}its options are ${known.join(', ')}`,
        { cause: error },
      );
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const name = named.replace(/^-+/, '');
      throw new InvalidInputError(
        options[name]?.type === 'boolean'
          ? `option ${named} of walcat ${command.name} takes no value; write ${named} alone`
          : `option ${named} of walcat ${command.name} needs a value, e.g. ${named} VALUE (usage: ${command.usage ?? `walcat ${command.name}`})`,
        { cause: error },
      );
    }
    throw new InvalidInputError(`${command.name}: ${error.message}`, { cause: error });
  }
}

/** The first two words that are neither options nor the values of the global `--config`/`--cluster` options. */
function commandWords(argv: readonly string[]): string[] {
  const words: string[] = [];
  for (let index = 0; index < argv.length && words.length < 2; index++) {
    const arg = argv[index] as string;
    if (arg === '--config' || arg === '--cluster') index++;
    else if (!arg.startsWith('-')) words.push(arg);
  }
  return words;
}

function findCommand(commands: readonly CommandEntry[], words: readonly string[]): CommandEntry | undefined {
  const two = words.slice(0, 2).join(' ');
  return commands.find((c) => c.name === two) ?? commands.find((c) => c.name === words[0]);
}

function requireCluster<T extends { id: string }>(clusters: readonly T[], id: string): T {
  const found = clusters.find((c) => c.id === id);
  if (!found) {
    const known = clusters.map((c) => c.id).join(', ') || '(none)';
    throw new ConfigError(`--cluster ${JSON.stringify(id)} is not in the config file; known clusters: ${known}`);
  }
  return found;
}

function reportError(error: unknown, json: boolean, io: CliIo, runtime: CliRuntime | undefined): number {
  const unreachable = runtime?.describeUnreachable?.(error);
  if (unreachable !== undefined) {
    io.stderr(`walcat: ${unreachable}`);
    if (json) io.stdout(JSON.stringify({ error: unreachable }));
    return EXIT_UNREACHABLE;
  }
  const message = error instanceof Error ? error.message : String(error);
  const usageError =
    error instanceof ConfigError ||
    error instanceof InvalidInputError ||
    (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
  const code = usageError ? EXIT_USAGE : EXIT_BAD_NEWS;
  io.stderr(`walcat: ${message}`);
  if (json) io.stdout(JSON.stringify({ error: message }));
  if (!usageError && !(error instanceof UnsafePlanError) && !(error instanceof InvalidInputError)) {
    io.stderr('walcat: (an unexpected error; run with WALCAT_DEBUG=1 for the stack trace)');
    if (io.env.WALCAT_DEBUG && error instanceof Error && error.stack) io.stderr(error.stack);
  }
  return code;
}

/** The command list for `walcat help`, kept here so help works without a config file or AWS. */
export const COMMAND_SUMMARIES: readonly { name: string; summary: string }[] = [
  { name: 'init', summary: 'create the catalog table, or bring an older one up to date (idempotent)' },
  { name: 'sync', summary: "list the cluster's storage and reconcile the catalog with it" },
  { name: 'backups', summary: 'base backups, oldest first' },
  { name: 'wal', summary: 'WAL per timeline: first and last segment, count, bytes' },
  { name: 'gaps', summary: 'continuity verdict and missing ranges' },
  { name: 'window', summary: 'restorable ranges' },
  { name: 'status', summary: 'one screen per cluster: last backup, WAL head, lag, gaps, window, alerts' },
  { name: 'retention plan', summary: 'what retention keeps and deletes, and why' },
  { name: 'retention apply', summary: 'execute a stored retention plan: walcat retention apply PLAN_ID' },
  { name: 'backup', summary: 'dispatch backup-push on the primary now' },
  { name: 'jobs', summary: 'list jobs with state, host, duration and outcome' },
  { name: 'restore plan', summary: 'plan a point-in-time restore: --to TIME|latest, --lsn, --name, --xid' },
  { name: 'restore start', summary: 'start a planned restore on a host' },
  { name: 'restore status', summary: 'steps of a restore job with durations: walcat restore status JOB' },
  { name: 'drill', summary: 'run a restore drill now and follow it to its end: walcat drill --cluster ID' },
  {
    name: 'doctor',
    summary: "check each cluster's bucket and wiring: notifications, lifecycle, versioning, lock, keys",
  },
  { name: 'local', summary: 'run the embedded local stack (also `npm start`)' },
];

function usage(commands: readonly { name: string; summary: string }[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: walcat <command> [--config PATH] [--cluster ID] [--json] [--local]',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    '  --version  print the version',
    '',
    'Exit codes: 0 success, 1 bad news to act on, 2 usage or configuration error, 3 a service could not be reached.',
  ].join('\n');
}
