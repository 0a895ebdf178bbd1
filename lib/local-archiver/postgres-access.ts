/**
 * DEVELOPMENT AND TEST TOOLING. When the tests or the local stack run as root, PostgreSQL runs as the `postgres` user
 * and its archive_command runs bin/wal-g-local.mjs from the checkout. A checkout in a private folder (`mktemp -d`
 * makes 0700 folders, /root is 0700) is out of that user's reach, and every archive would fail. This grants search
 * permission (o+x: pass through, not list) on the folders above a path, and says which ones it changed.
 */
import { chmodSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Adds o+x to every folder from `path` up to `/` that lacks it; returns the folders changed (only as root). */
export function grantPostgresSearchPath(path: string): string[] {
  if (process.getuid?.() !== 0) return [];
  const changed: string[] = [];
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      chmodSync(dir, (mode & 0o7777) | 0o001);
      changed.push(dir);
    }
    if (dir === dirname(dir)) return changed;
  }
}
