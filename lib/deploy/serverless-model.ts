/**
 * What the deployed stack needs from the config file: one least-privilege IAM role per function, the event sources
 * whose filters name the configured buckets and prefixes, the SQS queue policy for the buckets, and the stack's
 * outputs. `npm run package` writes it as JSON and serverless.yml reads it, so the template always matches the
 * validated config.
 *
 * The stack is the same size for 1 cluster or 1,000: every scheduled function has one one-minute rule and evaluates
 * each cluster's own schedule itself (lib/use-cases/scheduled-clusters.ts), then fans the due clusters out on its own
 * queue, one invocation per cluster (lib/handlers/cluster-fan-out.ts); and each policy merges clusters into one
 * statement per purpose (one per tag key with all its values, one ListBucket per bucket with all its prefixes). A
 * list that would outgrow its budget is narrowed to the longest common prefix of its entries (per bucket, per tag
 * key) and the package step says so: IAM refuses an inline policy over 10,240 characters, and a stack that cannot
 * deploy protects nothing.
 *
 * Where AWS requires `*` as a resource it is said at the statement (`ssm:GetCommandInvocation`,
 * `ssm:ListCommandInvocations` and `ssm:DescribeInstanceInformation` support no resource-level permissions).
 */
import type { ClusterConfig, HostTarget, WalcatConfig } from '../domain/cluster.ts';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type Statement = { Sid: string; Effect: 'Allow'; Action: string[]; Resource: Json; Condition?: Json };

