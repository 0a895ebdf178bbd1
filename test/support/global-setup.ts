import { pgBinDir } from './postgres.ts';

/**
 * Checks prerequisites only. Services (s3rver, dynalite, PostgreSQL) are started per test file through the helpers in
 * test/support, so every file stays independent and can run alone.
 */
export default function setup(): void {
  try {
    pgBinDir();
  } catch (error) {
    // Tests that need PostgreSQL fail with the same message; say it once up front where it is easy to see.
    console.error(`\n[walcat test setup] ${(error as Error).message}\n`);
  }
}
