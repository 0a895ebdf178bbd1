/**
 * The skeleton every host script shares, and the parser of its result line.
 *
 * A host script is a bash program that SSM Run Command (document `AWS-RunShellScript`) or the local shell transport
 * runs as root on a database host. It is built from {@link ScriptStep}s; every value in it is validated and single-
 * quoted (shell-quote.ts). The skeleton:
 *
 * - `#!/bin/bash`, `set -euo pipefail`, `umask 077`, `cd /` (the SSM working directory is not readable by the OS
 *   user, and psql/wal-g complain about an unreadable working directory);
 * - runs PostgreSQL-side commands as the OS user with `runuser -u <user> --`. Chosen over `sudo -u` because
 *   runuser ships with util-linux on every systemd distribution (sudo is missing from minimal images), needs no
 *   sudoers policy, never prompts or needs a tty, and does not reset the environment or PATH the way sudo's
 *   `env_reset`/`secure_path` do; like sudo it passes argv straight to exec, with no second shell parse. When the
 *   script already runs as the OS user (a non-root local stack), commands run directly;
 * - runs WAL-G (and psql, which needs the same `PGHOST`/`PGPORT`) as `envdir <walgEnvDir> <cmd> ...` when
 *   `walgEnvDir` is set. Hosts without daemontools' `envdir` get the same semantics from a built-in loader (each
 *   file in the directory is one variable: its first line with trailing blanks removed; an empty file unsets it);
 * - sends everything but the result line to stderr (the result goes to fd 3), so stdout carries only the result
 *   line: SSM keeps a bounded amount of inline output, and a chatty tool must not push the result out of it.
 *   Children inherit fd 3; transports therefore capture output in files, not pipes (a postmaster started by a step
 *   would otherwise hold the pipe open);
 * - keeps that stderr in a private file while it runs and copies it to the real stderr when it ends, so a failed
 *   result line carries the last lines of it (`stderrTail`: at most {@link RESULT_STDERR_LINES} lines and
 *   {@link RESULT_STDERR_BYTES} bytes, redacted where it is stored). SSM keeps only the first 8,000 characters of
 *   stderr inline, and a tool's own error (wal-g's last line) comes at the end;
 * - ends with exactly one machine-readable line, `WALCAT_RESULT <json>`, also when a step fails (an EXIT trap
 *   writes it), read back with {@link parseScriptResult}.
 *
 * Exit codes ({@link HOST_SCRIPT_EXIT}):
 *
 * | code | meaning | result line |
 * |---|---|---|
 * | 0 | success, or skipped (e.g. backup-push on a standby: the tag group is targeted, only the primary works) | `success` / `skipped` |
 * | 10 | a precondition failed (runuser missing, PGDATA not a directory, env dir unreadable) | `failed` |
 * | 11 | PostgreSQL did not answer a query (down, wrong PGHOST/PGPORT, authentication) | `failed` |
 * | 12 | a tool failed (wal-g, pg_ctl, systemctl, a step command) | `failed` |
 * | other | the script itself was aborted (signal, bash error); the EXIT trap still writes `failed` with the code | `failed` |
 *
 * Skipped exits 0 on purpose: an invocation on a standby is not a failure, and a non-zero code would turn the
 * whole SSM command into `Failed`.
 */

import type { HostSettings } from '../cluster.ts';
import { InvalidInputError } from '../errors.ts';
import {
  assertShellValue,
  MAX_HOST_SCRIPT_BYTES,
  quoteShellArg,
  type ShellFragment,
  shell,
  trustedShell,
  validateAbsolutePath,
  validateCommandPath,
  validateOsUser,
  validateScriptIdentifier,
} from './shell-quote.ts';

