/**
 * The packaged stack for fleets of 1, 50 and 1,000 clusters (`npm run package`, each in its own scratch copy of the
 * project), and the README's deploy sequence on the package of the example's clusters, from an empty moto account
 * with an existing bucket to a first `walcat status` (test/deploy/readme-deploy-sequence.ts): the same resources whatever the fleet size (CloudFormation refuses more than 500), every role's inline
 * policy under IAM's 10,240 characters, zero cfn-lint errors, a catalog table of the stage's own name retained on
 * delete and replace and handed to the functions by the stack, alarms on every dead-letter queue, failure
 * destinations on every asynchronous function, filtered EventBridge rules, the host-command log group, and outputs.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ASYNC_FUNCTIONS,
  FAN_OUT_FUNCTIONS,
  type FanOutFunction,
  FUNCTION_ROLES,
  runsQueueId,
  SYNC_PART_CONCURRENCY,
  SYNC_PARTS_QUEUE,
} from '../../lib/deploy/serverless-model.ts';
import { startMoto } from '../support/moto.ts';
import { deployFromTheReadme, RESOURCES_MOTO_SKIPS } from './readme-deploy-sequence.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const FLEETS = [1, 50, 1000] as const;
const IAM_INLINE_POLICY_LIMIT = 10_240;

interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}
interface Template {
  readonly Resources: Record<string, Resource>;
  readonly Outputs: Record<string, { Value: unknown }>;
}

function fleetConfig(size: number): string {
  const lines = ['catalogTable: walcat-from-the-file', 'clusters:'];
  for (let i = 0; i < size; i++) {
    const bucket = `fleet-backups-${i % 3}`;
    lines.push(
      `  - id: pg-cluster-${String(i).padStart(4, '0')}`,
      i % 3 === 0
        ? `    storage: { url: s3://${bucket}/postgres/pg-cluster-${String(i).padStart(4, '0')}, kmsKeyArn: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab }`
        : `    storage: s3://${bucket}/postgres/pg-cluster-${String(i).padStart(4, '0')}`,
      '    retention: { keepLast: 2, pitrWindow: 7d }',
      `    alerts: { slackWebhookParameter: /walcat/slack/team-${i % 5} }`,
      '    hosts:',
      `      target: { tagKey: "walcat:cluster", tagValue: pg-cluster-${String(i).padStart(4, '0')} }`,
      '      pgData: /var/lib/postgresql/15/main',
      '      service: systemd:postgresql@15-main',
      `    backupSchedule: cron(${i % 60} 1 * * ? *)`,
      '    drill:',
      '      schedule: cron(0 4 ? * SUN *)',
      `      target: { tagKey: "walcat:drill", tagValue: pg-cluster-${String(i).padStart(4, '0')} }`,
      '      pgData: /var/lib/postgresql/15/drill',
    );
  }
  return `${lines.join('\n')}\n`;
}

mkdirSync(join(ROOT, 'test-output'), { recursive: true });
const scratch = mkdtempSync(join(ROOT, 'test-output', 'stack-'));
const templates = new Map<number, Template>();
const lint = new Map<number, { status: number | null; output: string }>();
const warnings = new Map<string, string>();

const { WALCAT_CONFIG: _config, ...packagingEnv } = process.env;

/** A scratch copy of the project (sources linked, the package script and serverless.yml copied) with its config. */
function packageFleet(size: number, stage: string): Template {
  const dir = packageProject(`fleet-${size}`, fleetConfig(size), stage);
  const path = join(dir, '.serverless', 'cloudformation-template-update-stack.json');
  const linted = spawnSync('cfn-lint', ['--format', 'parseable', path], { encoding: 'utf8', timeout: 240_000 });
  lint.set(size, { status: linted.status, output: `${linted.stdout}${linted.stderr}` });
  return JSON.parse(readFileSync(path, 'utf8')) as Template;
}

