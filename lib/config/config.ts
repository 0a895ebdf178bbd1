import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type * as z from 'zod';
import type { WalcatConfig } from '../domain/cluster.ts';
import { ConfigError } from '../domain/errors.ts';
import type { AwsEndpoints } from './aws-endpoints.ts';
import { CATALOG_TABLE_NAME, trimmedStorage, walcatConfigSchema } from './config-schema.ts';

/**
 * The one module that reads the environment and the config file.
 * Everything it returns is validated and deep-frozen; every error is a {@link ConfigError} naming the file or
 * variable, the field, the bad value and the fix.
 */

export const DEFAULT_CONFIG_FILE = 'walcat.config.yml';

type Environment = Readonly<Record<string, string | undefined>>;

/** What the process environment says about where walcat runs. */
export interface RuntimeEnvironment {
  /** `WALCAT_CONFIG`, else `walcat.config.yml` (relative paths are resolved against the working directory). */
  readonly configPath: string;
  /** `AWS_REGION`, else `AWS_DEFAULT_REGION`. */
  readonly region?: string;
  /** The standard `AWS_ENDPOINT_URL_<SERVICE>` overrides, each falling back to `AWS_ENDPOINT_URL`. */
  readonly endpoints: AwsEndpoints;
  /** `WALCAT_CATALOG_TABLE`: the deployed table name, which wins over the file's `catalogTable`. */
  readonly catalogTableOverride?: string;
  /**
   * `WALCAT_ALERTS_QUEUE_URL`: in the deployed stack every function hands its Slack messages to this queue and only
   * the alert-dispatch function reads the webhook secret. Unset (CLI, local stack): messages are posted directly.
   */
  readonly alertsQueueUrl?: string;
  /**
   * `WALCAT_CLUSTER_RUNS_QUEUE_URL`: a fanned-out scheduled function's own queue (its tick enqueues one run per due
   * cluster there). Unset (CLI, tests): a tick runs its clusters itself.
   */
  readonly clusterRunsQueueUrl?: string;
  /**
   * `WALCAT_SYNC_PARTS_QUEUE_URL`: catalog-sync's part queue, where a cluster too large for one invocation is split
   * into key-range parts. Unset (CLI, tests): every cluster syncs in one run.
   */
  readonly syncPartsQueueUrl?: string;
  /**
   * `WALCAT_HOST_COMMANDS_LOG_GROUP`: the stage's log group for host-command output (`/walcat/<stage>/host-commands`,
   * given to the functions by the stack; the CLI reads it from the stack's outputs).
   */
  readonly hostCommandsLogGroup?: string;
}

/** Recursively freezes plain objects and arrays (the config holds nothing else). */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) {
      deepFreeze(child);
    }
    Object.freeze(value);
  }
  return value;
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

function endpointUrl(env: Environment, variable: string): string | undefined {
  const fallback = 'AWS_ENDPOINT_URL';
  const name = nonEmpty(env[variable]) === undefined ? fallback : variable;
  const value = nonEmpty(env[name]);
  if (value === undefined) {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`environment ${name}: ${JSON.stringify(value)} is not a URL; use e.g. http://127.0.0.1:4569`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(
      `environment ${name}: ${JSON.stringify(value)} is not an http(s) URL; use e.g. http://127.0.0.1:4569`,
    );
  }
  return value;
}

