/**
 * How this machine's PostgreSQL programs are run: as `postgres` through `runuser -u postgres --` when this process is
 * root (initdb and the postmaster refuse to run as root), as this user otherwise. The local stack's primary and the
 * tests' instances both run through here, so the two never disagree on who owns a data directory.
 */

import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync } from 'node:fs';

export const runningAsRoot = process.getuid?.() === 0;

/** The file and argv that run `program args` as the PostgreSQL OS user. */
export function asPostgresUser(program: string, args: readonly string[]): [string, string[]] {
  return runningAsRoot ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, [...args]];
}

let postgresIds: { uid: number; gid: number } | undefined;

/**
 * Sets `mode` on `path` and, as root, gives it to the postgres user.
 *
 * @throws Error when running as root and the postgres user does not exist (the postgresql-15 package creates it).
 */
export function giveToPostgresUser(path: string, mode: number): void {
  chmodSync(path, mode);
  if (!runningAsRoot) return;
  if (postgresIds === undefined) {
    const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (uid.status !== 0 || gid.status !== 0) {
      throw new Error(
        'the OS user postgres does not exist: install the Debian package postgresql-15, which creates it',
      );
    }
    postgresIds = { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  }
  chownSync(path, postgresIds.uid, postgresIds.gid);
}
