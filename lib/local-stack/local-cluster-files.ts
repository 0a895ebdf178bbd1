/**
 * The files that make the local stack's one demo cluster look like a real installation: `walcat.config.yml` (the
 * same schema as production, validated by the same parser) and the WAL-G env dir the host scripts run `envdir`
 * with. The ordinary CLI, pointed at the stack, reads exactly this config.
 */
import { chmodSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseWalcatConfig } from '../config/config.ts';
import type { WalcatConfig } from '../domain/cluster.ts';
import { LOCAL_WAL_SEGMENT_MIB, PG15_BIN_DIR } from './local-postgres.ts';
import { LOCAL_SCRATCH_TAG, localScratchPaths } from './local-scratch.ts';
import { LocalStackSetupError } from './local-stack-errors.ts';

export const LOCAL_BUCKET = 'walcat-local';
export const LOCAL_CLUSTER_ID = 'demo';
export const LOCAL_PREFIX = 'demo';
export const LOCAL_CATALOG_TABLE = 'walcat-local-catalog';
/** Not a real SSM parameter: the local notifier resolves every parameter to the local Slack receiver. */
export const LOCAL_SLACK_PARAMETER = '/walcat/local/slack';

// Paths end up in host scripts and the config's path fields, which accept only these characters.
const CONFIG_SAFE_PATH = /^\/[A-Za-z0-9._@%+=:,/-]*$/;

export interface LocalClusterFiles {
  readonly configPath: string;
  readonly walgEnvDir: string;
  readonly config: WalcatConfig;
}

export interface LocalClusterFileOptions {
  readonly dir: string;
  readonly pgDataDir: string;
  readonly osUser: string;
  readonly walgLocalBin: string;
  readonly backupEveryMinutes: number;
  /** Environment of wal-g-local: WALG_S3_PREFIX, endpoint, credentials, PGHOST/PGPORT/PGUSER, WALG_PG_BIN. */
  readonly walgEnv: Readonly<Record<string, string>>;
}

export function assertConfigSafePath(what: string, path: string): void {
  if (!CONFIG_SAFE_PATH.test(path)) {
    throw new LocalStackSetupError(
      `${what} ${JSON.stringify(path)} has characters walcat.config.yml does not accept in paths (only letters, digits and ._@%+=:,/-, no spaces): ${what === 'the stack folder' ? 'set WALCAT_LOCAL_DIR to a plain path such as /var/tmp/walcat-local' : 'clone walcat into a folder with a plain path'}`,
    );
  }
}

/**
 * The YAML of the demo cluster; small retention numbers so plans have something to say within half an hour, and a
 * drill every 10 minutes onto the scratch host (this machine again), into a data directory of the stack folder.
 */
export function localConfigYaml(options: LocalClusterFileOptions, walgEnvDir: string): string {
  const every = options.backupEveryMinutes;
  return [
    '# Written by `walcat local` at every start: the one demo cluster of the local stack. Edits are overwritten.',
    `catalogTable: ${LOCAL_CATALOG_TABLE}`,
    'clusters:',
    `  - id: ${LOCAL_CLUSTER_ID}`,
    `    storage: s3://${LOCAL_BUCKET}/${LOCAL_PREFIX}`,
    '    layout: wal-g',
    `    walSegmentSize: ${LOCAL_WAL_SEGMENT_MIB}MiB`,
    '    retention:',
    '      keepLast: 3',
    '      keepDaily: 2',
    '      pitrWindow: 30m',
    '      timezone: UTC',
    '      incompleteGrace: 10m',
    '      applyGrace: 5m',
    '    alerts:',
    `      slackWebhookParameter: ${LOCAL_SLACK_PARAMETER}`,
    '      archiveLagMax: 2m',
    `      backupMaxAge: ${every * 3}m`,
    '      uploadGrace: 1m',
    '    hosts:',
    `      target: { tagKey: 'walcat:cluster', tagValue: ${LOCAL_CLUSTER_ID} }`,
    `      pgData: ${options.pgDataDir}`,
    `      osUser: ${options.osUser}`,
    `      walgEnvDir: ${walgEnvDir}`,
    `      service: pg_ctl:${PG15_BIN_DIR}`,
    `      walgBinary: ${options.walgLocalBin}`,
    `    backupSchedule: rate(${every} ${every === 1 ? 'minute' : 'minutes'})`,
    '    drill:',
    '      schedule: rate(10 minutes)',
    `      target: { tagKey: '${LOCAL_SCRATCH_TAG.tagKey}', tagValue: ${LOCAL_SCRATCH_TAG.tagValue} }`,
    `      pgData: ${localScratchPaths(options.dir).drillPgData}`,
    '      checkSql: select count(*) >= 0 from walcat_demo.events',
    '',
  ].join('\n');
}

/**
 * Writes the env dir (one file per variable, readable by the OS user that runs wal-g-local: the values are the
 * emulator's fixed credentials, not secrets) and the config file, and returns the parsed config.
 */
export function writeLocalClusterFiles(options: LocalClusterFileOptions): LocalClusterFiles {
  assertConfigSafePath('the stack folder', options.dir);
  assertConfigSafePath('the wal-g-local script', options.walgLocalBin);
  const walgEnvDir = join(options.dir, 'walg-env');
  mkdirSync(walgEnvDir, { recursive: true });
  chmodSync(walgEnvDir, 0o755);
  for (const stale of readdirSync(walgEnvDir)) rmSync(join(walgEnvDir, stale), { force: true });
  for (const [name, value] of Object.entries(options.walgEnv)) {
    const file = join(walgEnvDir, name);
    writeFileSync(file, `${value}\n`);
    chmodSync(file, 0o644);
  }
  const configPath = join(options.dir, 'walcat.config.yml');
  const yaml = localConfigYaml(options, walgEnvDir);
  writeFileSync(configPath, yaml);
  chmodSync(configPath, 0o644);
  return { configPath, walgEnvDir, config: parseWalcatConfig(yaml, configPath) };
}