/** Exit codes of host scripts; see the table in the module documentation. */
export const HOST_SCRIPT_EXIT = {
  /** Success or skipped: read the result line. */
  ok: 0,
  preconditionFailed: 10,
  postgresUnavailable: 11,
  toolFailed: 12,
} as const;
export type HostScriptExitCode = (typeof HOST_SCRIPT_EXIT)[keyof typeof HOST_SCRIPT_EXIT];

/** The prefix of the result line. */
export const RESULT_MARKER = 'WALCAT_RESULT';

/** A failed result line carries at most this many of stderr's last lines, */
export const RESULT_STDERR_LINES = 40;
/** and at most this many bytes of them (before JSON escaping). */
export const RESULT_STDERR_BYTES = 4_000;

const OPEN = '$' + '{';
/**
 * `walcat_stderr_tail` prints the end of the script's stderr file as a JSON string: backslashes and quotes escaped,
 * line breaks and tabs as `\n` and `\t`, other control characters dropped (bytes, in the C locale).
 */
const STDERR_TAIL_FUNCTION = [
  'walcat_stderr_tail() {',
  // Always run in a command substitution: the script's ERR trap must not report from inside it.
  '  trap - ERR',
  '  local LC_ALL=C walcat_text',
  `  walcat_text=$(tail -n ${RESULT_STDERR_LINES} "$walcat_stderr_file" 2>/dev/null | tail -c ${RESULT_STDERR_BYTES}) || walcat_text=`,
  String.raw`  walcat_text=${OPEN}walcat_text//\\/\\\\}`,
  String.raw`  walcat_text=${OPEN}walcat_text//\"/\\\"}`,
  String.raw`  walcat_text=${OPEN}walcat_text//$'\n'/\\n}`,
  String.raw`  walcat_text=${OPEN}walcat_text//$'\t'/\\t}`,
  String.raw`  walcat_text=${OPEN}walcat_text//[$'\001'-$'\037'$'\177']/}`,
  `  printf '"%s"' "$walcat_text"`,
  '}',
].join('\n');

/** Who runs a step's command. */
export type RunAs = 'os-user' | 'root';

/**
 * One step of a host script. `name` (`[a-z][a-z0-9-]*`) is reported in the result line when the step fails or
 * skips. Values are plain strings: the builder validates and quotes them.
 */
export type ScriptStep =
  /** Runs `argv` (argv[0] is the program). With `withWalgEnv`, through the WAL-G env dir (implies the OS user). */
  | {
      readonly kind: 'command';
      readonly name: string;
      readonly argv: readonly string[];
      readonly runAs?: RunAs;
      readonly withWalgEnv?: boolean;
      readonly failureExitCode?: HostScriptExitCode;
    }
  /** Runs `<walgBinary> <args...>` as the OS user through the env dir. */
  | { readonly kind: 'wal-g'; readonly name: string; readonly args: readonly string[] }
  /**
   * Runs one SQL statement with psql as the OS user (through the env dir), unaligned, tuples only; with `captureAs`
   * its output (trailing newline removed) is kept in a variable for later steps and the result.
   */
  | { readonly kind: 'sql'; readonly name: string; readonly sql: string; readonly captureAs?: string }
  /** Ends the script as `skipped` with `reason` when a captured variable equals `equals`. */
  | {
      readonly kind: 'skip-if';
      readonly name: string;
      readonly variable: string;
      readonly equals: string;
      readonly reason: string;
    }
  /** Fails the script with `failureExitCode` unless `path` is an existing directory (`directory`) or file (`file`). */
  | {
      readonly kind: 'require-path';
      readonly name: string;
      readonly path: string;
      readonly type: 'directory' | 'file';
      readonly failureExitCode?: HostScriptExitCode;
    }
  /** Writes `content` byte for byte to `path` (replacing it), created with mode `mode` (octal string, default 0600). */
  | {
      readonly kind: 'write-file';
      readonly name: string;
      readonly path: string;
      readonly content: string;
      readonly runAs?: RunAs;
      readonly mode?: string;
    }
  /**
   * Any bash built with the `shell` tagged template (values quoted). The skeleton's functions are available as
   * {@link HOST_SCRIPT_FUNCTIONS}; captured variables as {@link capturedVariable}.
   */
  | {
      readonly kind: 'shell';
      readonly name: string;
      readonly fragment: ShellFragment;
      readonly failureExitCode?: HostScriptExitCode;
    };