export const FUNCTION_ROLES = {
  catalogIngest: 'CatalogIngestRole',
  catalogSync: 'CatalogSyncRole',
  catalogSyncPart: 'CatalogSyncPartRole',
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

/** Functions invoked asynchronously (schedules, EventBridge rules): their failures go to the failure queue. */
export const ASYNC_FUNCTIONS: readonly FunctionName[] = [
  'catalogIngest',
  'catalogSync',
  'walWatch',
  'retention',
  'backupScheduler',
  'jobTracker',
  'archiverProbe',
  'restoreOrchestrator',
  'restoreDrill',
];

/**
 * The scheduled functions that fan out per cluster (lib/handlers/cluster-fan-out.ts), each with its function timeout
 * in seconds: the tick enqueues one run per due cluster on the function's own `<Function>RunsQueue`, which invokes
 * the function with one cluster per batch. catalog-sync fans out per cluster too, and a cluster too large for one
 * invocation is split further: its run sends one message per key range to `SYNC_PARTS_QUEUE`, run by catalogSyncPart.
 */
export const FAN_OUT_FUNCTIONS = {
  catalogSync: 900,
  walWatch: 60,
  retention: 900,
  backupScheduler: 60,
  archiverProbe: 90,
  restoreDrill: 120,
  jobTracker: 60,
} as const satisfies Partial<Record<FunctionName, number>>;

export type FanOutFunction = keyof typeof FAN_OUT_FUNCTIONS;

/** `walWatch` -> `WalWatchRunsQueue`. */
export const runsQueueId = (fn: FanOutFunction): string => `${fn.charAt(0).toUpperCase()}${fn.slice(1)}RunsQueue`;

/** catalog-sync's part queue: one key range of a split cluster sync per message, run by catalogSyncPart. */
export const SYNC_PARTS_QUEUE = 'CatalogSyncPartsQueue';

/** The part function's timeout: a part is sized to list and compare well within one full invocation. */
export const SYNC_PART_TIMEOUT_SECONDS = 900;

/**
 * At most this many parts run at once across the fleet. The parts of one cluster read one DynamoDB partition per
 * timeline (its WAL items), whose read throughput is bounded; ten parts of 16 concurrent queries each stay inside it.
 */
export const SYNC_PART_CONCURRENCY = 10;

/** A run that failed this often (each a Lambda invocation of its own) goes to the cluster-runs dead-letter queue. */
export const CLUSTER_RUN_RECEIVES = 3;

/** At most this many clusters of one function run at once: the fleet's catalog, SSM and Slack calls stay bounded. */
export const CLUSTER_RUN_CONCURRENCY = 50;

/**
 * The log group SSM Run Command writes host-command output to: one per stage (`/walcat/<stage>/host-commands`), so two
 * stages in one account do not share (or both try to create) it. The functions get it from the stack.
 */
export function hostCommandsLogGroupName(names: StackNames): string {
  return `/${names.service}/${names.stage}/host-commands`;
}
/** The one SSM document walcat sends; the SendCommand grant and the status-change rules name it. */
export const RUN_COMMAND_DOCUMENT = 'AWS-RunShellScript';
/**
 * Characters one merged list (object ARNs, ListBucket prefixes, tag values, rule prefixes) may take before it is
 * narrowed to common prefixes. Three such lists fit a role well under IAM's 10,240.
 */
export const LIST_BUDGET = 2_000;

const sub = (text: string): Json => ({ 'Fn::Sub': text });
const getAtt = (id: string, attribute = 'Arn'): Json => ({ 'Fn::GetAtt': [id, attribute] });
const PARTITION = '$' + '{AWS::Partition}';
const REGION = '$' + '{AWS::Region}';
const ACCOUNT = '$' + '{AWS::AccountId}';
const tableArns: Json = [getAtt('CatalogTable'), sub('$' + '{CatalogTable.Arn}/index/*')];

/** Names the stack gives its functions: `<service>-<stage>-<function>`. */
export interface StackNames {
  readonly service: string;
  readonly stage: string;
  /** An existing table to adopt instead of the stage's own `<service>-<stage>-catalog`. */
  readonly catalogTable?: string;
}

/** The catalog table of a stage: its own name per stage, so stages and redeploys never collide on CREATE. */
export function catalogTableName(names: StackNames): string {
  return names.catalogTable ?? `${names.service}-${names.stage}-catalog`;
}

const CATALOG_READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
const CATALOG_WRITE = [...CATALOG_READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'];
/** The job store releases a host-command lock with a conditional DeleteItem (only its holder's lock goes). */
const JOB_WRITE = [...CATALOG_WRITE, 'dynamodb:DeleteItem'];

function commonPrefix(values: readonly string[]): string {
  if (values.length === 0) return '';
  let prefix = values[0] ?? '';
  for (const value of values) {
    while (!value.startsWith(prefix)) prefix = prefix.slice(0, -1);
  }
  return prefix;
}

/** What was narrowed to fit: reported by `npm run package`. */
export type Narrowing = {
  readonly list: string;
  readonly group: string;
  readonly entries: number;
  readonly to: string;
};

/**
 * The values of each group, as given while all groups together fit `LIST_BUDGET`, else each group's longest
 * common prefix followed by `*` (the values are then patterns for StringLike / ARN matching).
 */
function bounded(
  list: string,
  groups: ReadonlyMap<string, readonly string[]>,
  narrowed: Narrowing[],
  render: (group: string, value: string) => string = (_group, value) => value,
): { readonly exact: boolean; readonly values: ReadonlyMap<string, readonly string[]> } {
  // Measured as IAM counts it: each value as it appears in the resolved policy, quoted, comma-separated.
  const size = [...groups].reduce(
    (total, [group, values]) => total + values.reduce((sum, value) => sum + render(group, value).length + 3, 0),
    0,
  );
  if (size <= LIST_BUDGET) return { exact: true, values: groups };
  const values = new Map<string, readonly string[]>();
  for (const [group, entries] of groups) {
    const to = `${commonPrefix(entries.map((e) => e.replace(/\*$/, '')))}*`;
    values.set(group, [to]);
    if (entries.length > 1) narrowed.push({ list, group, entries: entries.length, to });
  }
  return { exact: false, values };
}

const groupBy = <T>(items: readonly T[], key: (item: T) => string, value: (item: T) => string) => {
  const groups = new Map<string, string[]>();
  for (const item of items) {
    const values = groups.get(key(item)) ?? [];
    if (!values.includes(value(item))) values.push(value(item));
    groups.set(key(item), values);
  }
  return groups;
};

/** Per bucket, the cluster prefixes as `prefix*` patterns (bounded). */
function bucketPrefixes(clusters: readonly ClusterConfig[], narrowed: Narrowing[]) {
  return bounded(
    's3 prefixes',
    groupBy(
      clusters,
      (c) => c.storage.bucket,
      (c) => `${c.storage.prefix}*`,
    ),
    narrowed,
    (bucket, pattern) => `arn:aws-us-gov:s3:::${bucket}/${pattern}`,
  ).values;
}

function objectArns(prefixes: ReadonlyMap<string, readonly string[]>): Json {
  return [...prefixes].flatMap(([bucket, patterns]) =>
    patterns.map((pattern) => sub(`arn:${PARTITION}:s3:::${bucket}/${pattern}`)),
  );
}

/** One ListBucket statement per bucket with all its prefixes (retention lists versions there too). */
function listStatements(
  prefixes: ReadonlyMap<string, readonly string[]>,
  actions: readonly string[] = ['s3:ListBucket'],
): Statement[] {
  return [...prefixes].map(([bucket, patterns], index) => ({
    Sid: `ListClusterPrefixes${index}`,
    Effect: 'Allow',
    Action: [...actions],
    Resource: sub(`arn:${PARTITION}:s3:::${bucket}`),
    Condition: { StringLike: { 's3:prefix': [...patterns] } },
  }));
}

/**
 * The sync reads each cluster bucket's lifecycle rules, versioning and Object Lock default retention, kept in the
 * catalog so the answers and the watchdog that use them read no S3. Bucket-level reads: the bucket ARN, no key.
 */
function bucketConfigurationStatement(prefixes: ReadonlyMap<string, readonly string[]>): Statement {
  return {
    Sid: 'ReadClusterBucketConfiguration',
    Effect: 'Allow',
    Action: ['s3:GetLifecycleConfiguration', 's3:GetBucketVersioning', 's3:GetBucketObjectLockConfiguration'],
    Resource: [...prefixes.keys()].map((bucket) => sub(`arn:${PARTITION}:s3:::${bucket}`)),
  };
}

/** SSE-KMS buckets: the configured keys decrypt objects, and only when S3 asks on walcat's behalf. */
function kmsStatements(clusters: readonly ClusterConfig[]): Statement[] {
  const keys = [...new Set(clusters.flatMap((c) => (c.storage.kmsKeyArn ? [c.storage.kmsKeyArn] : [])))];
  if (keys.length === 0) return [];
  return [
    {
      Sid: 'DecryptClusterObjectsThroughS3',
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: keys.join('","').length <= LIST_BUDGET ? keys : sub(`arn:${PARTITION}:kms:*:${ACCOUNT}:key/*`),
      Condition: { StringEquals: { 'kms:ViaService': sub(`s3.${REGION}.amazonaws.com`) } },
    },
  ];
}

function logStatement(fn: FunctionName, names: StackNames): Statement {
  return {
    Sid: 'OwnLogGroup',
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: sub(
      `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/${names.service}-${names.stage}-${fn}:*`,
    ),
  };
}

const alertQueueSend: Statement = {
  Sid: 'SendAlerts',
  Effect: 'Allow',
  Action: ['sqs:SendMessage'],
  Resource: getAtt('AlertsQueue'),
};

const asyncFailureSend: Statement = {
  Sid: 'SendAsyncFailures',
  Effect: 'Allow',
  Action: ['sqs:SendMessage'],
  Resource: getAtt('AsyncFailuresQueue'),
};

/** A fanned-out function enqueues on and consumes from its own cluster-run queue, no other. */
function clusterRunsStatement(fn: FanOutFunction): Statement {
  return {
    Sid: 'OwnClusterRuns',
    Effect: 'Allow',
    // SendMessageBatch is authorised as sqs:SendMessage.
    Action: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
    Resource: getAtt(runsQueueId(fn)),
  };
}

function catalogStatement(actions: string[]): Statement {
  return { Sid: 'Catalog', Effect: 'Allow', Action: actions, Resource: tableArns };
}

/** SendCommand only with AWS-RunShellScript, and only on instances carrying one of the given tags (one per key). */
function sendCommandStatements(targets: readonly HostTarget[], narrowed: Narrowing[]): Statement[] {
  if (targets.length === 0) return [];
  const byKey = bounded(
    'instance tag values',
    groupBy(
      targets,
      (t) => t.tagKey,
      (t) => t.tagValue,
    ),
    narrowed,
  );
  return [
    {
      Sid: 'RunShellScriptDocument',
      Effect: 'Allow',
      Action: ['ssm:SendCommand'],
      Resource: sub(`arn:${PARTITION}:ssm:${REGION}::document/${RUN_COMMAND_DOCUMENT}`),
    },
    ...[...byKey.values].map(
      ([tagKey, values], index): Statement => ({
        Sid: `SendCommandToTaggedInstances${index}`,
        Effect: 'Allow',
        Action: ['ssm:SendCommand'],
        Resource: sub(`arn:${PARTITION}:ec2:${REGION}:${ACCOUNT}:instance/*`),
        Condition: { [byKey.exact ? 'StringEquals' : 'StringLike']: { [`ssm:resourceTag/${tagKey}`]: [...values] } },
      }),
    ),
    readCommandResults,
  ];
}

/** GetCommandInvocation and ListCommandInvocations support no resource-level permissions: AWS requires "*". */
const readCommandResults: Statement = {
  Sid: 'ReadCommandResults',
  Effect: 'Allow',
  Action: ['ssm:GetCommandInvocation', 'ssm:ListCommandInvocations'],
  Resource: '*',
};

/** Resolving a host tag to its one instance (restores run on exactly one host): no resource-level permissions. */
const describeManagedInstances: Statement = {
  Sid: 'ResolveHostTags',
  Effect: 'Allow',
  // DescribeInstanceInformation supports no resource-level permissions: AWS requires "*".
  Action: ['ssm:DescribeInstanceInformation'],
  Resource: '*',
};

function role(fn: FunctionName, names: StackNames, statements: Statement[]): Json {
  const all = [
    logStatement(fn, names),
    ...statements,
    ...(fn in FAN_OUT_FUNCTIONS ? [clusterRunsStatement(fn as FanOutFunction)] : []),
    ...(ASYNC_FUNCTIONS.includes(fn) ? [asyncFailureSend] : []),
  ];
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
          PolicyDocument: { Version: '2012-10-17', Statement: all as unknown as Json },
        },
      ],
    },
  };
}

