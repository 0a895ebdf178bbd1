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
  /** The stack's SSM-compatible endpoint (SendCommand and friends run host scripts on this machine). */
  readonly ssmEndpoint?: string;
  readonly pid: number;
  /** Region the emulators are addressed with. */
  readonly region?: string;
  /** The only S3 credentials s3rver accepts (not secrets: emulator constants). */
  readonly s3Credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The stack's folder (`WALCAT_LOCAL_DIR` or `.walcat-local`). */
  readonly dataDir?: string;
  /** The local PostgreSQL: port, unix socket directory, data directory and server log. */
  readonly postgres?: {
    readonly port: number;
    readonly socketDir: string;
    readonly dataDir: string;
    readonly logFile: string;
  };
  /**
   * The scratch host restores and drills go to: this machine as another instance; `walcat --local restore start`
   * restores into `<restoresDir>/<job id>` unless `--pg-data` says otherwise.
   */
  readonly scratch?: { readonly instanceId: string; readonly restoresDir: string };
  readonly startedAt?: string;
}

/** How `walcat local` runs, from its options and the environment. */
export interface LocalStackSettings {
  readonly dir: string;
  /** First of the consecutive ports the stack listens on; absent means free ports chosen by the system. */
  readonly portBase?: number;
  /** The environment host scripts start with, as on a host: this shell's PATH (runuser, envdir, node) and locale. */
  readonly hostEnv: Readonly<Record<string, string>>;
}

/**
 * Reads the local stack's settings: the folder (`WALCAT_LOCAL_DIR`) and the ports (`--port-base` wins over
 * `WALCAT_LOCAL_PORT_BASE`; neither means free ports).
 *
 * @example readLocalStackSettings({ WALCAT_LOCAL_PORT_BASE: '47100' }).portBase // 47100
 */
export function readLocalStackSettings(
  options: { readonly portBase?: string } = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
): LocalStackSettings {
  const text = options.portBase ?? env.WALCAT_LOCAL_PORT_BASE;
  const source = options.portBase === undefined ? 'WALCAT_LOCAL_PORT_BASE' : '--port-base';
  const hostEnv = { PATH: env.PATH ?? '/usr/local/bin:/usr/bin:/bin', LANG: env.LANG ?? 'C.UTF-8' };
  if (text === undefined || text.trim() === '') return { dir: localStackDir(env), hostEnv };
  const portBase = Number(text);
  if (!Number.isInteger(portBase) || portBase < 1024 || portBase > 65_530) {
    throw new ConfigError(
      `${source} ${JSON.stringify(text)} is not a port from 1024 to 65530; the stack uses it and the next 5 ports (e.g. 47100), or leave it unset for free ports`,
    );
  }
  return { dir: localStackDir(env), portBase, hostEnv };
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