export interface HostScriptSpec {
  /** Script name, `[a-z][a-z0-9-]*`, reported in the result line (`backup-push`, `archiver-probe`, `restore-fetch`). */
  readonly name: string;
  readonly host: HostSettings;
  readonly steps: readonly ScriptStep[];
  /**
   * A captured variable holding JSON (e.g. from PostgreSQL's `json_build_object`) that becomes the result's `data`.
   * Without it `data` is `null`.
   */
  readonly resultFrom?: string;
}

/**
 * Functions every host script defines, for `shell` steps:
 * - `asOsUser cmd args...` runs a command as the OS user;
 * - `withWalgEnv cmd args...` runs it as the OS user inside the WAL-G env dir (when configured);
 * - `walg args...` runs the configured WAL-G binary that way;
 * - `psql args...` runs psql (`-X -A -t -q -v ON_ERROR_STOP=1`) that way;
 * - `fail code` ends the script as failed with that exit code.
 */
export const HOST_SCRIPT_FUNCTIONS = {
  asOsUser: trustedShell('walcat_as_os_user'),
  withWalgEnv: trustedShell('walcat_with_walg_env'),
  walg: trustedShell('walcat_walg'),
  psql: trustedShell('walcat_psql'),
  fail: trustedShell('walcat_fail'),
} as const;

const VARIABLE = /^[a-z][a-z0-9_]{0,62}$/u;

/**
 * The bash expansion of a captured variable, for `shell` steps (`"$walcat_var_<name>"`, double-quoted).
 *
 * @example capturedVariable('in_recovery').text // '"$walcat_var_in_recovery"'
 */
export function capturedVariable(name: string): ShellFragment {
  return trustedShell(`"$${variableName(name)}"`);
}

function variableName(name: string): string {
  assertShellValue('variable', name, 64);
  if (!VARIABLE.test(name)) throw new InvalidInputError(`variable: ${JSON.stringify(name)} must match [a-z][a-z0-9_]*`);
  return `walcat_var_${name}`;
}

/**
 * The psql binary: next to pg_ctl when the service is `pg_ctl:<binDir>` (Debian keeps server binaries off the
 * PATH), otherwise `psql` from the PATH.
 */
function psqlBinary(host: HostSettings): string {
  return host.service.kind === 'pg_ctl' ? `${host.service.binDir.replace(/\/+$/u, '')}/psql` : 'psql';
}

/** Validates the host settings that reach every script; errors name the config field. */
function validatedHost(host: HostSettings): {
  osUser: string;
  walgBinary: string;
  envDir: string;
  psql: string;
} {
  const osUser = validateOsUser('hosts.osUser', host.osUser);
  const walgBinary = validateCommandPath('hosts.walgBinary', host.walgBinary);
  const envDir = host.walgEnvDir === undefined ? '' : validateAbsolutePath('hosts.walgEnvDir', host.walgEnvDir);
  if (host.service.kind === 'pg_ctl') validateAbsolutePath('hosts.service', host.service.binDir);
  return { osUser, walgBinary, envDir, psql: validateCommandPath('hosts.service', psqlBinary(host)) };
}

/**
 * envdir(8) semantics for hosts without daemontools, run as the OS user through `bash -c` with the directory and
 * the command as positional arguments: constant text, so nothing is ever parsed twice.
 */
