import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SsmParameterSecret } from '../../../lib/adapters/ssm/ssm-parameter-secret.ts';
import { ConfigError, TransientError } from '../../../lib/domain/errors.ts';

const ssm = mockClient(SSMClient);
afterEach(() => ssm.reset());

describe('SsmParameterSecret', () => {
  it('reads a SecureString with decryption and caches it for the TTL', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'https://hooks.slack.example/T/B/x' } });
    let now = 0;
    const secrets = new SsmParameterSecret({
      client: new SSMClient({ region: 'us-east-1' }),
      ttlMs: 1000,
      clock: () => now,
    });
    expect(await secrets.get('/walcat/slack/orders')).toBe('https://hooks.slack.example/T/B/x');
    now = 999;
    await secrets.get('/walcat/slack/orders');
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
    expect(ssm.commandCalls(GetParameterCommand)[0]?.args[0].input).toEqual({
      Name: '/walcat/slack/orders',
      WithDecryption: true,
    });
    now = 1000;
    await secrets.get('/walcat/slack/orders');
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
  });

  it('names the parameter and the fix when it does not exist', async () => {
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    const secrets = new SsmParameterSecret({ client: new SSMClient({ region: 'us-east-1' }) });
    const error = await secrets.get('/walcat/slack/missing').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('/walcat/slack/missing');
  });

  it('is transient when Parameter Store throttles', async () => {
    ssm.on(GetParameterCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const secrets = new SsmParameterSecret({ client: new SSMClient({ region: 'us-east-1' }) });
    await expect(secrets.get('/walcat/slack/orders')).rejects.toBeInstanceOf(TransientError);
  });
});
