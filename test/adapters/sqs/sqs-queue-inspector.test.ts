import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqsQueueInspector } from '../../../lib/adapters/sqs/sqs-queue-inspector.ts';
import { InvalidInputError } from '../../../lib/domain/errors.ts';
import { type MotoHandle, startMoto } from '../../support/moto.ts';

let moto: MotoHandle;
let inspector: SqsQueueInspector;

beforeAll(async () => {
  moto = await startMoto();
  inspector = new SqsQueueInspector(moto.sqs);
});
afterAll(async () => {
  await moto?.close();
});

describe('SqsQueueInspector against moto', () => {
  it("reads a queue's access policy, and none when it has none", async () => {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 's3.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: moto.queueArn('with-policy'),
        },
      ],
    });
    await moto.sqs.send(new CreateQueueCommand({ QueueName: 'with-policy', Attributes: { Policy: policy } }));
    await moto.sqs.send(new CreateQueueCommand({ QueueName: 'without-policy' }));
    expect(JSON.parse((await inspector.accessPolicy(moto.queueArn('with-policy'))) ?? '{}')).toEqual(
      JSON.parse(policy),
    );
    expect(await inspector.accessPolicy(moto.queueArn('without-policy'))).toBeUndefined();
  });

  it('names a queue that does not exist, and refuses what is not a queue ARN', async () => {
    await expect(inspector.accessPolicy(moto.queueArn('gone'))).rejects.toThrow(
      `queue ${moto.queueArn('gone')} does not exist: the bucket's notifications go nowhere`,
    );
    await expect(inspector.accessPolicy('walcat-object-events')).rejects.toBeInstanceOf(InvalidInputError);
  });
});