export const ENVDIR_LOADER = [
  'set -euo pipefail',
  'dir=$1; shift',
  '[[ -d $dir && -r $dir && -x $dir ]] || { echo "walcat: env dir $dir is not a readable directory" >&2; exit 10; }',
  'for file in "$dir"/*; do',
  '  [[ -f $file ]] || continue',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: bash parameter expansion, not a JavaScript template.
  '  name=${file##*/}',
  '  [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue',
  '  if [[ ! -s $file ]]; then unset "$name"; continue; fi',
  '  value=',
  '  IFS= read -r value < "$file" || true',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: bash parameter expansion, not a JavaScript template.
  '  value=${value%"${value##*[![:blank:]]}"}',
  '  export "$name=$value"',
  'done',
  'exec "$@"',
].join('\n');

/**
 * {@link ENVDIR_LOADER} on one line, for settings that cannot hold a line break (a restored copy's
 * `restore_command` in postgresql.auto.conf).
 */
export const ENVDIR_LOADER_ONE_LINE = ENVDIR_LOADER.split('\n')
  .map((line) => line.trim())
  .join('; ')
  .replaceAll('; do; ', '; do ');

function prologue(name: string, host: ReturnType<typeof validatedHost>): string {
  const exit = HOST_SCRIPT_EXIT;
  return `#!/bin/bash
# walcat host script "${name}": generated; every value is validated and single-quoted.
# Exit codes: 0 success or skipped, ${exit.preconditionFailed} precondition failed, ${exit.postgresUnavailable} PostgreSQL unavailable, ${exit.toolFailed} tool failed.
# The last line on stdout is: ${RESULT_MARKER} {"status":"success"|"skipped"|"failed",...}
set -Eeuo pipefail
umask 077
cd /
readonly WALCAT_SCRIPT=${quoteShellArg(name)}
readonly WALCAT_OS_USER=${quoteShellArg(host.osUser)}
readonly WALCAT_WALG_BINARY=${quoteShellArg(host.walgBinary)}
readonly WALCAT_WALG_ENV_DIR=${quoteShellArg(host.envDir)}
readonly WALCAT_PSQL=${quoteShellArg(host.psql)}
readonly WALCAT_ENVDIR_LOADER=${quoteShellArg(ENVDIR_LOADER)}
walcat_step_name=start
walcat_failure_code=${exit.preconditionFailed}
walcat_reported=0

# fd 3 is the original stdout and carries only the result line; everything else writes to stderr. The result is
# then written to the right place also from the ERR trap inside a step, whatever that step redirected. stderr is
# kept in a private file (fd 4 is the original stderr) so a failure can report its end; it is copied to the
# original stderr when the script ends.
walcat_stderr_file=$(mktemp /tmp/walcat-stderr.XXXXXXXX)
exec 3>&1 4>&2 1>>"$walcat_stderr_file" 2>&1
${STDERR_TAIL_FUNCTION}
walcat_report() {
  walcat_reported=1
  printf '%s %s\\n' '${RESULT_MARKER}' "$1" >&3
}
walcat_succeed() {
  walcat_report "{\\"status\\":\\"success\\",\\"script\\":\\"$WALCAT_SCRIPT\\",\\"data\\":\${1:-null}}"
  exit 0
}
walcat_skip() {
  walcat_report "{\\"status\\":\\"skipped\\",\\"script\\":\\"$WALCAT_SCRIPT\\",\\"step\\":\\"$walcat_step_name\\",\\"reason\\":\\"$1\\"}"
  exit 0
}
walcat_fail() {
  local code=$1 cause=\${2:-$1}
  walcat_report "{\\"status\\":\\"failed\\",\\"script\\":\\"$WALCAT_SCRIPT\\",\\"step\\":\\"$walcat_step_name\\",\\"exitCode\\":$code,\\"commandExitCode\\":$cause,\\"stderrTail\\":$(walcat_stderr_tail)}"
  exit "$code"
}
walcat_on_exit() {
  local code=$?
  if [[ $walcat_reported == 0 ]]; then
    walcat_report "{\\"status\\":\\"failed\\",\\"script\\":\\"$WALCAT_SCRIPT\\",\\"step\\":\\"$walcat_step_name\\",\\"exitCode\\":$code,\\"stderrTail\\":$(walcat_stderr_tail)}"
  fi
  cat "$walcat_stderr_file" >&4 2>/dev/null || true
  rm -f "$walcat_stderr_file"
}
trap walcat_on_exit EXIT
trap 'walcat_fail "$walcat_failure_code" "$?"' ERR

walcat_current_user=$(id -un)
if [[ $walcat_current_user != "$WALCAT_OS_USER" ]] && ! command -v runuser >/dev/null 2>&1; then
  echo "walcat: runuser (util-linux) is required to run commands as $WALCAT_OS_USER" >&2
  walcat_fail ${exit.preconditionFailed}
fi
walcat_as_os_user() {
  if [[ $walcat_current_user == "$WALCAT_OS_USER" ]]; then
    "$@"
  else
    runuser -u "$WALCAT_OS_USER" -- "$@"
  fi
}
walcat_with_walg_env() {
  if [[ -z $WALCAT_WALG_ENV_DIR ]]; then
    walcat_as_os_user "$@"
  elif command -v envdir >/dev/null 2>&1; then
    walcat_as_os_user envdir "$WALCAT_WALG_ENV_DIR" "$@"
  else
    walcat_as_os_user /bin/bash -c "$WALCAT_ENVDIR_LOADER" walcat-envdir "$WALCAT_WALG_ENV_DIR" "$@"
  fi
}
walcat_walg() {
  walcat_with_walg_env "$WALCAT_WALG_BINARY" "$@"
}
walcat_psql() {
  walcat_with_walg_env "$WALCAT_PSQL" -X -A -t -q -v ON_ERROR_STOP=1 "$@"
}
`;
}

