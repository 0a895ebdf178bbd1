/**
 * `walcat doctor` end to end: the real CLI in its own process, its config file, moto's server mode for S3 and SQS
 * (lifecycle, versioning, Object Lock, encryption and notification configurations) and dynalite for the catalog.
 * Three clusters: one next to the guide's 35-day `wal_005/` expiration, one set up as the README recommends, and
 * one in a bucket with a 14-day Object Lock default retention, an SSE-KMS key the config does not name and no
 * event notifications.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  type BucketLifecycleConfiguration,
  CreateBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectLockConfigurationCommand,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walSegmentSize } from '../../lib/domain/wal/segment-size.ts';
import { timelineId } from '../../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../../lib/domain/wal/wal-segment.ts';
import { DYNALITE_CREDENTIALS, type DynaliteHandle, startDynalite } from '../support/dynalite.ts';
import { MOTO_CREDENTIALS, type MotoHandle, startMoto } from '../support/moto.ts';
import { runWalcat, type WalcatRun } from '../support/walcat-process.ts';

const DAY = 86_400_000;
const SEGMENT = 16 * 1024 * 1024;
/** Above 2^53, as PostgreSQL's are: written into the JSON as digits, never through a JS number. */
const SYSTEM_IDENTIFIER = '__SYSTEM_IDENTIFIER__';
const withSystemIdentifier = (document: object): string =>
  JSON.stringify(document).replaceAll(`"${SYSTEM_IDENTIFIER}"`, '7321456789012345678');
const KMS_KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

let moto: MotoHandle;
let ddb: DynaliteHandle;
let dir: string;
let env: NodeJS.ProcessEnv;

interface DoctorJson {
  cluster: string;
  checks: { check: string; status: 'ok' | 'warn' | 'fail'; detail: string; fix: string }[];
}

function walcat(args: readonly string[]): Promise<WalcatRun> {
  return runWalcat(args, { env, cwd: dir });
}

/** A WAL-G backup: sentinel, metadata.json, one tar partition and pg_control, finished `daysAgo` days before now at 01:00. */
async function putBackup(bucket: string, root: string, index: number, finishedAt: Date): Promise<void> {
  const startLsn = (0x100 + index * 16) * SEGMENT + 40;
  const finishLsn = startLsn + 2 * SEGMENT;
  const name = `base_${walFileName({ timeline: timelineId(1), segNo: segmentNumber(Math.floor(startLsn / SEGMENT)) }, walSegmentSize(SEGMENT))}`;
  const startTime = new Date(finishedAt.getTime() - 5 * 60_000).toISOString();
  const sentinel = {
    LSN: startLsn,
    PgVersion: 150010,
    FinishLSN: finishLsn,
    SystemIdentifier: SYSTEM_IDENTIFIER,
    UncompressedSize: 1000,
    CompressedSize: 100,
    Version: 2,
    StartTime: startTime,
    FinishTime: finishedAt.toISOString(),
    Hostname: 'pg-1',
    DataDir: '/var/lib/postgresql/15/main',
    IsPermanent: false,
  };
  const metadata = {
    start_time: startTime,
    finish_time: finishedAt.toISOString(),
    hostname: 'pg-1',
    data_dir: '/var/lib/postgresql/15/main',
    pg_version: 150010,
    start_lsn: startLsn,
    finish_lsn: finishLsn,
    is_permanent: false,
    system_identifier: SYSTEM_IDENTIFIER,
    uncompressed_size: 1000,
    compressed_size: 100,
    user_data: null,
  };
  const folder = `${root}basebackups_005/`;
  const objects: [string, string][] = [
    // A complete backup's payload: the stated compressed size in its tars, and pg_control.
    [`${folder}${name}/tar_partitions/part_001.tar.lz4`, 'x'.repeat(100)],
    [`${folder}${name}/tar_partitions/pg_control.tar.lz4`, 'pg_control'],
    [`${folder}${name}/metadata.json`, withSystemIdentifier(metadata)],
    [`${folder}${name}_backup_stop_sentinel.json`, withSystemIdentifier(sentinel)],
  ];
  for (const [key, body] of objects) {
    // A bucket with an Object Lock default retention refuses uploads without a checksum (as S3 does).
    await moto.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ChecksumAlgorithm: 'CRC32' }));
  }
}

async function dailyBackups(bucket: string, root: string, days: number): Promise<void> {
  const today = new Date();
  const at = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate(), 1);
  for (let i = 0; i < days; i++) await putBackup(bucket, root, i, new Date(at - (days - i) * DAY));
}

async function notifyQueue(bucket: string, root: string, queue: string): Promise<void> {
  await moto.s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Id: 'walcat',
            QueueArn: moto.queueArn(queue),
            Events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: root }] } },
          },
        ],
      },
    }),
  );
}

/** The recommended rule set from the README's "Running walcat next to lifecycle rules", for another prefix. */
function readmeRuleSet(prefix: string): BucketLifecycleConfiguration {
  const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Running walcat next to lifecycle rules'));
  const block = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
  if (block === undefined)
    throw new Error('README has no JSON rule set under "Running walcat next to lifecycle rules"');
  return JSON.parse(block.replaceAll('"orders-main/"', JSON.stringify(prefix))) as BucketLifecycleConfiguration;
}