/** Packages `config` as `walcat.config.yml` of a scratch copy named `name`; returns the copy's folder. */
function packageProject(name: string, config: string, stage: string): string {
  const dir = join(scratch, name);
  mkdirSync(join(dir, 'scripts'), { recursive: true });
  for (const entry of ['lib', 'functions', 'node_modules', 'package.json', 'tsconfig.json']) {
    symlinkSync(join(ROOT, entry), join(dir, entry));
  }
  copyFileSync(join(ROOT, 'serverless.yml'), join(dir, 'serverless.yml'));
  // Copied, not linked: the package script finds the project root from its own path. The esbuild plugins and the
  // config chooser it loads sit beside it.
  for (const script of readdirSync(join(ROOT, 'scripts'))) {
    copyFileSync(join(ROOT, 'scripts', script), join(dir, 'scripts', script));
  }
  writeFileSync(join(dir, 'walcat.config.yml'), config);
  const packaged = spawnSync(process.execPath, [join(dir, 'scripts', 'serverless-package.mjs'), '--stage', stage], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 240_000,
    // A table name in the packaging shell must not reach the stack or the functions: the stack names the table.
    env: { ...packagingEnv, WALCAT_CATALOG_TABLE: 'walcat-from-the-shell' },
  });
  if (packaged.status !== 0) {
    throw new Error(`npm run package for ${name} failed (${packaged.status}):\n${packaged.stdout}\n${packaged.stderr}`);
  }
  warnings.set(name, packaged.stderr);
  return dir;
}

/** The README's deploy sequence packages the example's clusters, copied to walcat.config.yml, for stage prod. */
let readmeProject: string;