function stepHeader(name: string, failureExitCode: HostScriptExitCode): string {
  const step = validateScriptIdentifier('step name', name);
  return `\n# step ${step}\nwalcat_step_name=${step}\nwalcat_failure_code=${failureExitCode}\n`;
}

function runAsPrefix(runAs: RunAs | undefined): string {
  return runAs === 'root' ? '' : 'walcat_as_os_user ';
}

/**
 * One step as bash. A failing command fails the step through the ERR trap (`set -E`), which reports the step's
 * failure code and the command's own exit code; commands are never put left of `||`, where bash would ignore
 * `set -e` for everything inside.
 */
function renderStep(step: ScriptStep): string {
  const exit = HOST_SCRIPT_EXIT;
  switch (step.kind) {
    case 'command': {
      const [program] = step.argv;
      if (program === undefined) throw new InvalidInputError(`step ${step.name}: argv is empty; name a program`);
      validateCommandPath(`step ${step.name} program`, program);
      const words = step.argv.map((value, index) => quoteShellArg(value, `step ${step.name} argv[${index}]`));
      const prefix = step.withWalgEnv === true ? 'walcat_with_walg_env ' : runAsPrefix(step.runAs);
      return `${stepHeader(step.name, step.failureExitCode ?? exit.toolFailed)}${prefix}${words.join(' ')}\n`;
    }
    case 'wal-g': {
      const words = step.args.map((value, index) => quoteShellArg(value, `step ${step.name} wal-g argument ${index}`));
      return `${stepHeader(step.name, exit.toolFailed)}walcat_walg ${words.join(' ')}\n`;
    }
    case 'sql': {
      const header = stepHeader(step.name, exit.postgresUnavailable);
      const sql = quoteShellArg(step.sql, `step ${step.name} sql`);
      if (step.captureAs === undefined) return `${header}walcat_psql -c ${sql}\n`;
      // The ERR trap is dropped inside the substitution so the parent reports psql's own exit code once.
      return `${header}${variableName(step.captureAs)}=$(trap - ERR; walcat_psql -c ${sql})\n`;
    }
    case 'skip-if': {
      const reason = validateScriptIdentifier(`step ${step.name} reason`, step.reason);
      const expected = quoteShellArg(step.equals, `step ${step.name} equals`);
      return `${stepHeader(step.name, exit.toolFailed)}if [[ \${${variableName(step.variable)}:-} == ${expected} ]]; then walcat_skip ${reason}; fi\n`;
    }
    case 'require-path': {
      const path = validateAbsolutePath(`step ${step.name} path`, step.path);
      const test = step.type === 'directory' ? '-d' : '-f';
      const code = step.failureExitCode ?? exit.preconditionFailed;
      const message = quoteShellArg(`walcat: ${step.type} ${path} does not exist`);
      return `${stepHeader(step.name, code)}if [[ ! ${test} ${quoteShellArg(path)} ]]; then echo ${message} >&2; walcat_fail ${code}; fi\n`;
    }
    case 'write-file': {
      const path = validateAbsolutePath(`step ${step.name} path`, step.path);
      const mode = step.mode ?? '0600';
      if (!/^0?[0-7]{3}$/u.test(mode)) {
        throw new InvalidInputError(`step ${step.name}: mode ${JSON.stringify(mode)} is not an octal mode like 0600`);
      }
      assertShellValue(`step ${step.name} content`, step.content);
      const writer = shell`${trustedShell(runAsPrefix(step.runAs))}/bin/bash -c ${WRITE_FILE_PROGRAM} walcat-write ${step.content} ${path} ${mode}`;
      return `${stepHeader(step.name, exit.toolFailed)}${writer.text}\n`;
    }
    case 'shell':
      return `${stepHeader(step.name, step.failureExitCode ?? exit.toolFailed)}${step.fragment.text}\n`;
    default: {
      const unknown: never = step;
      throw new InvalidInputError(`unknown script step ${JSON.stringify(unknown)}`);
    }
  }
}