/** What CloudWatch Logs accepts as a log group name. */
const LOG_GROUP_NAME = /^[\w\-/.#]{1,512}$/u;

/** The process environment, handed to entry points that pass it on (the CLI); read nowhere else. */
export function processEnvironment(): Environment {
  return process.env;
}

/**
 * Reads walcat's environment variables (the only place the product reads `process.env`).
 *
 * @example readRuntimeEnvironment({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4569' }).endpoints.s3 === 'http://127.0.0.1:4569'
 */
export function readRuntimeEnvironment(env: Environment = process.env): RuntimeEnvironment {
  const region = nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  const s3 = endpointUrl(env, 'AWS_ENDPOINT_URL_S3');
  const dynamodb = endpointUrl(env, 'AWS_ENDPOINT_URL_DYNAMODB');
  const ssm = endpointUrl(env, 'AWS_ENDPOINT_URL_SSM');
  const sqs = endpointUrl(env, 'AWS_ENDPOINT_URL_SQS');
  const catalogTableOverride = nonEmpty(env.WALCAT_CATALOG_TABLE);
  const alertsQueueUrl = nonEmpty(env.WALCAT_ALERTS_QUEUE_URL);
  const clusterRunsQueueUrl = nonEmpty(env.WALCAT_CLUSTER_RUNS_QUEUE_URL);
  const syncPartsQueueUrl = nonEmpty(env.WALCAT_SYNC_PARTS_QUEUE_URL);
  const hostCommandsLogGroup = nonEmpty(env.WALCAT_HOST_COMMANDS_LOG_GROUP);
  if (hostCommandsLogGroup !== undefined && !LOG_GROUP_NAME.test(hostCommandsLogGroup)) {
    throw new ConfigError(
      `environment WALCAT_HOST_COMMANDS_LOG_GROUP: ${JSON.stringify(hostCommandsLogGroup)} is not a CloudWatch Logs group name (1-512 of A-Z a-z 0-9 _ - / . #); use the stack output HostCommandsLogGroupName, e.g. /walcat/prod/host-commands`,
    );
  }
  if (catalogTableOverride !== undefined && !CATALOG_TABLE_NAME.test(catalogTableOverride)) {
    throw new ConfigError(
      `environment WALCAT_CATALOG_TABLE: ${JSON.stringify(catalogTableOverride)} is not a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -); unset it or fix the deployment`,
    );
  }
  const endpoints: AwsEndpoints = {
    ...(region === undefined ? {} : { region }),
    ...(s3 === undefined ? {} : { s3 }),
    ...(dynamodb === undefined ? {} : { dynamodb }),
    ...(ssm === undefined ? {} : { ssm }),
    ...(sqs === undefined ? {} : { sqs }),
  };
  return deepFreeze({
    configPath: nonEmpty(env.WALCAT_CONFIG) ?? DEFAULT_CONFIG_FILE,
    ...(region === undefined ? {} : { region }),
    endpoints,
    ...(catalogTableOverride === undefined ? {} : { catalogTableOverride }),
    ...(alertsQueueUrl === undefined ? {} : { alertsQueueUrl }),
    ...(clusterRunsQueueUrl === undefined ? {} : { clusterRunsQueueUrl }),
    ...(syncPartsQueueUrl === undefined ? {} : { syncPartsQueueUrl }),
    ...(hostCommandsLogGroup === undefined ? {} : { hostCommandsLogGroup }),
  });
}

/** `clusters[0].retention.pitrWindow` from `['clusters', 0, 'retention', 'pitrWindow']`. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? String(part) : `.${String(part)}`))
    .join('');
}

/** Messages for zod's built-in checks; the schema's own checks carry their messages. */
function builtInMessage(issue: z.core.$ZodRawIssue): string | undefined {
  const got = issue.input === undefined ? 'missing' : JSON.stringify(issue.input);
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? `is missing; it is required (see walcat.config.example.yml)`
        : `${got} is not ${issue.expected === 'object' ? 'a mapping of keys' : `a ${issue.expected}`}; see walcat.config.example.yml`;
    default:
      return undefined;
  }
}

/**
 * Validates the text of a config file. `sourceName` names the file in error messages.
 *
 * @throws ConfigError naming the file, each bad field with its value, and the fix.
 * @example parseWalcatConfig(readFileSync('walcat.config.yml', 'utf8'), 'walcat.config.yml')
 */
export function parseWalcatConfig(text: string, sourceName: string): WalcatConfig {
  return parseWalcatConfigWithNotices(text, sourceName).config;
}

/** A valid config and what its reader should know about it although it works (each names the file and field). */
export interface ConfigWithNotices {
  readonly config: WalcatConfig;
  readonly notices: readonly string[];
}

/**
 * Notices about a valid config: storage written with slashes WAL-G trims (read as the trimmed prefix), and a
 * cluster whose storage lies inside another cluster's (it works, each key belongs to the longest prefix, but a
 * tool pointed at the outer prefix, e.g. `wal-g delete`, also sees the inner cluster's objects).
 */
