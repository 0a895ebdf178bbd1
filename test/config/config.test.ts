import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadWalcatConfig, parseWalcatConfig, readRuntimeEnvironment } from '../../lib/config/config.ts';
import { parseDurationMs } from '../../lib/config/config-schema.ts';
import { ConfigError } from '../../lib/domain/errors.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MIB = 1024 * 1024;

const exampleText = readFileSync(new URL('../../walcat.config.example.yml', import.meta.url), 'utf8');

function minimalCluster(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'orders-main',
    storage: 's3://acme-pg-backups/orders-main',
    retention: { pitrWindow: '7d' },
    ...overrides,
  };
}

function configText(clusters: unknown[], extra: Record<string, unknown> = {}): string {
  return stringify({ ...extra, clusters });
}

function parseError(text: string): ConfigError {
  try {
    parseWalcatConfig(text, 'test.yml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseWalcatConfig: valid files', () => {
  it('reads the documented example completely', () => {
    const config = parseWalcatConfig(exampleText, 'walcat.config.example.yml');
    expect(config).toEqual({
      catalogTable: 'walcat-catalog',
      jobHistoryMs: 90 * DAY,
      clusters: [
        {
          id: 'orders-main',
          storage: { bucket: 'acme-pg-backups', prefix: 'orders-main/' },
          layout: 'wal-g',
          walSegmentSize: 16 * MIB,
          retention: {
            keepLast: 2,
            keepDaily: 7,
            keepWeekly: 4,
            keepMonthly: 12,
            keepYearly: 3,
            pitrWindowMs: 7 * DAY,
            timezone: 'UTC',
            incompleteGraceMs: 24 * HOUR,
            applyGraceMs: 6 * HOUR,
            maxClockSkewMs: 5 * MINUTE,
          },
          alerts: {
            slackWebhookParameter: '/walcat/slack/orders',
            archiveLagMaxMs: 10 * MINUTE,
            backupMaxAgeMs: 26 * HOUR,
            uploadGraceMs: 5 * MINUTE,
          },
          hosts: {
            target: { tagKey: 'walcat:cluster', tagValue: 'orders-main' },
            pgData: '/var/lib/postgresql/15/main',
            osUser: 'postgres',
            walgEnvDir: '/etc/wal-g.d/env',
            service: { kind: 'systemd', unit: 'postgresql@15-main' },
            walgBinary: 'wal-g',
          },
          backupSchedule: 'cron(0 1 * * ? *)',
          drill: {
            schedule: 'cron(0 4 ? * SUN *)',
            target: { tagKey: 'walcat:drill', tagValue: 'orders-main' },
            pgData: '/var/lib/postgresql/15/drill',
            checkSql: 'select count(*) from orders',
            thaw: 'Standard',
          },
        },
        {
          id: 'billing',
          storage: { bucket: 'acme-pg-backups', prefix: 'billing/' },
          layout: 'wal-g',
          walSegmentSize: 16 * MIB,
          retention: {
            keepLast: 3,
            keepDaily: 14,
            keepWeekly: 0,
            keepMonthly: 0,
            keepYearly: 0,
            pitrWindowMs: 3 * DAY,
            timezone: 'UTC',
            incompleteGraceMs: 24 * HOUR,
            applyGraceMs: 6 * HOUR,
            maxClockSkewMs: 5 * MINUTE,
          },
          alerts: {
            slackWebhookParameter: '/walcat/slack/billing',
            archiveLagMaxMs: 10 * MINUTE,
            backupMaxAgeMs: 26 * HOUR,
            uploadGraceMs: 5 * MINUTE,
          },
          hosts: {
            target: { tagKey: 'walcat:cluster', tagValue: 'billing' },
            pgData: '/var/lib/postgresql/15/main',
            osUser: 'postgres',
            service: { kind: 'pg_ctl', binDir: '/usr/lib/postgresql/15/bin' },
            walgBinary: 'wal-g',
          },
          backupSchedule: 'rate(12 hours)',
        },
      ],
    });
  });

  it('reads the configuration example of the design contract verbatim', () => {
    const contract = [
      'catalogTable: walcat-catalog          # DynamoDB table',
      'clusters:',
      '  - id: orders-main                   # [a-z0-9-]+',
      '    storage: s3://acme-pg-backups/orders-main   # bucket + prefix, as WALG_S3_PREFIX',
      '    layout: wal-g                     # wal-g | wal-e',
      '    walSegmentSize: 16MiB             # default 16MiB',
      '    retention: { keepLast: 2, keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 3, pitrWindow: 7d, timezone: UTC }',
      '    alerts: { slackWebhookParameter: /walcat/slack/orders, archiveLagMax: 10m, backupMaxAge: 26h, uploadGrace: 5m }',
      '    hosts:',
      '      target: { tagKey: walcat:cluster, tagValue: orders-main }',
      '      pgData: /var/lib/postgresql/15/main',
      '      osUser: postgres',
      '      walgEnvDir: /etc/wal-g.d/env    # commands run as `envdir <dir> wal-g ...` when set',
      '      service: systemd:postgresql@15-main   # or pg_ctl:/usr/lib/postgresql/15/bin',
      '    backupSchedule: cron(0 1 * * ? *)',
    ].join('\n');
    const example = parseWalcatConfig(exampleText, 'walcat.config.example.yml').clusters[0];
    const { drill: _drill, ...exampleWithoutDrill } = example ?? {};
    expect(parseWalcatConfig(contract, 'DESIGN.md').clusters).toEqual([exampleWithoutDrill]);
  });

  it('loads a cluster without a retention block: walcat then deletes nothing of it', () => {
    const { retention: _retention, ...watchOnly } = minimalCluster();
    const config = parseWalcatConfig(configText([watchOnly]), 'test.yml');
    expect(config.clusters[0]?.id).toBe('orders-main');
    expect(config.clusters[0]?.retention).toBeUndefined();
  });

  it('fills every default for a minimal cluster and leaves optional sections out', () => {
    const config = parseWalcatConfig(configText([minimalCluster()]), 'test.yml');
    expect(config).toEqual({
      catalogTable: 'walcat-catalog',
      clusters: [
        {
          id: 'orders-main',
          storage: { bucket: 'acme-pg-backups', prefix: 'orders-main/' },
          layout: 'wal-g',
          walSegmentSize: 16 * MIB,
          retention: {
            keepLast: 0,
            keepDaily: 0,
            keepWeekly: 0,
            keepMonthly: 0,
            keepYearly: 0,
            pitrWindowMs: 7 * DAY,
            timezone: 'UTC',
            incompleteGraceMs: 24 * HOUR,
            applyGraceMs: 6 * HOUR,
            maxClockSkewMs: 5 * MINUTE,
          },
          alerts: { archiveLagMaxMs: 10 * MINUTE, backupMaxAgeMs: 26 * HOUR, uploadGraceMs: 5 * MINUTE },
        },
      ],
    });
    expect(Object.keys(config.clusters[0] ?? {})).not.toContain('hosts');
  });

  it.each([
    ['s3://bucket', ''],
    ['s3://bucket/', ''],
    ['s3://bucket/orders', 'orders/'],
    ['s3://bucket/orders/', 'orders/'],
    ['s3://my.bucket-1/a/b/c', 'a/b/c/'],
  ])('normalises storage %s to prefix %j', (storage, prefix) => {
    const config = parseWalcatConfig(configText([minimalCluster({ storage })]), 'test.yml');
    expect(config.clusters[0]?.storage.prefix).toBe(prefix);
  });

  it('reads WAL-E clusters, other segment sizes, zones, durations and rate schedules', () => {
    const cluster = parseWalcatConfig(
      configText([
        minimalCluster({
          layout: 'wal-e',
          walSegmentSize: '1GiB',
          retention: { pitrWindow: '36h', timezone: 'Europe/Paris', applyGrace: '30m', incompleteGrace: '2w' },
          backupSchedule: 'rate(1 day)',
        }),
      ]),
      'test.yml',
    ).clusters[0];
    expect(cluster?.layout).toBe('wal-e');
    expect(cluster?.walSegmentSize).toBe(1024 * MIB);
    expect(cluster?.retention).toMatchObject({
      pitrWindowMs: 36 * HOUR,
      timezone: 'Europe/Paris',
      applyGraceMs: 30 * MINUTE,
      incompleteGraceMs: 14 * DAY,
    });
    expect(cluster?.backupSchedule).toBe('rate(1 day)');
  });

  it('reads drill server settings as strings for the scratch copy', () => {
    const cluster = parseWalcatConfig(
      configText([
        minimalCluster({
          drill: {
            schedule: 'rate(7 days)',
            target: { tagKey: 'walcat:drill', tagValue: 'x' },
            pgData: '/var/lib/postgresql/15/drill',
            settings: { port: 5433, shared_buffers: '128MB' },
          },
        }),
      ]),
      'test.yml',
    ).clusters[0];
    expect(cluster?.drill?.settings).toEqual({ port: '5433', shared_buffers: '128MB' });
  });

  it('reads a drill own service and env dir; a bad service names the field', () => {
    const drill = (service: string) =>
      configText([
        minimalCluster({
          drill: {
            schedule: 'rate(7 days)',
            target: { tagKey: 'walcat:drill', tagValue: 'x' },
            pgData: '/var/lib/postgresql/15/drill',
            service,
            walgEnvDir: '/etc/wal-g.d/drill-env',
          },
        }),
      ]);
    const cluster = parseWalcatConfig(drill('systemd:postgresql@15-drill'), 'test.yml').clusters[0];
    expect(cluster?.drill?.service).toEqual({ kind: 'systemd', unit: 'postgresql@15-drill' });
    expect(cluster?.drill?.walgEnvDir).toBe('/etc/wal-g.d/drill-env');
    expect(() => parseWalcatConfig(drill('upstart:pg'), 'test.yml')).toThrow(/drill\.service/);
  });

  it('allows nested prefixes in one bucket (longest prefix wins when routing keys)', () => {
    const config = parseWalcatConfig(
      configText([
        minimalCluster({ id: 'root', storage: 's3://acme/' }),
        minimalCluster({ id: 'nested', storage: 's3://acme/nested' }),
      ]),
      'test.yml',
    );
    expect(config.clusters.map((cluster) => cluster.storage.prefix)).toEqual(['', 'nested/']);
  });

  it('reads how long finished jobs are kept; without it the job store keeps them 90 days', () => {
    expect(parseWalcatConfig(configText([minimalCluster()], { jobHistory: '26w' }), 'test.yml').jobHistoryMs).toBe(
      26 * 7 * DAY,
    );
    expect(parseWalcatConfig(configText([minimalCluster()]), 'test.yml')).not.toHaveProperty('jobHistoryMs');
  });

  it('returns a deeply frozen object', () => {
    const config = parseWalcatConfig(exampleText, 'walcat.config.example.yml');
    const cluster = config.clusters[0];
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.clusters)).toBe(true);
    expect(Object.isFrozen(cluster?.retention)).toBe(true);
    expect(Object.isFrozen(cluster?.hosts?.target)).toBe(true);
    expect(Object.isFrozen(cluster?.hosts?.service)).toBe(true);
    expect(() => {
      (config.clusters as unknown[]).push({});
    }).toThrow(TypeError);
  });
});

