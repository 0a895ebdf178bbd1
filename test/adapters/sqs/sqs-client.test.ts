/**
 * The SQS client the functions and the CLI build: a queue URL from the stack names the service's own host
 * (`https://sqs.<region>.amazonaws.com/<account>/<name>`, as moto also reports it), and the SDK sends to the queue
 * URL's host unless told otherwise; with `AWS_ENDPOINT_URL` set, every request must go to that endpoint instead.
 */
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqsClient } from '../../../lib/adapters/aws/aws-clients.ts';
import { readRuntimeEnvironment } from '../../../lib/config/config.ts';
import { MOTO_ACCOUNT, MOTO_CREDENTIALS, MOTO_REGION, type MotoHandle, startMoto } from '../../support/moto.ts';

let moto: MotoHandle;

beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.close();
});

describe('createSqsClient', () => {
  it("sends to the endpoint override, not to the queue URL's host", async () => {
    await moto.sqs.send(new CreateQueueCommand({ QueueName: 'cluster-runs' }));
    const { endpoints } = readRuntimeEnvironment({ AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: MOTO_REGION });
    expect(endpoints.sqs).toBe(moto.endpoint);
    const sqs = createSqsClient({ ...endpoints, credentials: MOTO_CREDENTIALS });
    // The queue URL as a stack output or a function's environment gives it.
    const queueUrl = `https://sqs.${MOTO_REGION}.amazonaws.com/${MOTO_ACCOUNT}/cluster-runs`;
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"cluster":"orders-main"}' }));
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
    expect(received.Messages?.map((message) => message.Body)).toEqual(['{"cluster":"orders-main"}']);
    sqs.destroy();
  });
});
