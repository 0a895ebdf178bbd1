import * as z from 'zod';
import type {
  AlertSettings,
  ClusterConfig,
  ClusterId,
  DrillSettings,
  HostSettings,
  RetentionPolicy,
  StorageLocation,
  WalcatConfig,
} from '../domain/cluster.ts';
import { MIN_JOB_HISTORY_MS } from '../domain/jobs/job-history.ts';
import { DEFAULT_WAL_SEGMENT_SIZE, parseWalSegmentSize } from '../domain/wal/segment-size.ts';
import { closestName } from './closest-name.ts';
import { scheduleProblem } from './schedule-expression.ts';
import { isTimeZone } from './time-zone-name.ts';

/**
 * The schema of `walcat.config.yml` (the README, "Configuration"). Every object is strict, so a misspelt key
 * is an error instead of a silently ignored setting; every message names the bad value and how to fix it. The
 * output is the domain's {@link WalcatConfig} with durations in milliseconds.
 */

const DURATION_UNITS_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const DURATION_TEXT = /^(\d+)(s|m|h|d|w)$/;

/**
 * Milliseconds of a duration like `7d`, `36h`, `30m`, `45s` or `2w` (one number, one unit); undefined when the text
 * is not such a duration.
 */
export function parseDurationMs(text: string): number | undefined {
  const match = DURATION_TEXT.exec(text.trim());
  if (!match) {
    return undefined;
  }
  return Number(match[1]) * DURATION_UNITS_MS[match[2] as keyof typeof DURATION_UNITS_MS];
}

const show = (value: unknown): string => JSON.stringify(value) ?? String(value);

function unknownKeyMessage(keys: readonly PropertyKey[], allowed: readonly string[]): string {
  return keys
    .map((key) => {
      const name = String(key);
      const closest = closestName(name, allowed, Math.max(2, Math.floor(name.length / 3)));
      const hint = closest === undefined ? '' : `did you mean ${show(closest)}? `;
      return `unknown key ${show(name)}: ${hint}allowed keys are ${allowed.join(', ')}`;
    })
    .join('; ');
}

/** A strict object whose unknown-key error lists the allowed keys and the closest one. */
function strictObject<Shape extends z.ZodRawShape>(shape: Shape) {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? unknownKeyMessage(issue.keys, allowed) : undefined),
  });
}

/** A string checked by `accept`; `explain(value)` is the whole message (it names the value and the fix). */
function checkedString(accept: (value: string) => boolean, explain: (value: string) => string) {
  return z.string().refine(accept, { error: (issue) => explain(String(issue.input)) });
}

/** zod's type error for a bare number where a value with a unit belongs: say which unit to add. */
const needsUnit = (example: string) => (issue: { input?: unknown }) =>
  typeof issue.input === 'number' ? `${show(issue.input)} has no unit; add a unit (e.g. ${example})` : undefined;

function duration(example: string) {
  return z.string({ error: needsUnit(example) }).transform((text, context) => {
    const ms = parseDurationMs(text);
    if (ms === undefined) {
      context.addIssue({
        code: 'custom',
        input: text,
        message: `${show(text)} is not a duration; write a whole number and one unit s, m, h, d or w (e.g. ${example})`,
      });
      return z.NEVER;
    }
    return ms;
  });
}

const keepCount = z
  .number({ error: (issue) => `${show(issue.input)} is not a number; write a whole number >= 0 (e.g. 7)` })
  .int({ error: (issue) => `${show(issue.input)} is not a whole number; write a whole number >= 0 (e.g. 7)` })
  .min(0, { error: (issue) => `${show(issue.input)} is negative; write a whole number >= 0 (0 turns the tier off)` })
  .default(0);

// Characters that need no quoting in a shell: paths and names end up in commands run on the database hosts.
const SHELL_SAFE_PATH = /^\/[A-Za-z0-9._@%+=:,/-]*$/;
const absolutePath = (example: string) =>
  checkedString(
    (value) => SHELL_SAFE_PATH.test(value) && !value.split('/').includes('..'),
    (value) =>
      `${show(value)} is not an absolute path of letters, digits and ._@%+=:,/- (no spaces, quotes or ..); use e.g. ${example}`,
  );