describe('parseWalcatConfig: every error names the field, the value and the fix', () => {
  const cases: { name: string; text: string; field: string; value?: string; fix: string }[] = [
    {
      name: 'misspelt top-level key',
      text: configText([minimalCluster()], { catalogTabel: 'x' }),
      field: 'test.yml: unknown key "catalogTabel"',
      fix: 'did you mean "catalogTable"?',
    },
    {
      name: 'job history too short for a job to end within it',
      text: configText([minimalCluster()], { jobHistory: '3d' }),
      field: 'jobHistory',
      value: '"3d"',
      fix: 'keep finished jobs at least 7d',
    },
    {
      name: 'job history without a unit',
      text: configText([minimalCluster()], { jobHistory: 90 }),
      field: 'jobHistory',
      value: '90',
      fix: 'add a unit (e.g. 90d)',
    },
    {
      name: 'misspelt retention key',
      text: configText([minimalCluster({ retention: { pitrWindow: '7d', keepDialy: 7 } })]),
      field: 'clusters[0].retention: unknown key "keepDialy"',
      fix: 'did you mean "keepDaily"?',
    },
    {
      name: 'bad cluster id',
      text: configText([minimalCluster({ id: 'Orders_Main' })]),
      field: 'clusters[0].id',
      value: '"Orders_Main"',
      fix: 'e.g. orders-main',
    },
    {
      name: 'storage without s3 scheme',
      text: configText([minimalCluster({ storage: 'acme-pg-backups/orders' })]),
      field: 'clusters[0].storage',
      value: '"acme-pg-backups/orders"',
      fix: 's3://acme-pg-backups/orders-main',
    },
    {
      name: 'storage with an empty path part',
      text: configText([minimalCluster({ storage: 's3://bucket/a//b' })]),
      field: 'clusters[0].storage',
      value: '"s3://bucket/a//b"',
      fix: 'WALG_S3_PREFIX',
    },
    {
      name: 'unknown layout',
      text: configText([minimalCluster({ layout: 'pgbackrest' })]),
      field: 'clusters[0].layout',
      value: '"pgbackrest"',
      fix: 'use wal-g or wal-e',
    },
    {
      name: 'segment size not a power of two',
      text: configText([minimalCluster({ walSegmentSize: '24MiB' })]),
      field: 'clusters[0].walSegmentSize',
      value: '"24MiB"',
      fix: 'SHOW wal_segment_size',
    },
    {
      name: 'duration without unit',
      text: configText([minimalCluster({ retention: { pitrWindow: 7 } })]),
      field: 'clusters[0].retention.pitrWindow',
      value: '7 has no unit',
      fix: 'add a unit (e.g. 7d)',
    },
    {
      name: 'duration with an unknown unit',
      text: configText([minimalCluster({ retention: { pitrWindow: '7x' } })]),
      field: 'clusters[0].retention.pitrWindow',
      value: '"7x"',
      fix: 'one unit s, m, h, d or w (e.g. 7d)',
    },
    {
      name: 'missing pitrWindow',
      text: configText([minimalCluster({ retention: { keepLast: 2 } })]),
      field: 'clusters[0].retention.pitrWindow',
      value: 'is missing',
      fix: 'it is required',
    },
    {
      name: 'negative keep count',
      text: configText([minimalCluster({ retention: { pitrWindow: '7d', keepDaily: -1 } })]),
      field: 'clusters[0].retention.keepDaily',
      value: '-1',
      fix: 'write a whole number >= 0',
    },
    {
      name: 'fractional keep count',
      text: configText([minimalCluster({ retention: { pitrWindow: '7d', keepWeekly: 1.5 } })]),
      field: 'clusters[0].retention.keepWeekly',
      value: '1.5',
      fix: 'whole number',
    },
    {
      name: 'unknown time zone',
      text: configText([minimalCluster({ retention: { pitrWindow: '7d', timezone: 'Mars/Olympus' } })]),
      field: 'clusters[0].retention.timezone',
      value: '"Mars/Olympus"',
      fix: 'Europe/Paris',
    },
    {
      name: 'Slack webhook URL instead of a parameter name',
      text: configText([
        minimalCluster({ alerts: { slackWebhookParameter: 'https://hooks.slack.com/services/T0/B0/secret' } }),
      ]),
      field: 'clusters[0].alerts.slackWebhookParameter',
      value: '"https://hooks.slack.com/…"',
      fix: 'store it in SSM Parameter Store as a SecureString',
    },
    {
      name: 'parameter name without leading slash',
      text: configText([minimalCluster({ alerts: { slackWebhookParameter: 'walcat/slack' } })]),
      field: 'clusters[0].alerts.slackWebhookParameter',
      value: '"walcat/slack"',
      fix: 'starting with /',
    },
    {
      name: 'relative pgData',
      text: configText([
        minimalCluster({ hosts: { target: { tagKey: 'k', tagValue: 'v' }, pgData: 'data', service: 'systemd:pg' } }),
      ]),
      field: 'clusters[0].hosts.pgData',
      value: '"data"',
      fix: 'absolute path',
    },
    {
      name: 'pgData with shell metacharacters',
      text: configText([
        minimalCluster({
          hosts: { target: { tagKey: 'k', tagValue: 'v' }, pgData: '/data; rm -rf /', service: 'systemd:pg' },
        }),
      ]),
      field: 'clusters[0].hosts.pgData',
      value: '"/data; rm -rf /"',
      fix: 'no spaces, quotes',
    },
    {
      name: 'unknown service kind',
      text: configText([
        minimalCluster({ hosts: { target: { tagKey: 'k', tagValue: 'v' }, pgData: '/d', service: 'sysv:pg' } }),
      ]),
      field: 'clusters[0].hosts.service',
      value: '"sysv:pg"',
      fix: 'systemd:postgresql@15-main',
    },
    {
      name: 'bad OS user',
      text: configText([
        minimalCluster({
          hosts: { target: { tagKey: 'k', tagValue: 'v' }, pgData: '/d', service: 'systemd:pg', osUser: 'Root!' },
        }),
      ]),
      field: 'clusters[0].hosts.osUser',
      value: '"Root!"',
      fix: 'e.g. postgres',
    },
    {
      name: 'missing host target',
      text: configText([minimalCluster({ hosts: { pgData: '/d', service: 'systemd:pg' } })]),
      field: 'clusters[0].hosts.target',
      value: 'is missing',
      fix: 'required',
    },
    {
      name: 'EventBridge rate with the wrong plural',
      text: configText([minimalCluster({ backupSchedule: 'rate(1 days)' })]),
      field: 'clusters[0].backupSchedule',
      value: '"rate(1 days)"',
      fix: 'rate(1 day)',
    },
    {
      name: 'five-field Unix cron',
      text: configText([minimalCluster({ backupSchedule: 'cron(0 1 * * *)' })]),
      field: 'clusters[0].backupSchedule',
      value: '"cron(0 1 * * *)"',
      fix: 'cron(0 1 * * ? *)',
    },
    {
      name: 'drill with a bad schedule',
      text: configText([
        minimalCluster({ drill: { schedule: 'daily', target: { tagKey: 'k', tagValue: 'v' }, pgData: '/d' } }),
      ]),
      field: 'clusters[0].drill.schedule',
      value: '"daily"',
      fix: 'EventBridge schedule',
    },
    {
      name: 'drill setting that is not a PostgreSQL name',
      text: configText([
        minimalCluster({
          drill: {
            schedule: 'rate(7 days)',
            target: { tagKey: 'k', tagValue: 'v' },
            pgData: '/d',
            settings: { 'port; rm': 1 },
          },
        }),
      ]),
      field: 'clusters[0].drill.settings.port; rm',
      value: '"port; rm"',
      fix: 'e.g. shared_buffers',
    },
    {
      name: 'duplicate cluster id',
      text: configText([minimalCluster(), minimalCluster({ storage: 's3://acme-pg-backups/other' })]),
      field: 'clusters[1].id',
      value: '"orders-main" is already the id of clusters[0]',
      fix: 'give every cluster its own id',
    },
    {
      name: 'two clusters in one bucket and prefix',
      text: configText([
        minimalCluster(),
        minimalCluster({ id: 'copy', storage: 's3://acme-pg-backups/orders-main/' }),
      ]),
      field: 'clusters[1].storage',
      value: '"s3://acme-pg-backups/orders-main/" is already the storage of clusters[0]',
      fix: 'give each its own prefix',
    },
    {
      name: 'no clusters',
      text: configText([]),
      field: 'test.yml: clusters: is empty',
      fix: 'configure at least one cluster',
    },
    {
      name: 'empty file',
      text: '',
      field: 'test.yml: clusters: is missing',
      fix: 'configure at least one cluster',
    },
    {
      name: 'bad catalog table name',
      text: configText([minimalCluster()], { catalogTable: 'a b' }),
      field: 'test.yml: catalogTable',
      value: '"a b"',
      fix: 'e.g. walcat-catalog',
    },
    {
      name: 'a cluster that is not a mapping',
      text: 'clusters:\n  - orders-main\n',
      field: 'clusters[0]',
      value: '"orders-main"',
      fix: 'a mapping of keys',
    },
    {
      name: 'duplicate YAML key',
      text: 'catalogTable: a-table\ncatalogTable: b-table\nclusters: []\n',
      field: 'test.yml line 2 column 1',
      fix: 'not valid YAML',
    },
    {
      name: 'broken YAML',
      text: 'clusters:\n  - id: [unclosed\n',
      field: 'test.yml line',
      fix: 'fix the syntax',
    },
  ];

  it.each(cases)('$name', ({ text, field, value, fix }) => {
    const { message } = parseError(text);
    expect(message).toContain(field);
    if (value !== undefined) {
      expect(message).toContain(value);
    }
    expect(message).toContain(fix);
  });

  it('never echoes a whole webhook URL (it is a secret)', () => {
    const { message } = parseError(
      configText([
        minimalCluster({ alerts: { slackWebhookParameter: 'https://hooks.slack.com/services/T0/B0/XyZtoken' } }),
      ]),
    );
    expect(message).not.toContain('XyZtoken');
  });

  it('lists every problem, one per line, when there are several', () => {
    const { message } = parseError(
      configText([minimalCluster({ id: 'BAD', layout: 'x', retention: { pitrWindow: 'soon' } })]),
    );
    expect(message).toMatch(/^test\.yml: 3 problems:\n/);
    expect(message).toContain('\n  - clusters[0].id: "BAD"');
    expect(message).toContain('\n  - clusters[0].layout: "x"');
    expect(message).toContain('\n  - clusters[0].retention.pitrWindow: "soon"');
  });
});