beforeAll(async () => {
  [moto, ddb] = await Promise.all([startMoto(), startDynalite()]);
  dir = mkdtempSync(join(tmpdir(), 'walcat-doctor-'));
  const queuePolicy = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: moto.queueArn('walcat-object-events'),
        Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::*-bucket' } },
      },
    ],
  };
  await moto.sqs.send(
    new CreateQueueCommand({ QueueName: 'walcat-object-events', Attributes: { Policy: JSON.stringify(queuePolicy) } }),
  );

  // The guide's belt and suspenders: WAL expires after 35 days next to monthly tiers, on a versioned bucket.
  await moto.s3.send(new CreateBucketCommand({ Bucket: 'guide-bucket' }));
  await moto.s3.send(
    new PutBucketVersioningCommand({ Bucket: 'guide-bucket', VersioningConfiguration: { Status: 'Enabled' } }),
  );
  await moto.s3.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: 'guide-bucket',
      LifecycleConfiguration: {
        Rules: [
          { ID: 'wal-35d', Status: 'Enabled', Filter: { Prefix: 'orders-main/wal_005/' }, Expiration: { Days: 35 } },
          {
            ID: 'mpu',
            Status: 'Enabled',
            Filter: { Prefix: '' },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
          },
        ],
      },
    }),
  );
  await notifyQueue('guide-bucket', 'orders-main/', 'walcat-object-events');
  await dailyBackups('guide-bucket', 'orders-main/', 100);

  // The README's recommended rule set, exactly as the README shows it.
  await moto.s3.send(new CreateBucketCommand({ Bucket: 'recommended-bucket' }));
  await moto.s3.send(
    new PutBucketVersioningCommand({ Bucket: 'recommended-bucket', VersioningConfiguration: { Status: 'Enabled' } }),
  );
  await moto.s3.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: 'recommended-bucket',
      LifecycleConfiguration: readmeRuleSet('billing/'),
    }),
  );
  await notifyQueue('recommended-bucket', 'billing/', 'walcat-object-events');
  await dailyBackups('recommended-bucket', 'billing/', 20);

  // Object Lock (14 days by default) and a customer KMS key the config does not name; no notifications.
  await moto.s3.send(new CreateBucketCommand({ Bucket: 'locked-bucket', ObjectLockEnabledForBucket: true }));
  await moto.s3.send(
    new PutObjectLockConfigurationCommand({
      Bucket: 'locked-bucket',
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 14 } },
      },
    }),
  );
  await moto.s3.send(
    new PutBucketEncryptionCommand({
      Bucket: 'locked-bucket',
      ServerSideEncryptionConfiguration: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KMS_KEY } }],
      },
    }),
  );
  await dailyBackups('locked-bucket', 'ledger/', 30);

  writeFileSync(
    join(dir, 'walcat.config.yml'),
    [
      'catalogTable: walcat-doctor',
      'clusters:',
      '  - id: orders-main',
      '    storage: s3://guide-bucket/orders-main',
      '    retention: { keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 7, pitrWindow: 1d }',
      '  - id: billing',
      '    storage: s3://recommended-bucket/billing',
      '    retention: { keepDaily: 7, keepWeekly: 4, pitrWindow: 7d }',
      '  - id: ledger',
      '    storage: s3://locked-bucket/ledger',
      '    retention: { keepDaily: 7, pitrWindow: 1d }',
    ].join('\n'),
  );
  env = {
    PATH: process.env.PATH,
    HOME: dir,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: DYNALITE_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DYNALITE_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: moto.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
    AWS_ENDPOINT_URL_SQS: moto.endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  for (const args of [
    ['init'],
    ['sync', '--cluster', 'orders-main'],
    ['sync', '--cluster', 'billing'],
    ['sync', '--cluster', 'ledger'],
  ]) {
    const run = await walcat(args);
    expect(run.code, `walcat ${args.join(' ')}: ${run.stderr}`).toBe(0);
  }
}, 180_000);

