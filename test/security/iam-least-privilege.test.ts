/**
 * Least privilege, read from the packaged CloudFormation template (`npm run package`, run once here): each function's
 * IAM statements, the absence of any shared broad role, the web view's IAM authorisation, and function environments
 * free of secrets. The expectations are derived from the config that was packaged, so the test holds for any config.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createDynamoDbDocumentClient } from '../../lib/adapters/aws/aws-clients.ts';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { DynamoDbJobStore } from '../../lib/adapters/dynamodb/dynamodb-job-store.ts';
import { SsmCommandTransport } from '../../lib/adapters/ssm/ssm-command-transport.ts';
import { SsmInstanceDirectory } from '../../lib/adapters/ssm/ssm-instance-directory.ts';
import { loadWalcatConfig } from '../../lib/config/config.ts';
import {
  FAN_OUT_FUNCTIONS,
  FUNCTION_ROLES,
  type FunctionName,
  runsQueueId,
  SYNC_PARTS_QUEUE,
} from '../../lib/deploy/serverless-model.ts';
import type { ClusterId, WalcatConfig } from '../../lib/domain/cluster.ts';
import { newJob } from '../../lib/domain/jobs/job.ts';
import { createRestoreJob, markStepDispatched } from '../../lib/domain/restore/restore-job.ts';
import { parseRestoreTarget } from '../../lib/domain/restore/restore-target.ts';
import { DYNALITE_CREDENTIALS, startDynalite } from '../support/dynalite.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const TEMPLATE = join(ROOT, '.serverless', 'cloudformation-template-update-stack.json');

type Json = unknown;
interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string | string[];
  readonly NotAction?: unknown;
  readonly Resource: Json;
  readonly NotResource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}
interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
}

let resources: Record<string, Resource>;
let config: WalcatConfig;
let templateText: string;

const HOST_OPERATIONS: readonly FunctionName[] = [
  'backupScheduler',
  'archiverProbe',
  // The one consumer of status events: it sends a restore's or drill's next step.
  'jobTracker',
  'restoreOrchestrator',
  'restoreDrill',
];
/** AWS supports no resource-level permissions for these: `*` is the only possible resource (serverless-model.ts). */
const STAR_RESOURCE_ACTIONS = new Set([
  'ssm:GetCommandInvocation',
  'ssm:ListCommandInvocations',
  'ssm:DescribeInstanceInformation',
]);

beforeAll(() => {
  const packaged = spawnSync(process.execPath, [join(ROOT, 'scripts', 'serverless-package.mjs'), '--example'], {
    cwd: ROOT,
    encoding: 'utf8',
    // Packaging bundles every function; on two loaded cores it has taken over 150 s.
    timeout: 300_000,
  });
  if (packaged.status !== 0) {
    const how = packaged.error ? packaged.error.message : `exit ${packaged.status}`;
    throw new Error(`npm run package failed (${how}):\n${packaged.stdout}\n${packaged.stderr}`);
  }
  templateText = readFileSync(TEMPLATE, 'utf8');
  resources = (JSON.parse(templateText) as { Resources: Record<string, Resource> }).Resources;
  const packagedConfig = join(ROOT, 'walcat.config.deploy.yml');
  expect(existsSync(packagedConfig)).toBe(true);
  config = loadWalcatConfig({ path: packagedConfig });
}, 330_000);

const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];
const resourcesOf = (statement: Statement): Json[] =>
  Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];