/** Writes $1 to the file $2 byte for byte and sets mode $3: constant text, values arrive as positional arguments. */
const WRITE_FILE_PROGRAM = 'umask 077; printf %s "$1" > "$2"; chmod "$3" "$2"';

/**
 * Builds a host script from steps: the shared skeleton, then each step, then the success line. Throws
 * InvalidInputError naming the field for any value that fails validation (NUL, too long, wrong form).
 *
 * @example
 * buildHostScript({
 *   name: 'backup-push',
 *   host,
 *   steps: [
 *     { kind: 'sql', name: 'check-recovery', sql: 'select pg_is_in_recovery()', captureAs: 'in_recovery' },
 *     { kind: 'skip-if', name: 'skip-standby', variable: 'in_recovery', equals: 't', reason: 'standby' },
 *     { kind: 'wal-g', name: 'backup-push', args: ['backup-push', host.pgData] },
 *   ],
 * });
 */
export function buildHostScript(spec: HostScriptSpec): string {
  const name = validateScriptIdentifier('script name', spec.name);
  const host = validatedHost(spec.host);
  const body = spec.steps.map((step) => renderStep(step)).join('');
  const data = spec.resultFrom === undefined ? '' : ` "\${${variableName(spec.resultFrom)}:-null}"`;
  return `${prologue(name, host)}${body}\nwalcat_step_name=finish\nwalcat_succeed${data}\n`;
}

/** The parsed result line of a host script. */
export type ScriptResult =
  | { readonly status: 'success'; readonly script: string; readonly data: unknown }
  | { readonly status: 'skipped'; readonly script: string; readonly step: string; readonly reason: string }
  | {
      readonly status: 'failed';
      readonly script: string;
      readonly step: string;
      readonly exitCode: number;
      /** The exit code of the command that failed, when a step reported it. */
      readonly commandExitCode?: number;
      /** The last lines of the script's stderr (bounded; not yet redacted). */
      readonly stderrTail?: string;
    };