const EC2_TAG_TEXT = /^[\p{L}\p{N} _.:/=+\-@]+$/u;
const hostTarget = strictObject({
  tagKey: checkedString(
    (value) => value.length <= 128 && EC2_TAG_TEXT.test(value) && !value.toLowerCase().startsWith('aws:'),
    (value) =>
      `${show(value)} is not an EC2 tag key (1-128 letters, digits, spaces and _.:/=+-@, not starting with aws:); e.g. walcat:cluster`,
  ),
  tagValue: checkedString(
    (value) => value.length <= 256 && EC2_TAG_TEXT.test(value),
    (value) => `${show(value)} is not an EC2 tag value (1-256 letters, digits, spaces and _.:/=+-@); e.g. orders-main`,
  ),
});

const retentionSchema = strictObject({
  keepLast: keepCount,
  keepDaily: keepCount,
  keepWeekly: keepCount,
  keepMonthly: keepCount,
  keepYearly: keepCount,
  pitrWindow: duration('7d'),
  timezone: checkedString(
    isTimeZone,
    (value) => `${show(value)} is not an IANA time zone; use e.g. UTC, Europe/Paris or America/New_York`,
  ).default('UTC'),
  incompleteGrace: duration('24h').prefault('24h'),
  applyGrace: duration('6h').prefault('6h'),
  maxClockSkew: duration('5m').prefault('5m'),
  versionedDeletes: z
    .enum(['versions', 'markers'], {
      error: (issue) =>
        `${show(issue.input)} is not a way to delete on a versioned bucket; use versions (remove every version, the bytes go) or markers (only add delete markers)`,
    })
    .optional(),
})
  .superRefine((value, context) => {
    const keeps = value.keepLast + value.keepDaily + value.keepWeekly + value.keepMonthly + value.keepYearly;
    if (keeps === 0 && value.pitrWindow === 0) {
      context.addIssue({
        code: 'custom',
        input: value,
        message:
          'keeps nothing: every keep count is 0 and pitrWindow is 0, so retention would delete every backup; keep at least one backup (e.g. keepLast: 1) or a window (e.g. pitrWindow: 7d)',
      });
    }
  })
  .transform(
    (value): RetentionPolicy => ({
      keepLast: value.keepLast,
      keepDaily: value.keepDaily,
      keepWeekly: value.keepWeekly,
      keepMonthly: value.keepMonthly,
      keepYearly: value.keepYearly,
      pitrWindowMs: value.pitrWindow,
      timezone: value.timezone,
      incompleteGraceMs: value.incompleteGrace,
      applyGraceMs: value.applyGrace,
      maxClockSkewMs: value.maxClockSkew,
      ...(value.versionedDeletes === undefined ? {} : { versionedDeletes: value.versionedDeletes }),
    }),
  );

const SSM_PARAMETER_NAME = /^\/[A-Za-z0-9_.\-/]{1,1010}$/;
const alertsSchema = strictObject({
  slackWebhookParameter: checkedString(
    (value) => SSM_PARAMETER_NAME.test(value),
    (value) =>
      /^[a-z]+:\/\//i.test(value)
        ? `${show(value.replace(/^(https?:\/\/[^/]+\/).*$/i, '$1…'))} is a URL, and a webhook URL is a secret: store it in SSM Parameter Store as a SecureString (aws ssm put-parameter --type SecureString --name /walcat/slack/<cluster> --value <url>) and put the parameter name here`
        : `${show(value)} is not an SSM parameter name; use a path starting with / (e.g. /walcat/slack/orders)`,
  ).optional(),
  archiveLagMax: duration('10m').prefault('10m'),
  backupMaxAge: duration('26h').prefault('26h'),
  uploadGrace: duration('5m').prefault('5m'),
}).transform(
  (value): AlertSettings => ({
    ...(value.slackWebhookParameter === undefined ? {} : { slackWebhookParameter: value.slackWebhookParameter }),
    archiveLagMaxMs: value.archiveLagMax,
    backupMaxAgeMs: value.backupMaxAge,
    uploadGraceMs: value.uploadGrace,
  }),
);