/** The IAM role of each function, keyed by CloudFormation logical id, and what had to be narrowed to fit. */
export function iamRoles(config: WalcatConfig, names: StackNames, narrowed: Narrowing[] = []): Record<string, Json> {
  const clusters = config.clusters;
  const prefixes = bucketPrefixes(clusters, narrowed);
  const hostTargets = clusters.flatMap((c) => (c.hosts ? [c.hosts.target] : []));
  const drillTargets = clusters.flatMap((c) => (c.drill ? [c.drill.target] : []));
  const slackParameters = [
    ...new Set(clusters.flatMap((c) => (c.alerts.slackWebhookParameter ? [c.alerts.slackWebhookParameter] : []))),
  ];
  const readObjects: Statement = {
    Sid: 'ReadClusterObjects',
    Effect: 'Allow',
    Action: ['s3:GetObject'],
    Resource: objectArns(prefixes),
  };
  const kms = kmsStatements(clusters);
  const statements: Record<FunctionName, Statement[]> = {
    catalogIngest: [
      catalogStatement(CATALOG_WRITE),
      readObjects,
      // Without ListBucket S3 answers 403 instead of 404 for an object deleted before it was read: the record
      // would retry into the dead-letter queue instead of being skipped as gone.
      ...listStatements(prefixes),
      ...kms,
      {
        Sid: 'ConsumeObjectEvents',
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        Resource: getAtt('ObjectEventsQueue'),
      },
    ],
    catalogSync: [
      catalogStatement(CATALOG_WRITE),
      readObjects,
      ...listStatements(prefixes),
      bucketConfigurationStatement(prefixes),
      ...kms,
      {
        Sid: 'SendSyncParts',
        Effect: 'Allow',
        // SendMessageBatch is authorised as sqs:SendMessage.
        Action: ['sqs:SendMessage'],
        Resource: getAtt(SYNC_PARTS_QUEUE),
      },
    ],
    // Lists and reconciles one key range and commits the sync mark; sends nothing.
    catalogSyncPart: [
      catalogStatement(CATALOG_WRITE),
      readObjects,
      ...listStatements(prefixes),
      // The part that completes the set reads the bucket's configuration for the digest stored with the mark.
      bucketConfigurationStatement(prefixes),
      ...kms,
      {
        Sid: 'ConsumeSyncParts',
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        Resource: getAtt(SYNC_PARTS_QUEUE),
      },
    ],
    walWatch: [catalogStatement(CATALOG_WRITE), alertQueueSend],
    // Delivers queued messages and nothing else: no catalog access.
    alertDispatch: [
      {
        Sid: 'ConsumeAlerts',
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        Resource: getAtt('AlertsQueue'),
      },
      ...(slackParameters.length > 0
        ? [
            {
              Sid: 'ReadSlackWebhookParameters',
              Effect: 'Allow' as const,
              Action: ['ssm:GetParameter'],
              Resource: slackParameters.map((name) =>
                sub(`arn:${PARTITION}:ssm:${REGION}:${ACCOUNT}:parameter${name}`),
              ),
            },
            {
              Sid: 'DecryptSecureStringThroughSsm',
              Effect: 'Allow' as const,
              Action: ['kms:Decrypt'],
              Resource: sub(`arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/*`),
              Condition: { StringEquals: { 'kms:ViaService': sub(`ssm.${REGION}.amazonaws.com`) } },
            },
          ]
        : []),
    ],
    retention: [
      catalogStatement(CATALOG_WRITE),
      ...listStatements(prefixes, ['s3:ListBucket', 's3:ListBucketVersions']),
      ...kms,
      // On a versioned bucket the plan is only honest, and apply only frees bytes, when it reads the bucket's
      // versioning, lifecycle rules and Object Lock, each doomed backup's lock, and the versions it deletes.
      bucketConfigurationStatement(prefixes),
      // One statement for every object action, so the role's size does not grow twice with the prefixes.
      {
        Sid: 'ReadAndDeleteUnderClusterPrefixes',
        Effect: 'Allow',
        Action: [
          's3:GetObject',
          's3:GetObjectRetention',
          's3:GetObjectLegalHold',
          's3:DeleteObject',
          's3:DeleteObjectVersion',
        ],
        Resource: objectArns(prefixes),
      },
      alertQueueSend,
    ],
    backupScheduler: [catalogStatement(JOB_WRITE), ...sendCommandStatements(hostTargets, narrowed), alertQueueSend],
    // The one consumer of status events: it sends a restore's or drill's next step.
    jobTracker: [
      catalogStatement(JOB_WRITE),
      ...(hostTargets.length + drillTargets.length === 0
        ? [readCommandResults]
        : sendCommandStatements([...hostTargets, ...drillTargets], [])),
      alertQueueSend,
    ],
    archiverProbe: [catalogStatement(JOB_WRITE), ...sendCommandStatements(hostTargets, []), alertQueueSend],
    restoreOrchestrator: [
      catalogStatement(JOB_WRITE),
      ...sendCommandStatements([...hostTargets, ...drillTargets], []),
      describeManagedInstances,
      alertQueueSend,
    ],
    restoreDrill: [
      catalogStatement(CATALOG_WRITE),
      ...sendCommandStatements(drillTargets, []),
      describeManagedInstances,
      alertQueueSend,
    ],
    webView: [catalogStatement(CATALOG_READ)],
  };
  return Object.fromEntries(
    (Object.keys(FUNCTION_ROLES) as FunctionName[]).map((fn) => [FUNCTION_ROLES[fn], role(fn, names, statements[fn])]),
  );
}