/**
 * Reads the last `WALCAT_RESULT <json>` line of a script's stdout. Returns undefined when there is none (the
 * script was killed, e.g. by the SSM execution timeout, or stdout was not captured); throws InvalidInputError
 * when the line is not a result.
 *
 * @example parseScriptResult('WALCAT_RESULT {"status":"skipped","script":"backup-push","step":"skip-standby","reason":"standby"}\n')
 * // { status: 'skipped', script: 'backup-push', step: 'skip-standby', reason: 'standby' }
 */
export function parseScriptResult(stdout: string): ScriptResult | undefined {
  const prefix = `${RESULT_MARKER} `;
  const line = stdout
    .split('\n')
    .map((candidate) => candidate.replace(/\r$/u, ''))
    .filter((candidate) => candidate.startsWith(prefix))
    .at(-1);
  if (line === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line.slice(prefix.length));
  } catch (cause) {
    throw new InvalidInputError(`host script result line is not JSON: ${JSON.stringify(line.slice(0, 200))}`, {
      cause,
    });
  }
  return toScriptResult(parsed, line);
}

function toScriptResult(parsed: unknown, line: string): ScriptResult {
  const bad = (why: string): InvalidInputError =>
    new InvalidInputError(`host script result line ${JSON.stringify(line.slice(0, 200))}: ${why}`);
  if (typeof parsed !== 'object' || parsed === null) throw bad('not an object');
  const record = parsed as Record<string, unknown>;
  const script = typeof record.script === 'string' ? record.script : '';
  const step = typeof record.step === 'string' ? record.step : '';
  switch (record.status) {
    case 'success':
      return { status: 'success', script, data: record.data ?? null };
    case 'skipped':
      return { status: 'skipped', script, step, reason: typeof record.reason === 'string' ? record.reason : '' };
    case 'failed': {
      if (typeof record.exitCode !== 'number') throw bad('failed without a numeric exitCode');
      return {
        status: 'failed',
        script,
        step,
        exitCode: record.exitCode,
        ...(typeof record.commandExitCode === 'number' ? { commandExitCode: record.commandExitCode } : {}),
        ...(typeof record.stderrTail === 'string' && record.stderrTail !== '' ? { stderrTail: record.stderrTail } : {}),
      };
    }
    default:
      throw bad(`status ${JSON.stringify(record.status)} is not success, skipped or failed`);
  }
}

/**
 * Wraps a host script so any POSIX shell runs it with bash. SSM's `aws:runShellScript` may hand the commands to
 * `/bin/sh` (dash on Debian/Ubuntu), where the shebang line is not honoured. The wrapper writes the script to a
 * private temporary file through a quoted here-document (no expansion at all, and no size blow-up from re-quoting
 * the way `bash -c '<script>'` would have, which also hits the 128 KiB argv limit) and runs it with bash. The
 * delimiter is chosen so that no line of the script equals it.
 *
 * @example wrapForPosixShell('#!/bin/bash\necho hi\n') // "walcat_script=$(mktemp ...)\ncat > ... <<'WALCAT_SCRIPT_END'\n#!/bin/bash\necho hi\nWALCAT_SCRIPT_END\n..."
 */
export function wrapForPosixShell(script: string): string {
  assertShellValue('host script', script, MAX_HOST_SCRIPT_BYTES);
  const lines = new Set(script.split('\n'));
  let delimiter = 'WALCAT_SCRIPT_END';
  while (lines.has(delimiter)) delimiter += '_';
  const body = script.endsWith('\n') ? script : `${script}\n`;
  return [
    'walcat_script=$(mktemp /tmp/walcat-host-script.XXXXXXXX) || exit 10',
    `cat > "$walcat_script" <<'${delimiter}'`,
    `${body}${delimiter}`,
    '/bin/bash "$walcat_script"',
    'walcat_status=$?',
    'rm -f "$walcat_script"',
    'exit "$walcat_status"',
    '',
  ].join('\n');
}