beforeAll(() => {
  for (const size of FLEETS) templates.set(size, packageFleet(size, size === 50 ? 'prod' : 'dev'));
  readmeProject = packageProject('readme', readFileSync(join(ROOT, 'walcat.config.example.yml'), 'utf8'), 'prod');
}, 900_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const template = (size: number): Template => templates.get(size) as Template;
const ofType = (t: Template, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
/**
 * A role's inline policy as IAM measures it once CloudFormation resolved it: no whitespace, pseudo parameters and
 * attributes replaced by values at least as long as real ones.
 */
const policySize = (role: Resource): number =>
  Math.max(
    ...(role.Properties.Policies as { PolicyDocument: unknown }[]).map(
      (policy) =>
        JSON.stringify(policy.PolicyDocument)
          .replace(/\{"Fn::Sub":"([^"]*)"\}/g, '"$1"')
          .replace(
            /\{"Fn::GetAtt":\["[^"]+","Arn"\]\}/g,
            `"arn:aws-us-gov:dynamodb:us-gov-west-1:123456789012:table/walcat-production-catalog"`,
          )
          .replaceAll('$' + '{AWS::Partition}', 'aws-us-gov')
          .replaceAll('$' + '{AWS::Region}', 'us-gov-west-1')
          .replaceAll('$' + '{AWS::AccountId}', '123456789012')
          .replaceAll(
            '$' + '{CatalogTable.Arn}',
            'arn:aws-us-gov:dynamodb:us-gov-west-1:123456789012:table/walcat-production-catalog',
          ).length,
    ),
  );

describe('the stack does not grow with the fleet', () => {
  it('has the same resources for 1, 50 and 1,000 clusters, far below CloudFormation’s 500', () => {
    const shapes = FLEETS.map((size) =>
      Object.values(template(size).Resources)
        .map((r) => r.Type)
        .sort(),
    );
    expect(shapes[1]).toEqual(shapes[0]);
    expect(shapes[2]).toEqual(shapes[0]);
    expect(shapes[0]?.length).toBeLessThan(150);
  });

  it('keeps every role’s inline policy under IAM’s 10,240 characters, no larger for 1,000 clusters than for 50', () => {
    for (const size of FLEETS) {
      for (const [id, role] of ofType(template(size), 'AWS::IAM::Role')) {
        expect(policySize(role), `${id} with ${size} clusters`).toBeLessThan(IAM_INLINE_POLICY_LIMIT);
      }
    }
    for (const roleId of Object.values(FUNCTION_ROLES)) {
      const at50 = policySize(template(50).Resources[roleId] as Resource);
      const at1000 = policySize(template(1000).Resources[roleId] as Resource);
      expect(at1000, roleId).toBeLessThanOrEqual(at50 + 200);
    }
    expect(warnings.get('fleet-1000')).toMatch(/narrowed to .* so every policy stays under IAM's size limit/);
    expect(warnings.get('fleet-1')).not.toMatch(/narrowed/);
  });

  it('runs every per-cluster schedule from one one-minute rule per function', () => {
    for (const size of FLEETS) {
      const rules = ofType(template(size), 'AWS::Events::Rule').map(([, r]) => r.Properties.ScheduleExpression);
      expect(rules.filter((expression) => expression === 'rate(1 minute)')).toHaveLength(4); // wal-watch + 3 ticks
      expect(rules.filter((expression) => String(expression).startsWith('cron(0 1'))).toEqual([]);
    }
  });
});

describe('every scheduled function fans out one cluster per invocation', () => {
  it('gives each its own queue, delivered one record at a time with partial batch failures, dead-lettered', () => {
    for (const size of FLEETS) {
      const t = template(size);
      const mappings = ofType(t, 'AWS::Lambda::EventSourceMapping');
      for (const fn of Object.keys(FAN_OUT_FUNCTIONS) as FanOutFunction[]) {
        const queueId = runsQueueId(fn);
        const functionId = `${fn.charAt(0).toUpperCase()}${fn.slice(1)}LambdaFunction`;
        const own = mappings.filter(([, m]) => JSON.stringify(m.Properties.EventSourceArn).includes(`"${queueId}"`));
        expect(own, `${fn}: one mapping from its queue`).toHaveLength(1);
        expect(own[0]?.[1].Properties).toMatchObject({
          BatchSize: 1,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          FunctionName: { 'Fn::GetAtt': [functionId, 'Arn'] },
        });
        const lambda = t.Resources[functionId] as Resource;
        const variables = (lambda.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
        expect(variables.WALCAT_CLUSTER_RUNS_QUEUE_URL, fn).toEqual({ Ref: queueId });
        const queue = t.Resources[queueId] as Resource;
        expect(queue.Properties.VisibilityTimeout as number).toBeGreaterThanOrEqual(
          lambda.Properties.Timeout as number,
        );
        expect(queue.Properties.RedrivePolicy).toMatchObject({
          deadLetterTargetArn: { 'Fn::GetAtt': ['ClusterRunsDeadLetterQueue', 'Arn'] },
        });
        // Its role sends to and consumes from its own queue and no other run queue.
        const role = JSON.stringify(t.Resources[FUNCTION_ROLES[fn]]?.Properties.Policies);
        const queues = [...role.matchAll(/"Fn::GetAtt":\["(\w+RunsQueue)","Arn"\]/g)].map((m) => m[1]);
        expect(queues, fn).toEqual([queueId]);
      }
    }
  });
});

describe('a cluster too large for one invocation is synced as key-range parts', () => {
  it('gives catalogSyncPart the part queue, one record at a time with partial batch failures, dead-lettered; catalogSync sends to it', () => {
    for (const size of FLEETS) {
      const t = template(size);
      const own = ofType(t, 'AWS::Lambda::EventSourceMapping').filter(([, m]) =>
        JSON.stringify(m.Properties.EventSourceArn).includes(`"${SYNC_PARTS_QUEUE}"`),
      );
      expect(own).toHaveLength(1);
      expect(own[0]?.[1].Properties).toMatchObject({
        BatchSize: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        FunctionName: { 'Fn::GetAtt': ['CatalogSyncPartLambdaFunction', 'Arn'] },
        ScalingConfig: { MaximumConcurrency: SYNC_PART_CONCURRENCY },
      });
      const part = t.Resources.CatalogSyncPartLambdaFunction as Resource;
      const queue = t.Resources[SYNC_PARTS_QUEUE] as Resource;
      expect(queue.Properties.VisibilityTimeout as number).toBeGreaterThanOrEqual(part.Properties.Timeout as number);
      expect(queue.Properties.RedrivePolicy).toMatchObject({
        deadLetterTargetArn: { 'Fn::GetAtt': ['ClusterRunsDeadLetterQueue', 'Arn'] },
      });
      const sync = t.Resources.CatalogSyncLambdaFunction as Resource;
      const variables = (sync.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables.WALCAT_SYNC_PARTS_QUEUE_URL).toEqual({ Ref: SYNC_PARTS_QUEUE });
    }
  });
});

describe('cfn-lint', () => {
  it.each(FLEETS)('finds zero errors in the template for %s clusters', (size) => {
    const result = lint.get(size);
    expect(result?.output.split('\n').filter((line) => /:E\d{4}:/.test(line))).toEqual([]);
    // cfn-lint's exit status has bit 2 set for errors (4 warnings, 8 informational).
    expect((result?.status ?? 2) & 2).toBe(0);
  });
});

describe('the catalog table', () => {
  it('is named per stage, retained on delete and on replacement, and given to every function by the stack', () => {
    for (const [size, stage] of [
      [1, 'dev'],
      [50, 'prod'],
    ] as const) {
      const t = template(size);
      const table = t.Resources.CatalogTable as Resource;
      expect(table.Properties.TableName).toBe(`walcat-${stage}-catalog`);
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
      for (const [id, fn] of ofType(t, 'AWS::Lambda::Function')) {
        const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
        expect(variables.WALCAT_CATALOG_TABLE, id).toEqual({ Ref: 'CatalogTable' });
      }
      expect(JSON.stringify(t)).not.toContain('walcat-from-the-shell');
      expect(JSON.stringify(t)).not.toContain('walcat-from-the-file');
      expect(t.Outputs.CatalogTableName?.Value).toEqual({ Ref: 'CatalogTable' });
    }
  });
});

describe('nothing is lost silently', () => {
  const t = () => template(50);
  it('alarms on every dead-letter queue', () => {
    const queues = ofType(t(), 'AWS::SQS::Queue').map(([id]) => id);
    const deadLetter = new Set(
      ofType(t(), 'AWS::SQS::Queue').flatMap(([, q]) => {
        const target = (q.Properties.RedrivePolicy as { deadLetterTargetArn?: { 'Fn::GetAtt': string[] } } | undefined)
          ?.deadLetterTargetArn?.['Fn::GetAtt']?.[0];
        return target ? [target] : [];
      }),
    );
    const destinations = ofType(t(), 'AWS::Lambda::EventInvokeConfig').map(
      ([, c]) =>
        (c.Properties.DestinationConfig as { OnFailure: { Destination: { 'Fn::GetAtt': string[] } } }).OnFailure
          .Destination['Fn::GetAtt'][0],
    );
    for (const d of destinations) deadLetter.add(d as string);
    expect(deadLetter.size).toBeGreaterThanOrEqual(3);
    const alarmed = ofType(t(), 'AWS::CloudWatch::Alarm').map(([, a]) => {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
      return JSON.stringify(a.Properties.Dimensions);
    });
    for (const queue of deadLetter) {
      expect(queues).toContain(queue);
      expect(
        alarmed.some((d) => d.includes(`"${queue}"`)),
        `${queue} has an alarm`,
      ).toBe(true);
    }
    expect(t().Outputs.AlarmTopicArn?.Value).toEqual({ Ref: 'AlarmTopic' });
  });

  it('gives every asynchronously invoked function a failure destination it may write to', () => {
    const configs = ofType(t(), 'AWS::Lambda::EventInvokeConfig').map(([, c]) =>
      JSON.stringify(c.Properties.FunctionName),
    );
    for (const fn of ASYNC_FUNCTIONS) {
      const logicalId = `${fn.charAt(0).toUpperCase()}${fn.slice(1)}LambdaFunction`;
      expect(configs, fn).toContain(JSON.stringify({ Ref: logicalId }));
      const role = JSON.stringify(t().Resources[FUNCTION_ROLES[fn]]?.Properties.Policies);
      expect(role).toContain('"Fn::GetAtt":["AsyncFailuresQueue","Arn"]');
    }
  });
});

describe('filters, log group and outputs', () => {
  it('filters the S3 rule on the configured buckets (and prefixes while they fit) and the SSM rules on the document', () => {
    for (const size of FLEETS) {
      const patterns = ofType(template(size), 'AWS::Events::Rule').flatMap(([, r]) =>
        r.Properties.EventPattern
          ? [r.Properties.EventPattern as { source: string[]; detail?: Record<string, unknown> }]
          : [],
      );
      const s3 = patterns.filter((p) => p.source.includes('aws.s3'));
      const ssm = patterns.filter((p) => p.source.includes('aws.ssm'));
      expect(s3).toHaveLength(1);
      // One consumer of Run Command status changes (the job tracker, for host jobs and restores alike).
      expect(ssm).toHaveLength(1);
      const buckets = ((s3[0]?.detail?.bucket ?? { name: [] }) as { name: string[] }).name.sort();
      expect(buckets).toEqual(
        size === 1 ? ['fleet-backups-0'] : ['fleet-backups-0', 'fleet-backups-1', 'fleet-backups-2'],
      );
      if (size === 1) expect(s3[0]?.detail?.object).toEqual({ key: [{ prefix: 'postgres/pg-cluster-0000/' }] });
      expect(JSON.stringify(s3[0]).length).toBeLessThan(4096);
      for (const p of ssm) expect(p.detail).toEqual({ 'document-name': ['AWS-RunShellScript'] });
    }
  });

  it('creates the stage’s own host-command log group with a retention, gives it to the functions, and outputs what the README’s commands need', () => {
    for (const [size, stage] of [
      [1, 'dev'],
      [50, 'prod'],
    ] as const) {
      const groups = ofType(template(size), 'AWS::Logs::LogGroup').filter(
        ([, g]) => g.Properties.LogGroupName === `/walcat/${stage}/host-commands`,
      );
      expect(groups, stage).toHaveLength(1);
      expect(groups[0]?.[0]).toBe('HostCommandsLogGroup');
      expect(groups[0]?.[1].Properties.RetentionInDays).toBeGreaterThan(0);
      for (const [id, fn] of ofType(template(size), 'AWS::Lambda::Function')) {
        const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
        expect(variables.WALCAT_HOST_COMMANDS_LOG_GROUP, id).toEqual({ Ref: 'HostCommandsLogGroup' });
      }
    }
    expect(JSON.stringify(template(1))).not.toContain('"/walcat/host-commands"');
    const outputs = template(1).Outputs;
    expect(outputs.ObjectEventsQueueArn?.Value).toEqual({ 'Fn::GetAtt': ['ObjectEventsQueue', 'Arn'] });
    const rules = ofType(template(1), 'AWS::Events::Rule').map(([, r]) => r.Properties.Name);
    for (const name of ['ObjectEventsRuleName', 'JobStatusRuleName']) {
      expect(rules, name).toContain(outputs[name]?.Value);
    }
  });

  it('lets the readers of SSE-KMS buckets decrypt with the configured key, through S3 only', () => {
    for (const fn of ['catalogIngest', 'catalogSync', 'retention'] as const) {
      const statements = (
        (template(50).Resources[FUNCTION_ROLES[fn]]?.Properties.Policies ?? []) as {
          PolicyDocument: { Statement: { Action: string[]; Resource: unknown; Condition?: unknown }[] };
        }[]
      ).flatMap((p) => p.PolicyDocument.Statement);
      const kms = statements.filter((s) => s.Action.includes('kms:Decrypt'));
      expect(kms, fn).toHaveLength(1);
      expect(kms[0]?.Resource).toEqual(['arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab']);
      expect(JSON.stringify(kms[0]?.Condition)).toContain(`s3.$\{AWS::Region}.amazonaws.com`);
    }
  });
});

describe("the README's deploy section, run with the AWS CLI against moto", () => {
  it('goes from an empty account with an existing WAL-G bucket to a first walcat status naming its backup and WAL head', async () => {
    const moto = await startMoto();
    try {
      const deployed = await deployFromTheReadme(moto, readmeProject);
      // moto completes the stack without the resource types it does not implement, and only those are missing.
      const missing = deployed.resourceTypes.template.filter((type) => !deployed.resourceTypes.stack.includes(type));
      expect(missing).toEqual([...RESOURCES_MOTO_SKIPS]);
      expect(deployed.outputs.CatalogTableName).toBe('walcat-prod-catalog');
      expect(deployed.outputs.ObjectEventsQueueArn).toMatch(/^arn:aws:sqs:eu-west-1:\d{12}:walcat-prod-ObjectEvents/);
      // The code that ran is the code the function was created with.
      expect(deployed.codeSha256.function).toBe(deployed.codeSha256.packaged);
      expect(deployed.queuedRuns.map((run) => (run as { cluster: string }).cluster)).toEqual([
        'orders-main',
        'billing',
      ]);
      expect(deployed.syncResponses).toEqual([
        { enqueued: 2 },
        { batchItemFailures: [], ran: 1, dropped: 0 },
        { batchItemFailures: [], ran: 1, dropped: 0 },
      ]);
      const [status] = deployed.status.json as {
        cluster: string;
        lastBackup: { name: string; status: string };
        walHead: { timeline: number; segment: string };
        gaps: { status: string };
        alerts: unknown[];
      }[];
      expect(status).toMatchObject({
        cluster: 'orders-main',
        lastBackup: { name: deployed.seeded.backup, status: 'complete' },
        walHead: { timeline: 1, segment: deployed.seeded.walHead },
        gaps: { status: 'OK' },
        alerts: [],
      });
      expect(deployed.status.screen).toContain(deployed.seeded.backup);
      expect(deployed.status.screen).toContain(deployed.seeded.walHead);
    } finally {
      await moto.close();
    }
  }, 600_000);
});