/** The one-minute tick of every function that runs per-cluster schedules. */
export const SCHEDULE_TICK = 'rate(1 minute)';

/**
 * How the ingest function takes object events from the queue: up to 1,000 per invocation (10 transactions of 100
 * conditional writes), gathered for up to 50 s. At 1-100 segments a minute a shorter window hands the function
 * about one event at a time; 50 s gathers a cluster's 1-83 events of the window (a full batch only from about 1,200
 * segments a minute across the queue's clusters) and still lands every event in the catalog within the watchdog's
 * minute (the remaining 10 s cover the poller and the writes).
 */
export const INGEST_BATCH = { size: 1000, windowSeconds: 50 } as const;

/**
 * Event sources that depend on the config: the schedule ticks (only when a cluster has such a schedule) and the
 * S3 EventBridge rule, filtered on the configured buckets and, while they fit, the cluster prefixes.
 */
export function eventSources(config: WalcatConfig, narrowed: Narrowing[] = []) {
  // Each fanned-out function's queue delivers one cluster per invocation; failed records are retried alone.
  const runs = (fn: FanOutFunction): Json => ({
    sqs: {
      arn: getAtt(runsQueueId(fn)),
      batchSize: 1,
      maximumConcurrency: CLUSTER_RUN_CONCURRENCY,
      functionResponseType: 'ReportBatchItemFailures',
    },
  });
  const tick = (fn: FanOutFunction, wanted: boolean): Json[] =>
    wanted ? [{ schedule: { rate: [SCHEDULE_TICK] } }, runs(fn)] : [runs(fn)];
  const commandStatus: Json = {
    eventBridge: {
      pattern: {
        source: ['aws.ssm'],
        'detail-type': ['EC2 Command Status-change Notification', 'EC2 Command Invocation Status-change Notification'],
        // Only walcat's document: not every Run Command of the account.
        detail: { 'document-name': [RUN_COMMAND_DOCUMENT] },
      },
    },
  };
  const prefixes = bounded(
    'EventBridge key prefixes',
    groupBy(
      config.clusters,
      () => 'all buckets',
      (c) => c.storage.prefix,
    ),
    [],
  );
  const keyFilter =
    prefixes.exact && !config.clusters.some((c) => c.storage.prefix === '')
      ? { object: { key: config.clusters.map((c) => ({ prefix: c.storage.prefix })) } }
      : {};
  if (!prefixes.exact) {
    narrowed.push({
      list: 'EventBridge key prefixes',
      group: 'all buckets',
      entries: config.clusters.length,
      to: 'bucket only',
    });
  }
  return {
    catalogSync: [{ schedule: { rate: ['rate(6 hours)'] } }, runs('catalogSync')] as Json[],
    // One key range per invocation; a failed part is redelivered alone.
    catalogSyncPart: [
      {
        sqs: {
          arn: getAtt(SYNC_PARTS_QUEUE),
          batchSize: 1,
          maximumConcurrency: SYNC_PART_CONCURRENCY,
          functionResponseType: 'ReportBatchItemFailures',
        },
      },
    ] as Json[],
    walWatch: [{ schedule: { rate: [SCHEDULE_TICK] } }, runs('walWatch')] as Json[],
    retention: [{ schedule: { rate: ['cron(0 3 * * ? *)'] } }, runs('retention')] as Json[],
    // The status-change rule first: its position names the rule (output JobStatusRuleName). Every 5 minutes the
    // watchdog polls the jobs (host jobs and restores) that heard no status event for too long.
    jobTracker: [commandStatus, { schedule: { rate: ['rate(5 minutes)'] } }, runs('jobTracker')] as Json[],
    backupScheduler: tick(
      'backupScheduler',
      config.clusters.some((c) => c.backupSchedule !== undefined),
    ),
    restoreDrill: tick(
      'restoreDrill',
      config.clusters.some((c) => c.drill !== undefined),
    ),
    archiverProbe: tick(
      'archiverProbe',
      config.clusters.some((c) => c.hosts !== undefined),
    ),
    catalogIngest: [
      {
        sqs: {
          arn: getAtt('ObjectEventsQueue'),
          batchSize: INGEST_BATCH.size,
          maximumBatchingWindow: INGEST_BATCH.windowSeconds,
          functionResponseType: 'ReportBatchItemFailures',
        },
      },
      {
        eventBridge: {
          pattern: {
            source: ['aws.s3'],
            'detail-type': ['Object Created', 'Object Deleted'],
            detail: {
              bucket: { name: [...new Set(config.clusters.map((c) => c.storage.bucket))] },
              ...keyFilter,
            },
          },
        },
      },
    ] as Json[],
  };
}