function configNotices(data: unknown, config: WalcatConfig, sourceName: string): string[] {
  const notices: string[] = [];
  const rawClusters = (data as { clusters?: { storage?: unknown }[] }).clusters ?? [];
  config.clusters.forEach((_cluster, index) => {
    const written = rawClusters[index]?.storage;
    const trimmed = typeof written === 'string' ? trimmedStorage(written) : undefined;
    if (trimmed !== undefined) {
      notices.push(
        `${sourceName}: clusters[${index}].storage ${JSON.stringify(written)} is read as ${trimmed} (WAL-G trims the slashes around the prefix); write it that way to silence this notice`,
      );
    }
  });
  config.clusters.forEach((inner, index) => {
    config.clusters.forEach((outer, outerIndex) => {
      if (
        outerIndex !== index &&
        outer.storage.bucket === inner.storage.bucket &&
        outer.storage.prefix !== inner.storage.prefix &&
        inner.storage.prefix.startsWith(outer.storage.prefix)
      ) {
        notices.push(
          `${sourceName}: clusters[${index}] (${inner.id}) stores into s3://${inner.storage.bucket}/${inner.storage.prefix}, inside clusters[${outerIndex}] (${outer.id}) at s3://${outer.storage.bucket}/${outer.storage.prefix}; walcat gives each key to the longest prefix, but WAL-G pointed at ${outer.id}'s prefix also lists ${inner.id}'s objects: give each cluster a prefix of its own if you can`,
        );
      }
    });
  });
  return notices;
}

/**
 * {@link parseWalcatConfig}, also returning the notices about a config that works but surprises (normalised
 * storage, one cluster's storage inside another's).
 */
export function parseWalcatConfigWithNotices(text: string, sourceName: string): ConfigWithNotices {
  const document = parseDocument(text, { uniqueKeys: true });
  const yamlProblem = document.errors[0];
  if (yamlProblem) {
    const position = yamlProblem.linePos?.[0];
    throw new ConfigError(
      `${sourceName}${position ? ` line ${position.line} column ${position.col}` : ''}: not valid YAML (${yamlProblem.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}); fix the syntax`,
      { cause: yamlProblem },
    );
  }
  let data: unknown;
  try {
    data = document.toJS();
  } catch (error) {
    // yaml refuses alias expansions that grow exponentially ("billion laughs") only here, with a ReferenceError.
    throw new ConfigError(
      `${sourceName}: YAML aliases expand too far (${error instanceof Error ? error.message : String(error)}); write the values out instead of nesting aliases`,
      { cause: error },
    );
  }
  // Parsed once per process: zod's compiled fast path (generated with new Function per object schema) would cost
  // more to generate at every cold start than it saves on a single parse.
  const result = walcatConfigSchema.safeParse(data ?? {}, { error: builtInMessage, jitless: true });
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const path = fieldPath(issue.path);
      return path === '' ? issue.message : `${path}: ${issue.message}`;
    });
    throw new ConfigError(
      problems.length === 1
        ? `${sourceName}: ${problems[0]}`
        : `${sourceName}: ${problems.length} problems:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
    );
  }
  const config = deepFreeze(result.data);
  return { config, notices: configNotices(data ?? {}, config, sourceName) };
}

/**
 * Reads and validates the config file: `options.path`, else `WALCAT_CONFIG`, else `walcat.config.yml` in the working
 * directory. `WALCAT_CATALOG_TABLE`, when set, replaces `catalogTable` (the deployed functions get the table name
 * from the stack).
 *
 * @throws ConfigError for a missing or unreadable file, invalid YAML or any invalid field.
 */
export function loadWalcatConfig(
  options: { path?: string; env?: Environment; onNotice?: (notice: string) => void } = {},
): WalcatConfig {
  const runtime = readRuntimeEnvironment(options.env ?? process.env);
  const path = resolve(options.path ?? runtime.configPath);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT'
        ? `${path}: config file not found; copy walcat.config.example.yml to walcat.config.yml, or point --config or WALCAT_CONFIG at your file`
        : `${path}: cannot read the config file (${code ?? String(error)}); check the path and its permissions`,
      { cause: error },
    );
  }
  const { config, notices } = parseWalcatConfigWithNotices(text, path);
  for (const notice of notices) options.onNotice?.(notice);
  if (runtime.catalogTableOverride === undefined || runtime.catalogTableOverride === config.catalogTable) {
    return config;
  }
  return deepFreeze({ ...config, catalogTable: runtime.catalogTableOverride });
}
