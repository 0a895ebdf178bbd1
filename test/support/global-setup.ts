import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { grantPostgresSearchPath } from '../../lib/local-archiver/postgres-access.ts';
import { pgBinDir } from './postgres.ts';

/**
 * Checks prerequisites only. Services (s3rver, dynalite, PostgreSQL) are started per test file through the helpers in
 * test/support, so every file stays independent and can run alone.
 */
export default function setup(): void {
  // A missing system package stops the run at once with the command that installs it, instead of failing (or
  // skipping) test files one by one later.
  const root = join(import.meta.dirname, '..', '..');
  const check = spawnSync('/bin/bash', [join(root, 'scripts', 'setup-system.sh'), '--check'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (check.status !== 0) {
    throw new Error(`[walcat test setup] ${check.stderr.trim() || 'scripts/setup-system.sh --check failed'}`);
  }
  // PostgreSQL runs as postgres and archives through bin/wal-g-local.mjs in this checkout: it must reach it.
  const opened = grantPostgresSearchPath(root);
  if (opened.length > 0) {
    console.error(`\n[walcat test setup] let the postgres user pass through ${opened.join(', ')} (chmod o+x)\n`);
  }
  try {
    pgBinDir();
  } catch (error) {
    // Tests that need PostgreSQL fail with the same message; say it once up front where it is easy to see.
    console.error(`\n[walcat test setup] ${(error as Error).message}\n`);
  }
}