const DEFAULT_ALERTS: AlertSettings = alertsSchema.parse({});

const SYSTEMD_UNIT = /^[A-Za-z0-9@._:\\-]+$/;
const serviceSchema = z.string().transform((text, context): HostSettings['service'] => {
  const systemd = /^systemd:(.+)$/.exec(text);
  if (systemd && SYSTEMD_UNIT.test(systemd[1] as string)) {
    return { kind: 'systemd', unit: systemd[1] as string };
  }
  const pgCtl = /^pg_ctl:(.+)$/.exec(text);
  if (pgCtl && SHELL_SAFE_PATH.test(pgCtl[1] as string)) {
    return { kind: 'pg_ctl', binDir: pgCtl[1] as string };
  }
  context.addIssue({
    code: 'custom',
    input: text,
    message: `${show(text)} is neither systemd:<unit> nor pg_ctl:<absolute bin dir>; use e.g. systemd:postgresql@15-main or pg_ctl:/usr/lib/postgresql/15/bin`,
  });
  return z.NEVER;
});

const hostsSchema = strictObject({
  target: hostTarget,
  pgData: absolutePath('/var/lib/postgresql/15/main'),
  osUser: checkedString(
    (value) => /^[a-z_][a-z0-9_-]{0,31}$/.test(value),
    (value) => `${show(value)} is not a Unix user name ([a-z_][a-z0-9_-]*, at most 32 characters); e.g. postgres`,
  ).default('postgres'),
  walgEnvDir: absolutePath('/etc/wal-g.d/env').optional(),
  service: serviceSchema,
  walgBinary: checkedString(
    (value) => /^[A-Za-z0-9._-]+$/.test(value) || SHELL_SAFE_PATH.test(value),
    (value) => `${show(value)} is neither a command name nor an absolute path; use e.g. wal-g or /usr/local/bin/wal-g`,
  ).default('wal-g'),
}).transform(
  (value): HostSettings => ({
    target: value.target,
    pgData: value.pgData,
    osUser: value.osUser,
    ...(value.walgEnvDir === undefined ? {} : { walgEnvDir: value.walgEnvDir }),
    service: value.service,
    walgBinary: value.walgBinary,
  }),
);

const scheduleExpression = z.string().superRefine((text, context) => {
  const problem = scheduleProblem(text);
  if (problem !== undefined) {
    context.addIssue({
      code: 'custom',
      input: text,
      message: `${show(text)} is not an EventBridge schedule: ${problem}`,
    });
  }
});

const drillSchema = strictObject({
  schedule: scheduleExpression,
  target: hostTarget,
  pgData: absolutePath('/var/lib/postgresql/15/drill'),
  // The drill's own server control and WAL-G env dir; without them the drill runs pg_ctl on pgData.
  service: serviceSchema.optional(),
  walgEnvDir: absolutePath('/etc/wal-g.d/drill-env').optional(),
  checkSql: z
    .string()
    .min(1, { error: 'is empty; remove checkSql or give a query (e.g. select count(*) from orders)' })
    .optional(),
  // Objects in GLACIER, DEEP_ARCHIVE or an archive tier: thaw them through this retrieval tier first (the drill's
  // restore time then includes the thaw), or `never` to refuse such a drill (needs-thaw).
  thaw: z
    .enum(['never', 'Expedited', 'Standard', 'Bulk'], {
      error: (issue) =>
        `${show(issue.input)} is not a drill thaw choice; use Standard (the default), Bulk, Expedited or never`,
    })
    .default('Standard'),
  // Server settings for the scratch copy (e.g. port, shared_buffers); written as quoted postgresql.conf strings.
  settings: z
    .record(z.string(), z.union([z.string(), z.number()]).transform(String))
    .superRefine((settings, context) => {
      for (const name of Object.keys(settings)) {
        if (!/^[a-z][a-z0-9_.]*$/.test(name)) {
          context.addIssue({
            code: 'custom',
            path: [name],
            message: `${JSON.stringify(name)} is not a PostgreSQL setting name; use lower-case letters, digits, _ and . (e.g. shared_buffers)`,
          });
        }
      }
    })
    .optional(),
}).transform(
  (value): DrillSettings => ({
    schedule: value.schedule,
    target: value.target,
    pgData: value.pgData,
    thaw: value.thaw,
    ...(value.service === undefined ? {} : { service: value.service }),
    ...(value.walgEnvDir === undefined ? {} : { walgEnvDir: value.walgEnvDir }),
    ...(value.checkSql === undefined ? {} : { checkSql: value.checkSql }),
    ...(value.settings === undefined ? {} : { settings: value.settings }),
  }),
);

