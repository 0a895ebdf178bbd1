/**
 * Quoting and validation of every value that reaches a host script.
 *
 * Host scripts are bash programs sent through SSM Run Command and executed as root, so a value that escapes its
 * quotes is remote code execution on a database host. Two layers keep that from happening:
 *
 * 1. Every value is written as ONE POSIX single-quoted word (`'...'`, with `'` written as `'\''`). Inside single
 *    quotes bash expands nothing: no `$()`, no backticks, no globbing, no history, newlines are literal. The only
 *    byte that cannot be represented is NUL (bash strings and argv are NUL-terminated), so NUL is rejected.
 * 2. Values with a known form (paths, backup names, times, user names) are validated first, so a mistake in the
 *    config or a request is reported with the field and the fix instead of being faithfully passed to a tool.
 *
 * Script text is assembled only from {@link ShellFragment}s: constants written in this code base and quoted values,
 * via the {@link shell} tagged template, which quotes every interpolation that is not itself a fragment.
 */
import { InvalidInputError } from '../errors.ts';

/**
 * Largest value, in UTF-8 bytes, accepted into a script. Linux limits one argv string to 128 KiB
 * (MAX_ARG_STRLEN) and the whole SSM `commands` parameter is bounded too; no legitimate path, name, time or SQL
 * statement walcat sends comes near 16 KiB.
 */
export const MAX_SHELL_VALUE_BYTES = 16 * 1024;

/** Largest whole host script, in UTF-8 bytes (wrapped into one argv string: Linux allows 128 KiB). */
export const MAX_HOST_SCRIPT_BYTES = 100 * 1024;

/** Longest absolute path accepted (Linux PATH_MAX). */
export const MAX_PATH_BYTES = 4096;

declare const shellFragmentBrand: unique symbol;
/** Bash source text that is safe to paste into a script as is: a constant, or built only from quoted values. */
export type ShellFragment = { readonly text: string; readonly [shellFragmentBrand]: true };

const UNPAIRED_SURROGATE = /[\uD800-\uDFFF]/u;
const utf8 = new TextEncoder();

function describe(value: string): string {
  const shown = value.length > 60 ? `${value.slice(0, 60)}...` : value;
  return JSON.stringify(shown);
}

/**
 * Checks that a value can be passed to a host script byte for byte: no NUL, well-formed Unicode (an unpaired
 * surrogate would be replaced in UTF-8 and reach the host changed), at most `maxBytes` UTF-8 bytes.
 *
 * @example assertShellValue('hosts.pgData', '/var/lib/postgresql/15/main') // returns the value
 * @example assertShellValue('hosts.pgData', 'a\u0000b') // throws InvalidInputError naming hosts.pgData
 */
export function assertShellValue(field: string, value: string, maxBytes: number = MAX_SHELL_VALUE_BYTES): string {
  if (typeof value !== 'string') {
    throw new InvalidInputError(`${field}: expected a string, got ${typeof value}`);
  }
  if (value.includes('\u0000')) {
    throw new InvalidInputError(
      `${field}: value ${describe(value)} contains a NUL byte, which no shell argument can carry; remove it`,
    );
  }
  if (UNPAIRED_SURROGATE.test(value)) {
    throw new InvalidInputError(
      `${field}: value ${describe(value)} is not well-formed Unicode (unpaired surrogate); fix the encoding`,
    );
  }
  const bytes = utf8.encode(value).length;
  if (bytes > maxBytes) {
    throw new InvalidInputError(
      `${field}: value of ${bytes} bytes exceeds the limit of ${maxBytes} bytes for a value in a host script; ` +
        'shorten it',
    );
  }
  return value;
}

/**
 * Quotes a value as one POSIX shell word. The result, pasted anywhere a word is expected, is exactly `value`.
 *
 * @example quoteShellArg('/var/lib/postgresql') // "'/var/lib/postgresql'"
 * @example quoteShellArg("it's") // "'it'\\''s'"
 * @example quoteShellArg('') // "''"
 */
export function quoteShellArg(value: string, field = 'value', maxBytes: number = MAX_SHELL_VALUE_BYTES): string {
  assertShellValue(field, value, maxBytes);
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * Marks a constant piece of bash written in walcat's own source as safe. Never pass data to it: values go through
 * {@link shell} or {@link quoteShellArg}.
 *
 * @example trustedShell('set -euo pipefail')
 */
export function trustedShell(constantText: string): ShellFragment {
  return { text: constantText } as ShellFragment;
}

/** A fragment holding one quoted word, e.g. for an argv element. */
export function quotedWord(value: string, field = 'value'): ShellFragment {
  return trustedShell(quoteShellArg(value, field));
}

export function isShellFragment(value: unknown): value is ShellFragment {
  return typeof value === 'object' && value !== null && typeof (value as { text?: unknown }).text === 'string';
}

/** Joins fragments with a separator (default one space). */
export function joinShell(fragments: readonly ShellFragment[], separator = ' '): ShellFragment {
  return trustedShell(fragments.map((fragment) => fragment.text).join(separator));
}

/**
 * Tagged template for bash: the literal parts are trusted source, every interpolated string or number is quoted as
 * one word, fragments are pasted as they are, arrays of either become space-separated words.
 *
 * @example shell`psql -c ${"select 'x'"}`.text // "psql -c 'select '\\''x'\\'''"
 * @example shell`cd ${'/tmp/a b'} && ${trustedShell('ls')}`.text // "cd '/tmp/a b' && ls"
 */
export function shell(
  literals: TemplateStringsArray,
  ...values: readonly (string | number | ShellFragment | readonly (string | ShellFragment)[])[]
): ShellFragment {
  let text = literals[0] ?? '';
  values.forEach((value, index) => {
    text += renderInterpolation(value) + (literals[index + 1] ?? '');
  });
  return trustedShell(text);
}

function renderInterpolation(value: string | number | ShellFragment | readonly (string | ShellFragment)[]): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidInputError(`shell value: ${value} is not a finite number`);
    return quoteShellArg(String(value));
  }
  if (typeof value === 'string') return quoteShellArg(value);
  if (isShellFragment(value)) return value.text;
  return value.map((item) => (typeof item === 'string' ? quoteShellArg(item) : item.text)).join(' ');
}

