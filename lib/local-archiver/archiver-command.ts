import { fileURLToPath } from 'node:url';

/** `bin/wal-g-local.mjs`, the entry point PostgreSQL runs (readable by the postgres user). */
export const WAL_G_LOCAL_BIN = fileURLToPath(new URL('../../bin/wal-g-local.mjs', import.meta.url));

/** Environment for wal-g-local: `WALG_S3_PREFIX`, `AWS_ENDPOINT_URL_S3`, `AWS_ACCESS_KEY_ID`, ... */
export type LocalArchiverEnv = Readonly<Record<string, string>>;

/** Single-quotes a word for /bin/sh: `it's` becomes `'it'\''s'`. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/** PostgreSQL replaces `%p`, `%f`, `%r` in archive/restore commands; a literal percent sign is written `%%`. */
function escapePercent(text: string): string {
  return text.replaceAll('%', '%%');
}

/**
 * The value for PostgreSQL's `archive_command` (`wal-push "%p"`) or `restore_command` (`wal-fetch "%f" "%p"`) that
 * runs wal-g-local with `env` set: every value is shell-quoted and its `%` doubled, so any prefix, endpoint or key
 * survives both PostgreSQL's placeholder expansion and the shell. Write it into postgresql.conf as a quoted string
 * (see {@link localArchiverConfLine}).
 *
 * @example
 * localArchiverCommand('wal-push', { WALG_S3_PREFIX: 's3://b/p' })
 * // "WALG_S3_PREFIX='s3://b/p' '/usr/bin/node' '/work/main/bin/wal-g-local.mjs' wal-push \"%p\""
 */
export function localArchiverCommand(
  kind: 'wal-push' | 'wal-fetch',
  env: LocalArchiverEnv,
  nodePath: string = process.execPath,
): string {
  const assignments = Object.entries(env).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new TypeError(`environment variable name ${JSON.stringify(name)} is not a valid shell identifier`);
    }
    return `${name}=${escapePercent(shellQuote(value))}`;
  });
  const program = [nodePath, WAL_G_LOCAL_BIN].map((word) => escapePercent(shellQuote(word)));
  const args = kind === 'wal-push' ? ['wal-push', '"%p"'] : ['wal-fetch', '"%f"', '"%p"'];
  return [...assignments, ...program, ...args].join(' ');
}

/**
 * A whole postgresql.conf line: `archive_command = '...'` or `restore_command = '...'`, with the command quoted as
 * a conf string (quotes doubled, backslashes escaped).
 */
export function localArchiverConfLine(kind: 'wal-push' | 'wal-fetch', env: LocalArchiverEnv): string {
  const setting = kind === 'wal-push' ? 'archive_command' : 'restore_command';
  const command = localArchiverCommand(kind, env);
  return `${setting} = '${command.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}
