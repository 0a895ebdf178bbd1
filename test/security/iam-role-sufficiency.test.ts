/**
 * The roles are sufficient, not only few: each function's real adapters make the requests its use case makes with
 * credentials limited to exactly that role's policy (lib/deploy/serverless-model.ts, what `npm run package` puts in
 * the template), against moto's server mode with IAM enforcement (`INITIAL_NO_AUTH_ACTION_COUNT`), started here as
 * a real process. And minimal: the requests a role must not make are refused.
 *
 * What moto enforces, and so what this proves: actions for every service, and resources for S3 (bucket and key
 * ARNs) and SQS (queue ARNs). moto authorises DynamoDB and SSM requests against the resource `*` and evaluates no
 * conditions, so those statements are given here with `*` and without conditions; their resources and conditions
 * are asserted on the packaged template (iam-least-privilege.test.ts). An object read without s3:ListBucket answers
 * 404 in moto where AWS answers 403; that the ingest role has ListBucket on its prefixes is asserted there too.
 * Two S3 requests moto cannot judge under authentication are left to those template assertions as well: a
 * ListObjectsV2 with a `prefix` containing `/` fails moto's signature check (SignatureDoesNotMatch for every
 * caller), and DeleteObjects is authorised by moto against the bucket ARN, where AWS checks s3:DeleteObject per key.
 * moto also authorises SQS SendMessageBatch as `sqs:SendMessageBatch`, an action AWS does not have (AWS authorises
 * the batch as `sqs:SendMessage`), so the policies given to moto carry it beside every `sqs:SendMessage`.
 * GetObjectLockConfiguration is authorised by moto as s3:ListBucket (its action map lacks it), so that the sync's
 * role carries s3:GetBucketObjectLockConfiguration is asserted on the template as well.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbDocumentClient, createS3Client, createSsmClient } from '../../lib/adapters/aws/aws-clients.ts';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { DynamoDbJobStore } from '../../lib/adapters/dynamodb/dynamodb-job-store.ts';
import { S3BucketInspector } from '../../lib/adapters/s3/s3-bucket-inspector.ts';
import { S3ObjectStore } from '../../lib/adapters/s3/s3-object-store.ts';
import { QueuedNotifier } from '../../lib/adapters/sqs/queued-notifier.ts';
import { SqsClusterRunQueue } from '../../lib/adapters/sqs/sqs-cluster-run-queue.ts';
import { SqsSyncPartQueue } from '../../lib/adapters/sqs/sqs-sync-part-queue.ts';
import { SsmCommandTransport } from '../../lib/adapters/ssm/ssm-command-transport.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import {
  FAN_OUT_FUNCTIONS,
  type FanOutFunction,
  FUNCTION_ROLES,
  type FunctionName,
  iamRoles,
  runsQueueId,
} from '../../lib/deploy/serverless-model.ts';
import type { ClusterId } from '../../lib/domain/cluster.ts';
import { newJob } from '../../lib/domain/jobs/job.ts';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const TABLE = 'walcat-test-catalog';
const BUCKET = 'acme-pg-backups';
const config = parseWalcatConfig(
  [
    'clusters:',
    '  - id: orders-main',
    `    storage: s3://${BUCKET}/orders-main`,
    '    retention: { keepLast: 2, pitrWindow: 7d }',
    '    alerts: { slackWebhookParameter: /walcat/slack/orders }',
    '    hosts:',
    '      target: { tagKey: "walcat:cluster", tagValue: orders-main }',
    '      pgData: /var/lib/postgresql/15/main',
    '      service: systemd:postgresql@15-main',
    '    backupSchedule: cron(0 1 * * ? *)',
  ].join('\n'),
  'sufficiency config',
);
const CLUSTER = 'orders-main' as ClusterId;
const OWN_KEY = 'orders-main/wal_005/000000010000000000000001.br';
const FOREIGN_KEY = 'someone-else/secrets.txt';

type Credentials = { accessKeyId: string; secretAccessKey: string };
let moto: ReturnType<typeof spawn> | undefined;
let endpoint: string;
let admin: Credentials;
const queueUrls: Record<string, string> = {};
const users = new Map<FunctionName, Credentials>();

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The AWS CLI against moto, as `credentials`; returns parsed JSON output. */
/**
 * The IAM users and the account's bucket and queues, made in one Python process with boto3 (shipped beside
 * moto_server): one `aws` process per request cost about 2 s each on this machine, a minute and more for the
 * sixty requests a fleet of roles needs. The first user is made with the bootstrap keys moto accepts unauthenticated
 * (INITIAL_NO_AUTH_ACTION_COUNT=3: create-user, put-user-policy, create-access-key); every later request is signed
 * with that admin's keys and so authorised by moto.
 */