const S3_URL = /^s3:\/\/([^/]+)(?:\/(.*))?$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const storageSchema = z.string().transform((text, context): StorageLocation => {
  const match = S3_URL.exec(text);
  const bucket = match?.[1] ?? '';
  // WAL-G trims the slashes around the prefix (s3://bucket//review writes under review/); interior empty parts stay refused.
  const prefixPath = (match?.[2] ?? '').replace(/^\/+|\/+$/g, '');
  const prefixParts = prefixPath === '' ? [] : prefixPath.split('/');
  if (!match || !BUCKET_NAME.test(bucket) || prefixParts.some((part) => part === '' || part === '.' || part === '..')) {
    context.addIssue({
      code: 'custom',
      input: text,
      message: `${show(text)} is not s3://<bucket>/<prefix> with a valid bucket name and no empty, . or .. path parts inside the prefix; write it as WALG_S3_PREFIX, e.g. s3://acme-pg-backups/orders-main`,
    });
    return z.NEVER;
  }
  return { bucket, prefix: prefixParts.length === 0 ? '' : `${prefixParts.join('/')}/` };
});

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
/** `s3://bucket/prefix`, or `{ url: s3://bucket/prefix, kmsKeyArn: arn:aws:kms:... }` for an SSE-KMS bucket. */
const storageKeyedSchema = strictObject({
  url: storageSchema,
  kmsKeyArn: checkedString(
    (value) => KMS_KEY_ARN.test(value),
    (value) =>
      `${show(value)} is not a KMS key ARN; give the key's ARN (WALG_S3_SSE_KMS_ID), e.g. arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
  ),
}).transform((value): StorageLocation => ({ ...value.url, kmsKeyArn: value.kmsKeyArn }));
const storageWithKeySchema = z.unknown().transform((input, context): StorageLocation => {
  const result = (typeof input === 'string' ? storageSchema : storageKeyedSchema).safeParse(input);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    context.addIssue({ code: 'custom', input: issue.input, path: issue.path, message: issue.message });
  }
  return z.NEVER;
});

const walSegmentSizeSchema = z.string({ error: needsUnit('16MiB') }).transform((text, context) => {
  try {
    return parseWalSegmentSize(text);
  } catch {
    context.addIssue({
      code: 'custom',
      input: text,
      message: `${show(text)} is not a power of two from 1MiB to 1GiB; use the server's wal_segment_size (SHOW wal_segment_size), e.g. 16MiB`,
    });
    return z.NEVER;
  }
});

const clusterSchema = strictObject({
  id: checkedString(
    (value) => /^[a-z0-9-]+$/.test(value) && value.length <= 64,
    (value) => `${show(value)} is not a cluster id of lower-case letters, digits and - (at most 64); e.g. orders-main`,
  ),
  storage: storageWithKeySchema,
  layout: z
    .enum(['wal-g', 'wal-e'], { error: (issue) => `${show(issue.input)} is not a layout; use wal-g or wal-e` })
    .default('wal-g'),
  walSegmentSize: walSegmentSizeSchema.optional(),
  retention: retentionSchema.optional(),
  alerts: alertsSchema.optional(),
  hosts: hostsSchema.optional(),
  backupSchedule: scheduleExpression.optional(),
  drill: drillSchema.optional(),
}).transform(
  (value): ClusterConfig => ({
    id: value.id as ClusterId,
    storage: value.storage,
    layout: value.layout,
    walSegmentSize: value.walSegmentSize ?? DEFAULT_WAL_SEGMENT_SIZE,
    ...(value.retention === undefined ? {} : { retention: value.retention }),
    alerts: value.alerts ?? DEFAULT_ALERTS,
    ...(value.hosts === undefined ? {} : { hosts: value.hosts }),
    ...(value.backupSchedule === undefined ? {} : { backupSchedule: value.backupSchedule }),
    ...(value.drill === undefined ? {} : { drill: value.drill }),
  }),
);