/** S3 (directly or through SNS) may send object events to the queue only from the configured buckets. */
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
            Resource: getAtt('ObjectEventsQueue'),
            Condition: {
              ArnLike: { 'aws:SourceArn': buckets.map((b) => sub(`arn:${PARTITION}:s3:::${b}`)) },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            },
          },
          {
            // S3 -> SNS -> SQS fan-out, for a bucket that already notifies someone else: topics of this account.
            Sid: 'S3ObjectEventsThroughSnsTopicsOfThisAccount',
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: getAtt('ObjectEventsQueue'),
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
    },
  };
}

const DEAD_LETTER_QUEUES = [
  'ObjectEventsDeadLetterQueue',
  'AlertsDeadLetterQueue',
  'AsyncFailuresQueue',
  'ClusterRunsDeadLetterQueue',
] as const;

/** The queue properties of one function's runs (or parts), dead-lettering into the one cluster-runs queue. */
function runsQueue(timeoutSeconds: number): Json {
  return {
    Type: 'AWS::SQS::Queue',
    Properties: {
      // Lambda requires at least the function's timeout; AWS recommends six times it.
      VisibilityTimeout: 6 * timeoutSeconds,
      // A run not taken within a day is stale: the next tick enqueues a fresh one (and a sync part's generation
      // has been replaced by then).
      MessageRetentionPeriod: 86_400,
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: getAtt('ClusterRunsDeadLetterQueue'),
        maxReceiveCount: CLUSTER_RUN_RECEIVES,
      },
    },
  };
}

