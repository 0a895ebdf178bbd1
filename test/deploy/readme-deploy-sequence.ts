/**
 * The README's deploy section as one sequence against moto's server mode, from an empty account with an existing
 * WAL-G bucket to a first `walcat status`: the bucket with a base backup and WAL, the README's create-stack block on
 * a package made by the packaged-stack test (packaging is not repeated here), the queue wiring block, the first sync
 * and the status block, each run with bash and the AWS CLI exactly as the README has it.
 *
 * Where moto cannot do what AWS does, the sequence says so instead of pretending:
 * - moto skips the resource types it does not implement and completes the stack without them; the sequence checks
 *   that exactly {@link RESOURCES_MOTO_SKIPS} are missing, so a new gap shows up here.
 * - moto creates the Lambda functions but cannot run them without Docker, so the first sync block's `aws lambda
 *   invoke` is not run: the deployed function's own bundle (the zip whose CodeSha256 the function reports) runs in
 *   Node with the function's own environment against moto, the tick first and then the run it queued, as Lambda
 *   would hand it over.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createS3Client } from '../../lib/adapters/aws/aws-clients.ts';
import { MOTO_CREDENTIALS, type MotoHandle } from '../support/moto.ts';
import { readmeDeployBlock, runBash } from '../support/readme-deploy-blocks.ts';
import { WALCAT_BIN } from '../support/walcat-process.ts';

export const REGION = 'eu-west-1';
export const BUCKET = 'acme-pg-backups';
const STACK = 'walcat-prod';

/** What moto 5's CloudFormation does not implement: it warns, skips them and completes the stack. */
export const RESOURCES_MOTO_SKIPS = [
  'AWS::ApiGatewayV2::Api',
  'AWS::ApiGatewayV2::Integration',
  'AWS::ApiGatewayV2::Route',
  'AWS::ApiGatewayV2::Stage',
  'AWS::CloudWatch::Alarm',
  'AWS::Lambda::EventInvokeConfig',
  'AWS::S3::BucketPolicy',
  'AWS::SQS::QueuePolicy',
] as const;

export interface DeployedSequence {
  /** The stack's resource types CloudFormation holds, and the template's. */
  readonly resourceTypes: { readonly stack: readonly string[]; readonly template: readonly string[] };
  readonly outputs: Readonly<Record<string, string | undefined>>;
  /** The catalog-sync function's code hash as the function reports it, and the package's zip's. */
  readonly codeSha256: { readonly function: string; readonly packaged: string };
  /** What the deployed bundle answered: the tick, then the queued cluster run. */
  readonly syncResponses: readonly unknown[];
  /** Runs the tick queued on catalog-sync's runs queue. */
  readonly queuedRuns: readonly unknown[];
  /** The first status block's stdout, and `walcat status --json` run after it in the same shell. */
  readonly status: { readonly screen: string; readonly json: unknown };
  readonly seeded: { readonly backup: string; readonly walHead: string };
}

