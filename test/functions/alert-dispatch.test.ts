import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackWebhookNotifier } from '../../lib/adapters/slack/slack-webhook-notifier.ts';
import { SsmParameterSecret } from '../../lib/adapters/ssm/ssm-parameter-secret.ts';
import { createAlertDispatchHandler } from '../../lib/handlers/alert-dispatch-handler.ts';

/** A local receiver standing in for Slack: answers with the queued status codes, records what it got. */
let server: Server;
let url: string;
const received: unknown[] = [];
const statuses: number[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push(JSON.parse(body));
      response.statusCode = statuses.shift() ?? 200;
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function sqsEvent(bodies: string[]): SQSEvent {
  return {
    Records: bodies.map((body, index) => ({
      messageId: `m${index}`,
      receiptHandle: `r${index}`,
      body,
      attributes: {} as SQSEvent['Records'][number]['attributes'],
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:alerts',
      awsRegion: 'eu-west-1',
    })),
  };
}

const message = (text: string) =>
  JSON.stringify({
    target: { cluster: 'orders-main', slackWebhookParameter: '/walcat/slack/orders' },
    message: { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] },
  });

describe('alert-dispatch handler', () => {
  it('delivers queued messages, reports Slack 5xx as batch failures for SQS to retry, and drops malformed ones', async () => {
    const ssm = mockClient(SSMClient);
    ssm.on(GetParameterCommand, { Name: '/walcat/slack/orders', WithDecryption: true }).resolves({
      Parameter: { Value: url },
    });
    const notifier = new SlackWebhookNotifier({ secrets: new SsmParameterSecret({ client: new SSMClient({}) }) });
    const handler = createAlertDispatchHandler(notifier, new Logger({ logLevel: 'SILENT' }));
    statuses.push(200, 500);

    const result = await handler(
      sqsEvent([message('gap opened'), message('gap resolved'), '{"not":"an alert"}']),
      {} as Context,
    );

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(received).toHaveLength(2);
    expect(received[0]).toMatchObject({ text: 'gap opened' });
    // The secret was read once and cached for the batch.
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);

    // Slack recovered: the redelivered message goes through.
    const retry = await handler(sqsEvent([message('gap resolved')]), {} as Context);
    expect(retry.batchItemFailures).toEqual([]);
    expect(received.at(-1)).toMatchObject({ text: 'gap resolved' });
    ssm.restore();
  });
});