/**
 * One cluster-run queue per fanned-out function and catalog-sync's part queue, all dead-lettering into one queue
 * (alarmed like the others).
 */
function clusterRunQueues(): Record<string, Json> {
  return {
    [SYNC_PARTS_QUEUE]: runsQueue(SYNC_PART_TIMEOUT_SECONDS),
    ClusterRunsDeadLetterQueue: {
      Type: 'AWS::SQS::Queue',
      Properties: { MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: true },
    },
    ...Object.fromEntries(
      (Object.entries(FAN_OUT_FUNCTIONS) as [FanOutFunction, number][]).map(([fn, timeout]) => [
        runsQueueId(fn),
        runsQueue(timeout),
      ]),
    ),
  };
}

/** One alarm per dead-letter queue, notifying the alarm topic as soon as one message waits there. */
function deadLetterAlarms(): Record<string, Json> {
  return Object.fromEntries(
    DEAD_LETTER_QUEUES.map((queue) => [
      `${queue}Alarm`,
      {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          AlarmDescription: sub(
            `walcat ${queue}: messages walcat could not process are waiting in $` +
              `{${queue}.QueueName}; read them, fix the cause, then redrive or delete them`,
          ),
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: getAtt(queue, 'QueueName') }],
          Statistic: 'Maximum',
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
          AlarmActions: [{ Ref: 'AlarmTopic' }],
          OKActions: [{ Ref: 'AlarmTopic' }],
        },
      },
    ]),
  );
}