afterAll(async () => {
  await Promise.all([moto?.close(), ddb?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const statuses = (report: DoctorJson | undefined) =>
  Object.fromEntries((report?.checks ?? []).map((check) => [check.check, check.status]));

describe('walcat doctor', () => {
  it('--json: one report per cluster, exit 1 because checks fail', async () => {
    const run = await walcat(['doctor', '--json', '--queue', moto.queueArn('walcat-object-events')]);
    expect(run.code, run.stderr).toBe(1);
    const reports = JSON.parse(run.stdout) as DoctorJson[];
    expect(reports.map((report) => report.cluster)).toEqual(['orders-main', 'billing', 'ledger']);
    for (const report of reports) {
      for (const check of report.checks) {
        expect(Object.keys(check).sort()).toEqual(['check', 'detail', 'fix', 'status']);
        expect(['ok', 'warn', 'fail']).toContain(check.status);
      }
    }
    const [orders, billing, ledger] = reports;

    expect(statuses(orders)).toEqual({
      notifications: 'ok',
      'queue-access': 'ok',
      lifecycle: 'fail',
      'incomplete-uploads': 'ok',
      versioning: 'warn',
      'object-lock': 'ok',
      encryption: 'ok',
      'catalog-freshness': 'ok',
    });
    const lifecycle = orders?.checks.find((check) => check.check === 'lifecycle');
    expect(lifecycle?.detail).toMatch(
      /^rule `wal-35d` expires WAL after 35 days: \d+ of the \d+ (weekly, )?monthly and yearly backups retention keeps would lose the WAL they need to be consistent/,
    );

    expect(statuses(billing)).toEqual({
      notifications: 'ok',
      'queue-access': 'ok',
      lifecycle: 'ok',
      'incomplete-uploads': 'ok',
      versioning: 'ok',
      'object-lock': 'ok',
      encryption: 'ok',
      'catalog-freshness': 'ok',
    });

    expect(statuses(ledger)).toEqual({
      notifications: 'fail',
      lifecycle: 'ok',
      'incomplete-uploads': 'warn',
      versioning: 'warn',
      'object-lock': 'warn',
      encryption: 'fail',
      'catalog-freshness': 'ok',
    });
    const byCheck = new Map(ledger?.checks.map((check) => [check.check, check]));
    expect(byCheck.get('encryption')?.fix).toBe(
      `set storage.kmsKeyArn: ${KMS_KEY} for cluster ledger and deploy again`,
    );
    expect(byCheck.get('object-lock')?.detail).toContain(
      'Object Lock GOVERNANCE keeps every new object version for 14 days',
    );
  });

  it('exits 0 for a cluster whose checks all pass, with a readable summary', async () => {
    const run = await walcat(['doctor', '--cluster', 'billing', '--queue', moto.queueArn('walcat-object-events')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('billing (s3://recommended-bucket/billing/)');
    expect(run.stdout).toMatch(/^ {2}ok {4}notifications/m);
    expect(run.stdout).toMatch(
      /^ {2}ok {4}lifecycle +rule `walcat-housekeeping` removes noncurrent versions 1 day after they become noncurrent/m,
    );
    expect(run.stdout).toContain('rule `walcat-delete-markers` removes delete markers left without versions');
  });

  it('gaps and status carry the lifecycle-conflict finding read from the bucket', async () => {
    const gaps = await walcat(['gaps', '--cluster', 'orders-main', '--json']);
    expect(gaps.code, gaps.stderr).toBe(1);
    const report = JSON.parse(gaps.stdout) as { status: string; findings: { kind: string; rule: string }[] };
    expect(report.status).toBe('FAILURE');
    expect(report.findings.filter((finding) => finding.kind === 'lifecycle-conflict').map((f) => f.rule)).toEqual([
      'wal-35d',
    ]);
    const status = await walcat(['status', '--cluster', 'billing', '--json']);
    const [billing] = JSON.parse(status.stdout) as { lifecycle: unknown[] }[];
    expect(billing?.lifecycle).toEqual([]);
  });

  it('fails the notification check when the bucket sends the events to another queue', async () => {
    const run = await walcat(['doctor', '--cluster', 'billing', '--json', '--queue', moto.queueArn('someone-else')]);
    expect(run.code).toBe(1);
    const [report] = JSON.parse(run.stdout) as DoctorJson[];
    expect(statuses(report).notifications).toBe('fail');
  });

  // moto names the stack's roles through CloudFormation but lacks IAM's policy simulator: every role check must say
  // "not checked" and why, never ok, and the JSON keeps its { check, status, detail, fix } shape.
  it('--stack: checks the deployed functions’ roles, reporting a simulator it cannot ask as not checked', async () => {
    const cfn = new CloudFormationClient({
      region: 'us-east-1',
      endpoint: moto.endpoint,
      credentials: MOTO_CREDENTIALS,
    });
    const role = {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'] },
          ],
        },
      },
    };
    await cfn.send(
      new CreateStackCommand({
        StackName: 'walcat-doctor-roles',
        TemplateBody: JSON.stringify({ Resources: { CatalogIngestRole: role, RetentionRole: role } }),
        Capabilities: ['CAPABILITY_IAM'],
      }),
    );
    cfn.destroy();
    const run = await runWalcat(['doctor', '--cluster', 'billing', '--stack', 'walcat-doctor-roles', '--json'], {
      env: { ...env, AWS_ENDPOINT_URL_IAM: moto.endpoint, AWS_ENDPOINT_URL_CLOUDFORMATION: moto.endpoint },
      cwd: dir,
    });
    const [report] = JSON.parse(run.stdout) as DoctorJson[];
    const roleChecks = (report?.checks ?? []).filter((check) => check.check.startsWith('role-'));
    expect(roleChecks.map((check) => [check.check, check.status])).toEqual([
      ['role-ingest', 'warn'],
      ['role-retention', 'warn'],
    ]);
    for (const check of roleChecks) {
      expect(Object.keys(check).sort()).toEqual(['check', 'detail', 'fix', 'status']);
      expect(check.detail).toMatch(/^not checked: .*the IAM endpoint does not implement SimulatePrincipalPolicy\)$/);
    }
  });
});
