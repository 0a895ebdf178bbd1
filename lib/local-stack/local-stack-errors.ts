import { ConfigError } from '../domain/errors.ts';

/**
 * Something the local stack needs is missing or taken (PostgreSQL binaries, the postgres OS user, a port, a folder
 * the postgres user can reach). The message names what, where, and the one thing to do about it; the CLI exits 2.
 */
export class LocalStackSetupError extends ConfigError {
  override readonly name: string = 'LocalStackSetupError';
}
