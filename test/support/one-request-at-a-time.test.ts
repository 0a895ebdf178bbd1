import { CreateTableCommand, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOTO_CREDENTIALS, MOTO_REGION, type MotoHandle, startMoto } from './moto.ts';
import { type SerialProxy, startSerialProxy } from './one-request-at-a-time.ts';

let moto: MotoHandle;
let proxy: SerialProxy;
beforeAll(async () => {
  moto = await startMoto();
  proxy = await startSerialProxy(moto.endpoint);
}, 60_000);
afterAll(async () => {
  await proxy?.close();
  await moto?.close();
});

describe('moto through the one-request-at-a-time proxy', () => {
  it('lets exactly one of two concurrent conditional creates of a key succeed, as DynamoDB does', async () => {
    const client = () =>
      new DynamoDBClient({ endpoint: proxy.endpoint, region: MOTO_REGION, credentials: MOTO_CREDENTIALS });
    const [first, second] = [client(), client()];
    await first.send(
      new CreateTableCommand({
        TableName: 'serial',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const create = (writer: DynamoDBClient, key: string, field: string) =>
      writer
        .send(
          new UpdateItemCommand({
            TableName: 'serial',
            Key: { pk: { S: key } },
            UpdateExpression: 'SET #field = :value, rev = :one',
            ConditionExpression: 'attribute_not_exists(rev)',
            ExpressionAttributeNames: { '#field': field },
            ExpressionAttributeValues: { ':value': { S: 'x' }, ':one': { N: '1' } },
          }),
        )
        .then(
          () => 1,
          (error: Error) => {
            if (error.name !== 'ConditionalCheckFailedException') throw error;
            return 0;
          },
        );
    // Straight to moto, about 2 pairs in 5 both "succeed" here (the second creation replaces the first write).
    const successes: number[] = [];
    for (let pair = 0; pair < 50; pair++) {
      const [a, b] = await Promise.all([create(first, `k${pair}`, 'a'), create(second, `k${pair}`, 'b')]);
      successes.push(a + b);
    }
    expect(successes.every((n) => n === 1)).toBe(true);
    expect(proxy.maxInFlight).toBe(1);
  }, 120_000);
});