/** What the operator needs after deploying: where to point the bucket, which table, which topic to subscribe. */
function outputs(names: StackNames, ticks: readonly string[]): Record<string, Json> {
  // osls names EventBridge rules <service>-<stage>-<function>-rule-<position of the event>.
  const ruleName = (fn: FunctionName, position: number) => `${names.service}-${names.stage}-${fn}-rule-${position}`;
  const output = (description: string, value: Json) => ({ Description: description, Value: value });
  return {
    ObjectEventsQueueArn: output(
      'Queue for S3 event notifications of the cluster buckets (put-bucket-notification-configuration QueueConfigurations)',
      getAtt('ObjectEventsQueue'),
    ),
    ObjectEventsQueueUrl: output('URL of the object events queue', { Ref: 'ObjectEventsQueue' }),
    CatalogTableName: output('The catalog table of this stage (WALCAT_CATALOG_TABLE for the CLI)', {
      Ref: 'CatalogTable',
    }),
    AlarmTopicArn: output('Subscribe to this topic to hear of dead-lettered messages', { Ref: 'AlarmTopic' }),
    HostCommandsLogGroupName: output('Log group of host-command output', { Ref: 'HostCommandsLogGroup' }),
    ObjectEventsRuleName: output(
      'EventBridge rule for buckets with EventBridge notifications enabled',
      ruleName('catalogIngest', 2),
    ),
    JobStatusRuleName: output(
      'EventBridge rule for Run Command status changes (host jobs and restores)',
      ruleName('jobTracker', 1),
    ),
    ...(ticks.length === 0
      ? {}
      : {
          ScheduleTickRuleNames: output('The one-minute tick rules of the per-cluster schedules', {
            'Fn::Join': [
              ',',
              ticks.map((fn) => ({ Ref: `${fn.charAt(0).toUpperCase()}${fn.slice(1)}EventsRuleSchedule1` })),
            ],
          }),
        }),
  };
}

/** The document `npm run package` writes for serverless.yml. */
export function serverlessModel(config: WalcatConfig, names: StackNames, narrowed: Narrowing[] = []): Json {
  const events = eventSources(config, narrowed);
  const ticks = (['backupScheduler', 'archiverProbe', 'restoreDrill'] as const).filter((fn) => events[fn].length > 0);
  return {
    catalogTable: catalogTableName(names),
    hostCommandsLogGroup: hostCommandsLogGroupName(names),
    runCommandDocument: RUN_COMMAND_DOCUMENT,
    events,
    stackResources: {
      Resources: {
        ...iamRoles(config, names, narrowed),
        ObjectEventsQueuePolicy: objectEventsQueuePolicy(config),
        ...clusterRunQueues(),
        ...deadLetterAlarms(),
      },
      Outputs: outputs(names, ticks),
    },
  };
}
