import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { QueuedNotifier } from '../../../lib/adapters/sqs/queued-notifier.ts';
import type { ClusterId } from '../../../lib/domain/cluster.ts';
import { TransientError } from '../../../lib/domain/errors.ts';

const target = { cluster: 'orders-main' as ClusterId, slackWebhookParameter: '/walcat/slack/orders' };
const message = { text: 'WAL gap', blocks: [] };

describe('QueuedNotifier', () => {
  it('enqueues the target and the message, never the webhook URL', async () => {
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageCommand).resolves({ MessageId: '1' });
    await new QueuedNotifier({ sqs: new SQSClient({}), queueUrl: 'https://sqs/alerts' }).send(target, message);
    const input = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(input?.QueueUrl).toBe('https://sqs/alerts');
    expect(JSON.parse(input?.MessageBody ?? '')).toEqual({ target, message });
    sqs.restore();
  });

  it('turns a queue failure into a TransientError so the alert stays pending', async () => {
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    const send = new QueuedNotifier({ sqs: new SQSClient({}), queueUrl: 'https://sqs/alerts' }).send(target, message);
    await expect(send).rejects.toBeInstanceOf(TransientError);
    await expect(send).rejects.toThrow(/orders-main.*ThrottlingException.*pending/);
    sqs.restore();
  });
});