// Validators for values with a known form. Each returns the value unchanged or throws InvalidInputError naming the field.

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this rejects.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/u;

/**
 * An absolute path: starts with `/`, no control characters (a newline in a path is always a mistake), no `.` or `..`
 * segments, at most {@link MAX_PATH_BYTES}. Spaces, quotes, `$` and other shell characters are allowed: quoting
 * carries them.
 *
 * @example validateAbsolutePath('hosts.pgData', '/var/lib/postgresql/15/main')
 * @example validateAbsolutePath('hosts.pgData', 'data') // throws: not absolute
 */
export function validateAbsolutePath(field: string, value: string): string {
  assertShellValue(field, value, MAX_PATH_BYTES);
  if (!value.startsWith('/')) {
    throw new InvalidInputError(
      `${field}: path ${describe(value)} is not absolute; give the full path starting with /`,
    );
  }
  if (CONTROL_CHARACTER.test(value)) {
    throw new InvalidInputError(`${field}: path ${describe(value)} contains a control character (newline, tab...)`);
  }
  if (value.split('/').some((segment) => segment === '..' || segment === '.')) {
    throw new InvalidInputError(`${field}: path ${describe(value)} contains a . or .. segment; give the resolved path`);
  }
  return value;
}

const COMMAND_NAME = /^[A-Za-z0-9._+-]+$/u;

/**
 * A program: either a bare command name looked up on the host's PATH (`wal-g`) or an absolute path.
 *
 * @example validateCommandPath('hosts.walgBinary', 'wal-g')
 * @example validateCommandPath('hosts.walgBinary', '/usr/local/bin/wal-g')
 */
export function validateCommandPath(field: string, value: string): string {
  if (value.startsWith('/')) return validateAbsolutePath(field, value);
  assertShellValue(field, value, 255);
  if (!COMMAND_NAME.test(value) || value.startsWith('-')) {
    throw new InvalidInputError(
      `${field}: ${describe(value)} is neither an absolute path nor a plain command name ([A-Za-z0-9._+-], not starting with -)`,
    );
  }
  return value;
}

/** WAL-G backup names, full or delta (`base_<24 hex>[_D_<24 hex>]`), as `backup-fetch` and `backup-mark` accept. */
const BACKUP_NAME = /^base_[0-9A-F]{24}(_D_[0-9A-F]{24})?$/u;

/**
 * A WAL-G backup name, or `LATEST` when `allowLatest` is set (backup-fetch accepts it).
 *
 * @example validateBackupName('backup', 'base_000000010000000000000004')
 * @example validateBackupName('backup', 'base_000000010000000000000004_D_000000010000000000000002')
 */
export function validateBackupName(field: string, value: string, options: { allowLatest?: boolean } = {}): string {
  assertShellValue(field, value, 255);
  if (options.allowLatest === true && value === 'LATEST') return value;
  if (!BACKUP_NAME.test(value)) {
    throw new InvalidInputError(
      `${field}: ${describe(value)} is not a WAL-G backup name (base_<24 upper-case hex>[_D_<24 hex>]${
        options.allowLatest === true ? ' or LATEST' : ''
      }); copy it from \`walcat backups\``,
    );
  }
  return value;
}

const ISO_UTC_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/u;

/**
 * A point in time as ISO-8601 with seconds and an explicit zone (`Z` or `+hh:mm`), e.g. for
 * `recovery_target_time`. Returned unchanged (PostgreSQL parses this form).
 *
 * @example validateTimestamp('target', '2026-11-20T14:29:59Z')
 * @example validateTimestamp('target', '2026-11-20 14:29') // throws: no seconds, no zone
 */
export function validateTimestamp(field: string, value: string): string {
  assertShellValue(field, value, 64);
  if (!ISO_UTC_TIME.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidInputError(
      `${field}: ${describe(value)} is not an ISO-8601 time with seconds and zone (e.g. 2026-11-20T14:29:59Z)`,
    );
  }
  return value;
}

/** POSIX portable user names as useradd accepts them by default. */
const OS_USER = /^[a-z_][a-z0-9_-]{0,31}$/u;

/**
 * An operating-system user name (`postgres`).
 *
 * @example validateOsUser('hosts.osUser', 'postgres')
 * @example validateOsUser('hosts.osUser', 'root; rm -rf /') // throws
 */
export function validateOsUser(field: string, value: string): string {
  assertShellValue(field, value, 64);
  if (!OS_USER.test(value)) {
    throw new InvalidInputError(
      `${field}: ${describe(value)} is not an OS user name ([a-z_][a-z0-9_-]*, at most 32 characters), e.g. postgres`,
    );
  }
  return value;
}

const IDENTIFIER = /^[a-z][a-z0-9-]{0,62}$/u;

/**
 * A script or step name: lower-case words joined by `-`. These appear unquoted inside the JSON result line, so the
 * form is strict.
 *
 * @example validateScriptIdentifier('step', 'backup-push')
 */
export function validateScriptIdentifier(field: string, value: string): string {
  assertShellValue(field, value, 64);
  if (!IDENTIFIER.test(value)) {
    throw new InvalidInputError(`${field}: ${describe(value)} must match [a-z][a-z0-9-]* (at most 63 characters)`);
  }
  return value;
}
