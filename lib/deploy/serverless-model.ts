/**
 * What the deployed stack needs from the config file: one least-privilege IAM role per function, the per-cluster
 * schedules, and the SQS queue policy for the buckets. `npm run package` writes it as JSON and serverless.yml reads
 * it, so the template always matches the validated config (a test asserts the statements, issue 9).
 *
 * Where AWS requires `*` as a resource it is said at the statement (`ssm:GetCommandInvocation`,
 * `ssm:ListCommandInvocations` and `ssm:DescribeInstanceInformation` support no resource-level permissions).
 */
import type { ClusterConfig, WalcatConfig } from '../domain/cluster.ts';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type Statement = { Sid: string; Effect: 'Allow'; Action: string[]; Resource: Json; Condition?: Json };

export const FUNCTION_ROLES = {
  catalogIngest: 'CatalogIngestRole',
  catalogSync: 'CatalogSyncRole',
  walWatch: 'WalWatchRole',
  alertDispatch: 'AlertDispatchRole',
  retention: 'RetentionRole',
  backupScheduler: 'BackupSchedulerRole',
  jobTracker: 'JobTrackerRole',
  archiverProbe: 'ArchiverProbeRole',
  restoreOrchestrator: 'RestoreOrchestratorRole',
  restoreDrill: 'RestoreDrillRole',
  webView: 'WebViewRole',
} as const;

export type FunctionName = keyof typeof FUNCTION_ROLES;

const sub = (text: string): Json => ({ 'Fn::Sub': text });
const tableArns = (table: string): Json => [
  sub(`arn:\${AWS::Partition}:dynamodb:\${AWS::Region}:\${AWS::AccountId}:table/${table}`),
  sub(`arn:\${AWS::Partition}:dynamodb:\${AWS::Region}:\${AWS::AccountId}:table/${table}/index/*`),
];

/** Names the stack gives its functions: `<service>-<stage>-<function>`. */
export interface StackNames {
  readonly service: string;
  readonly stage: string;
}

const CATALOG_READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
const CATALOG_WRITE = [...CATALOG_READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'];
/** The job store releases a host-command lock with a conditional DeleteItem (only its holder's lock goes). */
const JOB_WRITE = [...CATALOG_WRITE, 'dynamodb:DeleteItem'];

function objectArns(clusters: readonly ClusterConfig[]): Json {
  return clusters.map((c) => `arn:aws:s3:::${c.storage.bucket}/${c.storage.prefix}*`);
}

function listStatements(clusters: readonly ClusterConfig[]): Statement[] {
  return clusters.map((c, index) => ({
    Sid: `ListClusterPrefix${index}`,
    Effect: 'Allow',
    Action: ['s3:ListBucket'],
    Resource: `arn:aws:s3:::${c.storage.bucket}`,
    Condition: { StringLike: { 's3:prefix': [`${c.storage.prefix}*`] } },
  }));
}

function logStatement(fn: FunctionName, names: StackNames): Statement {
  return {
    Sid: 'OwnLogGroup',
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: sub(
      `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${names.service}-${names.stage}-${fn}:*`,
    ),
  };
}

const alertQueueSend: Statement = {
  Sid: 'SendAlerts',
  Effect: 'Allow',
  Action: ['sqs:SendMessage'],
  Resource: { 'Fn::GetAtt': ['AlertsQueue', 'Arn'] },
};

function catalogStatement(table: string, actions: string[]): Statement {
  return { Sid: 'Catalog', Effect: 'Allow', Action: actions, Resource: tableArns(table) };
}

/** SendCommand only with AWS-RunShellScript, and only on instances carrying one of the given tags. */
function sendCommandStatements(targets: readonly { tagKey: string; tagValue: string }[]): Statement[] {
  if (targets.length === 0) return [];
  return [
    {
      Sid: 'RunShellScriptDocument',
      Effect: 'Allow',
      Action: ['ssm:SendCommand'],
      Resource: sub('arn:${AWS::Partition}:ssm:${AWS::Region}::document/AWS-RunShellScript'),
    },
    ...targets.map(
      (t, index): Statement => ({
        Sid: `SendCommandToTaggedInstances${index}`,
        Effect: 'Allow',
        Action: ['ssm:SendCommand'],
        Resource: sub('arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:instance/*'),
        Condition: { StringEquals: { [`ssm:resourceTag/${t.tagKey}`]: [t.tagValue] } },
      }),
    ),
    {
      Sid: 'ReadCommandResults',
      Effect: 'Allow',
      // GetCommandInvocation and ListCommandInvocations support no resource-level permissions: AWS requires "*".
      Action: ['ssm:GetCommandInvocation', 'ssm:ListCommandInvocations'],
      Resource: '*',
    },
  ];
}

function role(fn: FunctionName, names: StackNames, statements: Statement[]): Json {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
      },
      Policies: [
        {
          PolicyName: `${fn}-least-privilege`,
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [logStatement(fn, names), ...statements] as unknown as Json,
          },
        },
      ],
    },
  };
}