/** How long finished jobs are kept: a duration of at least 7d (a job's lookups must outlive its run). */
const jobHistorySchema = z.string({ error: needsUnit('90d') }).transform((text, context) => {
  const ms = parseDurationMs(text);
  if (ms === undefined || ms < MIN_JOB_HISTORY_MS) {
    context.addIssue({
      code: 'custom',
      input: text,
      message:
        ms === undefined
          ? `${show(text)} is not a duration; write a whole number and one unit d or w (e.g. 90d)`
          : `${show(text)} is shorter than 7d; keep finished jobs at least 7d, since a job's lookups must outlive its run (e.g. 90d)`,
    });
    return z.NEVER;
  }
  return ms;
});

/** DynamoDB's table name rule. */
export const CATALOG_TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
export const DEFAULT_CATALOG_TABLE = 'walcat-catalog';

export const walcatConfigSchema = strictObject({
  catalogTable: checkedString(
    (value) => CATALOG_TABLE_NAME.test(value),
    (value) => `${show(value)} is not a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -); e.g. walcat-catalog`,
  ).default(DEFAULT_CATALOG_TABLE),
  jobHistory: jobHistorySchema.optional(),
  clusters: z
    .array(clusterSchema, {
      error: (issue) =>
        issue.input === undefined
          ? 'is missing; configure at least one cluster (see walcat.config.example.yml)'
          : `${show(issue.input)} is not a list; write clusters as a YAML list (- id: ...)`,
    })
    .min(1, { error: 'is empty; configure at least one cluster (see walcat.config.example.yml)' }),
})
  .superRefine((config, context) => {
    const firstById = new Map<string, number>();
    const firstByRoot = new Map<string, number>();
    config.clusters.forEach((cluster, index) => {
      const sameId = firstById.get(cluster.id);
      if (sameId !== undefined) {
        context.addIssue({
          code: 'custom',
          path: ['clusters', index, 'id'],
          input: cluster.id,
          message: `${show(cluster.id)} is already the id of clusters[${sameId}]; give every cluster its own id`,
        });
      } else {
        firstById.set(cluster.id, index);
      }
      const root = `s3://${cluster.storage.bucket}/${cluster.storage.prefix}`;
      const sameRoot = firstByRoot.get(root);
      if (sameRoot !== undefined) {
        context.addIssue({
          code: 'custom',
          path: ['clusters', index, 'storage'],
          input: root,
          message: `${show(root)} is already the storage of clusters[${sameRoot}]; two clusters archiving into one prefix would mix their WAL, so give each its own prefix`,
        });
      } else {
        firstByRoot.set(root, index);
      }
    });
  })
  .transform(
    ({ jobHistory, ...config }): WalcatConfig => ({
      ...config,
      ...(jobHistory === undefined ? {} : { jobHistoryMs: jobHistory }),
    }),
  ) satisfies z.ZodType<WalcatConfig, unknown>;

/**
 * The storage text as WAL-G reads it, when that differs from what was written only by slashes WAL-G trims (e.g.
 * `s3://bucket//review` → `s3://bucket/review/`); undefined when the text needs no trimming or is not an S3 URL.
 */
export function trimmedStorage(text: string): string | undefined {
  const match = S3_URL.exec(text);
  if (!match || !/^\/|\/\/$/.test(match[2] ?? '')) return undefined;
  const prefix = (match[2] as string).replace(/^\/+|\/+$/g, '');
  return `s3://${match[1]}/${prefix === '' ? '' : `${prefix}/`}`;
}
