/**
 * The README's commands for wiring an existing WAL-G bucket to a deployed stack, run as they stand in the README
 * (each `sh` block that starts with `# walcat deploy:`) with the AWS CLI against moto's server mode, and the bucket's
 * resulting configuration checked: per-cluster prefix filters onto the stack's queue with every earlier rule kept,
 * the SNS fan-out subscription, and EventBridge enabled beside the rules already there. Editing the README changes
 * what runs here, so the two cannot drift apart.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type MotoHandle, startMoto } from '../support/moto.ts';
import { readmeDeployBlock, readmeDeployBlocks, runBash } from '../support/readme-deploy-blocks.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const REGION = 'eu-west-1';
const BUCKET = 'acme-pg-backups';
const TOPIC = 'acme-pg-backups-events';
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

const block = readmeDeployBlock;

let moto: MotoHandle;
let work: string;

/** Runs a script with bash against moto; resolves with its stdout, rejects with its stderr. */
const run = (script: string): Promise<string> =>
  runBash(script, {
    cwd: work,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'moto',
      AWS_SECRET_ACCESS_KEY: 'moto',
      AWS_DEFAULT_REGION: REGION,
      AWS_PAGER: '',
    },
    timeoutMs: 120_000,
  });

const json = async (script: string) => JSON.parse((await run(script)) || '{}') as Record<string, unknown>;

/** What a deploy leaves: the stack with its queue output, the bucket, and the topic another consumer reads. */
async function deployedStackAndBucket(): Promise<{ queueArn: string; topicArn: string }> {
  await fetch(`${moto.endpoint}/moto-api/reset`, { method: 'POST' }).then((response) => response.arrayBuffer());
  const template = JSON.stringify({
    Resources: { ObjectEventsQueue: { Type: 'AWS::SQS::Queue' } },
    Outputs: { ObjectEventsQueueArn: { Value: { 'Fn::GetAtt': ['ObjectEventsQueue', 'Arn'] } } },
  });
  await run(`aws cloudformation create-stack --stack-name walcat-prod --template-body '${template}' > /dev/null`);
  await run(
    `aws s3api create-bucket --bucket ${BUCKET} --create-bucket-configuration LocationConstraint=${REGION} > /dev/null`,
  );
  const topicArn = (await json(`aws sns create-topic --name ${TOPIC}`)).TopicArn as string;
  const queueArn = (
    await run(
      `aws cloudformation describe-stacks --stack-name walcat-prod --query "Stacks[0].Outputs[0].OutputValue" --output text`,
    )
  ).trim();
  return { queueArn, topicArn };
}

const configuration = () => json(`aws s3api get-bucket-notification-configuration --bucket ${BUCKET}`);
type NotificationRule = { Filter?: { Key?: { FilterRules?: { Name: string; Value: string }[] } } };
const prefixOf = (rule: NotificationRule) =>
  rule.Filter?.Key?.FilterRules?.find((filter) => filter.Name.toLowerCase() === 'prefix')?.Value;

beforeAll(async () => {
  moto = await startMoto();
}, 60_000);
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'walcat-readme-deploy-'));
  return () => rmSync(work, { recursive: true, force: true });
});
afterAll(async () => {
  await moto?.close();
});

/** Each `aws` process costs seconds on a loaded machine, and a scenario runs a dozen of them. */
const SCENARIO_TIMEOUT_MS = 300_000;

describe("the README's deploy commands, run with the AWS CLI against moto", () => {
  it('has the deploy blocks in order and says what replacing the configuration and overlapping rules do', () => {
    // The first, fifth and sixth run in test/deploy/packaged-stack.test.ts, on a deployed package.
    expect([...readmeDeployBlocks().keys()]).toEqual([
      'create the stack from the package',
      'queue notifications on an existing bucket',
      'fan out through the SNS topic the bucket already notifies',
      'EventBridge instead of a queue notification',
      'the first sync',
      'the first status',
    ]);
    expect(readme).toContain("**replaces the bucket's whole notification configuration**");
    expect(readme).toContain('S3 **refuses overlapping rules**');
  });

  it(
    "adds one queue rule per cluster prefix onto the stack's queue and keeps the rule another consumer had",
    async () => {
      const { queueArn, topicArn } = await deployedStackAndBucket();
      const other = {
        TopicConfigurations: [
          {
            Id: 'other-app',
            TopicArn: topicArn,
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'other-app/' }] } },
          },
        ],
      };
      await run(
        `aws s3api put-bucket-notification-configuration --bucket ${BUCKET} --notification-configuration '${JSON.stringify(other)}'`,
      );

      await run(block('queue notifications on an existing bucket'));

      const after = await configuration();
      const queues = after.QueueConfigurations as (NotificationRule & {
        Id: string;
        QueueArn: string;
        Events: string[];
      })[];
      expect(queues.map((rule) => [rule.Id, rule.QueueArn, prefixOf(rule)])).toEqual([
        ['walcat-orders-main', queueArn, 'orders-main/'],
        ['walcat-billing', queueArn, 'billing/'],
      ]);
      for (const rule of queues) {
        expect(rule.Events).toEqual(['s3:ObjectCreated:*', 's3:ObjectRemoved:*', 's3:LifecycleExpiration:*']);
      }
      expect((after.TopicConfigurations as { Id: string }[]).map((rule) => rule.Id)).toEqual(['other-app']);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'works the same on a bucket that notified no one before',
    async () => {
      const { queueArn } = await deployedStackAndBucket();
      await run(block('queue notifications on an existing bucket'));
      const queues = (await configuration()).QueueConfigurations as (NotificationRule & { QueueArn: string })[];
      expect(queues.map((rule) => [rule.QueueArn, prefixOf(rule)])).toEqual([
        [queueArn, 'orders-main/'],
        [queueArn, 'billing/'],
      ]);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    "subscribes the stack's queue to the topic the bucket already notifies",
    async () => {
      const { queueArn, topicArn } = await deployedStackAndBucket();
      expect(block('fan out through the SNS topic the bucket already notifies')).toContain(`TOPIC_ARN=${topicArn}\n`);
      await run(block('fan out through the SNS topic the bucket already notifies'));
      const subscriptions = (await json(`aws sns list-subscriptions-by-topic --topic-arn ${topicArn}`))
        .Subscriptions as { Protocol: string; Endpoint: string }[];
      expect(subscriptions.map((subscription) => [subscription.Protocol, subscription.Endpoint])).toEqual([
        ['sqs', queueArn],
      ]);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'enables EventBridge and keeps the rules the bucket had',
    async () => {
      const { topicArn } = await deployedStackAndBucket();
      const other = { TopicConfigurations: [{ Id: 'other-app', TopicArn: topicArn, Events: ['s3:ObjectCreated:*'] }] };
      await run(
        `aws s3api put-bucket-notification-configuration --bucket ${BUCKET} --notification-configuration '${JSON.stringify(other)}'`,
      );
      await run(block('EventBridge instead of a queue notification'));
      // moto stores EventBridgeConfiguration but does not echo it back, so the configuration sent is checked.
      const sent = JSON.parse(readFileSync(join(work, 'notification.json'), 'utf8')) as Record<string, unknown>;
      expect(sent.EventBridgeConfiguration).toEqual({});
      expect((sent.TopicConfigurations as { Id: string }[]).map((rule) => rule.Id)).toEqual(['other-app']);
      const after = await configuration();
      expect((after.TopicConfigurations as { Id: string }[]).map((rule) => rule.Id)).toEqual(['other-app']);
    },
    SCENARIO_TIMEOUT_MS,
  );
});