/** The IAM role of each function, keyed by CloudFormation logical id. */
export function iamRoles(config: WalcatConfig, names: StackNames): Record<string, Json> {
  const clusters = config.clusters;
  const catalog = (actions: string[]) => catalogStatement(config.catalogTable, actions);
  const hostTargets = clusters.flatMap((c) => (c.hosts ? [c.hosts.target] : []));
  const drillTargets = clusters.flatMap((c) => (c.drill ? [c.drill.target] : []));
  const slackParameters = [
    ...new Set(clusters.flatMap((c) => (c.alerts.slackWebhookParameter ? [c.alerts.slackWebhookParameter] : []))),
  ];
  const readObjects: Statement = {
    Sid: 'ReadClusterObjects',
    Effect: 'Allow',
    Action: ['s3:GetObject'],
    Resource: objectArns(clusters),
  };
  const statements: Record<FunctionName, Statement[]> = {
    catalogIngest: [
      catalog(CATALOG_WRITE),
      readObjects,
      {
        Sid: 'ConsumeObjectEvents',
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        Resource: { 'Fn::GetAtt': ['ObjectEventsQueue', 'Arn'] },
      },
    ],
    catalogSync: [catalog(CATALOG_WRITE), readObjects, ...listStatements(clusters)],
    walWatch: [catalog(CATALOG_WRITE), alertQueueSend],
    // Delivers queued messages and nothing else: no catalog access.
    alertDispatch: [
      {
        Sid: 'ConsumeAlerts',
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        Resource: { 'Fn::GetAtt': ['AlertsQueue', 'Arn'] },
      },
      ...(slackParameters.length > 0
        ? [
            {
              Sid: 'ReadSlackWebhookParameters',
              Effect: 'Allow' as const,
              Action: ['ssm:GetParameter'],
              Resource: slackParameters.map((name) =>
                sub(`arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${name}`),
              ),
            },
            {
              Sid: 'DecryptSecureStringThroughSsm',
              Effect: 'Allow' as const,
              Action: ['kms:Decrypt'],
              Resource: sub('arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*'),
              Condition: { StringEquals: { 'kms:ViaService': sub('ssm.${AWS::Region}.amazonaws.com') } },
            },
          ]
        : []),
    ],
    retention: [
      catalog(CATALOG_WRITE),
      readObjects,
      ...listStatements(clusters),
      {
        Sid: 'DeleteUnderClusterPrefixes',
        Effect: 'Allow',
        Action: ['s3:DeleteObject'],
        Resource: objectArns(clusters),
      },
      alertQueueSend,
    ],
    backupScheduler: [catalog(JOB_WRITE), ...sendCommandStatements(hostTargets), alertQueueSend],
    jobTracker: [catalog(JOB_WRITE), ...sendCommandStatements([]), readCommandResults(), alertQueueSend],
    archiverProbe: [catalog(JOB_WRITE), ...sendCommandStatements(hostTargets), alertQueueSend],
    restoreOrchestrator: [
      catalog(CATALOG_WRITE),
      ...sendCommandStatements([...hostTargets, ...drillTargets]),
      describeManagedInstances,
      alertQueueSend,
    ],
    restoreDrill: [
      catalog(CATALOG_WRITE),
      ...sendCommandStatements(drillTargets),
      describeManagedInstances,
      alertQueueSend,
    ],
    webView: [catalog(CATALOG_READ)],
  };
  return Object.fromEntries(
    (Object.keys(FUNCTION_ROLES) as FunctionName[]).map((fn) => [FUNCTION_ROLES[fn], role(fn, names, statements[fn])]),
  );
}