/** Runs a script with bash in `cwd` against moto. */
const bash = (script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<string> =>
  runBash(script, { cwd, env, timeoutMs: 240_000 });

const SEGMENT = 16 * 1024 * 1024;
const segName = (segNo: number) => `00000001${'00000000'}${segNo.toString(16).toUpperCase().padStart(8, '0')}`;

/** The bucket as WAL-G left it: one complete base backup an hour old and the WAL from its start to the head. */
async function existingWalgBucket(moto: MotoHandle, now: Date): Promise<{ backup: string; walHead: string }> {
  const s3 = createS3Client({ region: REGION, s3: moto.endpoint, credentials: MOTO_CREDENTIALS });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: REGION } }));
  const put = (key: string, body: string) =>
    s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `orders-main/${key}`, Body: body }));
  const startSegNo = 4;
  const backup = `base_${segName(startSegNo)}`;
  const finish = new Date(now.getTime() - 3_600_000);
  const start = new Date(finish.getTime() - 300_000);
  const startLsn = startSegNo * SEGMENT + 40;
  const finishLsn = (startSegNo + 1) * SEGMENT + 4096;
  await put(`basebackups_005/${backup}/tar_partitions/part_001.tar.lz4`, `data of ${backup}`.padEnd(1024, '.'));
  await put(`basebackups_005/${backup}/tar_partitions/pg_control.tar.lz4`, 'pg_control');
  await put(
    `basebackups_005/${backup}/metadata.json`,
    `{"start_time":"${start.toISOString()}","finish_time":"${finish.toISOString()}","date_fmt":"%Y-%m-%dT%H:%M:%S.%fZ","hostname":"pg-orders-1","data_dir":"/var/lib/postgresql/15/main","pg_version":150010,"start_lsn":${startLsn},"finish_lsn":${finishLsn},"is_permanent":false,"system_identifier":7321456789012345678,"uncompressed_size":2048,"compressed_size":1024}`,
  );
  await put(
    `basebackups_005/${backup}_backup_stop_sentinel.json`,
    `{"LSN":${startLsn},"PgVersion":150010,"FinishLSN":${finishLsn},"SystemIdentifier":7321456789012345678,"UncompressedSize":2048,"CompressedSize":1024,"Version":2,"StartTime":"${start.toISOString()}","FinishTime":"${finish.toISOString()}","Hostname":"pg-orders-1","DataDir":"/var/lib/postgresql/15/main","IsPermanent":false}`,
  );
  await put(`wal_005/${segName(startSegNo)}.00000028.backup.lz4`, 'backup history');
  const headSegNo = startSegNo + 4;
  for (let segNo = startSegNo; segNo <= headSegNo; segNo++) await put(`wal_005/${segName(segNo)}.lz4`, `wal ${segNo}`);
  s3.destroy();
  return { backup, walHead: segName(headSegNo) };
}

/**
 * Runs the deployed function's bundle once, in a fresh Node process as Lambda's runtime would: the unpacked zip as
 * its task root, the function's own environment, moto as every AWS endpoint.
 */
function invokeBundle(taskRoot: string, handler: string, env: NodeJS.ProcessEnv, event: unknown): unknown {
  const [file, exported] = [handler.slice(0, handler.lastIndexOf('.')), handler.slice(handler.lastIndexOf('.') + 1)];
  const script = [
    `const module = await import(${JSON.stringify(join(taskRoot, `${file}.mjs`))});`,
    `const context = { functionName: ${JSON.stringify(`${STACK}-catalogSync`)}, awsRequestId: ${JSON.stringify(randomUUID())}, getRemainingTimeInMillis: () => 900000, callbackWaitsForEmptyEventLoop: false };`,
    `const response = await module[${JSON.stringify(exported)}](JSON.parse(process.env.EVENT), context);`,
    "process.stdout.write('\\n@@response ' + JSON.stringify(response ?? null) + '\\n');",
  ].join('\n');
  const ran = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: taskRoot,
    env: { ...env, EVENT: JSON.stringify(event) },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const line = ran.stdout.split('\n').find((text) => text.startsWith('@@response '));
  if (ran.status !== 0 || line === undefined) {
    throw new Error(`the deployed bundle failed (${ran.status}):\n${ran.stdout}\n${ran.stderr}`);
  }
  return JSON.parse(line.slice('@@response '.length));
}

