/**
 * How the CLI finds a running local stack (`npm start`): the stack writes `<dir>/stack.json` with its endpoints and
 * config file; `walcat --local <command>` or `WALCAT_LOCAL=1` makes the CLI use them. The directory is
 * `.walcat-local` under the current directory unless `WALCAT_LOCAL_DIR` names another.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../domain/errors.ts';

export interface LocalStackInfo {
  readonly configPath: string;
  readonly s3Endpoint: string;
  readonly dynamodbEndpoint: string;
  readonly webUrl?: string;
  readonly slackReceiverUrl?: string;
  readonly pid: number;
}

export function localStackDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return resolve(env.WALCAT_LOCAL_DIR ?? '.walcat-local');
}

export function wantsLocalStack(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): boolean {
  return argv.includes('--local') || env.WALCAT_LOCAL === '1' || env.WALCAT_LOCAL === 'true';
}

/** Reads the running stack's `stack.json`; a clear error when no stack runs there. */
export function readLocalStackInfo(dir: string): LocalStackInfo {
  const file = join(dir, 'stack.json');
  if (!existsSync(file)) {
    throw new ConfigError(
      `no local stack found at ${file}: start one with \`npm start\` in another terminal (or set WALCAT_LOCAL_DIR to its folder)`,
    );
  }
  const info = JSON.parse(readFileSync(file, 'utf8')) as LocalStackInfo;
  return info;
}