function statementsOfRole(roleId: string): Statement[] {
  const role = resources[roleId];
  expect(role?.Type, `${roleId} is an IAM role in the template`).toBe('AWS::IAM::Role');
  const policies = (role?.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
  expect(role?.Properties.ManagedPolicyArns, `${roleId} attaches no managed policy`).toBeUndefined();
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

const roles = () => Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::IAM::Role');
const lambdaFunctions = () =>
  Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::Lambda::Function');
const functionNameOf = (logicalId: string): string => {
  const base = logicalId.replace(/LambdaFunction$/, '');
  return base.charAt(0).toLowerCase() + base.slice(1);
};
const statementsOf = (fn: FunctionName) => statementsOfRole(FUNCTION_ROLES[fn]);
const allows = (statements: readonly Statement[], pattern: RegExp) =>
  statements.filter((statement) => actionsOf(statement).some((action) => pattern.test(action)));

/**
 * `arn:<partition>:s3:::bucket/prefix*` of every cluster: the only objects walcat may touch (the packaged example's
 * few clusters fit the policy budget, so no list is narrowed to a common prefix).
 */
const clusterObjectArns = () =>
  config.clusters.map((c) => ({ 'Fn::Sub': `arn:$\{AWS::Partition}:s3:::${c.storage.bucket}/${c.storage.prefix}*` }));
const sortedJson = (values: Json[]) => values.map((value) => JSON.stringify(value)).sort();

describe('the packaged template: one least-privilege role per function', () => {
  it('gives every Lambda function its own generated role and emits no shared default role', () => {
    expect(resources.IamRoleLambdaExecution).toBeUndefined();
    const functions = lambdaFunctions();
    expect(functions.length).toBeGreaterThanOrEqual(6);
    const used = new Set<string>();
    for (const [logicalId, resource] of functions) {
      const fn = functionNameOf(logicalId) as FunctionName;
      expect(Object.keys(FUNCTION_ROLES), `${logicalId} has a role in serverless-model.ts`).toContain(fn);
      expect(resource.Properties.Role).toEqual({ 'Fn::GetAtt': [FUNCTION_ROLES[fn], 'Arn'] });
      expect(used.has(FUNCTION_ROLES[fn]), `${FUNCTION_ROLES[fn]} used by one function only`).toBe(false);
      used.add(FUNCTION_ROLES[fn]);
    }
    for (const fn of Object.keys(FUNCTION_ROLES) as FunctionName[]) statementsOf(fn);
  });

  it('allows no `*` action, no Deny tricks (NotAction/NotResource), and `*` resources only where AWS requires them', () => {
    for (const [roleId] of roles()) {
      for (const statement of statementsOfRole(roleId)) {
        expect(statement.Effect).toBe('Allow');
        expect(statement.NotAction).toBeUndefined();
        expect(statement.NotResource).toBeUndefined();
        for (const action of actionsOf(statement)) {
          expect(action, `${roleId} ${statement.Sid}`).toMatch(/^[a-z0-9-]+:[A-Za-z0-9]+$/);
        }
        if (resourcesOf(statement).includes('*')) {
          expect(
            actionsOf(statement).every((action) => STAR_RESOURCE_ACTIONS.has(action)),
            `${roleId} ${statement.Sid}`,
          ).toBe(true);
        }
      }
      const trust = resources[roleId]?.Properties.AssumeRolePolicyDocument as { Statement: { Principal: unknown }[] };
      expect(trust.Statement.map((s) => s.Principal)).toEqual([{ Service: ['lambda.amazonaws.com'] }]);
    }
  });

  it('lets the ingest function read objects and write the catalog but delete nothing', () => {
    const ingest = statementsOf('catalogIngest');
    expect(allows(ingest, /^s3:Delete/)).toEqual([]);
    expect(allows(ingest, /^s3:Put/)).toEqual([]);
    expect(allows(ingest, /^dynamodb:(DeleteItem|DeleteTable|UpdateTable|CreateTable)$/)).toEqual([]);
    for (const statement of allows(ingest, /^s3:GetObject$/)) {
      expect(sortedJson(resourcesOf(statement))).toEqual(sortedJson(clusterObjectArns()));
    }
  });

  it('names S3 resources with the partition, and lets ingest list the cluster prefixes (a vanished object is 404, not 403)', () => {
    expect(templateText).not.toMatch(/arn:aws:s3:/);
    const lists = allows(statementsOf('catalogIngest'), /^s3:ListBucket$/);
    const buckets = [...new Set(config.clusters.map((c) => c.storage.bucket))];
    expect(lists).toHaveLength(buckets.length);
    for (const statement of lists) {
      const bucket = buckets.find((b) => JSON.stringify(statement.Resource).endsWith(`:s3:::${b}"}`));
      expect(bucket, JSON.stringify(statement.Resource)).toBeDefined();
      const prefixes = config.clusters.filter((c) => c.storage.bucket === bucket).map((c) => `${c.storage.prefix}*`);
      expect(statement.Condition?.StringLike?.['s3:prefix']).toEqual(prefixes);
    }
  });

  it('lets only catalog-sync (and its parts) and retention read bucket configurations, only of the cluster buckets', () => {
    const reads = /^s3:(GetLifecycleConfiguration|GetBucketVersioning|GetBucketObjectLockConfiguration)$/;
    const buckets = [...new Set(config.clusters.map((c) => c.storage.bucket))];
    for (const [roleId] of roles()) {
      const statements = allows(statementsOfRole(roleId), reads);
      // Retention reads them too: its plan keeps locked backups and says what deletes do on a versioned bucket. The
      // sync part that completes a split sync stores the digest with the mark, as a one-invocation sync does.
      const readers: string[] = [FUNCTION_ROLES.catalogSync, FUNCTION_ROLES.catalogSyncPart, FUNCTION_ROLES.retention];
      if (!readers.includes(roleId)) {
        expect(statements, `${roleId} reads no bucket configuration`).toEqual([]);
        continue;
      }
      expect(statements).toHaveLength(1);
      expect(actionsOf(statements[0] as Statement).sort()).toEqual([
        's3:GetBucketObjectLockConfiguration',
        's3:GetBucketVersioning',
        's3:GetLifecycleConfiguration',
      ]);
      expect(sortedJson(resourcesOf(statements[0] as Statement))).toEqual(
        sortedJson(buckets.map((b) => ({ 'Fn::Sub': `arn:$\{AWS::Partition}:s3:::${b}` }))),
      );
    }
  });

  it('lets only retention delete objects, and only under the configured cluster prefixes', () => {
    for (const [roleId] of roles()) {
      const deletes = allows(statementsOfRole(roleId), /^s3:Delete/);
      if (roleId !== FUNCTION_ROLES.retention) {
        expect(deletes, `${roleId} may not delete objects`).toEqual([]);
        continue;
      }
      expect(deletes.length).toBeGreaterThan(0);
      for (const statement of deletes) {
        // Deleting by version id is what frees the bytes on a versioned bucket; nothing else about objects may change.
        expect(actionsOf(statement)).toEqual([
          's3:GetObject',
          's3:GetObjectRetention',
          's3:GetObjectLegalHold',
          's3:DeleteObject',
          's3:DeleteObjectVersion',
        ]);
        expect(sortedJson(resourcesOf(statement))).toEqual(sortedJson(clusterObjectArns()));
      }
      // Versions are listed only under the cluster prefixes, and the bucket settings read are the three retention
      // reviews: versioning, lifecycle rules and Object Lock.
      const versionLists = allows(statementsOfRole(roleId), /^s3:ListBucketVersions$/);
      expect(versionLists.length).toBeGreaterThan(0);
      for (const statement of versionLists) {
        expect(actionsOf(statement)).toEqual(['s3:ListBucket', 's3:ListBucketVersions']);
        expect(statement.Condition?.StringLike?.['s3:prefix']).toBeDefined();
      }
      const settings = allows(statementsOfRole(roleId), /^s3:Get(Bucket|Lifecycle)/);
      expect(settings.flatMap(actionsOf).sort()).toEqual([
        's3:GetBucketObjectLockConfiguration',
        's3:GetBucketVersioning',
        's3:GetLifecycleConfiguration',
      ]);
    }
    // Object Lock stays in force: nobody may bypass governance retention or change lock settings.
    for (const [roleId] of roles()) {
      expect(
        allows(statementsOfRole(roleId), /^s3:(BypassGovernanceRetention|PutObject(Retention|LegalHold))$/),
      ).toEqual([]);
    }
  });

  it('lets only the host-operations functions SendCommand, only with AWS-RunShellScript on tagged instances', () => {
    const targets = new Set(
      config.clusters.flatMap((c) => [
        ...(c.hosts ? [`${c.hosts.target.tagKey}=${c.hosts.target.tagValue}`] : []),
        ...(c.drill ? [`${c.drill.target.tagKey}=${c.drill.target.tagValue}`] : []),
      ]),
    );
    for (const fn of Object.keys(FUNCTION_ROLES) as FunctionName[]) {
      const sends = allows(statementsOf(fn), /^ssm:SendCommand$/);
      if (!HOST_OPERATIONS.includes(fn)) {
        expect(sends, `${fn} may not send commands`).toEqual([]);
        continue;
      }
      expect(sends.length, `${fn} sends commands`).toBeGreaterThan(0);
      for (const statement of sends) {
        expect(actionsOf(statement)).toEqual(['ssm:SendCommand']);
        const [resource, ...more] = resourcesOf(statement);
        expect(more).toEqual([]);
        const arn = JSON.stringify(resource);
        if (arn.includes(':document/')) {
          expect(arn).toMatch(/:ssm:\$\{AWS::Region\}::document\/AWS-RunShellScript"/);
          continue;
        }
        expect(arn).toMatch(/:ec2:\$\{AWS::Region\}:\$\{AWS::AccountId\}:instance\/\*"/);
        const equals = statement.Condition?.StringEquals ?? {};
        const tagKeys = Object.keys(equals);
        expect(tagKeys).toHaveLength(1);
        expect(tagKeys[0]).toMatch(/^ssm:resourceTag\//);
        for (const value of equals[tagKeys[0] as string] as string[]) {
          expect(targets).toContain(`${(tagKeys[0] as string).slice('ssm:resourceTag/'.length)}=${value}`);
        }
      }
    }
  });

  it('lets only alert-dispatch read the Slack webhook parameters (and decrypt them only through SSM)', () => {
    const parameters = [...new Set(config.clusters.flatMap((c) => c.alerts.slackWebhookParameter ?? []))];
    for (const fn of Object.keys(FUNCTION_ROLES) as FunctionName[]) {
      const statements = statementsOf(fn);
      const reads = allows(statements, /^ssm:GetParameter/);
      const decrypts = allows(statements, /^kms:/);
      if (fn !== 'alertDispatch') {
        expect(reads, `${fn} may not read parameters`).toEqual([]);
        expect(decrypts, `${fn} may not decrypt`).toEqual([]);
        continue;
      }
      expect(reads.flatMap(actionsOf)).toEqual(['ssm:GetParameter']);
      const named = reads.flatMap(resourcesOf).map((arn) => JSON.stringify(arn));
      expect(named).toHaveLength(parameters.length);
      for (const name of parameters) expect(named.some((arn) => arn.endsWith(`:parameter${name}"}`))).toBe(true);
      for (const statement of decrypts) {
        expect(actionsOf(statement)).toEqual(['kms:Decrypt']);
        expect(JSON.stringify(statement.Condition?.StringEquals?.['kms:ViaService'])).toMatch(/ssm\.\$\{AWS::Region\}/);
      }
    }
  });
});

describe('the cluster-run queues', () => {
  it('lets each fanned-out function send to and consume only its own queue, and no other function touch one', () => {
    for (const fn of Object.keys(FUNCTION_ROLES) as FunctionName[]) {
      const touching = statementsOf(fn).filter((statement) => JSON.stringify(statement.Resource).includes('RunsQueue'));
      if (!(fn in FAN_OUT_FUNCTIONS)) {
        expect(touching, `${fn} has no cluster-run queue`).toEqual([]);
        continue;
      }
      expect(touching).toHaveLength(1);
      expect(touching[0]?.Resource).toEqual({
        'Fn::GetAtt': [runsQueueId(fn as keyof typeof FAN_OUT_FUNCTIONS), 'Arn'],
      });
      expect([...actionsOf(touching[0] as Statement)].sort()).toEqual([
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:ReceiveMessage',
        'sqs:SendMessage',
      ]);
    }
  });
});

describe('the split catalog sync', () => {
  it('lets only catalog-sync send to the sync part queue and only catalog-sync-part consume it (sending nothing)', () => {
    for (const fn of Object.keys(FUNCTION_ROLES) as FunctionName[]) {
      const touching = statementsOf(fn).filter((statement) =>
        JSON.stringify(statement.Resource).includes(SYNC_PARTS_QUEUE),
      );
      const actions = touching.flatMap(actionsOf).sort();
      if (fn === 'catalogSync') expect(actions).toEqual(['sqs:SendMessage']);
      else if (fn === 'catalogSyncPart')
        expect(actions).toEqual(['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage']);
      else expect(touching, `${fn} has no access to the sync part queue`).toEqual([]);
      for (const statement of touching) expect(statement.Resource).toEqual({ 'Fn::GetAtt': [SYNC_PARTS_QUEUE, 'Arn'] });
    }
  });

  it('lets catalog-sync-part read and list its cluster prefixes and write the catalog; it deletes, sends and commands nothing', () => {
    const statements = statementsOf('catalogSyncPart');
    expect(
      allows(statements, /^s3:GetObject$/)
        .flatMap(resourcesOf)
        .map((r) => JSON.stringify(r))
        .sort(),
    ).toEqual(sortedJson(clusterObjectArns()));
    expect(allows(statements, /^s3:ListBucket$/).length).toBeGreaterThan(0);
    expect(allows(statements, /^s3:Delete|^ssm:|^sqs:SendMessage$|^dynamodb:DeleteItem$/)).toEqual([]);
    expect(statements.flatMap(actionsOf)).not.toContain('sqs:SendMessage');
  });
});

describe('the alert path', () => {
  it('gives alert-dispatch no catalog access: it only turns queued messages into Slack posts', () => {
    expect(allows(statementsOf('alertDispatch'), /^dynamodb:/)).toEqual([]);
    expect(allows(statementsOf('alertDispatch'), /^s3:/)).toEqual([]);
  });
});

describe('the web view and the function environments', () => {
  it('requires IAM authorisation on every route of the HTTP API', () => {
    const routes = Object.values(resources).filter((resource) => resource.Type === 'AWS::ApiGatewayV2::Route');
    expect(routes.length).toBeGreaterThan(0);
    for (const route of routes) expect(route.Properties.AuthorizationType).toBe('AWS_IAM');
    expect(Object.values(resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Authorizer')).toEqual([]);
  });

  it('puts no secret in any function environment and names the Slack webhook only by parameter', () => {
    const secretLooking =
      /hooks\.slack\.com|xox[abprs]-|AKIA[0-9A-Z]{16}|-----BEGIN|https?:\/\/[^/\s"]*:[^@\s"]+@|[A-Za-z0-9+/]{40}/;
    for (const [logicalId, resource] of lambdaFunctions()) {
      const variables = ((resource.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables ?? {}) as Record<string, unknown>;
      for (const [name, value] of Object.entries(variables)) {
        expect(name, `${logicalId}`).not.toMatch(/SECRET|PASSWORD|TOKEN|WEBHOOK_URL|PRIVATE_KEY/i);
        expect(JSON.stringify(value), `${logicalId} ${name}`).not.toMatch(secretLooking);
      }
    }
    expect(templateText).not.toMatch(/hooks\.slack\.com/);
    // Values only: the example's comments show how to store the URL in SSM, which is fine.
    const deployedConfig = JSON.stringify(parseYaml(readFileSync(join(ROOT, 'walcat.config.deploy.yml'), 'utf8')));
    expect(deployedConfig).not.toMatch(/hooks\.slack\.com|xox[abprs]-|https?:/);
    for (const cluster of config.clusters) {
      if (cluster.alerts.slackWebhookParameter) expect(cluster.alerts.slackWebhookParameter).toMatch(/^\/[\w/.-]+$/);
    }
  });
});

describe('the roles grant what the code actually sends', () => {
  /**
   * DynamoDB actions the one job store sends for everything the functions do with host jobs and their locks, or
   * with restore jobs and the restore lock.
   */
  async function jobStoreActions(kind: 'host' | 'restore'): Promise<Set<string>> {
    const ddb = await startDynalite();
    try {
      const table = 'walcat-iam-probe';
      await new DynamoDbCatalogStore({
        client: ddb.client,
        tableName: table,
        interpret: () => ({ problem: 'unused' }),
      }).ensureTable();
      const actions = new Set<string>();
      const client = createDynamoDbDocumentClient({
        region: 'us-east-1',
        dynamodb: ddb.endpoint,
        credentials: DYNALITE_CREDENTIALS,
      });
      client.middlewareStack.add(
        (next, context) => (args) => {
          actions.add(`dynamodb:${String(context.commandName).replace(/Command$/, '')}`);
          return next(args);
        },
        { step: 'initialize', name: 'recordIamActions' },
      );
      const jobs = new DynamoDbJobStore({ client, tableName: table });
      const cluster = 'orders-main' as ClusterId;
      const now = new Date('2026-11-21T01:00:00Z');
      if (kind === 'restore') {
        const restore = createRestoreJob({
          id: 'r-1',
          cluster,
          type: 'restore',
          now,
          request: {
            target: parseRestoreTarget({ to: 'latest' }),
            baseBackup: 'base_000000010000000000000004',
            timeline: 'latest',
            action: 'promote',
            host: { kind: 'instance', instanceId: 'i-1' },
            inPlace: false,
            hostSettings: {
              target: { tagKey: 'walcat:cluster', tagValue: 'orders-main' },
              pgData: '/var/lib/postgresql/15/main',
              osUser: 'postgres',
              service: { kind: 'systemd', unit: 'postgresql@15-main' },
              walgBinary: 'wal-g',
            },
            recoveryTimeoutSeconds: 600,
          },
        });
        await jobs.acquireRestoreLock(cluster, 'r-1');
        await jobs.restoreLockHolder(cluster);
        await jobs.create(restore);
        await jobs.save(markStepDispatched(restore, 'preflight', 'cmd-r', now), restore.version);
        await jobs.findByCommandId('cmd-r');
        await jobs.getById(cluster, 'r-1');
        await jobs.listActive(cluster);
        await jobs.releaseRestoreLock(cluster, 'r-1');
        client.destroy();
        return actions;
      }
      await jobs.acquireLock(cluster, 'backup', 'job-1', now, new Date(now.getTime() + 60_000));
      await jobs.create(newJob({ id: 'job-1', cluster, type: 'backup-push', commandId: 'cmd-1', now, lock: 'backup' }));
      const found = await jobs.findByCommandId('cmd-1');
      if (found) await jobs.update(found, (job) => job);
      await jobs.list(cluster, { states: ['running'] });
      await jobs.listActive(cluster);
      await jobs.releaseLock(cluster, 'backup', 'job-1');
      client.destroy();
      return actions;
    } finally {
      await ddb.close();
    }
  }

  it('lets catalog-sync and catalog-sync-part make every part-ledger request they send', async () => {
    const ddb = await startDynalite();
    try {
      const table = 'walcat-iam-ledger-probe';
      const actions = new Set<string>();
      const client = createDynamoDbDocumentClient({
        region: 'us-east-1',
        dynamodb: ddb.endpoint,
        credentials: DYNALITE_CREDENTIALS,
      });
      const ledger = new DynamoDbCatalogStore({ client, tableName: table, interpret: () => ({ problem: 'unused' }) });
      await ledger.ensureTable();
      client.middlewareStack.add(
        (next, context) => (args) => {
          actions.add(`dynamodb:${String(context.commandName).replace(/Command$/, '')}`);
          return next(args);
        },
        { step: 'initialize', name: 'recordIamActions' },
      );
      const cluster = 'orders-main' as ClusterId;
      const plannedAt = new Date('2026-11-21T00:00:00Z');
      const generation = { syncId: plannedAt.toISOString(), plannedAt, ranges: [{ after: '' }] };
      await ledger.beginSync(cluster, generation);
      await ledger.beginSync(cluster, generation);
      await ledger.beginSync(cluster, { ...generation, syncId: '2026-11-20T00:00:00.000Z' });
      await ledger.syncPartStatus(cluster, generation.syncId, 0);
      await ledger.finishSyncPart(cluster, generation.syncId, 0, 1);
      await ledger.commitSync(cluster, generation.syncId, plannedAt);
      client.destroy();
      expect([...actions].sort()).toEqual([
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
      ]);
      for (const fn of ['catalogSync', 'catalogSyncPart'] as const) {
        const granted = new Set(
          statementsOf(fn)
            .filter((statement) => JSON.stringify(statement.Resource).includes('CatalogTable'))
            .flatMap(actionsOf),
        );
        for (const action of actions) expect(granted.has(action), `${fn} needs ${action}`).toBe(true);
      }
    } finally {
      await ddb.close();
    }
  });

  it('lets restoreOrchestrator and jobTracker do every restore-job request they make (the restore lock included)', async () => {
    const needed = await jobStoreActions('restore');
    expect(needed).toContain('dynamodb:DeleteItem');
    for (const fn of ['restoreOrchestrator', 'jobTracker'] as const) {
      const granted = new Set(
        statementsOf(fn)
          .filter((statement) => JSON.stringify(statement.Resource).includes('CatalogTable'))
          .flatMap(actionsOf),
      );
      for (const action of needed) expect(granted.has(action), `${fn} needs ${action}`).toBe(true);
    }
  }, 60_000);

  it('lets backupScheduler, jobTracker and archiverProbe do every job-store request they make (locks included)', async () => {
    const needed = await jobStoreActions('host');
    expect(needed).toContain('dynamodb:DeleteItem');
    for (const fn of ['backupScheduler', 'jobTracker', 'archiverProbe'] as const) {
      const granted = new Set(
        statementsOf(fn)
          .filter((statement) => JSON.stringify(statement.Resource).includes('CatalogTable'))
          .flatMap(actionsOf),
      );
      for (const action of needed) expect(granted.has(action), `${fn} needs ${action}`).toBe(true);
    }
  }, 60_000);
});

describe('the restore roles grant the SSM requests the restore adapters send', () => {
  it('lets restoreOrchestrator and restoreDrill resolve a host tag and drive its commands', async () => {
    const ssm = mockClient(SSMClient);
    ssm.resolves({});
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'c-1' } });
    try {
      const client = new SSMClient({ region: 'us-east-1' });
      await new SsmInstanceDirectory({ client }).instancesWithTag('walcat:drill', 'orders-main');
      const transport = new SsmCommandTransport({ client });
      await transport.send({ targets: { instanceIds: ['i-1'] }, script: 'true', timeoutSeconds: 60, comment: 'probe' });
      await transport.getInvocation('c-1', 'i-1');
      await transport.listInvocations('c-1');
      const needed = new Set(ssm.calls().map((call) => `ssm:${call.args[0].constructor.name.replace(/Command$/, '')}`));
      expect(needed).toContain('ssm:DescribeInstanceInformation');
      for (const fn of ['restoreOrchestrator', 'restoreDrill'] as const) {
        const granted = new Set(statementsOf(fn).flatMap(actionsOf));
        for (const action of needed) expect(granted.has(action), `${fn} needs ${action}`).toBe(true);
      }
    } finally {
      ssm.restore();
    }
  });
});