/** The sequence in `project` (a packaged checkout: `.serverless/` and `walcat.config.yml`), against a fresh moto. */
export async function deployFromTheReadme(moto: MotoHandle, project: string): Promise<DeployedSequence> {
  const now = new Date();
  const work = join(project, 'deploy-work');
  mkdirSync(join(work, 'bin'), { recursive: true });
  // `walcat` on the PATH, as `npm link` puts it there.
  writeFileSync(join(work, 'bin', 'walcat'), `#!/bin/sh\nexec "${process.execPath}" "${WALCAT_BIN}" "$@"\n`);
  chmodSync(join(work, 'bin', 'walcat'), 0o755);
  const env: NodeJS.ProcessEnv = {
    PATH: `${join(work, 'bin')}:${process.env.PATH}`,
    HOME: process.env.HOME,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
    AWS_DEFAULT_REGION: REGION,
    AWS_PAGER: '',
  };
  const aws = async (args: string) => JSON.parse(await bash(`aws ${args} --output json`, project, env)) as unknown;

  const seeded = await existingWalgBucket(moto, now);
  await bash(readmeDeployBlock('create the stack from the package'), project, env);
  await bash(readmeDeployBlock('queue notifications on an existing bucket'), work, env);

  const stack = (await aws(`cloudformation describe-stacks --stack-name ${STACK}`)) as {
    Stacks: { Outputs: { OutputKey: string; OutputValue: string }[] }[];
  };
  const outputs = Object.fromEntries(
    (stack.Stacks[0]?.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]),
  );
  const described = (await aws(`cloudformation describe-stack-resources --stack-name ${STACK}`)) as {
    StackResources: { ResourceType?: string }[];
  };
  const template = JSON.parse(
    readFileSync(join(project, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as { Resources: Record<string, { Type: string }> };

  // The first sync: the block would invoke the deployed function; moto cannot run it, so its bundle runs here.
  if (!readmeDeployBlock('the first sync').includes(`--function-name ${STACK}-catalogSync`)) {
    throw new Error('the first sync block no longer invokes the catalog-sync function');
  }
  const configuration = (await aws(`lambda get-function-configuration --function-name ${STACK}-catalogSync`)) as {
    Handler: string;
    CodeSha256: string;
    Environment: { Variables: Record<string, string> };
  };
  const zip = join(project, '.serverless', 'catalogSync.zip');
  const taskRoot = join(work, 'catalog-sync-task');
  const unpacked = spawnSync('python3', ['-m', 'zipfile', '-e', zip, taskRoot], { encoding: 'utf8' });
  if (unpacked.status !== 0) throw new Error(`cannot unpack ${zip}: ${unpacked.stderr}`);
  const lambdaEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    ...configuration.Environment.Variables,
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
    AWS_LAMBDA_FUNCTION_NAME: `${STACK}-catalogSync`,
    POWERTOOLS_LOG_LEVEL: 'WARN',
  };
  const syncResponses: unknown[] = [invokeBundle(taskRoot, configuration.Handler, lambdaEnv, {})];
  const queueUrl = configuration.Environment.Variables.WALCAT_CLUSTER_RUNS_QUEUE_URL as string;
  // In the stack's region: moto keeps queues per region.
  const sqs = new SQSClient({ region: REGION, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS });
  const received = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  const messages = received.Messages ?? [];
  const queuedRuns = messages.map((message) => JSON.parse(message.Body ?? 'null') as unknown);
  for (const message of messages) {
    const record = {
      messageId: message.MessageId,
      receiptHandle: message.ReceiptHandle,
      body: message.Body,
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: {},
      md5OfBody: message.MD5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:${REGION}:123456789012:${queueUrl.split('/').pop()}`,
      awsRegion: REGION,
    };
    syncResponses.push(invokeBundle(taskRoot, configuration.Handler, lambdaEnv, { Records: [record] }));
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
  }

  sqs.destroy();
  const printed = await bash(
    `${readmeDeployBlock('the first status')}\necho '@@json'\nwalcat status --cluster orders-main --json`,
    // Where walcat.config.yml is, as for the packaging.
    project,
    { ...env, AWS_REGION: REGION },
  );
  const [screen, json] = printed.split('@@json\n') as [string, string];
  return {
    resourceTypes: {
      // moto lists the resources it skipped with no type.
      stack: [...new Set(described.StackResources.flatMap((resource) => resource.ResourceType ?? []))].sort(),
      template: [...new Set(Object.values(template.Resources).map((resource) => resource.Type))].sort(),
    },
    outputs,
    codeSha256: {
      function: configuration.CodeSha256,
      packaged: createHash('sha256').update(readFileSync(zip)).digest('base64'),
    },
    syncResponses,
    queuedRuns,
    status: { screen, json: JSON.parse(json) as unknown },
    seeded,
  };
}