/** Resolving a host tag to its one instance (restores run on exactly one host): no resource-level permissions. */
const describeManagedInstances: Statement = {
  Sid: 'ResolveHostTags',
  Effect: 'Allow',
  // DescribeInstanceInformation supports no resource-level permissions: AWS requires "*".
  Action: ['ssm:DescribeInstanceInformation'],
  Resource: '*',
};

function readCommandResults(): Statement {
  return {
    Sid: 'ReadCommandResults',
    Effect: 'Allow',
    // GetCommandInvocation and ListCommandInvocations support no resource-level permissions: AWS requires "*".
    Action: ['ssm:GetCommandInvocation', 'ssm:ListCommandInvocations'],
    Resource: '*',
  };
}

/** How often the read-only archiver probe runs on each cluster that has hosts. */
export const ARCHIVER_PROBE_SCHEDULE = 'rate(5 minutes)';

/**
 * Per-cluster schedules: backup-push on `backupSchedule`, restore drills on `drill.schedule`, the archiver probe on
 * every cluster with hosts.
 */
export function scheduleEvents(config: WalcatConfig): {
  backupScheduler: Json[];
  restoreDrill: Json[];
  archiverProbe: Json[];
} {
  return {
    archiverProbe: config.clusters.flatMap((c) =>
      c.hosts ? [{ schedule: { rate: [ARCHIVER_PROBE_SCHEDULE], input: { cluster: c.id } } }] : [],
    ),
    backupScheduler: config.clusters.flatMap((c) =>
      c.backupSchedule ? [{ schedule: { rate: [c.backupSchedule], input: { cluster: c.id } } }] : [],
    ),
    restoreDrill: config.clusters.flatMap((c) =>
      c.drill ? [{ schedule: { rate: [c.drill.schedule], input: { cluster: c.id } } }] : [],
    ),
  };
}

/** S3 may send object events to the queue only from the configured buckets. */
export function objectEventsQueuePolicy(config: WalcatConfig): Json {
  const buckets = [...new Set(config.clusters.map((c) => c.storage.bucket))];
  return {
    Type: 'AWS::SQS::QueuePolicy',
    Properties: {
      Queues: [{ Ref: 'ObjectEventsQueue' }],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'S3ObjectEventsFromClusterBuckets',
            Effect: 'Allow',
            Principal: { Service: 's3.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: { 'Fn::GetAtt': ['ObjectEventsQueue', 'Arn'] },
            Condition: {
              ArnLike: { 'aws:SourceArn': buckets.map((b) => `arn:aws:s3:::${b}`) },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            },
          },
        ],
      },
    },
  };
}

/** The document `npm run package` writes for serverless.yml. */
export function serverlessModel(config: WalcatConfig, names: StackNames): Json {
  return {
    catalogTable: config.catalogTable,
    events: scheduleEvents(config),
    stackResources: {
      Resources: { ...iamRoles(config, names), ObjectEventsQueuePolicy: objectEventsQueuePolicy(config) },
    },
  };
}