const PROVISION = `
import json, sys, boto3
spec = json.load(sys.stdin)
def client(service, keys):
    return boto3.client(service, endpoint_url=spec["endpoint"], region_name=spec["region"],
                        aws_access_key_id=keys["accessKeyId"], aws_secret_access_key=keys["secretAccessKey"])
def create_user(iam, name, policy):
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="role-policy", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"accessKeyId": key["AccessKeyId"], "secretAccessKey": key["SecretAccessKey"]}
admin = create_user(client("iam", {"accessKeyId": "bootstrap", "secretAccessKey": "bootstrap"}),
                    spec["admin"]["name"], spec["admin"]["policy"])
iam = client("iam", admin)
users = {user["name"]: create_user(iam, user["name"], user["policy"]) for user in spec["users"]}
client("s3", admin).create_bucket(Bucket=spec["bucket"])
sqs = client("sqs", admin)
queues = {name: sqs.create_queue(QueueName=name)["QueueUrl"] for name in spec["queues"]}
json.dump({"admin": admin, "users": users, "queues": queues}, sys.stdout)
`;

interface Provisioned {
  readonly admin: Credentials;
  readonly users: Record<string, Credentials>;
  readonly queues: Record<string, string>;
}

function provision(spec: {
  admin: { name: string; policy: unknown };
  users: { name: string; policy: unknown }[];
  bucket: string;
  queues: string[];
}): Provisioned {
  const result = spawnSync('python3', ['-c', PROVISION], {
    input: JSON.stringify({ endpoint, region: REGION, ...spec }),
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  if (result.status !== 0) throw new Error(`provisioning the IAM users, bucket and queues failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Provisioned;
}

const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const QUEUES = {
  ObjectEventsQueue: 'object-events',
  AlertsQueue: 'alerts',
  AsyncFailuresQueue: 'async-failures',
  CatalogSyncRunsQueue: 'catalog-sync-runs',
  CatalogSyncPartsQueue: 'catalog-sync-parts',
  WalWatchRunsQueue: 'wal-watch-runs',
  RetentionRunsQueue: 'retention-runs',
  BackupSchedulerRunsQueue: 'backup-scheduler-runs',
  ArchiverProbeRunsQueue: 'archiver-probe-runs',
  RestoreDrillRunsQueue: 'restore-drill-runs',
  JobTrackerRunsQueue: 'job-tracker-runs',
};

/** The role's policy with CloudFormation resolved, in the form moto can enforce (see the file comment). */
function resolvedPolicy(fn: FunctionName): unknown {
  const role = iamRoles(config, { service: 'walcat', stage: 'test', catalogTable: TABLE })[FUNCTION_ROLES[fn]] as {
    Properties: { Policies: { PolicyDocument: { Statement: Record<string, unknown>[] } }[] };
  };
  const document = role.Properties.Policies[0]?.PolicyDocument;
  const text = JSON.stringify(document)
    .replace(/\{"Fn::GetAtt":\["CatalogTable","Arn"\]\}/g, `"arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${TABLE}"`)
    .replace(/\{"Fn::GetAtt":\["(\w+Queue)","Arn"\]\}/g, (_m, id: keyof typeof QUEUES) => `"${queueArn(QUEUES[id])}"`)
    .replace(/\{"Fn::Sub":"([^"]*)"\}/g, '"$1"')
    .replaceAll('$' + '{AWS::Partition}', 'aws')
    .replaceAll('$' + '{AWS::Region}', REGION)
    .replaceAll('$' + '{AWS::AccountId}', ACCOUNT)
    .replaceAll('$' + '{CatalogTable.Arn}', `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${TABLE}`);
  const resolved = JSON.parse(text) as { Version: string; Statement: Record<string, unknown>[] };
  return {
    Version: resolved.Version,
    Statement: resolved.Statement.map((statement) => {
      const actions = statement.Action as string[];
      const enforcedResources = actions.every((a) => a.startsWith('s3:') || a.startsWith('sqs:'));
      const { Condition: _condition, ...rest } = statement;
      // moto authorises SendMessageBatch as an action of its own; AWS authorises it as sqs:SendMessage.
      const motoActions = actions.includes('sqs:SendMessage') ? { Action: [...actions, 'sqs:SendMessageBatch'] } : {};
      return enforcedResources ? { ...rest, ...motoActions } : { ...rest, Resource: '*' };
    }),
  };
}

beforeAll(async () => {
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  // Three unauthenticated actions create the admin user; every later request is authenticated and authorised.
  moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, INITIAL_NO_AUTH_ACTION_COUNT: '3' },
    stdio: 'ignore',
  });
  for (let attempt = 0; ; attempt++) {
    try {
      await fetch(`${endpoint}/moto-api/`);
      break;
    } catch (error) {
      if (attempt > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const functions = Object.keys(FUNCTION_ROLES) as FunctionName[];
  const made = provision({
    admin: {
      name: 'walcat-admin',
      policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
    },
    users: functions.map((fn) => ({ name: `walcat-${fn}`, policy: resolvedPolicy(fn) })),
    bucket: BUCKET,
    queues: Object.values(QUEUES),
  });
  admin = made.admin;
  for (const [id, name] of Object.entries(QUEUES)) queueUrls[id] = made.queues[name] as string;
  for (const fn of functions) users.set(fn, made.users[`walcat-${fn}`] as Credentials);
  const s3 = new S3Client({ region: REGION, endpoint, forcePathStyle: true, credentials: admin });
  for (const key of [OWN_KEY, FOREIGN_KEY, 'orders-main/basebackups_005/old_backup_stop_sentinel.json']) {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'content' }));
  }
  s3.destroy();
  await new DynamoDbCatalogStore({
    client: createDynamoDbDocumentClient({ region: REGION, dynamodb: endpoint, credentials: admin }),
    tableName: TABLE,
    interpret: () => ({ problem: 'unused' }),
  }).ensureTable();
}, 300_000);

afterAll(() => {
  moto?.kill('SIGTERM');
});

const as = (fn: FunctionName) => {
  const credentials = users.get(fn) as Credentials;
  const endpoints = { region: REGION, s3: endpoint, dynamodb: endpoint, ssm: endpoint, credentials };
  const s3 = createS3Client(endpoints);
  return {
    objects: new S3ObjectStore(s3),
    bucket: new S3BucketInspector(s3),
    ddb: createDynamoDbDocumentClient(endpoints),
    sqs: new SQSClient({ region: REGION, endpoint, credentials }),
    ssm: createSsmClient(endpoints),
  };
};
const denied = async (request: Promise<unknown>) => {
  const error = await request.then(
    () => undefined,
    (e: unknown) => e,
  );
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  expect(error, 'the request was refused').toBeDefined();
  expect(`${status} ${(error as { name?: string }).name}`).toMatch(/^403 |AccessDenied/);
};

describe('each role suffices for its use case and allows nothing more (moto with IAM enforcement)', () => {
  it('catalog-sync: reads its cluster prefix, writes the catalog; nothing outside the prefix', async () => {
    const { objects, ddb } = as('catalogSync');
    expect(await objects.getObjectText(BUCKET, OWN_KEY, 1024)).toBe('content');
    await new DynamoDbCatalogStore({
      client: ddb,
      tableName: TABLE,
      interpret: () => ({ problem: 'x' }),
    }).updateClusterState(CLUSTER, { lastFullSyncAt: new Date('2026-11-21T00:00:00Z') });
    await denied(objects.getObjectText(BUCKET, FOREIGN_KEY, 1024));
    // The bucket configuration the sync keeps in the catalog for status, gaps and the watchdog.
    const { bucket } = as('catalogSync');
    expect(await bucket.lifecycleRules(BUCKET)).toEqual([]);
    expect(await bucket.versioning(BUCKET)).toBe('unversioned');
    const deletion = await objects.deleteObjects(BUCKET, [OWN_KEY]);
    expect(deletion.deleted).toEqual([]);
    expect(deletion.failed.map((f) => f.code)).toEqual(['AccessDenied']);
  });

  it('catalog-sync sends key-range parts; catalog-sync-part consumes them, reads its prefix and keeps the ledger; neither more', async () => {
    const { ReceiveMessageCommand, DeleteMessageCommand, SendMessageCommand } = await import('@aws-sdk/client-sqs');
    const partsQueue = queueUrls.CatalogSyncPartsQueue as string;
    const plannedAt = new Date('2026-11-21T06:00:00Z');
    const parts = Array.from({ length: 12 }, (_, part) => ({
      cluster: CLUSTER,
      syncId: plannedAt.toISOString(),
      plannedAt,
      part,
      parts: 12,
      range: { after: '' },
    }));
    const planner = as('catalogSync');
    await new SqsSyncPartQueue({ sqs: planner.sqs, queueUrl: partsQueue }).enqueue(parts);
    await denied(planner.sqs.send(new ReceiveMessageCommand({ QueueUrl: partsQueue, WaitTimeSeconds: 0 })));

    const { objects, ddb, sqs } = as('catalogSyncPart');
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: partsQueue, MaxNumberOfMessages: 10 }));
    const message = received.Messages?.[0];
    expect(message?.ReceiptHandle).toBeDefined();
    await sqs.send(new DeleteMessageCommand({ QueueUrl: partsQueue, ReceiptHandle: message?.ReceiptHandle }));
    await denied(sqs.send(new SendMessageCommand({ QueueUrl: partsQueue, MessageBody: '{}' })));
    await denied(
      sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrls.CatalogSyncRunsQueue as string, WaitTimeSeconds: 0 })),
    );
    expect(await objects.getObjectText(BUCKET, OWN_KEY, 1024)).toBe('content');
    await denied(objects.getObjectText(BUCKET, FOREIGN_KEY, 1024));
    const ledger = new DynamoDbCatalogStore({ client: ddb, tableName: TABLE, interpret: () => ({ problem: 'x' }) });
    const generation = { syncId: plannedAt.toISOString(), plannedAt, ranges: [{ after: '' }] };
    expect((await ledger.beginSync(CLUSTER, generation)).current).toBe(true);
    expect(await ledger.syncPartStatus(CLUSTER, generation.syncId, 0)).toEqual({ current: true, finished: false });
    expect(await ledger.finishSyncPart(CLUSTER, generation.syncId, 0, 1)).toBe(true);
    expect(await ledger.commitSync(CLUSTER, generation.syncId, plannedAt)).toBe(true);
    const deletion = await objects.deleteObjects(BUCKET, [OWN_KEY]);
    expect(deletion.deleted).toEqual([]);
  });

  it('catalog-ingest: reads created objects, a vanished one is not found (skipped), consumes its queue; deletes nothing', async () => {
    const { objects, ddb, sqs } = as('catalogIngest');
    expect(await objects.getObjectText(BUCKET, OWN_KEY, 1024)).toBe('content');
    expect(await objects.getObjectText(BUCKET, 'orders-main/wal_005/gone.br', 1024)).toBeUndefined();
    const catalog = new DynamoDbCatalogStore({ client: ddb, tableName: TABLE, interpret: () => ({ problem: 'x' }) });
    await catalog.getClusterState(CLUSTER);
    const { ReceiveMessageCommand } = await import('@aws-sdk/client-sqs');
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrls.ObjectEventsQueue, WaitTimeSeconds: 0 }));
    await denied(sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrls.AlertsQueue, WaitTimeSeconds: 0 })));
    await denied(objects.getObjectText(BUCKET, FOREIGN_KEY, 1024));
  });

  it('retention: reads its prefix, queues alerts, and deletes nothing outside its prefix', async () => {
    const { objects, sqs } = as('retention');
    expect(await objects.getObjectText(BUCKET, OWN_KEY, 1024)).toBe('content');
    await new QueuedNotifier({ sqs, queueUrl: queueUrls.AlertsQueue as string }).send(
      { cluster: CLUSTER, slackWebhookParameter: '/walcat/slack/orders' },
      { text: 'retention probe', blocks: [] },
    );
    await denied(objects.getObjectText(BUCKET, FOREIGN_KEY, 1024));
    const foreign = await objects.deleteObjects(BUCKET, [FOREIGN_KEY]).then(
      (outcome) => outcome.failed.length,
      () => 1,
    );
    expect(foreign).toBe(1);
  });

  it('retention: reads the bucket settings and the object locks its plans and applies depend on', async () => {
    const { bucket: inspector } = as('retention');
    const owner = createS3Client({
      region: REGION,
      s3: endpoint,
      dynamodb: endpoint,
      ssm: endpoint,
      credentials: admin,
    });
    const doomed = 'orders-main/wal_005/000000010000000000000002.br';
    await owner.send(
      new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    await owner.send(new PutObjectCommand({ Bucket: BUCKET, Key: doomed, Body: 'segment' }));
    owner.destroy();
    expect(await inspector.versioning(BUCKET)).toBe('enabled');
    expect(await inspector.lifecycleRules(BUCKET)).toEqual([]);
    expect(await inspector.objectLock(BUCKET)).toEqual({ enabled: false });
    expect(await inspector.objectRetention(BUCKET, doomed)).toEqual({ legalHold: false });
    // moto authorises a DeleteObjects, and refuses any listing whose prefix holds a slash, against the bucket rather
    // than the keys, for any user: deleting and listing versions under the prefix are proven on the template only.
  });

  it('wal-watch: reads the catalog and queues alerts; reads no object', async () => {
    const { objects, ddb, sqs } = as('walWatch');
    await new DynamoDbCatalogStore({
      client: ddb,
      tableName: TABLE,
      interpret: () => ({ problem: 'x' }),
    }).getClusterState(CLUSTER);
    await new QueuedNotifier({ sqs, queueUrl: queueUrls.AlertsQueue as string }).send(
      { cluster: CLUSTER, slackWebhookParameter: '/walcat/slack/orders' },
      { text: 'probe', blocks: [] },
    );
    await denied(objects.getObjectText(BUCKET, OWN_KEY, 1024));
    // It reads the lifecycle rules the sync stored, never the bucket's.
    await expect(as('walWatch').bucket.lifecycleRules(BUCKET)).rejects.toThrow(/AccessDenied/);
    await expect(as('catalogIngest').bucket.versioning(BUCKET)).rejects.toThrow(/AccessDenied/);
  });

  it('backup-scheduler: takes the lock, sends the command, stores the job; touches no object', async () => {
    const { objects, ddb, ssm } = as('backupScheduler');
    const jobs = new DynamoDbJobStore({ client: ddb, tableName: TABLE });
    const now = new Date('2026-11-21T01:00:00Z');
    expect(await jobs.acquireLock(CLUSTER, 'backup', 'job-1', now, new Date(now.getTime() + 60_000))).toEqual({
      acquired: true,
    });
    const transport = new SsmCommandTransport({ client: ssm });
    const { commandId } = await transport.send({
      targets: { tagKey: 'walcat:cluster', tagValue: 'orders-main' },
      script: 'true',
      timeoutSeconds: 60,
      comment: 'sufficiency probe',
    });
    await jobs.create(newJob({ id: 'job-1', cluster: CLUSTER, type: 'backup-push', commandId, now, lock: 'backup' }));
    expect(await jobs.get({ cluster: CLUSTER, id: 'job-1', createdAt: now })).toMatchObject({ id: 'job-1' });
    await jobs.releaseLock(CLUSTER, 'backup', 'job-1');
    await denied(objects.getObjectText(BUCKET, OWN_KEY, 1024));
  });

  it('job-tracker: its watchdog reads the active jobs from their index, ends one and stores its expiry; reads no object', async () => {
    const { objects, ddb } = as('jobTracker');
    const jobs = new DynamoDbJobStore({ client: ddb, tableName: TABLE });
    const now = new Date('2026-11-21T02:00:00Z');
    const job = newJob({ id: 'job-watched', cluster: CLUSTER, type: 'archiver-probe', commandId: 'cmd-watched', now });
    await jobs.create(job);
    expect((await jobs.listActive(CLUSTER)).map((active) => active.id)).toContain('job-watched');
    expect((await jobs.listActive(CLUSTER)).filter((active) => active.restore !== undefined)).toEqual([]);
    await jobs.update(job, (current) => ({ ...current, state: 'timed-out', finishedAt: now }));
    expect((await jobs.listActive(CLUSTER)).map((active) => active.id)).not.toContain('job-watched');
    await denied(objects.getObjectText(BUCKET, OWN_KEY, 1024));
  });

  it.each(Object.keys(FAN_OUT_FUNCTIONS) as FanOutFunction[])(
    '%s: enqueues its cluster runs and consumes them from its own queue; no other function’s',
    async (fn) => {
      const { sqs } = as(fn);
      const { ReceiveMessageCommand, SendMessageBatchCommand } = await import('@aws-sdk/client-sqs');
      const own = queueUrls[runsQueueId(fn)] as string;
      await new SqsClusterRunQueue({ sqs, queueUrl: own }).enqueue(
        Array.from({ length: 12 }, (_, i) => ({ cluster: `c-${i}` as ClusterId, time: '2026-11-21T01:00:00Z' })),
      );
      const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: own, MaxNumberOfMessages: 10 }));
      expect(received.Messages?.length).toBeGreaterThan(0);
      const other = (Object.keys(FAN_OUT_FUNCTIONS) as FanOutFunction[]).find((candidate) => candidate !== fn);
      const foreign = queueUrls[runsQueueId(other as FanOutFunction)] as string;
      await denied(
        sqs.send(new SendMessageBatchCommand({ QueueUrl: foreign, Entries: [{ Id: '0', MessageBody: '{}' }] })),
      );
      await denied(sqs.send(new ReceiveMessageCommand({ QueueUrl: foreign, WaitTimeSeconds: 0 })));
    },
  );

  it('web-view and alert-dispatch: no object access at all', async () => {
    await denied(as('webView').objects.getObjectText(BUCKET, OWN_KEY, 1024));
    await denied(as('alertDispatch').objects.getObjectText(BUCKET, OWN_KEY, 1024));
  });
});