describe('parseDurationMs', () => {
  it.each([
    ['45s', 45_000],
    ['30m', 30 * MINUTE],
    ['36h', 36 * HOUR],
    ['7d', 7 * DAY],
    ['2w', 14 * DAY],
    ['0m', 0],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(['7', 'd', '1.5h', '1h30m', '-1d', '7 days'])('%j is not a duration', (text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });
});

describe('readRuntimeEnvironment', () => {
  it('defaults to walcat.config.yml with no region, endpoints or table override', () => {
    const runtime = readRuntimeEnvironment({});
    expect(runtime).toEqual({ configPath: 'walcat.config.yml', endpoints: {} });
    expect(Object.isFrozen(runtime)).toBe(true);
    expect(Object.isFrozen(runtime.endpoints)).toBe(true);
  });

  it('falls back from the service endpoint variables to AWS_ENDPOINT_URL', () => {
    const runtime = readRuntimeEnvironment({
      WALCAT_CONFIG: '/etc/walcat/config.yml',
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4000',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569',
      AWS_ENDPOINT_URL_SSM: '',
      WALCAT_CATALOG_TABLE: 'walcat-catalog-prod',
    });
    expect(runtime).toEqual({
      configPath: '/etc/walcat/config.yml',
      region: 'eu-west-1',
      endpoints: {
        region: 'eu-west-1',
        s3: 'http://127.0.0.1:4569',
        dynamodb: 'http://127.0.0.1:4000',
        ssm: 'http://127.0.0.1:4000',
        sqs: 'http://127.0.0.1:4000',
      },
      catalogTableOverride: 'walcat-catalog-prod',
    });
  });

  it('reads the stage’s host-command log group and the fanned-out function’s queue from the stack', () => {
    const runtime = readRuntimeEnvironment({
      WALCAT_HOST_COMMANDS_LOG_GROUP: '/walcat/prod/host-commands',
      WALCAT_CLUSTER_RUNS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/walat-prod-WalWatchRunsQueue',
    });
    expect(runtime.hostCommandsLogGroup).toBe('/walcat/prod/host-commands');
    expect(runtime.clusterRunsQueueUrl).toMatch(/WalWatchRunsQueue$/u);
    expect(
      readRuntimeEnvironment({
        WALCAT_SYNC_PARTS_QUEUE_URL:
          'https://sqs.eu-west-1.amazonaws.com/123456789012/walcat-prod-CatalogSyncPartsQueue',
      }).syncPartsQueueUrl,
    ).toMatch(/CatalogSyncPartsQueue$/u);
  });

  it('uses AWS_DEFAULT_REGION when AWS_REGION is unset', () => {
    expect(readRuntimeEnvironment({ AWS_DEFAULT_REGION: 'us-east-2' }).region).toBe('us-east-2');
  });

  it.each([
    [{ AWS_ENDPOINT_URL_DYNAMODB: 'localhost:8000' }, 'environment AWS_ENDPOINT_URL_DYNAMODB: "localhost:8000"'],
    [{ AWS_ENDPOINT_URL: 'ftp://host' }, 'environment AWS_ENDPOINT_URL: "ftp://host" is not an http(s) URL'],
    [{ WALCAT_CATALOG_TABLE: 'x' }, 'environment WALCAT_CATALOG_TABLE: "x" is not a DynamoDB table name'],
    [
      { WALCAT_HOST_COMMANDS_LOG_GROUP: '/walcat/prod host-commands' },
      'environment WALCAT_HOST_COMMANDS_LOG_GROUP: "/walcat/prod host-commands" is not a CloudWatch Logs group name',
    ],
  ])('rejects %j naming the variable and the value', (env, message) => {
    expect(() => readRuntimeEnvironment(env)).toThrow(ConfigError);
    expect(() => readRuntimeEnvironment(env)).toThrow(message);
  });
});

describe('loadWalcatConfig', () => {
  const directory = mkdtempSync(join(tmpdir(), 'walcat-config-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  const file = join(directory, 'custom.yml');
  writeFileSync(file, configText([minimalCluster()], { catalogTable: 'from-file' }));

  it('reads the path given as an option', () => {
    expect(loadWalcatConfig({ path: file, env: {} }).catalogTable).toBe('from-file');
  });

  it('reads the file named by WALCAT_CONFIG when no path is given', () => {
    expect(loadWalcatConfig({ env: { WALCAT_CONFIG: file } }).clusters[0]?.id).toBe('orders-main');
  });

  it('lets WALCAT_CATALOG_TABLE replace catalogTable and keeps the result frozen', () => {
    const config = loadWalcatConfig({ path: file, env: { WALCAT_CATALOG_TABLE: 'walcat-prod' } });
    expect(config.catalogTable).toBe('walcat-prod');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names the resolved path and the fix when the file is missing', () => {
    const missing = join(directory, 'nope.yml');
    expect(() => loadWalcatConfig({ path: missing, env: {} })).toThrow(ConfigError);
    expect(() => loadWalcatConfig({ path: missing, env: {} })).toThrow(
      `${missing}: config file not found; copy walcat.config.example.yml`,
    );
  });

  it('names the file in validation errors', () => {
    const bad = join(directory, 'bad.yml');
    writeFileSync(bad, configText([minimalCluster({ layout: 'x' })]));
    expect(() => loadWalcatConfig({ path: bad, env: {} })).toThrow(`${bad}: clusters[0].layout: "x"`);
  });
});
